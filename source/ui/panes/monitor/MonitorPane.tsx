// The readiness monitor: every server of the region with its phase, a progress bar, the time since launch
// against the expected time, and flags (late, stalled, failed, an image at risk). Enter opens a server's
// detail: its launch spec, its timeline of phases, its console output.
import { Box, Text } from 'ink';
import { memo } from 'react';
import { formatDuration, readinessOf } from '../../../core/readiness.js';
import { serverRisks, UNKNOWN, type ImageLookup } from '../../../core/lineage.js';
import { sanitize } from '../../../core/sanitize.js';
import type { Server } from '../../../core/types.js';
import { fit, wrap } from '../../components/text.js';
import { VirtualList } from '../../components/VirtualList.js';
import { useAppState, useController, useTheme } from '../../state/context.js';
import { imageLookup } from '../../state/selectors.js';
import { inverse, paint, type Theme } from '../../theme.js';

const PHASE_WIDTH = 12;
const BAR_WIDTH = 10;
const TIME_WIDTH = 18;

let detailRows = 0;
/** How far the detail can scroll (for the dispatcher). */
export const DETAIL_ROWS = () => detailRows;

function nowOf(server: Server): number {
  return server.observedAt ? Date.parse(server.observedAt) : Date.now();
}

function phaseColour(phase: string, theme: Theme): string | undefined {
  if (phase === 'ready') return theme.ok;
  if (phase === 'failed' || phase === 'stalled') return theme.danger;
  if (phase === 'terminated') return theme.muted;
  return theme.warning;
}

/** The flags of a server, most urgent first: failed, stalled, late, then what threatens its image. */
export function serverFlags(server: Server, expectedSeconds: number, lookup: ImageLookup): { text: string; level: 'danger' | 'warning' }[] {
  const flags: { text: string; level: 'danger' | 'warning' }[] = [];
  const r = readinessOf(server, nowOf(server), expectedSeconds);
  if (server.phase === 'failed') flags.push({ text: `failed${server.failureReason ? `: ${sanitize(server.failureReason, 200)}` : ''}`, level: 'danger' });
  else if (server.phase === 'stalled') flags.push({ text: 'stalled', level: 'danger' });
  else if (r.overdue) flags.push({ text: 'late', level: 'warning' });
  if (server.phase !== 'terminated' && lookup(server.imageId) !== UNKNOWN) {
    for (const risk of serverRisks(server, lookup, nowOf(server))) {
      flags.push({ text: risk.kind === 'image-gone' ? 'image gone' : risk.kind === 'vendor-template' ? 'on a template' : risk.kind === 'deprecated' ? 'image deprecated' : 'image to be deleted', level: risk.kind === 'image-gone' ? 'danger' : 'warning' });
    }
  }
  return flags;
}

function bar(progress: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, progress)) * BAR_WIDTH);
  return '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
}

/** Room the flags always keep ("image gone, late" and more): they win over the bar, the id and the time. */
const FLAGS_MIN = 24;
const ID_WIDTH = 22;
const SHORT_TIME_WIDTH = 8;

export interface MonitorLayout {
  nameWidth: number;
  bar: boolean;
  id: boolean;
  /** Elapsed against expected, or elapsed alone where room is short ("late" says the rest). */
  timeWidth: number;
  flagsWidth: number;
}

/**
 * The columns for a width. The flags keep their room at every width: the progress bar gives way first,
 * then the id (the detail shows it), then the expected time; the name keeps at least 10 cells.
 */
export function monitorLayout(width: number): MonitorLayout {
  const usable = width - 1; // never the last column: no row can wrap
  const need = (o: { bar: boolean; id: boolean; timeWidth: number }) => 2 + 10 + 1 + (o.id ? ID_WIDTH + 1 : 0) + PHASE_WIDTH + 1 + (o.bar ? BAR_WIDTH + 3 : 0) + o.timeWidth + 1 + FLAGS_MIN;
  let o = { bar: true, id: true, timeWidth: TIME_WIDTH };
  if (need(o) > usable || width < 100) o = { ...o, bar: false };
  if (need(o) > usable) o = { ...o, id: false };
  if (need(o) > usable) o = { ...o, timeWidth: SHORT_TIME_WIDTH };
  const fixed = need(o) - 10 - FLAGS_MIN;
  const nameWidth = Math.max(10, Math.min(36, usable - fixed - FLAGS_MIN));
  return { ...o, nameWidth, flagsWidth: Math.max(FLAGS_MIN, usable - fixed - nameWidth) };
}

