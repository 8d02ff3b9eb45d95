// Image families across regions and sources (the fleet's "which regions run which version"): the same image
// is recognised wherever it is, first by lineage, then by name.
//   - A version is one image wherever it is: by lineage, its copies (Image.copiedFrom: strata copied it to
//     another region of the same account, whatever it is called there); then by name, images of the same
//     name in other places (built there the same way, or copied by other means).
//   - A family is the versions whose names are the same once the trailing dates and version numbers are
//     taken off and the words joined by hyphens ("payments-api-2026-01-03" and "payments_api 2026-03-01" are
//     the family "payments-api"; "[prod] api" and "[staging] api" are two), a copy counting under its
//     original's name. :stale (core/stale.ts) groups by the same rule. (Capture lineage, an image made from a server of another, is not
//     a family: a base image and the application images built on it are different things.)
// Pure: the caller gives the images and the servers of every source and region it knows.

export interface FamilyImage {
  /** The account the image belongs to (the store's provider id: Session.storeId), so copies are found. */
  account: string;
  /** "prod-eu/eu-west-1", or the region alone where there are no sources. */
  where: string;
  region: string;
  id: string;
  /** The name the user sees. */
  name: string;
  createdAt: string;
  sourceImageId?: string;
  copiedFrom?: { region: string; imageId: string };
}

export interface FamilyServer {
  account: string;
  where: string;
  region: string;
  imageId: string;
  phase: string;
}

export interface VersionPlace {
  where: string;
  image: FamilyImage;
  /** Servers there that run this version (not terminated). */
  servers: number;
}

export interface ImageVersion {
  /** The original (the image the others were copied from). */
  origin: FamilyImage;
  /** Where it is: the original and each copy, with the servers that run it there. */
  places: VersionPlace[];
  /** Servers running it anywhere. */
  servers: number;
}

export interface ImageFamily {
  /** The family's name: the newest version's name without its date or version. */
  name: string;
  /** Oldest first (by the original's creation date). */
  versions: ImageVersion[];
  servers: number;
}

const MONTH = /^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*$/;
/** A token that names a version or a date, not the thing: 20260105, v12, 1.28, 24.04, 3, rc? no. */
const VERSIONISH = /^v?\d+(?:[._]\d+)*[a-z]?$/;

/**
 * A name's family: the name without the dates and version numbers at its end, lower-cased, words joined
 * by hyphens (so "api gateway", "api-gateway" and "api_gateway 2.1" are one):
 * "golden-web-2026-01-05" and "golden-web-20260301" give "golden-web"; "[prod] api @ 2026-01-05" gives
 * "prod-api"; "base debian-12 hardened (Jan 2026)" gives "base-debian-12-hardened". A name that is all
 * numbers keeps its first word.
 */
export function familyName(name: string): string {
  const words = name
    .toLowerCase()
    .split(/[^\p{L}\p{N}.]+/u)
    .map((w) => w.replace(/^\.+|\.+$/g, ''))
    .filter(Boolean);
  while (words.length > 1 && (VERSIONISH.test(words[words.length - 1]!) || MONTH.test(words[words.length - 1]!))) words.pop();
  return words.join('-') || name.trim().toLowerCase();
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    let node = x;
    while (node !== root) {
      const next = this.parent.get(node) ?? root;
      this.parent.set(node, root);
      node = next;
    }
    if (!this.parent.has(root)) this.parent.set(root, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

const keyOf = (account: string, region: string, id: string) => `${account}\u0000${region}\u0000${id}`;

/**
 * The families of the images given, each with its versions oldest first and where each runs; families with
 * servers first (most servers first), then by name.
 */
export function imageFamilies(images: readonly FamilyImage[], servers: readonly FamilyServer[]): ImageFamily[] {
  const byKey = new Map<string, FamilyImage>();
  for (const image of images) byKey.set(keyOf(image.account, image.region, image.id), image);
  const versions = new UnionFind();
  for (const [key, image] of byKey) {
    versions.find(key);
    if (image.copiedFrom) {
      const from = keyOf(image.account, image.copiedFrom.region, image.copiedFrom.imageId);
      if (byKey.has(from)) versions.union(from, key);
    }
  }
  // Then by name: images of one name are one version (a copy already joined its original's).
  const byExactName = new Map<string, string>();
  for (const [key, image] of byKey) {
    if (image.copiedFrom && byKey.has(keyOf(image.account, image.copiedFrom.region, image.copiedFrom.imageId))) continue;
    const name = image.name.trim().toLowerCase();
    const first = byExactName.get(name);
    if (first === undefined) byExactName.set(name, key);
    else versions.union(first, key);
  }
  // A family: the versions of one name without its date or version (the original's name for a copy).
  const families = new UnionFind();
  const byName = new Map<string, string>();
  for (const [key, image] of byKey) {
    if (image.copiedFrom && byKey.has(keyOf(image.account, image.copiedFrom.region, image.copiedFrom.imageId))) continue;
    const version = versions.find(key);
    families.find(version);
    const name = familyName(image.name);
    const first = byName.get(name);
    if (first === undefined) byName.set(name, version);
    else families.union(first, version);
  }
  // Servers per image (where it runs).
  const running = new Map<string, number>();
  for (const s of servers) {
    if (s.phase === 'terminated') continue;
    const key = keyOf(s.account, s.region, s.imageId);
    if (byKey.has(key)) running.set(key, (running.get(key) ?? 0) + 1);
  }
  const grouped = new Map<string, Map<string, string[]>>();
  for (const key of byKey.keys()) {
    const version = versions.find(key);
    const family = families.find(version);
    let members = grouped.get(family);
    if (!members) grouped.set(family, (members = new Map()));
    const list = members.get(version);
    if (list) list.push(key);
    else members.set(version, [key]);
  }
  const out: ImageFamily[] = [];
  for (const members of grouped.values()) {
    const list: ImageVersion[] = [];
    for (const keys of members.values()) {
      const places = keys
        .map((k) => ({ where: byKey.get(k)!.where, image: byKey.get(k)!, servers: running.get(k) ?? 0 }))
        .sort((a, b) => a.where.localeCompare(b.where));
      const origin = places.map((p) => p.image).find((i) => !i.copiedFrom || !byKey.has(keyOf(i.account, i.copiedFrom.region, i.copiedFrom.imageId))) ?? places[0]!.image;
      list.push({ origin, places, servers: places.reduce((n, p) => n + p.servers, 0) });
    }
    list.sort((a, b) => a.origin.createdAt.localeCompare(b.origin.createdAt) || a.origin.id.localeCompare(b.origin.id));
    const newest = list[list.length - 1]!.origin;
    out.push({ name: familyName(newest.name), versions: list, servers: list.reduce((n, v) => n + v.servers, 0) });
  }
  return out.sort((a, b) => b.servers - a.servers || a.name.localeCompare(b.name));
}
