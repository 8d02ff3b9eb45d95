// The fleet view: every source's own images and servers in one list, a SOURCE column ("prod-eu/eu-west-1")
// on every row, each source's state above it (loading, ok, stale since, or its error in a sentence), the
// copies in progress under it, and two lines that say the selected row whole. `v` turns it into the image
// families: which regions run which version, oldest first.
import { Box, Text } from 'ink';
import { memo, useMemo, useRef } from 'react';
import { imageFamilies, type FamilyImage, type FamilyServer, type ImageFamily } from '../../../core/families.js';
import { formatDuration, readinessOf } from '../../../core/readiness.js';
import { sanitize } from '../../../core/sanitize.js';
import type { ImageLookup } from '../../../core/lineage.js';
import { copyLine } from '../../../services/copies.js';
import { sourceStateWords, type FleetRow, type FleetSnapshot, type FleetSource } from '../../../services/fleet.js';
import { LABEL_COLOURS } from '../../../core/types.js';
import { labelChip } from '../../components/LabelChip.js';
import { fit, fitMiddle, titled, widthOf, wrap } from '../../components/text.js';
import { VirtualList, windowStart } from '../../components/VirtualList.js';
import { screenCanvasAvailable } from '../../screen/writer.js';
import { useAppState, useTheme } from '../../state/context.js';
import { fleetPlaceOf, fleetRowByKey, fleetRows, placeLookup, selectedFleetIndex } from '../../state/fleetState.js';
import type { AppState } from '../../state/state.js';
import { inverse, paint, type Theme } from '../../theme.js';
import { day, lifecycle } from '../images/columns.js';
import { useRowsCanvas } from '../images/ImagesPane.js';
import { serverFlags } from '../monitor/MonitorPane.js';
import { plural } from '../../../core/sentence.js';

export interface FleetColumns {
  source: number;
  kind: number;
  chip: number;
  name: number;
  state: number;
  info: number;
  id: number;
}

const GAP = 1;

/** The columns for a width: the source and the name keep their room; the id, then the info give way. */
export function fleetColumns(width: number, widestWhere: number): FleetColumns {
  const usable = width - 1; // never the last column: no row can wrap
  const c = { source: Math.max(10, Math.min(widestWhere, 22)), kind: 3, chip: 3, state: 12, info: 16, id: 21 };
  const fixed = () => 1 + c.source + GAP + c.kind + GAP + c.chip + GAP + c.state + (c.info ? GAP + c.info : 0) + (c.id ? GAP + c.id : 0);
  if (width < 120) c.id = 0;
  if (usable - fixed() < 16) c.info = 0;
  if (usable - fixed() < 14) c.source = Math.max(10, c.source - (14 - (usable - fixed())));
  const name = Math.max(8, usable - fixed());
  return { ...c, name };
}

function stateColour(row: FleetRow, theme: Theme): string | undefined {
  if (row.kind === 'server') {
    const phase = row.state;
    if (phase === 'ready') return theme.ok;
    if (phase === 'failed' || phase === 'stalled') return theme.danger;
    if (phase === 'terminated') return theme.muted;
    return theme.warning;
  }
  return row.state === 'available' ? undefined : row.state === 'failed' ? theme.danger : theme.warning;
}

/** What the INFO column says: an image's deprecation or source's fate; a server's flags (failed, late, on a template). */
function infoOf(row: FleetRow, lookup: ImageLookup, expected: number): { text: string; level: 'none' | 'warning' | 'danger' } {
  if (row.image) return lifecycle(row.image, lookup);
  if (row.server) {
    const flags = serverFlags(row.server, expected, lookup);
    if (flags.length === 0) return { text: '', level: 'none' };
    return { text: flags.map((f) => f.text).join(', '), level: flags.some((f) => f.level === 'danger') ? 'danger' : 'warning' };
  }
  return { text: '', level: 'none' };
}

/** One row as one pre-styled string (the screen writer draws it as a whole line). */
export function formatFleetRow(row: FleetRow, c: FleetColumns, theme: Theme, selected: boolean, lookup: ImageLookup, expected: number): string {
  const info = infoOf(row, lookup, expected);
  const name = fitMiddle(row.name, c.name);
  const nameCell = selected ? inverse(name.trimEnd()) + ' '.repeat(c.name - widthOf(name.trimEnd())) : name;
  const chip = row.image ? labelChip(row.image.label, row.image.labelSource === 'local', theme) : '   ';
  const infoColour = info.level === 'danger' ? theme.danger : info.level === 'warning' ? theme.warning : undefined;
  return (
    (selected ? '>' : ' ') +
    fitMiddle(row.where, c.source) +
    ' ' +
    paint(row.kind === 'image' ? 'img' : 'srv', row.kind === 'image' ? undefined : theme.accent) +
    ' ' +
    chip +
    nameCell +
    ' ' +
    paint(fit(row.state, c.state), stateColour(row, theme)) +
    (c.info ? ' ' + paint(fit(info.text, c.info), infoColour) : '') +
    (c.id ? ' ' + fit(row.id, c.id) : '')
  ).trimEnd();
}

