// Asked at start about a launch that was interrupted (strata killed, the SSH session dropped) and that the
// provider shows no server for: retry it with the same token, abandon it, or decide later.
import { Box, Text } from 'ink';
import { sanitize } from '../../core/sanitize.js';
import { Command } from '../keymap.js';
import { useAppState, useController, useTheme } from '../state/context.js';
import { keyName } from './Bottom.js';
import { fit, wrap } from './text.js';

export function ReconcilePrompt({ width, height }: { width: number; height: number }) {
  const items = useAppState((s) => s.reconcile ?? []);
  const readOnly = useAppState((s) => s.readOnly);
  const c = useController();
  const theme = useTheme();
  const item = items[0];
  if (!item) return null;
  const inner = width - 4;
  const retry = c.disabledReason('reconcile', Command.Confirm);
  // What to press first, then what it means.
  const keys = `${retry ? '' : `${keyName('reconcile', Command.Confirm)} retry · `}${readOnly ? '' : `${keyName('reconcile', Command.Abandon)} abandon · `}${keyName('reconcile', Command.Close)} decide later`;
  const lines = [
    ...wrap(keys, inner).map((text) => ({ text, bold: true })),
    ...wrap(sanitize(item.sentence, 600), inner).map((text) => ({ text, bold: false })),
    ...wrap('Retrying uses the same client token, so the provider cannot start it twice.', inner).map((text) => ({ text, bold: false })),
    ...(retry ? wrap(retry, inner).map((text) => ({ text, bold: false })) : []),
  ].slice(0, Math.max(1, height - 3));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.warning} width={width}>
      <Text bold>{` ${fit(`Interrupted launch${items.length > 1 ? ` (1 of ${items.length})` : ''}`, inner)} `}</Text>
      {lines.map((l, i) => (
        <Text key={i} bold={l.bold}>{` ${fit(l.text, inner)} `}</Text>
      ))}
    </Box>
  );
}
