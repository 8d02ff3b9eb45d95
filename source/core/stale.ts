// Stale own images (`:stale`, `strata images stale`): own images that nothing uses any more and that are
// older than N days, except the newest of each family, each with the storage deleting it frees. Pure: the
// caller passes the own images, the servers and (for lineage) what it knows of other images.
//
// The rules, in the order they are applied:
//   - Only own images the account may delete (kind own, owned), and not while they are being created
//     (pending) or once deleted.
//   - Never an image something depends on: a server that is not terminated was launched from it, or an
//     image (any given) was captured from it. Those are kept whatever their age (deleting them leaves the
//     server unable to be rebuilt, or the image without its source: core/lineage.ts).
//   - Never the newest usable image (available or deprecated) of its family. A family is the images of one
//     lineage, then one name prefix: built from the same root (the template at the start of the chain they
//     were captured from, known by its name, so that the template's monthly rotation does not split it),
//     on one architecture, whose names differ only in the dates and version numbers at their end
//     (golden-web-20260105 and golden-web-20260301). Lineage only ever splits a family: images of different
//     names are never one (two apps built from one template are two families). An image whose root cannot
//     be told goes with the newest of its name. Failed captures are nobody's newest: they launch nothing.
//   - Older than N days (created before now minus N days).
// An image protected against deletion (EC2's deregistration protection) is listed, with why, but not
// counted as deletable: the provider would refuse.
import { deprecationWords } from './deprecation.js';
import { familyName as namePrefix } from './families.js';
import { lineageChain, type ImageLookup } from './lineage.js';
import type { Image, Server } from './types.js';

const DAY = 86_400_000;

/** The default age, in days, after which an unused image is stale. */
export const DEFAULT_STALE_DAYS = 90;

export interface StaleImage {
  image: Image;
  /** Whole days since the image was created. */
  ageDays: number;
  /** The family it belongs to (name prefix and architecture, lineage root), as a key. */
  family: string;
  /** The family's newest image, which is kept (absent where the family has no usable image). */
  newerId?: string;
  /** What deleting it frees (GiB), where the provider says. */
  storageGiB?: number;
  /** Why it cannot be deleted now (a protection), where that is so: listed, not counted as deletable. */
  protectedReason?: string;
}

export interface StaleReport {
  days: number;
  /** Images created before this are old enough (ISO 8601). */
  cutoff: string;
  /** Every stale image, oldest first. */
  images: StaleImage[];
  /** Those that can be deleted (no protection). */
  deletable: StaleImage[];
  /** What deleting the deletable ones frees, of those whose size the provider says (GiB). */
  totalGiB: number;
  /** Deletable images whose size the provider does not say. */
  unknownSize: number;
  /** Own images looked at. */
  considered: number;
}

// A name's family (its prefix without dates and version numbers) is core/families.ts's familyName: the fleet's
// versions and :stale group images by the same rule.
export { namePrefix };

/** The key of an image's name family: its architecture and its name's prefix. */
export function nameFamily(image: Image): string {
  return `${image.architecture}:${namePrefix(image.name || image.displayName || image.id)}`;
}

/**
 * The root of an image's lineage as a family ("vendor:ubuntu-24.04-amd64": the template it was built from,
 * by its name, so that template rotation does not split a family), or undefined where it cannot be told
 * (no lineage recorded, or a source the lookup does not know).
 */
export function lineageRoot(image: Image, lookup: ImageLookup | undefined, nowMs: number): string | undefined {
  if (!image.sourceImageId || !lookup) return undefined;
  const chain = lineageChain(image.sourceImageId, lookup, nowMs);
  const root = chain[chain.length - 1];
  // A remembered image that is gone still has its name.
  return root?.image ? `${root.image.kind}:${namePrefix(root.image.name || root.image.id)}` : undefined;
}

/**
 * The family of each image, by id. Images are of one family where their names share a prefix on one
 * architecture, and, of those, where their lineage has the same root: builds of one name from different
 * roots (a template and an imported disk, or two distributions) are different families. An image whose
 * root cannot be told is taken to be of the family of the newest image of its name.
 */
export function families(images: readonly Image[], lookup?: ImageLookup, nowMs = 0): Map<string, string> {
  const byName = new Map<string, Image[]>();
  for (const image of images) {
    const key = nameFamily(image);
    const list = byName.get(key);
    if (list) list.push(image);
    else byName.set(key, [image]);
  }
  const out = new Map<string, string>();
  for (const [name, members] of byName) {
    const roots = new Map(members.map((image) => [image.id, lineageRoot(image, lookup, nowMs)]));
    const newest = members.filter(usable).sort((a, b) => ms(b.createdAt) - ms(a.createdAt) || (a.id < b.id ? 1 : -1))[0];
    const fallback = (newest && roots.get(newest.id)) ?? '';
    for (const image of members) out.set(image.id, `${name}|${roots.get(image.id) ?? fallback}`);
  }
  return out;
}

function ms(iso: string | undefined): number {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(t) ? t : Number.NaN;
}

const usable = (image: Image) => image.state === 'available' || image.state === 'deprecated';

