// strata risk: the TUI's :risk for cron and CI. Which servers and images stand on a template (or any image)
// that is deprecated, will be deleted, or is gone; exit status 6 where something is due within the window.
import { formatDuration } from '../../core/readiness.js';
import { riskReport, type RiskGroup } from '../../core/lineage.js';
import { EXIT, type Context } from '../context.js';
import { clockOf, riskGroupRow, riskRow, serverRef } from '../rows.js';
import { describeError } from '../../core/errors.js';
import { fleetRiskReport } from '../../core/fleetRisk.js';
import { sanitize } from '../../core/sanitize.js';
import { DEFAULT_CONCURRENCY, Limiter } from '../../services/limit.js';
import type { Session } from '../../services/session.js';
import { openPlaces, placeOf, sourceRows, type CliPlace } from '../places.js';
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

/** One place's risk groups: its servers and own images, and the images they stand on looked up there. */
async function placeRisk(session: Session, remember?: (kind: string, ids: string[]) => void): Promise<{ groups: RiskGroup[]; now: number }> {
  const [servers, own, vendor] = await Promise.all([session.servers.list(), listScope(session, 'own', remember), listScope(session, 'vendor', remember)]);
  const now = clockOf(servers);
  const known = new Known([...own, ...vendor]);
  // The images servers run on and own images came from, where the lists do not hold them (gone, public).
  await known.lookUpChains(session, [...live(servers).map((s) => s.imageId), ...own.map((i) => i.sourceImageId ?? '')], now);
  return { groups: riskReport(live(servers), own.map(shown), known.lookup, now), now };
}

/** strata risk --fleet: every place's groups, a template of one name grouped once across them. */
async function riskAcross(ctx: Context, withinMs: number): Promise<number> {
  const { out } = ctx;
  out.progress('opening the sources');
  const limiter = new Limiter(ctx.config?.fleet?.concurrency ?? DEFAULT_CONCURRENCY);
  const places = await openPlaces(ctx, ctx.sources()!, limiter);
  const errors = new Map<CliPlace, string>();
  out.progress('reading servers and images in every source');
  const results = await Promise.all(
    places.map(async (place) => {
      if (!place.session) return undefined;
      try {
        return { place, ...(await limiter.run(() => placeRisk(place.session!))) };
      } catch (error) {
        errors.set(place, describeError(error, 'Reading what is at risk'));
        return undefined;
      }
    }),
  );
  const done = results.filter((r): r is NonNullable<typeof r> => r !== undefined);
  const now = done[0]?.now ?? Date.now();
  const groups = fleetRiskReport(done.map((r) => ({ where: `${r.place.source.name}/${r.place.region}`, groups: r.groups })), now);
  const placeOfWhere = (where: string) => {
    const at = where.indexOf('/');
    return { source: where.slice(0, at), region: where.slice(at + 1) };
  };
  const rows = groups.map((g) => {
    const first = g.places[0]!;
    const due = g.places.some((p) => isDue(p.group, now, withinMs));
    const row = riskGroupRow(first.group, due, placeOfWhere(first.where));
    return {
      ...row,
      worst: g.worst,
      date: g.date ?? null,
      servers: g.servers.map((x) => serverRef(x.server, placeOfWhere(x.where))),
      images: g.images.map((x) => ({ id: sanitize(x.image.id, 256), name: sanitize(x.image.displayName || x.image.name, 256), ...placeOfWhere(x.where) })),
      risks: g.places.flatMap((p) => p.group.risks.map(riskRow)),
      sentence: sanitize(g.sentence, 1024),
      places: g.places.map((p) => ({ ...placeOfWhere(p.where), imageId: sanitize(p.group.imageId, 256) })),
    };
  });
  const due = rows.some((r) => r.due);
  const sources = sourceRows(places, errors);
  out.document('risk', { provider: null, region: null, sources, now: new Date(now).toISOString(), withinSeconds: Math.round(withinMs / 1000), due, groups: rows });
  if (out.mode === 'table') {
    if (rows.length === 0) out.line(out.paint('Nothing at risk in any source: no server or image stands on a deprecated, doomed or deleted template.', 'green'));
    for (const r of rows) {
      out.line(out.paint(`${r.due ? '! ' : ''}${r.sentence}`, r.worst === 'image-gone' || r.due ? 'red' : 'yellow'));
      for (const s of r.servers) out.line(`    server ${s.name} (${s.id}, ${s.source}/${s.region}, ${s.phase})`);
      for (const i of r.images) out.line(`    image ${i.name} (${i.id}, ${i.source}/${i.region})`);
    }
  }
  for (const place of places) {
    const error = place.error ?? errors.get(place);
    if (error) out.note(`${place.source.name}${place.region ? `/${place.region}` : ''}: ${sanitize(error, 1000)}`);
  }
  if (due) return EXIT.risk;
  return sources.some((s) => s.state === 'error') ? EXIT.failed : EXIT.done;
}

export async function risk(ctx: Context): Promise<number> {
  const { out } = ctx;
  const withinMs = (ctx.values.within as number | undefined) ?? DEFAULT_WITHIN_MS;
  if (ctx.fleet()) return riskAcross(ctx, withinMs);
  const session = await ctx.session();
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
  const rows = groups.map((g) => riskGroupRow(g, isDue(g, now, withinMs), placeOf(session)));
  const due = rows.some((r) => r.due);
  out.document('risk', {
    provider: session.providerId,
    region: session.region,
    sources: null,
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
