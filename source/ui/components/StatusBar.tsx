// The header (where you are) and the status bar (what is loaded, what is running, and the keys).
import { Text } from 'ink';
import { SCOPES } from '../../core/types.js';
import { sanitize } from '../../core/sanitize.js';
import { displayKey, KEYMAP } from '../keymap.js';
import { useAppState, useTheme } from '../state/context.js';
import { loadingLine, selectView } from '../state/selectors.js';
import { fit, widthOf } from './text.js';

const SCOPE_TITLES = { own: 'own', vendor: 'vendor', public: 'public' } as const;

const PANE_TITLES: Record<string, string> = { images: "Images", monitor: "Monitor", risk: "Risk", launch: "Launch" };

export function Header({ width }: { width: number }) {
  const pane = useAppState((s) => s.pane);
  const scope = useAppState((s) => s.scope);
  const session = useAppState((s) => s.session);
  const readOnly = useAppState((s) => s.readOnly);
  const theme = useTheme();
  const where = `${sanitize(session.description?.displayName ?? session.providerId, 40)} · ${sanitize(session.region || '…', 40)}`;
  const profile = session.description ? ` · ${sanitize(session.description.profile, 60)}` : '';
  const tabs = SCOPES.map((s) => (s === scope ? `[${SCOPE_TITLES[s]}]` : ` ${SCOPE_TITLES[s]} `)).join('');
  const left = `strata  Images ${tabs}  `;
  const badge = readOnly ? ' READ-ONLY ' : '';
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

function hints(readOnly: boolean): string[] {
  const shown = KEYMAP.filter((b) => b.hint && (b.context === 'global' || b.context === 'list'));
  const order = ['help', 'filter', 'rename', 'label', 'scope', 'cmd', 'quit'];
  return shown
    .filter((b) => !(readOnly && b.mutating))
    .sort((a, b) => order.indexOf(a.hint!) - order.indexOf(b.hint!))
    .map((b) => `${displayKey(b.keys[0])} ${b.hint}`);
}

const LAUNCH_HINTS: Record<string, string> = {
  form: 'Tab/↓ next  Enter pick  Space toggle  Ctrl+R review  Ctrl+O recipe  Esc leave',
  review: 'L launch  s save recipe  Esc back',
  launching: 'launching: Ctrl+C is safe (the journal has the token)',
  done: 'a add key to ssh-agent  Esc back',
  loading: 'Esc back',
  failed: 'Esc back',
};

export function StatusBar({ width }: { width: number }) {
  const pane = useAppState((s) => s.pane);
  const stage = useAppState((s) => s.launch?.stage);
  const scope = useAppState((s) => s.scope);
  const session = useAppState((s) => s.session);
  const data = useAppState((s) => s.scopes[s.scope]);
  const loading = useAppState(loadingLine);
  const readOnly = useAppState((s) => s.readOnly);
  const theme = useTheme();
  const rows = data.rows.count;
  const count = data.total !== undefined && data.total > rows && !data.loading ? `${rows.toLocaleString('en-US')} of ${data.total.toLocaleString('en-US')}` : rows.toLocaleString('en-US');
  const launching = pane === 'launch' && stage !== undefined;
  const other = pane === 'monitor' || pane === 'risk';
  const left = launching || other
    ? `${session.providerId} · ${session.region || '…'} · ${pane}`
    : `${session.providerId} · ${session.region || '…'} · ${scope} · ${count} images${data.capped ? ' (the rest by search)' : ''}`;
  const busy = loading && !launching ? ` · ${loading}…` : '';
  const keys = launching
    ? LAUNCH_HINTS[stage] ?? ''
    : pane === 'monitor'
      ? `Enter detail  i capture  T terminate  X cancel job  Tab pane  ? help  q quit`
      : pane === 'risk'
        ? 'j/k scroll  Tab pane  ? help  q quit'
        : hints(readOnly).join('  ');
  const room = width - widthOf(left) - widthOf(busy) - 2;
  return (
    <Text>
      <Text color={theme.accent}>{sanitize(left, 200)}</Text>
      <Text color={theme.warning}>{busy}</Text>
      {room > 10 ? <Text color={theme.muted}>{'  ' + fit(keys, room).trimEnd()}</Text> : null}
    </Text>
  );
}

/** What the message line says while image files are imported (the newest first). */
function importingLine(imports: { name: string; path: string }[]): string {
  const last = imports[imports.length - 1]!;
  const more = imports.length > 1 ? ` (and ${imports.length - 1} more)` : '';
  return `Importing ${sanitize(last.name, 128)} from ${sanitize(last.path, 200)}…${more}`;
}

/** The line above the status bar: position, then the filter, the command line, an error or a toast, an import. */
export function MessageLine({ width }: { width: number }) {
  const position = useAppState((s) => {
    const n = selectView(s).count;
    const at = n === 0 ? 0 : Math.min(s.selected[s.scope], n - 1) + 1;
    return `${at}/${n.toLocaleString('en-US')}`;
  });
  const filter = useAppState((s) => s.filter);
  const rename = useAppState((s) => s.rename);
  const pane = useAppState((s) => s.pane);
  const toast = useAppState((s) => s.toasts[s.toasts.length - 1]);
  const imports = useAppState((s) => s.imports);
  const theme = useTheme();
  const lead = pane !== 'images' ? ' ' : ` ${position} `;
  const room = Math.max(1, width - lead.length - 1);
  let body;
  if (rename?.error) body = <Text color={theme.danger}>{fit(rename.error, room).trimEnd()}</Text>;
  else if (rename) body = <Text color={theme.muted}>{rename.saving ? 'saving…' : fit('Rename: Enter saves, Esc cancels', room).trimEnd()}</Text>;
  else if (toast) body = <Text color={toast.level === 'error' ? theme.danger : theme.ok}>{fit(sanitize(toast.message, 400), room).trimEnd()}</Text>;
  else if (imports.length > 0) body = <Text color={theme.warning}>{fit(importingLine(imports), room).trimEnd()}</Text>;
  else if (pane !== 'images') body = null;
  else if (filter.editor.text && !filter.editing) body = <Text color={theme.muted}>{fit(`filter /${sanitize(filter.editor.text, 200)}  (/ edits, Esc clears)`, room).trimEnd()}</Text>;
  else body = null;
  // The position is plain text: it changes on every move, and a colour would cost bytes each time.
  return (
    <Text>
      {lead}
      {body}
    </Text>
  );
}
