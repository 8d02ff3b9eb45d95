// strata images, strata image show|rename|label|delete|import: the catalogue and the image services the
// TUI uses (names and labels as tags where shared, else the local store; every change audited).
import { deprecationWords, parseDeprecation } from '../../core/deprecation.js';
import { dependantsOf, imageRisks, lineageChain } from '../../core/lineage.js';
import { DEFAULT_STALE_DAYS, deleteProtectionWords, gib, staleSentence } from '../../core/stale.js';
import { sanitize } from '../../core/sanitize.js';
import { describeError } from '../../core/errors.js';
import { isLabelColour, type LabelColour, type Scope } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import type { Session } from '../../services/session.js';
import { EXIT, Refused, type Context } from '../context.js';
import type { Colour, Column } from '../output.js';
import { clockOf, imageRef, imageRow, riskRow, serverRef, type ImageRow } from '../rows.js';
import { Known, listScope, live, shown } from '../lookup.js';
import { openPlaces, placeOf, sourceRows, type CliPlace } from '../places.js';

const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '');

export function labelColour(label: string | null | undefined): Colour | undefined {
  return isLabelColour(label) ? (label === 'grey' ? 'grey' : (label as Colour)) : undefined;
}

function stateColour(state: string): Colour | undefined {
  return state === 'available' ? 'green' : state === 'failed' || state === 'deleted' ? 'red' : state === 'deprecated' || state === 'pending' ? 'yellow' : undefined;
}

function lifecycle(row: ImageRow): string {
  if (row.deleteAt) return `del ${day(row.deleteAt)}`;
  if (row.deprecatedAt) return `dep ${day(row.deprecatedAt)}`;
  return '';
}

export const IMAGE_COLUMNS: Column<ImageRow>[] = [
  { title: 'ID', value: (r) => r.id },
  { title: 'NAME', value: (r) => r.shownName, flex: true },
  { title: 'LABEL', value: (r) => r.label ?? '', colour: (r) => labelColour(r.label) },
  { title: 'KIND', value: (r) => r.kind },
  { title: 'ARCH', value: (r) => r.architecture },
  { title: 'STATE', value: (r) => r.state, colour: (r) => stateColour(r.state) },
  { title: 'CREATED', value: (r) => day(r.createdAt) },
  { title: 'LIFECYCLE', value: lifecycle, colour: (r) => (r.deleteAt ? 'red' : r.deprecatedAt ? 'yellow' : undefined) },
];

/** The table of a listing across sources: a SOURCE column first. */
const FLEET_IMAGE_COLUMNS: Column<ImageRow>[] = [{ title: 'SOURCE', value: (r) => `${r.source ?? ''}/${r.region ?? ''}` }, ...IMAGE_COLUMNS];

/** strata images --fleet (or --source A,B): every place's images, each row with its source and region. */
async function imagesAcross(ctx: Context, scope: Scope, query: string | undefined, limit: number | undefined): Promise<number> {
  const { out } = ctx;
  out.progress('opening the sources');
  const places = await openPlaces(ctx, ctx.sources()!);
  const writer = ctx.values.ids === true ? undefined : out.listWriter<ImageRow>('images', 'images', 'image', { provider: null, region: null, scope, query: query ?? null });
  const table: ImageRow[] = [];
  const errors = new Map<CliPlace, string>();
  let count = 0;
  let complete = true;
  // Listed a few at a time, printed in config.yaml's order as each is done.
  const listings = places.map((place) => (async () => {
    if (!place.session) return [];
    const session = place.session;
    const lineage = scope === 'own' ? session.capturer.lineageMap() : undefined;
    const rows: ImageRow[] = [];
    try {
      for await (const page of session.catalogue.pages(scope, { pageSize: 5000, ...(query ? { query } : {}), ...(limit !== undefined ? { limit } : {}) })) {
        rows.push(...page.items.map((image) => imageRow(lineage ? session.capturer.withLineage(image, lineage) : image, placeOf(session))));
        if (limit !== undefined && rows.length >= limit && page.next !== undefined) complete = false;
      }
    } catch (error) {
      errors.set(place, describeError(error, `Listing ${scope} images`));
    }
    return rows;
  })());
  for (const [i, listing] of listings.entries()) {
    const rows = await listing;
    count += rows.length;
    if (ctx.values.ids === true) out.io.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
    else if (out.mode === 'table') table.push(...rows);
    else writer!.add(rows);
    out.progress(`listing ${scope} images: ${count.toLocaleString('en-US')} (${i + 1} of ${places.length} places)`);
  }
  out.done();
  const sources = sourceRows(places, errors);
  writer?.end({ count, complete, sources });
  out.table(FLEET_IMAGE_COLUMNS, table, { empty: `No ${scope} images${query ? ` match "${sanitize(query, 80)}"` : ''} in any source.` });
  for (const place of places) {
    const error = place.error ?? errors.get(place);
    if (error) out.note(`${place.source.name}${place.region ? `/${place.region}` : ''}: ${sanitize(error, 1000)}`);
  }
  return sources.some((s) => s.state === 'error') ? EXIT.failed : EXIT.done;
}

