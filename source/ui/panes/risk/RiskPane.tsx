// `:risk`: which servers and images stand on a vendor template that is deprecated, about to be deleted, or
// already gone, grouped by template, with the count of dependants and the date that matters.
import { Box, Text } from 'ink';
import { riskReport } from '../../../core/lineage.js';
import { sanitize } from '../../../core/sanitize.js';
import { fit, wrap } from '../../components/text.js';
import { useAppState, useTheme } from '../../state/context.js';
import { imageLookup, listedImages } from '../../state/selectors.js';

let riskRows = 0;
/** How far the report can scroll (for the dispatcher). */
export const RISK_ROWS = () => riskRows;

export function RiskPane({ width, height }: { width: number; height: number }) {
  const servers = useAppState((s) => s.monitor.servers);
  const own = useAppState((s) => listedImages(s, 'own'));
  const lookup = useAppState(imageLookup);
  const scroll = useAppState((s) => s.riskScroll);
  const theme = useTheme();
  const now = Date.parse(servers.find((s) => s.observedAt)?.observedAt ?? '') || Date.now();
  const groups = riskReport(
    servers.filter((s) => s.phase !== 'terminated'),
    own,
    lookup,
    now,
  );
  const lines: { text: string; colour?: string; bold?: boolean }[] = [];
  const add = (text: string, colour?: string, bold?: boolean, indent = '') => {
    wrap(text, width - indent.length - 1).forEach((part, i) => lines.push({ text: (i ? indent + '  ' : indent) + part, colour, bold }));
  };
  if (groups.length === 0) add('Nothing at risk: no server or image stands on a deprecated, doomed or deleted template.', theme.ok);
  for (const g of groups) {
    const colour = g.worst === 'image-gone' ? theme.danger : theme.warning;
    add(sanitize(g.sentence, 600), colour, true);
    for (const s of g.servers) add(`server ${sanitize(s.name)} (${sanitize(s.id)}, ${s.phase})`, undefined, false, '    ');
    for (const i of g.images) add(`image ${sanitize(i.displayName ?? i.name)} (${sanitize(i.id)})`, undefined, false, '    ');
  }
  const room = Math.max(1, height - 1);
  riskRows = Math.max(0, lines.length - room);
  const shown = lines.slice(scroll, scroll + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {fit(`At risk: ${groups.length} template${groups.length === 1 ? '' : 's'} with dependants (Tab: next pane, j/k scroll)`, width).trimEnd()}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} color={l.colour} bold={l.bold}>
          {fit(l.text, width).trimEnd() || ' '}
        </Text>
      ))}
    </Box>
  );
}
