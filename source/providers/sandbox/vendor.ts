// Vendor templates: each family publishes a new build every `period` simulated days. When the next build
// is published the previous one is deprecated (deprecatedAt = that moment) and deleted `retention` days
// later. Everything here is a pure function of (seed, region, family, simulated now): no rows are stored,
// and every process on the same home computes the same templates from the shared clock.
import type { Architecture, Image } from '../../core/types.js';
import { hexHash, rngFor, unitHash } from '../../core/random.js';

export const VENDOR_OWNER = 'sandbox-vendor';
export const VENDOR_ID_PREFIX = 'img-v-';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The grid every family's builds are laid on (a fixed instant, so builds do not depend on the epoch). */
const GRID_ORIGIN = Date.UTC(2020, 0, 1);

export interface VendorFamily {
  id: string;
  title: string;
  platform: 'linux' | 'windows';
  architectures: Architecture[];
  sizeGiB: number;
}

export const VENDOR_FAMILIES: readonly VendorFamily[] = [
  { id: 'ubuntu-24.04', title: 'Ubuntu Server 24.04 LTS', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 8 },
  { id: 'ubuntu-22.04', title: 'Ubuntu Server 22.04 LTS', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 8 },
  { id: 'debian-12', title: 'Debian 12 (bookworm)', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 8 },
  { id: 'debian-13', title: 'Debian 13 (trixie)', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 8 },
  { id: 'rocky-9', title: 'Rocky Linux 9', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 10 },
  { id: 'alma-9', title: 'AlmaLinux OS 9', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 10 },
  { id: 'amazon-linux-2023', title: 'Amazon Linux 2023', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 8 },
  { id: 'fedora-41', title: 'Fedora Cloud 41', platform: 'linux', architectures: ['x86_64', 'arm64'], sizeGiB: 6 },
  { id: 'windows-2022', title: 'Windows Server 2022 Datacenter', platform: 'windows', architectures: ['x86_64'], sizeGiB: 30 },
];

/** The schedule of one family under one seed. */
export interface FamilySchedule {
  periodMs: number;
  /** Offset of build 0 from the grid origin. */
  phaseMs: number;
  /** How long a deprecated build stays before the vendor deletes it (constant per family). */
  retentionMs: number;
}

export function familySchedule(seed: number, family: string): FamilySchedule {
  const rng = rngFor(seed, 'vendor-schedule', family);
  const periodDays = rng.int(7, 30);
  const retentionDays = rng.int(21, 30);
  return { periodMs: periodDays * DAY, phaseMs: Math.floor(rng.next() * periodDays * DAY), retentionMs: retentionDays * DAY };
}

/** When build k of a family is published: on the grid, plus up to 12 hours of vendor lateness. */
export function publishedAt(seed: number, family: string, k: number, schedule = familySchedule(seed, family)): number {
  const lateness = Math.floor(unitHash(seed, 'vendor-late', family, k) * 12 * HOUR);
  return GRID_ORIGIN + schedule.phaseMs + k * schedule.periodMs + lateness;
}

/** The index of the newest build published at or before `now`. */
export function latestBuild(seed: number, family: string, now: number, schedule = familySchedule(seed, family)): number {
  const k = Math.floor((now - GRID_ORIGIN - schedule.phaseMs) / schedule.periodMs);
  return publishedAt(seed, family, k, schedule) <= now ? k : k - 1;
}

function archLabel(arch: Architecture): string {
  return arch === 'x86_64' ? 'amd64' : 'arm64';
}

function yyyymmdd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

export function vendorImageId(seed: number, region: string, family: string, arch: Architecture, k: number): string {
  return VENDOR_ID_PREFIX + hexHash(12, seed, region, 'vendor', family, arch, k);
}

export interface VendorBuild {
  family: VendorFamily;
  arch: Architecture;
  k: number;
  id: string;
  name: string;
  publishedMs: number;
  deprecatedMs?: number;
  deleteMs?: number;
}

export function vendorBuild(seed: number, region: string, family: VendorFamily, arch: Architecture, k: number): VendorBuild {
  const schedule = familySchedule(seed, family.id);
  const publishedMs = publishedAt(seed, family.id, k, schedule);
  const deprecatedMs = publishedAt(seed, family.id, k + 1, schedule);
  return {
    family,
    arch,
    k,
    id: vendorImageId(seed, region, family.id, arch, k),
    name: `${family.id}-${archLabel(arch)}-${yyyymmdd(publishedMs)}`,
    publishedMs,
    deprecatedMs,
    deleteMs: deprecatedMs + schedule.retentionMs,
  };
}

