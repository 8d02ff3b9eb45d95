// :stale: the stale own images (unused, older than N days, not the newest of their family), each with what
// it takes up in storage, and the total deleting them frees. They are marked: D deletes them (the bulk
// prompt, with the count typed), Esc goes back to the list with them marked.
import { Box, Text } from 'ink';
import { sanitize } from '../../core/sanitize.js';
import { Command } from '../keymap.js';
import { useAppState, useTheme } from '../state/context.js';
import { keyName } from './Bottom.js';
import { fit, wrap } from './text.js';

let staleRows = 0;
/** How far the report can scroll (for the dispatcher). */
export const STALE_ROWS = () => staleRows;

export function StaleReport({ width, height }: { width: number; height: number }) {
  const o = useAppState((s) => (s.overlay?.kind === 'stale' ? s.overlay : undefined));
  const marked = useAppState((s) => s.marks.own.count);
  const theme = useTheme();
  if (!o) return null;
  const lines: { text: string; colour?: string; bold?: boolean }[] = [];
  const add = (text: string, colour?: string, bold?: boolean) => {
    wrap(sanitize(text, 2000), width - 3).forEach((part, i) => lines.push({ text: (i ? '    ' : '') + part, colour, bold }));
  };
  if (o.loading) add(`Looking for own images unused for ${o.days} days and more: the own images and every server of the region are asked for now…`, theme.muted);
  else if (o.error) add(o.error, theme.danger);
  for (const line of o.lines ?? []) {
    add(line.text, line.tone === 'warning' ? theme.warning : line.tone === 'muted' ? theme.muted : line.tone === 'heading' ? theme.accent : undefined, line.tone === 'heading');
  }
  const room = Math.max(1, height - 2);
  staleRows = Math.max(0, lines.length - room);
  const at = Math.min(o.scroll, staleRows);
  const shown = lines.slice(at, at + room);
  const keys = `${keyName('stale', Command.DeleteImage)} deletes the ${marked.toLocaleString('en-US')} marked · ${keyName('stale', Command.Close)} back (still marked)`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {fit(`Stale own images (older than ${o.days} days)`, width - 1).trimEnd()}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} color={l.colour} bold={l.bold}>
          {fit(l.text, width - 1).trimEnd() || ' '}
        </Text>
      ))}
      {Array.from({ length: Math.max(0, room - shown.length) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
      <Text color={theme.muted}>{fit(keys, width - 1).trimEnd()}</Text>
    </Box>
  );
}
