// Deleting an image asks for its id, typed, and names what depends on it first: the seed's "backing image"
// that, once deleted, leaves its servers unable to be re-imaged.
import { Box, Text } from 'ink';
import { useAppState, useTheme } from '../state/context.js';
import { LineEditorView } from './LineEditorView.js';
import { fit } from './text.js';

export function DeletePrompt({ width }: { width: number }) {
  const d = useAppState((s) => s.deleteImage);
  const theme = useTheme();
  if (!d) return null;
  const first =
    d.dependants.length === 0
      ? `Delete image ${d.imageId}? Nothing strata knows depends on it. Type its id to delete it (Esc cancels).`
      : `${d.dependants.length} depend${d.dependants.length === 1 ? 's' : ''} on ${d.imageId}: ${d.dependants.slice(0, 4).join(', ')}${d.dependants.length > 4 ? ` and ${d.dependants.length - 4} more` : ''}. Type its id to delete it anyway (Esc cancels).`;
  return (
    <Box flexDirection="column">
      <Text color={theme.danger}>{fit(first, width).trimEnd()}</Text>
      <Text>
        <LineEditorView editor={d.editor} width={Math.min(40, width)} prefix="> " />
        {d.error ? <Text color={theme.danger}>{'  ' + fit(d.error, Math.max(0, width - 42)).trimEnd()}</Text> : null}
      </Text>
    </Box>
  );
}