function formatRow(server: Server, width: number, theme: Theme, selected: boolean, expectedSeconds: number, lookup: ImageLookup, marked = false): string {
  const r = readinessOf(server, nowOf(server), expectedSeconds);
  const l = monitorLayout(width);
  const name = fit(sanitize(server.name), l.nameWidth);
  const flags = serverFlags(server, expectedSeconds, lookup);
  const flagText = fit(flags.map((f) => f.text).join(', '), l.flagsWidth).trimEnd();
  // Colour per flag, over the fitted text (one span where every flag has the same level).
  const level = flags.some((f) => f.level === 'danger') ? theme.danger : theme.warning;
  const time =
    server.phase === 'terminated' ? '' : l.timeWidth === TIME_WIDTH ? `${formatDuration(r.elapsedMs)} / ${formatDuration(r.expectedMs)}` : formatDuration(r.elapsedMs);
  return (
    (selected ? '>' : ' ') +
    (marked ? paint('*', theme.accent) : ' ') +
    (selected ? inverse(name.trimEnd()) + ' '.repeat(l.nameWidth - name.trimEnd().length) : name) +
    ' ' +
    (l.id ? fit(sanitize(server.id), ID_WIDTH) + ' ' : '') +
    paint(fit(server.phase, PHASE_WIDTH), phaseColour(server.phase, theme)) +
    (l.bar ? ' [' + bar(r.progress) + ']' : '') +
    ' ' +
    fit(time, l.timeWidth) +
    ' ' +
    paint(flagText, flagText ? level : undefined)
  ).trimEnd();
}

const Row = memo(function Row(props: { server: Server; width: number; selected: boolean; marked: boolean; expected: number; lookup: ImageLookup }) {
  const theme = useTheme();
  return <Text>{formatRow(props.server, props.width, theme, props.selected, props.expected, props.lookup, props.marked)}</Text>;
});

function Detail({ width, height }: { width: number; height: number }) {
  const m = useAppState((s) => s.monitor);
  const lookup = useAppState(imageLookup);
  const expected = useAppState((s) => s.session.description?.capabilities.servers.expectedReadySeconds ?? 1200);
  const c = useController();
  const theme = useTheme();
  const server = m.servers.find((s) => s.id === m.detail?.serverId);
  if (!server || !m.detail) return <Text color={theme.muted}>{m.detail?.following ? 'Waiting for the provider to list this server… Esc stops following.' : 'This server is no longer listed. Esc goes back.'}</Text>;
  const r = readinessOf(server, nowOf(server), expected);
  const lines: { text: string; colour?: string; bold?: boolean }[] = [];
  const add = (text: string, colour?: string, bold?: boolean) => {
    const indent = /^\s*/.exec(text)![0];
    for (const part of wrap(text, width - 2 - indent.length)) lines.push({ text: indent + part, colour, bold });
  };
  add(`${sanitize(server.name)} (${sanitize(server.id)})`, theme.accent, true);
  add(`Phase ${server.phase} since ${sanitize(server.phaseSince)}; ${formatDuration(r.elapsedMs)} since launch, expected ~${formatDuration(r.expectedMs)}${r.late ? ` — ${r.late}` : ''}`);
  if (server.failureReason) add(`Failure: ${sanitize(server.failureReason, 500)}`, theme.danger);
  for (const f of serverFlags(server, expected, lookup)) if (!f.text.startsWith('failed')) add(`! ${f.text}`, f.level === 'danger' ? theme.danger : theme.warning);
  add('Launch spec', theme.accent, true);
  const image = lookup(server.imageId);
  add(
    `  Image ${sanitize(server.imageId)}${image === UNKNOWN ? '' : image ? ` (${sanitize(image.displayName ?? image.name)}, ${image.kind})` : ' (gone: the provider no longer knows it)'}`,
  );
  add(`  Size ${sanitize(server.productId)}; firewalls ${server.firewallIds.map((f) => sanitize(f)).join(', ') || 'none'}; keypair ${sanitize(server.keypairName ?? 'none')}`);
  add(`  Group ${sanitize(server.group ?? '—')}; billing code ${sanitize(server.billingCode ?? '—')}`);
  if (server.volumes) {
    const v = server.volumes;
    add(`  Volumes ${v.count} x ${v.sizeGiB} GiB, RAID ${v.raid}, ${v.filesystem} at ${sanitize(v.mountPoint)}${v.encrypt ? ', encrypted' : ''}`);
  }
  if (server.privateAddress || server.publicAddress) add(`  Addresses ${sanitize(server.privateAddress ?? '')} ${sanitize(server.publicAddress ?? '')}`);
  if (server.clientToken) add(`  Client token ${sanitize(server.clientToken)}`);
  add('Timeline', theme.accent, true);
  const timeline = c.monitor.timeline(server.id);
  if (timeline.length === 0) add('  (watched from now on)', theme.muted);
  for (const e of timeline) add(`  ${sanitize(e.at)}  ${e.phase}`);
  add('Console output', theme.accent, true);
  if (m.detail.consoleError) add(`  ${sanitize(m.detail.consoleError, 500)}`, theme.muted);
  else if (m.detail.console === undefined) add('  loading…', theme.muted);
  else for (const line of m.detail.console.split('\n')) lines.push({ text: `  ${sanitize(line, 1000)}` });
  const room = Math.max(1, height - 1);
  detailRows = Math.max(0, lines.length - room);
  // Following the console: the view stays at its end as lines come.
  const scroll = m.detail.following ? detailRows : m.detail.scroll;
  const shown = lines.slice(scroll, scroll + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box flexDirection="column" height={room}>
        {shown.map((l, i) => (
          <Text key={i} color={l.colour} bold={l.bold}>
            {fit(l.text, width).trimEnd() || ' '}
          </Text>
        ))}
      </Box>
      {m.detail.following ? (
        <Text color={theme.accent}>{fit('Following the console · Esc stops · s ssh', width).trimEnd()}</Text>
      ) : (
        <Text color={theme.muted}>{fit('j/k scroll · s ssh · f follow · i capture · T terminate · Esc back', width).trimEnd()}</Text>
      )}
    </Box>
  );
}