/** strata images */
export async function images(ctx: Context): Promise<number> {
  const { out } = ctx;
  const scope = (ctx.values.scope as Scope | undefined) ?? 'own';
  const query = ctx.values.query as string | undefined;
  const limit = ctx.values.limit as number | undefined;
  if (ctx.fleet()) return imagesAcross(ctx, scope, query, limit);
  const session = await ctx.session();
  const header = { provider: session.providerId, region: session.region, scope, query: query ?? null, sources: null };
  const lineage = scope === 'own' ? session.capturer.lineageMap() : undefined;
  const writer = ctx.values.ids === true ? undefined : out.listWriter<ImageRow>('images', 'images', 'image', header);
  const table: ImageRow[] = [];
  const ids: string[] = [];
  let count = 0;
  let complete = true;
  let total: number | undefined;
  for await (const page of session.catalogue.pages(scope, { pageSize: 5000, ...(query ? { query } : {}), ...(limit !== undefined ? { limit } : {}) })) {
    const rows = page.items.map((image) => imageRow(lineage ? session.capturer.withLineage(image, lineage) : image, placeOf(session)));
    count += rows.length;
    total = page.total ?? total;
    if (limit !== undefined && count >= limit && page.next !== undefined) complete = false;
    if (ctx.values.ids === true) {
      out.io.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
      if (!query && scope !== 'public') ids.push(...rows.map((r) => r.id));
    } else if (out.mode === 'table') table.push(...rows);
    else writer!.add(rows);
    out.progress(`listing ${scope} images: ${count.toLocaleString('en-US')}${total !== undefined ? ` of ${total.toLocaleString('en-US')}` : ''}`);
  }
  out.done();
  if (!query && complete && scope !== 'public') ctx.remember(`images-${scope}`, ids.length ? ids : table.map((r) => r.id));
  if (ctx.values.ids === true) return EXIT.done;
  writer?.end({ count, complete });
  out.table(IMAGE_COLUMNS, table, { empty: `No ${scope} images${query ? ` match "${sanitize(query, 80)}"` : ''} in ${sanitize(session.description.displayName)} ${sanitize(session.region)}.` });
  if (!complete) out.note(`Showing the first ${count.toLocaleString('en-US')} images (--limit).`);
  return EXIT.done;
}

/** An image by id: from the catalogue as the provider knows it now (NotFound: exit status 3). */
async function findImage(session: Session, id: string): Promise<CatalogueImage> {
  const image = await session.catalogue.image(id);
  return session.capturer.withLineage(image);
}

