// The state of a one-line editor (filter, inline rename, command line): pure functions, so several keys
// arriving in one read are applied in order and none is lost.
import { Command } from '../keymap.js';

export interface EditorState {
  text: string;
  /** Cursor position in code points. */
  cursor: number;
}

export type EditorAction = { command: Command } | { insert: string } | { set: string };

export function editorOf(text: string): EditorState {
  return { text, cursor: [...text].length };
}

/** Removes what must never reach an editor: control characters and newlines (a paste of several lines). */
export function cleanInsert(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r?\n|\r/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

function isWordChar(ch: string): boolean {
  return /[\p{L}\p{N}_]/u.test(ch);
}

export function editorReduce(state: EditorState, action: EditorAction, maxLength = 1024): EditorState {
  const chars = [...state.text];
  const cursor = Math.max(0, Math.min(state.cursor, chars.length));
  if ('set' in action) return editorOf(cleanInsert(action.set));
  if ('insert' in action) {
    const add = [...cleanInsert(action.insert)];
    const room = Math.max(0, maxLength - chars.length);
    const taken = add.slice(0, room);
    if (taken.length === 0) return state;
    chars.splice(cursor, 0, ...taken);
    return { text: chars.join(''), cursor: cursor + taken.length };
  }
  switch (action.command) {
    case Command.CursorLeft:
      return { text: state.text, cursor: Math.max(0, cursor - 1) };
    case Command.CursorRight:
      return { text: state.text, cursor: Math.min(chars.length, cursor + 1) };
    case Command.CursorHome:
      return { text: state.text, cursor: 0 };
    case Command.CursorEnd:
      return { text: state.text, cursor: chars.length };
    case Command.DeleteBack:
      if (cursor === 0) return state;
      chars.splice(cursor - 1, 1);
      return { text: chars.join(''), cursor: cursor - 1 };
    case Command.DeleteForward:
      if (cursor >= chars.length) return state;
      chars.splice(cursor, 1);
      return { text: chars.join(''), cursor };
    case Command.DeleteWord: {
      let start = cursor;
      while (start > 0 && !isWordChar(chars[start - 1])) start--;
      while (start > 0 && isWordChar(chars[start - 1])) start--;
      chars.splice(start, cursor - start);
      return { text: chars.join(''), cursor: start };
    }
    case Command.DeleteToStart:
      return { text: chars.slice(cursor).join(''), cursor: 0 };
    default:
      return state;
  }
}
