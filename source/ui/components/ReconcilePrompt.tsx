// Asked at start about a launch that was interrupted (strata killed, the SSH session dropped) and that the
// provider shows no server for: retry it with the same token, abandon it, or decide later.
import { Box, Text } from 'ink';
import { sanitize } from '../../core/sanitize.js';
import { useAppState, useTheme } from '../state/context.js';
import { fit } from './text.js';

export function ReconcilePrompt({ width }: { width: number }) {
  const items = useAppState((s) => s.reconcile ?? []);
  const readOnly = useAppState((s) => s.readOnly);
  const theme = useTheme();
  const item = items[0];
  if (!item) return null;
  const inner = width - 2;
  const line = (text: string) => ` ${fit(text, inner - 2)} `;
  const words = sanitize(item.sentence, 600).split(' ');
  // Wrap the sentence over the box's lines.
  const wrapped: string[] = [];
  let current = '';
  for (const w of words) {
    if ((current + ' ' + w).trim().length > inner - 2) {
      wrapped.push(current.trim());
      current = w;
    } else current += ' ' + w;
  }
  if (current.trim()) wrapped.push(current.trim());
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.warning} width={width}>
      <Text bold>{line(`Interrupted launch${items.length > 1 ? ` (1 of ${items.length})` : ''}`)}</Text>
      {wrapped.map((w, i) => (
        <Text key={i}>{line(w)}</Text>
      ))}
      <Text>{line('Retrying uses the same client token, so the provider cannot start it twice.')}</Text>
      <Text color={theme.muted}>{line(`${readOnly ? '(read-only: retrying is disabled) ' : 'y retry · '}a abandon · n decide later`)}</Text>
    </Box>
  );
}