/** strata image show ID */
export async function show(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const id = ctx.arg('ID');
  const [own, vendor, servers] = await Promise.all([
    listScope(session, 'own', (k, ids) => ctx.remember(k, ids)),
    listScope(session, 'vendor', (k, ids) => ctx.remember(k, ids)),
    session.servers.list(),
  ]);
  const image = own.find((i) => i.id === id) ?? vendor.find((i) => i.id === id) ?? (await findImage(session, id));
  const known = new Known([...own, ...vendor, image]);
  const now = clockOf(servers);
  await known.lookUpChains(session, [image.id], now);
  const chain = lineageChain(image.id, known.lookup, now).slice(1);
  const deps = dependantsOf(image.id, live(servers), own);
  const risks = imageRisks(shown(image), known.lookup, now);
  const row = imageRow(image, placeOf(session));
  const lineage = chain.map((link) => ({ ...imageRef(link.id, link.image), gone: link.gone, unknown: link.unknown }));
  out.document('image', {
    provider: session.providerId,
    region: session.region,
    image: row,
    lineage,
    dependants: {
      servers: deps.servers.map((x) => serverRef(x, placeOf(session))),
      images: deps.images.map((i) => imageRow(i as CatalogueImage)).map((r) => ({ id: r.id, name: r.shownName })),
      descendants: deps.descendants.map((i) => imageRow(i as CatalogueImage)).map((r) => ({ id: r.id, name: r.shownName })),
      count: deps.count,
      sentence: deps.sentence ? sanitize(deps.sentence, 1024) : null,
    },
    risks: risks.map(riskRow),
  });
  if (out.mode !== 'table') return EXIT.done;
  out.fields([
    ['Image', row.id],
    ['Name', `${row.shownName}${row.nameSource !== 'provider' ? ` (${row.nameSource === 'tag' ? 'Name tag, shared' : 'local'}; the provider's name is ${row.name})` : ''}`],
    ['Label', row.label ? `${row.label} (${row.labelSource === 'tag' ? 'tag, shared' : 'local'})` : null, labelColour(row.label)],
    ['Kind', `${row.kind}${row.owned ? ', yours' : ''}`],
    ['Owner', row.owner],
    ['Architecture', row.architecture],
    ['State', row.state, stateColour(row.state)],
    ['Created', row.createdAt],
    ['Deprecated', row.deprecatedAt, 'yellow'],
    ['Deleted on', row.deleteAt, 'red'],
    ['Platform', row.platform],
    ['Size', row.sizeGiB !== null ? `${row.sizeGiB} GiB` : null],
    ['Storage', row.storageGiB !== null ? `${gib(row.storageGiB)} (what deleting it frees)` : null],
    ['Protection', deleteProtectionWords(image.deleteProtection, clockOf(servers)) ?? null, 'yellow'],
    ['Description', row.description],
  ]);
  out.line();
  out.line('Lineage (where it came from):');
  if (lineage.length === 0) out.line(`  ${row.sourceImageId ? `captured from ${row.sourceImageId}` : 'not known: strata did not capture it, and the provider does not say'}`);
  for (const [i, link] of lineage.entries()) {
    const state = link.state && !(link.state === 'deprecated' && link.deprecatedAt) ? `, ${link.state}` : '';
    const what = link.unknown ? 'could not be looked up' : link.gone ? 'gone' : `${link.kind ?? 'image'}${state}`;
    const dates = [link.deprecatedAt ? `deprecated since ${day(link.deprecatedAt)}` : '', link.deleteAt && !link.gone ? `to be deleted on ${day(link.deleteAt)}` : ''].filter(Boolean).join(', ');
    out.line(`  ${'  '.repeat(i)}${i === 0 ? 'captured from' : 'from'} ${link.name ? `${link.name} (${link.id}` : `(${link.id}`}, ${what}${dates ? `, ${dates}` : ''})${row.sourceServerId && i === 0 ? `, from server ${row.sourceServerId}` : ''}`);
  }
  out.line();
  out.line(`Dependants: ${deps.count === 0 ? 'none (no server runs on it, no image was captured from it)' : ''}`);
  for (const s of deps.servers) out.line(`  server ${sanitize(s.name)} (${sanitize(s.id)}, ${s.phase})`);
  for (const i of deps.images) out.line(`  image ${sanitize(i.displayName || i.name)} (${sanitize(i.id)}), captured from it`);
  for (const i of deps.descendants) out.line(`  image ${sanitize(i.displayName || i.name)} (${sanitize(i.id)}), captured from those`);
  const tagEntries = Object.entries(row.tags);
  if (tagEntries.length) {
    out.line();
    out.line('Tags:');
    for (const [k, v] of tagEntries) out.line(`  ${k} = ${v}`);
  }
  if (risks.length) {
    out.line();
    out.line('At risk:');
    for (const r of risks) out.line(`  ${out.paint(sanitize(r.sentence, 600), r.kind === 'image-gone' ? 'red' : 'yellow')}`);
  }
  return EXIT.done;
}

function changed(ctx: Context, session: Session, action: string, image: CatalogueImage, extra: Record<string, unknown>, sentence: string): number {
  ctx.out.document('image-changed', { action, imageId: sanitize(image.id, 256), image: imageRow(image, placeOf(session)), warnings: [], ...extra });
  ctx.out.note(sentence);
  return EXIT.done;
}

/** strata image rename ID NAME */
export async function rename(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const image = await findImage(session, ctx.arg('ID'));
  const name = ctx.arg('NAME');
  const problem = name === '' ? undefined : session.catalogue.nameProblem(name);
  if (problem) throw new Refused(`Name refused: ${problem}`, [{ field: 'name', message: problem }]);
  const before = image.shownName;
  const updated = await session.catalogue.rename(image, name);
  return changed(ctx, session, 'renamed', updated, { from: before }, `Renamed ${updated.id} to "${updated.shownName}" (${updated.nameSource === 'tag' ? 'tag, shared' : updated.nameSource === 'local' ? 'local' : "the provider's name"}).`);
}

/** strata image label ID COLOUR|none */
export async function label(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const image = await findImage(session, ctx.arg('ID'));
  const colour = ctx.arg('COLOUR');
  const before = image.label ?? null;
  const updated = await session.catalogue.setLabel(image, colour === 'none' ? null : (colour as LabelColour));
  return changed(
    ctx,
    session,
    'labelled',
    updated,
    { from: before },
    updated.label ? `Labelled ${updated.id} ${updated.label} (${updated.labelSource === 'tag' ? 'tag, shared' : 'local'}).` : `Took the label off ${updated.id}.`,
  );
}

/** strata image delete ID --confirm ID */
export async function remove(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const id = ctx.arg('ID');
  const image = await findImage(session, id);
  if (!image.owned || image.kind !== 'own') {
    throw new Refused(`${image.id} is ${image.kind === 'vendor' ? 'a vendor template' : `a ${image.kind} image`}, not yours: strata deletes only your own images.`);
  }
  const [own, servers] = await Promise.all([listScope(session, 'own'), session.servers.list()]);
  const deps = dependantsOf(image.id, live(servers), own);
  if (deps.sentence) out.note(sanitize(deps.sentence, 1024));
  const typed = (ctx.values.confirm as string | undefined) ?? (await out.ask(`Type the image's id (${image.id}) to delete "${image.shownName}": `));
  if (typed === undefined) {
    throw new Refused(`Deleting ${image.id} needs --confirm ${image.id} (the image's id, as the TUI makes you type it); without a terminal there is no prompt.`);
  }
  if (typed !== image.id) {
    const typedName = typed === image.shownName || typed === image.name;
    throw new Refused(`${typedName ? 'That is the name, not the id' : 'That is not the id'}; type ${image.id} exactly. Nothing was deleted.`);
  }
  await session.images.deleteImage(image.id, { dependants: deps.count });
  out.document('image-changed', { action: 'deleted', imageId: image.id, image: imageRow(image, placeOf(session)), dependants: deps.count, warnings: [] });
  out.note(`Deleted ${image.id}${deps.count ? `; ${deps.count} ${deps.count === 1 ? 'dependant now stands' : 'dependants now stand'} on a deleted image (see strata risk)` : ''}.`);
  return EXIT.done;
}

/** strata image import PATH [NAME] */
export async function importImage(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const path = ctx.arg('PATH');
  const name = ctx.parsed.args.NAME as string | undefined;
  ctx.out.progress(`importing ${path}`);
  const image = await session.capturer.importImage({ path, ...(name !== undefined ? { name } : {}) });
  ctx.out.done();
  const code = changed(ctx, session, 'imported', image, { path: sanitize(session.capturer.importPath(path), 4096) }, `Imported ${image.shownName} (${image.id}).`);
  ctx.out.table(IMAGE_COLUMNS, [imageRow(image, placeOf(session))]);
  return code;
}

/** strata images stale [--days N]: a dry run of the TUI's :stale. */
export async function stale(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const days = (ctx.values.days as number | undefined) ?? DEFAULT_STALE_DAYS;
  out.progress('reading own images and servers');
  const { findStaleImages } = await import('../../services/stale.js');
  const { report, nowMs } = await findStaleImages(session, { days });
  out.done();
  const rows = report.images.map((s) => ({
    ...imageRow(s.image as CatalogueImage, placeOf(session)),
    ageDays: s.ageDays,
    family: sanitize(s.family, 512),
    newerId: s.newerId ? sanitize(s.newerId, 256) : null,
    deletable: !s.protectedReason,
    protectedReason: s.protectedReason ? sanitize(s.protectedReason, 256) : null,
  }));
  const sentence = staleSentence(report);
  out.document('stale-images', {
    provider: session.providerId,
    region: session.region,
    now: new Date(nowMs).toISOString(),
    days: report.days,
    cutoff: report.cutoff,
    considered: report.considered,
    totalGiB: report.totalGiB,
    unknownSize: report.unknownSize,
    deleted: false,
    images: rows,
    sentence,
  });
  out.table(STALE_COLUMNS, rows);
  out.note(`${sentence}${rows.length ? ' Nothing was deleted (a dry run): :stale in strata marks them for deleting.' : ''}`);
  return EXIT.done;
}

type StaleRow = ImageRow & { ageDays: number; deletable: boolean; protectedReason: string | null; newerId: string | null };

const STALE_COLUMNS: Column<StaleRow>[] = [
  { title: 'ID', value: (r) => r.id },
  { title: 'NAME', value: (r) => r.shownName, flex: true },
  { title: 'AGE', value: (r) => `${r.ageDays} d`, align: 'right' },
  { title: 'STORAGE', value: (r) => (r.storageGiB === null ? '?' : gib(r.storageGiB)), align: 'right' },
  { title: 'STATE', value: (r) => r.state, colour: (r) => stateColour(r.state) },
  { title: 'NOTE', value: (r) => r.protectedReason ?? (r.newerId ? `newer: ${r.newerId}` : ''), colour: (r) => (r.protectedReason ? 'yellow' : undefined) },
];

/** strata image deprecate ID WHEN */
export async function deprecate(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const { providerClock } = await import('../../services/stale.js');
  const when = parseDeprecation(ctx.arg('WHEN'), providerClock(await session.servers.list()));
  if ('error' in when) throw new Refused(when.error, [{ field: 'WHEN', message: when.error }]);
  const image = await findImage(session, ctx.arg('ID'));
  if (!image.owned || image.kind !== 'own') {
    throw new Refused(`${image.id} is ${image.kind === 'vendor' ? 'a vendor template' : `a ${image.kind} image`}, not yours: only your own images take a deprecation date.`);
  }
  const before = image.deprecatedAt ?? null;
  const updated = session.catalogue.merge(await session.images.setDeprecation({ id: image.id, name: image.shownName, deprecatedAt: image.deprecatedAt }, when.at));
  return changed(
    ctx,
    session,
    'deprecated',
    updated,
    { from: before },
    updated.deprecatedAt ? `${updated.id} is deprecated from ${deprecationWords(updated.deprecatedAt)} on (every user of the account sees it).` : `Took the deprecation date off ${updated.id}.`,
  );
}
