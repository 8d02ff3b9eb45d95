// The `:` command line and the `/` filter line, drawn over the message line.
import { Box, Text } from 'ink';
import { useAppState, useController, useTheme } from '../state/context.js';
import { suggestions } from '../commands.js';
import { selectView } from '../state/selectors.js';
import { LineEditorView } from './LineEditorView.js';
import { fit } from './text.js';

export function CommandLine({ width }: { width: number }) {
  const modal = useAppState((s) => (s.modal?.kind === 'command' ? s.modal : undefined));
  const controller = useController();
  const theme = useTheme();
  if (!modal) return null;
  const options = suggestions(modal.editor.text, controller.commandContext());
  const hint = modal.message ?? (options.length ? options.slice(0, 12).join('  ') : 'Enter runs · Tab completes · Esc closes');
  return (
    <Box flexDirection="column">
      <Text color={modal.message ? theme.danger : theme.muted}>{fit(' ' + hint, width).trimEnd()}</Text>
      <LineEditorView editor={modal.editor} width={width} prefix=":" />
    </Box>
  );
}

export function FilterLine({ width }: { width: number }) {
  const filter = useAppState((s) => s.filter);
  const count = useAppState((s) => selectView(s).indices.length);
  const theme = useTheme();
  if (!filter.editing) return null;
  const matches = `  ${count.toLocaleString('en-US')} match${count === 1 ? '' : 'es'} · Enter keeps · Esc clears`;
  const room = Math.max(10, width - matches.length - 1);
  return (
    <Text>
      <LineEditorView editor={filter.editor} width={room} prefix="/" />
      <Text color={theme.muted}>{width - room > 10 ? matches : ''}</Text>
    </Text>
  );
}