function headings(c: FleetColumns): string {
  return (
    ' ' +
    fit('SOURCE', c.source) +
    ' ' +
    fit('', c.kind) +
    ' ' +
    ' '.repeat(c.chip) +
    fit('NAME', c.name) +
    ' ' +
    fit('STATE', c.state) +
    (c.info ? ' ' + fit('INFO', c.info) : '') +
    (c.id ? ' ' + fit('ID', c.id) : '')
  ).trimEnd();
}

/** The two lines under the list: the selected row whole (its name, id, place, dates, flags). */
export function fleetDetail(row: FleetRow | undefined, width: number, lookup: ImageLookup, expected: number): string[] {
  const room = Math.max(10, width - 1);
  if (!row) return [' ', ' '];
  let facts: string[];
  if (row.image) {
    const image = row.image;
    const life = lifecycle(image, lookup).text;
    facts = [row.id, row.where, image.kind, image.architecture, `created ${day(image.createdAt)}`, image.state, life, image.label ? `label ${image.label}` : '', image.copiedFrom ? `copy of ${sanitize(image.copiedFrom.region, 40)}/${sanitize(image.copiedFrom.imageId, 40)}` : ''];
  } else {
    const server = row.server!;
    const now = server.observedAt ? Date.parse(server.observedAt) : Date.now();
    const r = readinessOf(server, now, expected);
    facts = [row.id, row.where, server.phase, server.phase === 'terminated' ? '' : `${formatDuration(r.elapsedMs)} / ${formatDuration(r.expectedMs)}`, `image ${sanitize(server.imageId, 40)}`, infoOf(row, lookup, expected).text];
  }
  const text = facts.filter(Boolean).join(' · ');
  const lines = wrap(`${row.name} · ${text}`, room);
  if (lines.length <= 2) return [lines[0]!, lines[1] ?? ' '];
  return [fitMiddle(row.name, room).trimEnd(), fitMiddle(text, room).trimEnd()];
}

/** The sources' line and, for a source that failed or went stale, its sentence. */
export function sourceLines(sources: readonly FleetSource[], width: number): { text: string; level: 'muted' | 'danger' | 'warning' }[] {
  const room = Math.max(10, width - 1);
  const words = sources.map((s) => `${s.name} ${sourceStateWords(s)}${s.readOnly ? ' (read-only)' : ''}`);
  const lines: { text: string; level: 'muted' | 'danger' | 'warning' }[] = wrap(`Sources: ${words.join(' · ')}`, room).map((text) => ({ text, level: 'muted' as const }));
  for (const s of sources) {
    if (!s.error || (s.state !== 'error' && s.state !== 'stale')) continue;
    for (const text of wrap(`${s.name}: ${sanitize(s.error, 600)}`, room)) lines.push({ text, level: s.state === 'error' ? 'danger' : 'warning' });
  }
  return lines;
}

const DETAIL_LINES = 2;

/** The image families of a snapshot (memoised on it). */
let familiesCache: { snapshot: FleetSnapshot; families: ImageFamily[] } | undefined;
export function fleetFamilies(snapshot: FleetSnapshot): ImageFamily[] {
  if (familiesCache?.snapshot === snapshot) return familiesCache.families;
  const images: FamilyImage[] = [];
  const servers: FamilyServer[] = [];
  for (const place of snapshot.places) {
    for (const image of place.images) {
      images.push({
        account: place.account,
        where: place.where,
        region: place.region,
        id: image.id,
        name: image.shownName,
        createdAt: image.createdAt,
        ...(image.sourceImageId ? { sourceImageId: image.sourceImageId } : {}),
        ...(image.copiedFrom ? { copiedFrom: image.copiedFrom } : {}),
      });
    }
    for (const server of place.servers) servers.push({ account: place.account, where: place.where, region: place.region, imageId: server.imageId, phase: server.phase });
  }
  const families = imageFamilies(images, servers);
  familiesCache = { snapshot, families };
  return families;
}

