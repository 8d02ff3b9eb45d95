// strata audit: the audit log (who changed what, when, where), read from the local store; no provider is
// opened. Filtered to the provider and region where they were named on the command line.
import { EXIT, type Context } from '../context.js';
import type { Column } from '../output.js';
import { auditRow, type AuditRow } from '../rows.js';

const COLUMNS: Column<AuditRow>[] = [
  { title: 'AT', value: (r) => r.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
  { title: 'ACTOR', value: (r) => r.actor },
  { title: 'WHERE', value: (r) => `${r.provider} ${r.region}` },
  { title: 'ACTION', value: (r) => r.action },
  { title: 'TARGET', value: (r) => r.target },
  { title: 'DETAIL', value: (r) => JSON.stringify(r.detail), flex: true },
];

export async function audit(ctx: Context): Promise<number> {
  const { out, parsed } = ctx;
  const since = ctx.values.since as Date | undefined;
  const entries = ctx.store.audit
    .list({
      limit: (ctx.values.limit as number | undefined) ?? 100,
      ...(parsed.session.providerGiven ? { provider: parsed.session.provider } : {}),
      ...(parsed.session.region !== undefined ? { region: parsed.session.region } : {}),
      ...(ctx.values.action !== undefined ? { action: ctx.values.action as string } : {}),
      ...(ctx.values.target !== undefined ? { target: ctx.values.target as string } : {}),
      ...(since ? { since } : {}),
    })
    .map(auditRow);
  if (out.mode === 'ndjson') for (const entry of entries) out.event('audit-row', { entry });
  out.document('audit', { since: since ? since.toISOString() : null, count: entries.length, entries: out.mode === 'ndjson' ? undefined : entries });
  out.table(COLUMNS, entries, { empty: 'No audit entries match.' });
  return EXIT.done;
}
