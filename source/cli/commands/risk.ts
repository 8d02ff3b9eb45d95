// strata risk: the TUI's :risk for cron and CI. Which servers and images stand on a template (or any image)
// that is deprecated, will be deleted, or is gone; exit status 6 where something is due within the window.
import { formatDuration } from '../../core/readiness.js';
import { riskReport, type RiskGroup } from '../../core/lineage.js';
import { EXIT, type Context } from '../context.js';
import { clockOf, riskGroupRow } from '../rows.js';
import { Known, listScope, live, shown } from '../lookup.js';

const DEFAULT_WITHIN_MS = 14 * 86_400_000;

/**
 * What makes the exit status 6: a server stands on an image that is gone, or a server or an image stands
 * on (or descends from) an image to be deleted before the window ends. An own image whose source went
 * long ago is whole and nothing can be done about it any more: it is reported, never "due" (a cron job
 * that fails every day for it would be ignored).
 */
export function isDue(group: RiskGroup, nowMs: number, withinMs: number): boolean {
  return group.risks.some((r) => {
    if (r.kind === 'image-gone') return !r.informational;
    if (r.kind !== 'scheduled-deletion' || !r.date) return false;
    const at = Date.parse(r.date);
    return Number.isFinite(at) && at <= nowMs + withinMs;
  });
}

export async function risk(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const withinMs = (ctx.values.within as number | undefined) ?? DEFAULT_WITHIN_MS;
  out.progress('reading servers and images');
  const [servers, own, vendor] = await Promise.all([
    session.servers.list(),
    listScope(session, 'own', (k, ids) => ctx.remember(k, ids)),
    listScope(session, 'vendor', (k, ids) => ctx.remember(k, ids)),
  ]);
  const now = clockOf(servers);
  const known = new Known([...own, ...vendor]);
  // The images servers run on and own images came from, where the lists do not hold them (gone, public).
  out.progress('looking up the images they stand on');
  await known.lookUpChains(session, [...live(servers).map((s) => s.imageId), ...own.map((i) => i.sourceImageId ?? '')], now);
  const groups = riskReport(live(servers), own.map(shown), known.lookup, now);
  const rows = groups.map((g) => riskGroupRow(g, isDue(g, now, withinMs)));
  const due = rows.some((r) => r.due);
  out.document('risk', {
    provider: session.providerId,
    region: session.region,
    now: new Date(now).toISOString(),
    withinSeconds: Math.round(withinMs / 1000),
    due,
    groups: rows,
  });
  if (out.mode === 'table') {
    if (rows.length === 0) out.line(out.paint('Nothing at risk: no server or image stands on a deprecated, doomed or deleted template.', 'green'));
    for (const r of rows) {
      out.line(out.paint(`${r.due ? '! ' : ''}${r.sentence}`, r.worst === 'image-gone' || r.due ? 'red' : 'yellow'));
      for (const s of r.servers) out.line(`    server ${s.name} (${s.id}, ${s.phase})`);
      for (const i of r.images) out.line(`    image ${i.name} (${i.id})`);
    }
  }
  const dueCount = rows.filter((r) => r.due).length;
  if (due) out.note(`${dueCount} image${dueCount === 1 ? '' : 's'} that something stands on ${dueCount === 1 ? 'is' : 'are'} gone or due for deletion within ${formatDuration(withinMs)} (exit status 6).`);
  else if (rows.length) out.note(`Nothing due for deletion within ${formatDuration(withinMs)}; ${rows.length} deprecated or direct use${rows.length === 1 ? '' : 's'} reported.`);
  return due ? EXIT.risk : EXIT.done;
}
