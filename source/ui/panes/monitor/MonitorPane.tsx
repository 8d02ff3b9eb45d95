// The readiness monitor: every server of the region with its phase, a progress bar, the time since launch
// against the expected time, and flags (late, stalled, failed, an image at risk). Enter opens a server's
// detail: its launch spec, its timeline of phases, its console output.
import { Box, Text } from 'ink';
import { memo } from 'react';
import { formatDuration, readinessOf } from '../../../core/readiness.js';
import { serverRisks, UNKNOWN, type ImageLookup } from '../../../core/lineage.js';
import { sanitize } from '../../../core/sanitize.js';
import type { Server } from '../../../core/types.js';
import { LineEditorView } from '../../components/LineEditorView.js';
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

/** The columns for a width: below 100 columns the progress bar gives way, the flags keep some room. */
function layout(width: number): { nameWidth: number; bar: boolean } {
  const bar = width >= 100;
  const fixed = 2 + 22 + 1 + PHASE_WIDTH + 1 + (bar ? BAR_WIDTH + 3 : 0) + TIME_WIDTH + 1;
  return { nameWidth: Math.max(10, Math.min(36, width - fixed - 14)), bar };
}

function formatRow(server: Server, width: number, theme: Theme, selected: boolean, expectedSeconds: number, lookup: ImageLookup): string {
  const r = readinessOf(server, nowOf(server), expectedSeconds);
  const id = fit(sanitize(server.id), 22);
  const { nameWidth, bar: withBar } = layout(width);
  const name = fit(sanitize(server.name), nameWidth);
  const flags = serverFlags(server, expectedSeconds, lookup);
  const flagText = flags.map((f) => paint(f.text, f.level === 'danger' ? theme.danger : theme.warning)).join(', ');
  const time = server.phase === 'terminated' ? '' : `${formatDuration(r.elapsedMs)} / ${formatDuration(r.expectedMs)}`;
  return (
    (selected ? '>' : ' ') +
    ' ' +
    (selected ? inverse(name.trimEnd()) + ' '.repeat(nameWidth - name.trimEnd().length) : name) +
    ' ' +
    id +
    ' ' +
    paint(fit(server.phase, PHASE_WIDTH), phaseColour(server.phase, theme)) +
    (withBar ? ' [' + bar(r.progress) + ']' : '') +
    ' ' +
    fit(time, TIME_WIDTH) +
    ' ' +
    flagText
  );
}

const Row = memo(function Row(props: { server: Server; width: number; selected: boolean; expected: number; lookup: ImageLookup }) {
  const theme = useTheme();
  return <Text wrap="truncate-end">{formatRow(props.server, props.width, theme, props.selected, props.expected, props.lookup)}</Text>;
});

function Detail({ width, height }: { width: number; height: number }) {
  const m = useAppState((s) => s.monitor);
  const lookup = useAppState(imageLookup);
  const expected = useAppState((s) => s.session.description?.capabilities.servers.expectedReadySeconds ?? 1200);
  const c = useController();
  const theme = useTheme();
  const server = m.servers.find((s) => s.id === m.detail?.serverId);
  if (!server || !m.detail) return <Text color={theme.muted}>This server is no longer listed. Esc goes back.</Text>;
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
  const shown = lines.slice(m.detail.scroll, m.detail.scroll + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box flexDirection="column" height={room}>
        {shown.map((l, i) => (
          <Text key={i} color={l.colour} bold={l.bold}>
            {fit(l.text, width).trimEnd() || ' '}
          </Text>
        ))}
      </Box>
      <Text color={theme.muted}>{fit('j/k scroll · i capture an image · T terminate · Esc back to the list', width).trimEnd()}</Text>
    </Box>
  );
}

