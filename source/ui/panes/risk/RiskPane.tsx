// `:risk`: which servers and images stand on a vendor template that is deprecated, about to be deleted, or
// already gone, grouped by template, with the count of dependants and the date that matters.
import { Box, Text } from 'ink';
import { riskReport } from '../../../core/lineage.js';
import { sanitize } from '../../../core/sanitize.js';
import { fit, titled, wrap } from '../../components/text.js';
import { useAppState, useTheme } from '../../state/context.js';
import { imageLookup, shownOwn } from '../../state/selectors.js';
import { fleetRiskReport, type FleetRiskGroup } from '../../../core/fleetRisk.js';
import type { FleetSnapshot } from '../../../services/fleet.js';
import { placeLookup } from '../../state/fleetState.js';
import { plural } from '../../../core/sentence.js';

let fleetRiskCache: { snapshot: FleetSnapshot; groups: FleetRiskGroup[] } | undefined;

/** :risk across every source and region of the fleet (a template of one name grouped once). */
export function fleetRisk(snapshot: FleetSnapshot): FleetRiskGroup[] {
  if (fleetRiskCache?.snapshot === snapshot) return fleetRiskCache.groups;
  const now = Date.parse(snapshot.places.flatMap((p) => p.servers).find((s) => s.observedAt)?.observedAt ?? '') || Date.now();
  const places = snapshot.places.map((place) => ({
    where: place.where,
    groups: riskReport(
      place.servers.filter((s) => s.phase !== 'terminated'),
      place.images.map((i) => (i.shownName !== (i.displayName || i.name) ? { ...i, displayName: i.shownName } : i)),
      placeLookup(place),
      now,
    ),
  }));
  const groups = fleetRiskReport(places, now);
  fleetRiskCache = { snapshot, groups };
  return groups;
}

let riskRows = 0;
/** How far the report can scroll (for the dispatcher). */
export const RISK_ROWS = () => riskRows;

export function RiskPane({ width, height }: { width: number; height: number }) {
  const fleet = useAppState((s) => (s.fleet && s.fleet.snapshot.places.length > 0 ? s.fleet.snapshot : undefined));
  if (fleet) return <FleetRiskPane width={width} height={height} snapshot={fleet} />;
  return <RegionRiskPane width={width} height={height} />;
}

function FleetRiskPane({ width, height, snapshot }: { width: number; height: number; snapshot: FleetSnapshot }) {
  const scroll = useAppState((s) => s.riskScroll);
  const theme = useTheme();
  const groups = fleetRisk(snapshot);
  const lines: { text: string; colour?: string; bold?: boolean }[] = [];
  const add = (text: string, colour?: string, bold?: boolean, indent = '') => {
    wrap(text, width - indent.length - 3).forEach((part, i) => lines.push({ text: (i ? indent + '  ' : indent) + part, colour, bold }));
  };
  if (groups.length === 0) add(snapshot.complete ? 'Nothing at risk in any source: no server or image stands on a deprecated, doomed or deleted template.' : 'Loading the sources…', theme.ok);
  for (const g of groups) {
    add(sanitize(g.sentence, 800), g.worst === 'image-gone' ? theme.danger : theme.warning, true);
    for (const s of g.servers) add(`server ${sanitize(s.server.name)} (${sanitize(s.server.id)}, ${s.where}, ${s.server.phase})`, undefined, false, '    ');
    for (const i of g.images) add(`image ${sanitize(i.image.displayName || i.image.name)} (${sanitize(i.image.id)}, ${i.where})`, undefined, false, '    ');
  }
  const room = Math.max(1, height - 1);
  riskRows = Math.max(0, lines.length - room);
  const shown = lines.slice(scroll, scroll + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {titled(`At risk across ${plural(snapshot.sources.length, 'source')}: ${plural(groups.length, 'template')} with dependants`, ' (j/k scroll)', width)}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} color={l.colour} bold={l.bold}>
          {fit(l.text, width).trimEnd() || ' '}
        </Text>
      ))}
    </Box>
  );
}

function RegionRiskPane({ width, height }: { width: number; height: number }) {
  const servers = useAppState((s) => s.monitor.servers);
  const own = useAppState(shownOwn);
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
    wrap(text, width - indent.length - 3).forEach((part, i) => lines.push({ text: (i ? indent + '  ' : indent) + part, colour, bold }));
  };
  if (groups.length === 0) add('Nothing at risk: no server or image stands on a deprecated, doomed or deleted template.', theme.ok);
  for (const g of groups) {
    const colour = g.worst === 'image-gone' ? theme.danger : theme.warning;
    add(sanitize(g.sentence, 600), colour, true);
    for (const s of g.servers) add(`server ${sanitize(s.name)} (${sanitize(s.id)}, ${s.phase})`, undefined, false, '    ');
    for (const i of g.images) add(`image ${sanitize(i.displayName || i.name)} (${sanitize(i.id)})`, undefined, false, '    ');
  }
  const room = Math.max(1, height - 1);
  riskRows = Math.max(0, lines.length - room);
  const shown = lines.slice(scroll, scroll + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {titled(`At risk: ${plural(groups.length, 'template')} with dependants`, ' (Tab: next pane, j/k scroll)', width)}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} color={l.colour} bold={l.bold}>
          {fit(l.text, width).trimEnd() || ' '}
        </Text>
      ))}
    </Box>
  );
}
