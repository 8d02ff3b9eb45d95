// :messages (or M): what strata said recently, whole, newest last, with the time each was said.
import { Box, Text } from 'ink';
import { sanitize } from '../../core/sanitize.js';
import { Command } from '../keymap.js';
import { useAppState, useTheme } from '../state/context.js';
import { keyName } from './Bottom.js';
import { fit, wrap } from './text.js';

let messageRows = 0;
/** How far the messages can scroll (for the dispatcher). */
export const MESSAGES_ROWS = () => messageRows;

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

export function Messages({ width, height }: { width: number; height: number }) {
  const messages = useAppState((s) => s.messages);
  const scroll = useAppState((s) => (s.overlay?.kind === 'messages' ? s.overlay.scroll : 0));
  const theme = useTheme();
  const lines: { text: string; colour?: string }[] = [];
  if (messages.length === 0) lines.push({ text: 'Nothing has been said yet.', colour: theme.muted });
  for (const m of messages) {
    const colour = m.level === 'error' ? theme.danger : m.level === 'warning' ? theme.warning : undefined;
    wrap(`${clock(m.at)}  ${sanitize(m.text, 4000)}${m.link ? ` ${sanitize(m.link, 2000)}` : ''}`, width - 11).forEach((part, i) => lines.push({ text: (i ? '          ' : '') + part, colour }));
  }
  const room = Math.max(1, height - 2);
  messageRows = Math.max(0, lines.length - room);
  const at = Math.min(scroll, messageRows);
  const shown = lines.slice(at, at + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {fit(`Messages (the last ${messages.length}, newest last; UTC)`, width - 1).trimEnd()}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} color={l.colour}>
          {fit(l.text, width - 1).trimEnd() || ' '}
        </Text>
      ))}
      {Array.from({ length: Math.max(0, room - shown.length) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
      <Text color={theme.muted}>{fit(`${keyName('messages', Command.Close)} closes · j/k, PgUp/PgDn, g/G scroll · ${Math.min(at + shown.length, lines.length)}/${lines.length} lines`, width - 1).trimEnd()}</Text>
    </Box>
  );
}