/** The lines of the versions view: each family, its versions oldest first, where each is and runs. */
export function versionLines(families: readonly ImageFamily[], width: number): { text: string; bold?: boolean; muted?: boolean }[] {
  const room = Math.max(10, width - 1);
  const lines: { text: string; bold?: boolean; muted?: boolean }[] = [];
  for (const family of families) {
    const title = `${sanitize(family.name, 120)}: ${plural(family.versions.length, 'version')}${family.servers ? `, ${plural(family.servers, 'server')}` : ''}`;
    for (const text of wrap(title, room)) lines.push({ text, bold: true });
    for (const version of family.versions) {
      const places = version.places.map((p) => `${p.where} ${p.servers ? plural(p.servers, 'server') : 'image only'}`).join(', ');
      const text = `${day(version.origin.createdAt)} ${sanitize(version.origin.name, 120)} (${sanitize(version.origin.id, 40)}): ${places}`;
      wrap(text, room - 2).forEach((part, i) => lines.push({ text: `${i ? '    ' : '  '}${part}`, muted: version.servers === 0 }));
    }
  }
  return lines;
}

/** The versions view's title, whole: the way back only where it fits (the footer says it too). */
export function versionsTitle(families: number, room: number): string {
  return titled(`Image families: ${families}, versions oldest first`, ' (v or Esc: the list)', room);
}

let versionRows = 0;
/** How far the versions view can scroll (for the dispatcher). */
export const FLEET_VERSIONS_ROWS = () => versionRows;

function Versions({ width, height }: { width: number; height: number }) {
  const snapshot = useAppState((s) => s.fleet?.snapshot);
  const scroll = useAppState((s) => s.fleet?.scroll ?? 0);
  const theme = useTheme();
  const families = snapshot ? fleetFamilies(snapshot) : [];
  const lines = versionLines(families, width);
  const room = Math.max(1, height - 1);
  versionRows = Math.max(0, lines.length - room);
  const shown = lines.slice(scroll, scroll + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {versionsTitle(families.length, width - 1)}
      </Text>
      {shown.length === 0 ? <Text color={theme.muted}>{snapshot?.complete ? 'No own images in any source.' : 'Loading the sources…'}</Text> : null}
      {shown.map((l, i) => (
        <Text key={i} bold={l.bold} color={l.muted ? theme.muted : undefined}>
          {fit(l.text, width - 1).trimEnd() || ' '}
        </Text>
      ))}
    </Box>
  );
}

const Row = memo(function Row({ row, columns, selected, lookup, expected }: { row: FleetRow; columns: FleetColumns; selected: boolean; lookup: ImageLookup; expected: number }) {
  const theme = useTheme();
  return <Text>{formatFleetRow(row, columns, theme, selected, lookup, expected)}</Text>;
});

function placeFacts(state: AppState, row: FleetRow | undefined): { lookup: ImageLookup; expected: number } {
  const place = row ? fleetPlaceOf(state, row) : undefined;
  return { lookup: placeLookup(place), expected: place?.expectedReadySeconds ?? 1200 };
}

export function FleetPane({ width, height, top = 1 }: { width: number; height: number; top?: number }) {
  const view = useAppState((s) => s.fleet?.view ?? 'list');
  if (view === 'versions') return <Versions width={width} height={height} />;
  return <FleetList width={width} height={height} top={top} />;
}

