// :firewalls: the region's firewalls (security groups), one a row: name, id, the servers that use it, whether
// strata made it. Under the list, the selected one: its description, who uses it, and why d cannot delete it
// (or that d deletes it, its name typed). The rows come from services/firewalls.ts, sanitised there.
import { Box, Text } from 'ink';
import { sanitize } from '../../core/sanitize.js';
import { usersSentence } from '../../services/firewalls.js';
import { Command } from '../keymap.js';
import { useAppState, useController, useTheme } from '../state/context.js';
import { inverse } from '../theme.js';
import { keyName } from './Bottom.js';
import { fit, wrap } from './text.js';
import { VirtualList } from './VirtualList.js';
import { plural } from '../../core/sentence.js';

const DETAIL_LINES = 3;

export function FirewallsList({ width, height }: { width: number; height: number }) {
  const o = useAppState((s) => (s.overlay?.kind === 'firewalls' ? s.overlay : s.overlay?.kind === 'firewall-delete' ? s.overlay.list : undefined));
  const region = useAppState((s) => (s.session.description ? `${s.session.description.displayName} ${s.session.region}` : s.session.region));
  const controller = useController();
  const theme = useTheme();
  if (!o) return null;
  const where = o.where ?? region;
  const rows = o.rows ?? [];
  const current = rows[o.index];

  const idWidth = Math.min(21, Math.max(2, ...rows.map((r) => r.id.length)));
  const strataWidth = 6;
  const rest = Math.max(10, width - 1 - 2 - idWidth - strataWidth - 3);
  const usedWidth = Math.max(7, Math.floor(rest * 0.4));
  const nameWidth = Math.max(3, rest - usedWidth);
  const used = (n: number, text: string) => (n === 0 ? '-' : `${n}: ${text}`);

  const detail: { text: string; colour?: string }[] = [];
  if (o.error) detail.push(...wrap(sanitize(o.error, 600), width - 1).map((text) => ({ text, colour: theme.danger })));
  else if (current) {
    const about = [current.description ? sanitize(current.description, 200) : undefined, plural(current.rules, 'inbound rule'), current.madeByStrata ? `made by strata${current.launch && !(current.description ?? '').includes(current.launch) ? ` (launch ${current.launch.slice(0, 12)})` : ''}` : 'not made by strata'].filter(Boolean).join(' · ');
    // Why d cannot delete it (or that it can) first: on a narrow screen the description gives way.
    const disabled = controller.disabledReason('firewalls', Command.DeleteFirewall);
    const action = disabled
      ? disabled
      : `Used by no server: ${keyName('firewalls', Command.DeleteFirewall)} deletes it (its name typed).`;
    detail.push(...wrap(action, width - 1).map((text) => ({ text, colour: disabled ? theme.warning : undefined })));
    detail.push(...wrap(about, width - 1).map((text) => ({ text, colour: theme.muted })));
  }
  // Every line of the detail where the list keeps 3 rows (at 60x20 the description wraps to a fourth).
  const detailLines = Math.max(DETAIL_LINES, Math.min(detail.length, height - 3 - 3));
  const shown = detail.slice(0, detailLines);
  while (shown.length < detailLines) shown.push({ text: ' ' });
  const listHeight = Math.max(1, height - 3 - detailLines);
  const title = `Firewalls of ${sanitize(where, 80)}${o.loading ? ' (asking the provider…)' : ` (${rows.length})`}`;
  const keys = `${keyName('firewalls', Command.DeleteFirewall)} delete · ${keyName('firewalls', Command.Refresh)} ask again · ${keyName('firewalls', Command.Close)} back`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {fit(title, width - 1).trimEnd()}
      </Text>
      <Text bold color={theme.muted}>
        {fit(`  ${fit('NAME', nameWidth)} ${fit('ID', idWidth)} ${fit('USED BY', usedWidth)} STRATA`, width - 1).trimEnd()}
      </Text>
      <VirtualList
        count={rows.length}
        height={listHeight}
        selected={o.index}
        empty={<Text color={theme.muted}>{o.loading ? 'Listing the firewalls…' : `No firewalls in ${sanitize(where, 80)}.`}</Text>}
        renderRow={(i, selected) => {
          const r = rows[i]!;
          const name = fit(r.name, nameWidth);
          const line = `${fit(r.id, idWidth)} ${fit(used(r.usedBy.length, usersSentence(r.usedBy, 2)), usedWidth)} ${r.madeByStrata ? 'yes' : 'no'}`;
          return (
            <Text color={r.madeByStrata ? theme.accent : undefined}>
              {(selected ? '> ' : '  ') + (selected ? inverse(name) : name) + ' ' + fit(line, Math.max(1, width - 4 - nameWidth)).trimEnd()}
            </Text>
          );
        }}
      />
      {shown.map((l, i) => (
        <Text key={`detail-${i}`} color={l.colour}>
          {fit(l.text, width - 1).trimEnd() || ' '}
        </Text>
      ))}
      <Text color={theme.muted}>{fit(keys, width - 1).trimEnd()}</Text>
    </Box>
  );
}