/** The builds that exist at `now` (published, not yet deleted), newest first, family by family. */
export function liveVendorBuilds(seed: number, region: string, now: number): VendorBuild[] {
  const out: VendorBuild[] = [];
  for (const family of VENDOR_FAMILIES) {
    const latest = latestBuild(seed, family.id, now);
    for (const arch of family.architectures) {
      for (let k = latest; ; k--) {
        const build = vendorBuild(seed, region, family, arch, k);
        // deleteAt grows with k (the retention is constant per family), so the first gone build ends the run.
        if (k < latest && build.deleteMs! <= now) break;
        out.push(build);
      }
    }
  }
  return out;
}

export function vendorBuildToImage(build: VendorBuild, now: number): Image {
  const deprecated = build.deprecatedMs !== undefined && build.deprecatedMs <= now;
  const image: Image = {
    id: build.id,
    name: build.name,
    description: `${build.family.title} (${archLabel(build.arch)}), published by the vendor on ${new Date(build.publishedMs).toISOString().slice(0, 10)}`,
    kind: 'vendor',
    owner: VENDOR_OWNER,
    architecture: build.arch,
    state: deprecated ? 'deprecated' : 'available',
    createdAt: new Date(build.publishedMs).toISOString(),
    platform: build.family.platform,
    sizeGiB: build.family.sizeGiB,
    owned: false,
    tags: {},
  };
  if (deprecated) {
    image.deprecatedAt = new Date(build.deprecatedMs!).toISOString();
    image.deleteAt = new Date(build.deleteMs!).toISOString();
  }
  return image;
}

/** How far back a lookup of a gone template goes (to say when it was deleted rather than "unknown"). */
const LOOKBACK_BUILDS = 400;

export type VendorLookup =
  | { found: 'live'; build: VendorBuild }
  | { found: 'deleted'; build: VendorBuild }
  | { found: 'none' };

/** Finds a vendor build by id at `now`: live, deleted (with when), or never existed here. */
export function findVendorBuild(seed: number, region: string, id: string, now: number): VendorLookup {
  if (!id.startsWith(VENDOR_ID_PREFIX)) return { found: 'none' };
  const live = liveVendorBuilds(seed, region, now).find((b) => b.id === id);
  if (live) return { found: 'live', build: live };
  // Not live: look back through older builds, to tell "deleted by its vendor on …" from "never existed".
  // A build's id depends on (seed, region, family, arch, k) alone, so the ids looked back through are
  // remembered: the watcher asks on every poll whether servers' images are gone.
  for (const family of VENDOR_FAMILIES) {
    const latest = latestBuild(seed, family.id, now);
    for (const arch of family.architectures) {
      const from = latest - LOOKBACK_BUILDS + 1;
      const k = builtIds(seed, region, family.id, arch, from, latest - 1).get(id);
      if (k !== undefined && k >= from && k < latest) return { found: 'deleted', build: vendorBuild(seed, region, family, arch, k) };
    }
  }
  return { found: 'none' };
}

/** id -> k of a family's builds for one architecture, every k asked for so far (the index grows as asked). */
const idIndexes = new Map<string, { ids: Map<string, number>; from: number; to: number }>();

function builtIds(seed: number, region: string, family: string, arch: Architecture, from: number, to: number): ReadonlyMap<string, number> {
  const key = `${seed}\u0000${region}\u0000${family}\u0000${arch}`;
  let index = idIndexes.get(key);
  if (!index) {
    index = { ids: new Map(), from: to + 1, to };
    idIndexes.set(key, index);
  }
  for (let k = Math.min(index.from - 1, to); k >= from; k--) index.ids.set(vendorImageId(seed, region, family, arch, k), k);
  for (let k = Math.max(index.to + 1, from); k <= to; k++) index.ids.set(vendorImageId(seed, region, family, arch, k), k);
  index.from = Math.min(index.from, from);
  index.to = Math.max(index.to, to);
  // Every k remembered: the caller keeps to its window.
  return index.ids;
}