function FleetList({ width, height, top }: { width: number; height: number; top: number }) {
  const snapshot = useAppState((s) => s.fleet?.snapshot);
  const rows = useAppState(fleetRows);
  const selected = useAppState(selectedFleetIndex);
  const show = useAppState((s) => s.fleet?.show ?? 'all');
  const query = useAppState((s) => s.fleet?.filter.text ?? '');
  const covered = useAppState((s) => s.overlay?.kind === 'fleet-label');
  const state = useAppState((s) => s);
  const theme = useTheme();
  const sources = snapshot?.sources ?? [];
  const widest = useMemo(() => Math.max(10, ...sources.flatMap((s) => s.regions.map((r) => s.name.length + 1 + r.length))), [sources]);
  const columns = useMemo(() => fleetColumns(width, widest), [width, widest]);
  const head = sourceLines(sources, width);
  const maxHead = Math.max(4, Math.floor((height - 4) / 2));
  const headShown = head.length > maxHead ? [...head.slice(0, maxHead - 1), { text: fit(`… ${head.length - maxHead + 1} more lines of the sources' errors: M shows them whole`, width - 1).trimEnd(), level: 'muted' as const }] : head;
  const copies = (snapshot?.copies ?? []).slice(-2).map((c) => copyLine(c));
  const copyShown = copies.flatMap((line) => wrap(line, Math.max(10, width - 1)).slice(0, 1));
  const listHeight = Math.max(1, height - headShown.length - 1 - copyShown.length - DETAIL_LINES);
  const current = rows.count ? rows.at(selected) : undefined;
  const facts = placeFacts(state, current);
  const canvas = screenCanvasAvailable() && !covered && rows.count > 0;
  const start = useRef(0);
  const startKey = useRef('');
  const key = `${show}\u0000${query}`;
  if (startKey.current !== key) {
    startKey.current = key;
    start.current = 0;
  }
  if (canvas) start.current = windowStart(start.current, selected, listHeight, rows.count);
  useRowsCanvas(canvas, top + headShown.length + 1, () => {
    const lines: string[] = [];
    const end = Math.min(rows.count, start.current + listHeight);
    for (let i = start.current; i < end; i++) {
      const row = rows.at(i);
      if (!row) {
        lines.push('');
        continue;
      }
      const f = placeFacts(state, row);
      lines.push(formatFleetRow(row, columns, theme, i === selected, f.lookup, f.expected));
    }
    while (lines.length < listHeight) lines.push('');
    return lines;
  });
  let empty: string;
  if (!snapshot || (!snapshot.complete && snapshot.rows.length === 0)) empty = 'Loading the sources…';
  else if (query) empty = `No row matches "${sanitize(query, 80)}".`;
  else if (show !== 'all') empty = `No ${show} in any source (s shows ${show === 'images' ? 'servers' : 'everything'}).`;
  else empty = 'No own images and no servers in any source.';
  return (
    <Box flexDirection="column" width={width} height={height}>
      {headShown.map((l, i) => (
        <Text key={`src-${i}`} color={l.level === 'danger' ? theme.danger : l.level === 'warning' ? theme.warning : theme.muted}>
          {fit(l.text, width - 1).trimEnd() || ' '}
        </Text>
      ))}
      <Text bold color={theme.muted}>
        {headings(columns)}
      </Text>
      {canvas ? (
        <Box height={listHeight} />
      ) : (
        <VirtualList
          count={rows.count}
          height={listHeight}
          selected={selected}
          resetKey={key}
          empty={<Text color={theme.muted}>{wrap(empty, width - 2).join('\n')}</Text>}
          renderRow={(i, isSelected) => {
            const row = rows.at(i);
            if (!row) return <Text> </Text>;
            const f = placeFacts(state, row);
            return <Row row={row} columns={columns} selected={isSelected} lookup={f.lookup} expected={f.expected} />;
          }}
        />
      )}
      {copyShown.map((line, i) => (
        <Text key={`copy-${i}`} color={theme.accent}>
          {fit(line, width - 1).trimEnd()}
        </Text>
      ))}
      {fleetDetail(current, width, facts.lookup, facts.expected).map((line, i) => (
        <Text key={`detail-${i}`} color={theme.muted}>
          {line}
        </Text>
      ))}
    </Box>
  );
}

/** The label palette over the fleet (for the row the overlay names). */
export function FleetLabelPalette({ width }: { width: number }) {
  const modal = useAppState((s) => (s.overlay?.kind === 'fleet-label' ? s.overlay : undefined));
  const row = useAppState((s) => (modal ? fleetRowByKey(s, modal.key) : undefined));
  const theme = useTheme();
  if (!modal) return null;
  const inner = Math.min(width, 46) - 2;
  const line = (text: string) => ` ${fit(text, inner - 2)} `;
  const where = row?.image?.sharedMeta ? 'as a tag (shared with teammates)' : 'in the local store';
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} width={inner + 2}>
      <Text bold>{line(`Label for ${row?.name ?? ''} (${row?.where ?? ''})`)}</Text>
      <Text color={theme.muted}>{line(`Saved ${where}`)}</Text>
      {LABEL_COLOURS.map((colour, i) => (
        <Text key={colour} inverse={modal.index === i}>
          {modal.index === i ? '>' : ' '}
          {labelChip(colour, false, theme)}
          {fit(`${colour}${row?.image?.label === colour ? '  (current)' : ''}`, inner - 4)}
        </Text>
      ))}
      <Text inverse={modal.index === LABEL_COLOURS.length}>{(modal.index === LABEL_COLOURS.length ? '>' : ' ') + fit(`   none${row?.image?.label ? '' : '  (current)'}`, inner - 1)}</Text>
      <Text color={theme.muted}>{line('j/k moves · Enter sets · Esc closes')}</Text>
    </Box>
  );
}