export function MonitorPane({ width, height }: { width: number; height: number }) {
  const m = useAppState((s) => s.monitor);
  const marks = useAppState((s) => s.marks.servers);
  const lookup = useAppState(imageLookup);
  const expected = useAppState((s) => s.session.description?.capabilities.servers.expectedReadySeconds ?? 1200);
  const theme = useTheme();
  if (m.detail) return <Detail width={width} height={height} />;
  const l = monitorLayout(width);
  const ready = m.servers.filter((s) => s.phase === 'ready').length;
  const coming = m.servers.filter((s) => !['ready', 'failed', 'stalled', 'terminated'].includes(s.phase)).length;
  const trouble = m.servers.filter((s) => s.phase === 'failed' || s.phase === 'stalled').length;
  const late = m.servers.filter((s) => readinessOf(s, nowOf(s), expected).overdue).length;
  const since = m.status.lastPollAt ? `${Math.max(0, Math.round((Date.now() - m.status.lastPollAt) / 1000))}s ago` : 'not yet';
  const status = m.status.ok
    ? `${m.servers.length} server${m.servers.length === 1 ? '' : 's'}: ${ready} ready, ${coming} coming up${late ? `, ${late} late` : ''}${trouble ? `, ${trouble} failed or stalled` : ''} · polled ${since}`
    : `The provider did not answer: ${sanitize(m.status.error ?? '', 300)} Retrying in ${Math.ceil((m.status.retryInMs ?? 0) / 1000)}s; showing the last known state.`;
  const captures = Object.values(m.captures);
  const jobs = m.jobs.slice(0, 3);
  const statusLines = wrap(status, width - 1);
  const listHeight = Math.max(1, height - 1 - statusLines.length - (captures.length ? 1 : 0) - jobs.length);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.muted}>
        {fit(
          `  ${fit('NAME', l.nameWidth)} ${l.id ? `${fit('ID', ID_WIDTH)} ` : ''}${fit('PHASE', PHASE_WIDTH)}${l.bar ? ` ${fit('PROGRESS', BAR_WIDTH + 2)}` : ''} ${fit(l.timeWidth === TIME_WIDTH ? 'ELAPSED / EXPECTED' : 'ELAPSED', l.timeWidth)} FLAGS`,
          width - 1,
        ).trimEnd()}
      </Text>
      <VirtualList
        count={m.servers.length}
        height={listHeight}
        selected={m.selected}
        empty={<Text color={theme.muted}>No servers in this region yet: launch one from an image (l).</Text>}
        renderRow={(i, selected) => <Row server={m.servers[i]} width={width} selected={selected} marked={marks.has(m.servers[i].id)} expected={expected} lookup={lookup} />}
      />
      {captures.length ? <Text color={theme.accent}>{fit(captures.join(' · '), width).trimEnd()}</Text> : null}
      {jobs.map((j) => (
        <Text key={j.id} color={j.state === 'failed' ? theme.danger : j.state === 'done' ? theme.ok : theme.accent}>
          {fit(`safe workflow ${j.line}`, width).trimEnd()}
        </Text>
      ))}
      {statusLines.map((line, i) => (
        <Text key={`status-${i}`} color={m.status.ok ? theme.muted : theme.danger}>
          {fit(line, width - 1).trimEnd()}
        </Text>
      ))}
    </Box>
  );
}
