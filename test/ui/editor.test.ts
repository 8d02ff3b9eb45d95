import { describe, expect, it } from 'vitest';
import { Command } from '../../source/ui/keymap.js';
import { editorOf, editorReduce, type EditorAction, type EditorState } from '../../source/ui/state/editor.js';

const run = (start: EditorState, ...actions: EditorAction[]) => actions.reduce((s, a) => editorReduce(s, a), start);

describe('line editor', () => {
  it('inserts at the cursor and moves', () => {
    const s = run(editorOf('ac'), { command: Command.CursorLeft }, { insert: 'b' });
    expect(s).toEqual({ text: 'abc', cursor: 2 });
  });
  it('deletes back, forward, a word and to the start', () => {
    expect(run(editorOf('abc'), { command: Command.DeleteBack }).text).toBe('ab');
    expect(run(editorOf('abc'), { command: Command.CursorHome }, { command: Command.DeleteForward }).text).toBe('bc');
    expect(run(editorOf('web server-01'), { command: Command.DeleteWord }).text).toBe('web server-');
    expect(run(editorOf('web server'), { command: Command.DeleteWord }, { command: Command.DeleteWord }).text).toBe('');
    expect(run(editorOf('hello world'), { command: Command.CursorLeft }, { command: Command.DeleteToStart })).toEqual({ text: 'd', cursor: 0 });
  });
  it('keeps the cursor in range at both ends', () => {
    expect(run(editorOf(''), { command: Command.DeleteBack }, { command: Command.CursorLeft })).toEqual({ text: '', cursor: 0 });
    expect(run(editorOf('a'), { command: Command.CursorRight }, { command: Command.DeleteForward })).toEqual({ text: 'a', cursor: 1 });
  });
  it('takes a paste of several lines as one line, without control characters', () => {
    expect(run(editorOf(''), { insert: 'a\nb\r\nc\u001b[2J' }).text).toBe('a b c[2J');
  });
  it('counts code points, not UTF-16 units', () => {
    const s = run(editorOf('日本'), { command: Command.DeleteBack });
    expect(s).toEqual({ text: '日', cursor: 1 });
  });
  it('stops at the maximum length', () => {
    expect(editorReduce(editorOf('abc'), { insert: 'defg' }, 5).text).toBe('abcde');
  });
});
