// The header (where you are) and the status bar (what is loaded, what is running, and the keys).
import { Text } from 'ink';
import { SCOPES } from '../../core/types.js';
import { sanitize } from '../../core/sanitize.js';
import { displayKey, KEYMAP, type KeyContext } from '../keymap.js';
import { contextsOf, route } from '../routes.js';
import { useAppState, useController, useTheme } from '../state/context.js';
import type { Controller } from '../state/controller.js';
import { loadingLine, markedCount, selectedImage } from '../state/selectors.js';
import { fit, widthOf } from './text.js';
import { plural } from '../../core/sentence.js';

const SCOPE_TITLES = { own: 'own', vendor: 'vendor', public: 'public' } as const;

const PANE_TITLES: Record<string, string> = { images: 'Images', monitor: 'Monitor', risk: 'Risk', launch: 'Launch', jobs: 'Jobs', fleet: 'Fleet' };

export function Header({ width }: { width: number }) {
  const pane = useAppState((s) => s.pane);
  const scope = useAppState((s) => s.scope);
  const session = useAppState((s) => s.session);
  const readOnly = useAppState((s) => s.readOnly);
  const theme = useTheme();
  const fleet = useAppState((s) => (s.pane === 'fleet' || (s.pane === 'risk' && s.fleet) ? s.fleet?.snapshot : undefined));
  const where = fleet
    ? `${plural(fleet.sources.length, 'source')}, ${plural(fleet.places.length, 'region')}`
    : `${sanitize(session.description?.displayName ?? session.providerId, 40)} · ${sanitize(session.region || '…', 40)}`;
  const profile = session.description && !fleet ? ` · ${sanitize(session.description.profile, 60)}` : '';
  const tabs = SCOPES.map((s) => (s === scope ? `[${SCOPE_TITLES[s]}]` : ` ${SCOPE_TITLES[s]} `)).join('');
  const left = `strata  Images ${tabs}  `;
  // The fleet's sources each say their own read-only on its Sources line; the badge is for when all are.
  const allReadOnly = fleet ? fleet.sources.length > 0 && fleet.sources.every((s) => s.readOnly) : readOnly;
  const badge = allReadOnly ? ' READ-ONLY ' : '';
  const rest = Math.max(0, width - widthOf(left) - badge.length);
  return (
    <Text>
      <Text bold color={theme.accent}>
        strata
      </Text>
      {`  ${PANE_TITLES[pane]} `}
      {pane !== 'images' ? null : SCOPES.map((s) =>
        s === scope ? (
          <Text key={s} inverse bold>
            {`[${SCOPE_TITLES[s]}]`}
          </Text>
        ) : (
          <Text key={s}>{` ${SCOPE_TITLES[s]} `}</Text>
        ),
      )}
      {'  '}
      {badge ? (
        <Text inverse color={theme.warning}>
          {badge}
        </Text>
      ) : null}
      <Text color={theme.muted}>{fit(`${badge ? ' ' : ''}${where}${profile}`, rest - (badge ? 1 : 0)).trimEnd()}</Text>
    </Text>
  );
}

/** The footer's key hints for what has the keys now, from the keymap; disabled ones carry their reason. */
export function footerHints(c: Pick<Controller, 'disabledReason'>, contexts: KeyContext[], readOnly = false): { text: string; disabled?: string }[] {
  const out: { text: string; disabled?: string }[] = [];
  const seen = new Set<string>();
  // "? help" first where it applies (what a newcomer needs), then the context's own, then the rest.
  const order = contexts.includes('global') ? ([['global', 'help'], ...contexts.map((c) => [c, undefined])] as [KeyContext, string | undefined][]) : contexts.map((c) => [c, undefined] as [KeyContext, undefined]);
  for (const [context, only] of order) {
    for (const b of KEYMAP) {
      if (b.context !== context || !b.hint || seen.has(b.hint) || (only && b.hint !== only)) continue;
      seen.add(b.hint);
      const disabled = c.disabledReason(context, b.command);
      // A key read-only disables is shown struck through (its reason is in the help and the refusal); one
      // that does not apply here at all (no new key to add to ssh-agent) is left out.
      if (disabled !== undefined && !(b.mutating && readOnly)) continue;
      out.push({ text: `${displayKey(b.keys[0])} ${b.hint}`, disabled });
    }
  }
  return out;
}

export function StatusBar({ width }: { width: number }) {
  const pane = useAppState((s) => s.pane);
  const stage = useAppState((s) => s.launch?.stage);
  const scope = useAppState((s) => s.scope);
  const session = useAppState((s) => s.session);
  const data = useAppState((s) => s.scopes[s.scope]);
  const loading = useAppState(loadingLine);
  const contexts = useAppState((s) => contextsOf(route(s)).join(' '));
  // Disabled reasons follow the selection and read-only: recomputed when those change.
  const readOnly = useAppState((s) => s.readOnly);
  useAppState((s) => (s.pane === 'images' ? selectedImage(s)?.id : s.monitor.servers[s.monitor.selected]?.id));
  // Disabled reasons that follow the marks (u with nothing marked, D on marked vendor images).
  useAppState((s) => s.marks);
  useAppState((s) => s.launch?.result?.agentDone);
  const c = useController();
  const theme = useTheme();
  const rows = data.rows.count;
  const count = data.total !== undefined && data.total > rows && !data.loading ? `${rows.toLocaleString('en-US')} of ${data.total.toLocaleString('en-US')}` : rows.toLocaleString('en-US');
  const launching = pane === 'launch' && stage !== undefined;
  const other = pane === 'monitor' || pane === 'risk' || pane === 'jobs';
  const fleetCount = useAppState((s) => (s.pane === 'fleet' && s.fleet ? s.fleet.snapshot.rows.length : undefined));
  // A sandbox whose clock runs faster than real time says so (its speed persists in its world).
  const provider = `${session.providerId}${session.timeScale !== undefined && session.timeScale !== 1 ? ` (time x${session.timeScale})` : ''}`;
  const markedRows = useAppState(markedCount);
  const marked = markedRows > 0 ? ` · ${markedRows.toLocaleString('en-US')} marked` : '';
  const left = fleetCount !== undefined
    ? `fleet · ${plural(fleetCount, 'row')}`
    : launching || other
    ? `${provider} · ${session.region || '…'} · ${pane}${pane === 'monitor' ? marked : ''}`
    : `${provider} · ${session.region || '…'} · ${scope} · ${count} ${count === '1' ? 'image' : 'images'}${data.capped ? ' (the rest by search)' : ''}${marked}`;
  const retrying = useAppState((s) => s.retrying);
  const busy = loading && (!launching || retrying) ? ` · ${loading}…` : '';
  const hints = footerHints(c, contexts.split(' ') as KeyContext[], readOnly);
  let room = width - widthOf(left) - widthOf(busy) - 3;
  const shown: { text: string; disabled?: string }[] = [];
  for (const h of hints) {
    const w = widthOf(h.text) + 2;
    if (w > room) break;
    shown.push(h);
    room -= w;
  }
  return (
    <Text>
      <Text color={theme.accent}>{sanitize(left, 200)}</Text>
      <Text color={theme.warning}>{busy}</Text>
      {shown.map((h, i) => (
        <Text key={i} color={h.disabled ? undefined : theme.muted} dimColor={h.disabled !== undefined} strikethrough={h.disabled !== undefined}>
          {'  ' + h.text}
        </Text>
      ))}
    </Text>
  );
}
