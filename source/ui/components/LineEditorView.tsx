// Draws a one-line editor: its text with the cursor shown as an inverse cell, scrolled to keep the cursor
// in view. The editing itself is pure (state/editor.ts), driven by the input dispatcher.
import { Text } from 'ink';
import type { EditorState } from '../state/editor.js';
import { sanitize } from '../../core/sanitize.js';

export function LineEditorView({ editor, width, prefix = '' }: { editor: EditorState; width: number; prefix?: string }) {
  const chars = [...sanitize(editor.text, 1024)];
  const room = Math.max(1, width - [...prefix].length - 1);
  const from = Math.max(0, editor.cursor - room + 1);
  const before = chars.slice(from, editor.cursor).join('');
  const at = chars[editor.cursor] ?? ' ';
  const after = chars.slice(editor.cursor + 1, from + room).join('');
  return (
    <Text>
      {prefix}
      {before}
      <Text inverse>{at}</Text>
      {after}
    </Text>
  );
}
