// The `:` command line and the `/` filter line, drawn over the message line.
import { Box, Text } from 'ink';
import { useAppState, useController, useTheme } from '../state/context.js';
import { suggestions } from '../commands.js';
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
  if (!filter.editing) return null;
  return <LineEditorView editor={filter.editor} width={width} prefix="/" />;
}