/** Why an image cannot be deleted now, where its protection says so. */
function protection(image: Image, nowMs: number): string | undefined {
  const p = image.deleteProtection;
  if (!p?.on) return undefined;
  if (p.until && ms(p.until) > nowMs) return `protected against deletion until ${deprecationWords(p.until)}`;
  if (p.until) return undefined;
  return `protected against deletion${p.cooldown ? ' (a 24-hour cooldown once turned off)' : ''}`;
}

/**
 * The stale own images among `own`: see the top of this file. `images` are every image known (own ones at
 * least) for "an image was captured from it"; `servers` every server of the region.
 */
export function staleImages(
  own: readonly Image[],
  servers: readonly Server[],
  options: { days?: number; nowMs: number; lookup?: ImageLookup; images?: readonly Image[] },
): StaleReport {
  const days = options.days ?? DEFAULT_STALE_DAYS;
  if (!Number.isFinite(days) || days < 0) throw new RangeError(`The age of a stale image is a number of days, 0 or more; got ${days}.`);
  const { nowMs } = options;
  const cutoffMs = nowMs - days * DAY;
  const mine = own.filter((i) => i.kind === 'own' && i.owned && i.state !== 'deleted');

  const used = new Set<string>();
  for (const server of servers) if (server.phase !== 'terminated') used.add(server.imageId);
  for (const image of [...(options.images ?? []), ...own]) {
    if (image.sourceImageId && image.sourceImageId !== image.id && image.state !== 'deleted') used.add(image.sourceImageId);
  }

  // The newest usable image of each family is kept.
  const family = families(mine, options.lookup, nowMs);
  const newest = new Map<string, Image>();
  for (const image of mine) {
    const key = family.get(image.id)!;
    if (!usable(image)) continue;
    const best = newest.get(key);
    if (!best || ms(image.createdAt) > ms(best.createdAt) || (ms(image.createdAt) === ms(best.createdAt) && image.id > best.id)) newest.set(key, image);
  }

  const stale: StaleImage[] = [];
  for (const image of mine) {
    if (image.state === 'pending' || used.has(image.id)) continue;
    const key = family.get(image.id)!;
    const kept = newest.get(key);
    if (kept?.id === image.id) continue;
    const created = ms(image.createdAt);
    if (!(created <= cutoffMs)) continue;
    const entry: StaleImage = { image, ageDays: Math.floor((nowMs - created) / DAY), family: key };
    if (kept) entry.newerId = kept.id;
    if (typeof image.storageGiB === 'number' && Number.isFinite(image.storageGiB)) entry.storageGiB = image.storageGiB;
    const why = protection(image, nowMs);
    if (why) entry.protectedReason = why;
    stale.push(entry);
  }
  stale.sort((a, b) => ms(a.image.createdAt) - ms(b.image.createdAt) || (a.image.id < b.image.id ? -1 : 1));
  const deletable = stale.filter((s) => !s.protectedReason);
  let totalGiB = 0;
  let unknownSize = 0;
  for (const s of deletable) {
    if (s.storageGiB === undefined) unknownSize++;
    else totalGiB += s.storageGiB;
  }
  return {
    days,
    cutoff: new Date(cutoffMs).toISOString(),
    images: stale,
    deletable,
    totalGiB: Math.round(totalGiB * 100) / 100,
    unknownSize,
    considered: mine.length,
  };
}

/**
 * A deletion protection in words ("Protected against deletion (a 24-hour cooldown once turned off)",
 * "Protected against deletion until 2026-12-02 09:30 UTC (being turned off)"), or undefined where there is none.
 */
export function deleteProtectionWords(p: Image['deleteProtection'], nowMs: number): string | undefined {
  if (!p?.on) return undefined;
  if (p.until) return ms(p.until) > nowMs ? `Protected against deletion until ${deprecationWords(p.until)} (being turned off)` : undefined;
  return `Protected against deletion${p.cooldown ? ' (a 24-hour cooldown once turned off)' : ''}: turn that off before deleting it`;
}

/** "12.5 GiB", "0.3 GiB", "140 GiB". */
export function gib(value: number): string {
  const rounded = value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded.toLocaleString('en-US')} GiB`;
}

/** One sentence for a report: how many, how old, what deleting them frees. */
export function staleSentence(report: StaleReport): string {
  const n = report.deletable.length;
  const held = report.images.length - n;
  if (report.images.length === 0) {
    return `No stale images: every own image older than ${report.days} days is in use or the newest of its family.`;
  }
  const frees = n === 0 ? '' : `; deleting ${n === 1 ? 'it' : 'them'} frees ${gib(report.totalGiB)}${report.unknownSize ? ` (and ${report.unknownSize} of unknown size)` : ''}`;
  const protectedPart = held ? ` ${held} more ${held === 1 ? 'is' : 'are'} protected against deletion.` : '';
  return `${n} stale image${n === 1 ? '' : 's'} (unused, older than ${report.days} days, not the newest of ${n === 1 ? 'its' : 'their'} family)${frees}.${protectedPart}`;
}