function Prompt({ width }: { width: number }) {
  const m = useAppState((s) => s.monitor);
  const theme = useTheme();
  const interruption = useAppState((s) => s.session.description?.capabilities.images.captureInterrupts ?? 'reboot');
  if (m.terminate) {
    const server = m.servers.find((s) => s.id === m.terminate!.serverId);
    return (
      <Box flexDirection="column">
        <Text color={theme.danger}>{fit(`Terminate ${sanitize(server?.name ?? m.terminate.serverId)}? Type its name to confirm (Esc cancels).`, width).trimEnd()}</Text>
        <Text>
          <LineEditorView editor={m.terminate.editor} width={Math.min(60, width)} prefix="> " />
          {m.terminate.error ? <Text color={theme.danger}>{'  ' + fit(m.terminate.error, Math.max(0, width - 62)).trimEnd()}</Text> : null}
        </Text>
      </Box>
    );
  }
  if (m.capture) {
    return (
      <Box flexDirection="column">
        <Text color={theme.accent}>
          {fit(
            m.capture.saving
              ? 'Capturing…'
              : `Capture an image: its name (Enter captures, Esc cancels); label ${m.capture.label ?? 'none'} (Tab); ${m.capture.noReboot ? `no ${interruption}` : `the server may ${interruption}`} (Ctrl+N):`,
            width,
          ).trimEnd()}
        </Text>
        <Text>
          <LineEditorView editor={m.capture.editor} width={Math.min(70, width)} prefix="> " />
          {m.capture.error ? <Text color={theme.danger}>{'  ' + fit(m.capture.error, Math.max(0, width - 72)).trimEnd()}</Text> : null}
        </Text>
      </Box>
    );
  }
  return null;
}

export function MonitorPane({ width, height }: { width: number; height: number }) {
  const m = useAppState((s) => s.monitor);
  const lookup = useAppState(imageLookup);
  const expected = useAppState((s) => s.session.description?.capabilities.servers.expectedReadySeconds ?? 1200);
  const theme = useTheme();
  const prompt = m.terminate || m.capture ? 2 : 0;
  if (m.detail) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Detail width={width} height={height - prompt} />
        <Prompt width={width} />
      </Box>
    );
  }
  const ready = m.servers.filter((s) => s.phase === 'ready').length;
  const coming = m.servers.filter((s) => !['ready', 'failed', 'stalled', 'terminated'].includes(s.phase)).length;
  const trouble = m.servers.filter((s) => s.phase === 'failed' || s.phase === 'stalled').length;
  const late = m.servers.filter((s) => readinessOf(s, nowOf(s), expected).overdue).length;
  const since = m.status.lastPollAt ? `${Math.max(0, Math.round((Date.now() - m.status.lastPollAt) / 1000))}s ago` : 'not yet';
  const status = m.status.ok
    ? `${m.servers.length} servers: ${ready} ready, ${coming} coming up${late ? `, ${late} late` : ''}${trouble ? `, ${trouble} failed or stalled` : ''} · polled ${since}`
    : `The provider did not answer: ${sanitize(m.status.error ?? '', 300)} Retrying in ${Math.ceil((m.status.retryInMs ?? 0) / 1000)}s; showing the last known state.`;
  const captures = Object.values(m.captures);
  const jobs = m.jobs.slice(0, 3);
  const listHeight = Math.max(1, height - 2 - prompt - (captures.length ? 1 : 0) - jobs.length);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.muted}>
        {fit(
          `  ${fit('NAME', layout(width).nameWidth)} ${fit('ID', 22)} ${fit('PHASE', PHASE_WIDTH)}${layout(width).bar ? ` ${fit('PROGRESS', BAR_WIDTH + 2)}` : ''} ${fit('ELAPSED / EXPECTED', TIME_WIDTH)} FLAGS`,
          width,
        ).trimEnd()}
      </Text>
      <VirtualList
        count={m.servers.length}
        height={listHeight}
        selected={m.selected}
        empty={<Text color={theme.muted}>No servers in this region yet: launch one from an image (l).</Text>}
        renderRow={(i, selected) => <Row server={m.servers[i]} width={width} selected={selected} expected={expected} lookup={lookup} />}
      />
      {captures.length ? <Text color={theme.accent}>{fit(captures.join(' · '), width).trimEnd()}</Text> : null}
      {jobs.map((j) => (
        <Text key={j.id} color={j.state === 'failed' ? theme.danger : j.state === 'done' ? theme.ok : theme.accent}>
          {fit(`safe workflow ${j.line}`, width).trimEnd()}
        </Text>
      ))}
      <Text color={m.status.ok ? theme.muted : theme.danger}>{fit(status, width).trimEnd()}</Text>
      <Prompt width={width} />
    </Box>
  );
}
