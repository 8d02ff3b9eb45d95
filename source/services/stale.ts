// Stale own images for the TUI's :stale and `strata images stale`: the own images and the servers of the
// region as the provider lists them now (never a list that may lack a server: an image a server runs on is
// never stale), then core/stale.ts decides. A dry run: nothing is deleted here.
import { UNKNOWN, type ImageLookup } from '../core/lineage.js';
import { staleImages, type StaleReport } from '../core/stale.js';
import type { Image, Server } from '../core/types.js';
import type { CatalogueImage } from './catalogue.js';
import type { Session } from './session.js';

export interface StaleFinding {
  report: StaleReport;
  /** Every own image as listed (with the names the user sees). */
  own: CatalogueImage[];
  servers: Server[];
  /** The provider's clock when the servers were listed (ms). */
  nowMs: number;
}

/** The provider's clock as the servers say it, else this machine's. */
export function providerClock(servers: readonly Server[]): number {
  for (const server of servers) {
    const t = server.observedAt ? Date.parse(server.observedAt) : Number.NaN;
    if (Number.isFinite(t)) return t;
  }
  return Date.now();
}

async function ownImages(session: Session, signal?: AbortSignal): Promise<CatalogueImage[]> {
  const lineage = session.capturer.lineageMap();
  const out: CatalogueImage[] = [];
  for await (const page of session.catalogue.pages('own', { pageSize: 5000, ...(signal ? { signal } : {}) })) {
    for (const image of page.items) out.push(session.capturer.withLineage(image, lineage));
  }
  return out;
}

/**
 * The stale own images of the session's region, older than `days` (default 90). `known` are images the
 * caller knows already (a UI's vendor list and lookups); the sources of the own images not among them are
 * looked up at the provider, link by link (the lineage's root names a family: core/stale.ts).
 */
export async function findStaleImages(session: Session, options: { days?: number; known?: Iterable<[string, Image | null]>; signal?: AbortSignal } = {}): Promise<StaleFinding> {
  const [own, servers] = await Promise.all([ownImages(session, options.signal), session.servers.list()]);
  const known = new Map<string, Image | null>(options.known ?? []);
  for (const image of own) known.set(image.id, image);
  for (let round = 0; round < 8; round++) {
    const wanted = new Set<string>();
    for (const image of known.values()) {
      const source = image?.sourceImageId;
      if (source && !known.has(source)) wanted.add(source);
    }
    if (wanted.size === 0) break;
    const found = await session.servers.lookUpImages([...wanted]);
    // What could not be told (still throttled) stays unknown: its image's family goes by its name.
    for (const id of wanted) known.set(id, id in found ? found[id]! : null);
    if (Object.keys(found).length === 0) break;
  }
  const lookup: ImageLookup = (id) => (known.has(id) ? (known.get(id) ?? undefined) : UNKNOWN);
  const nowMs = providerClock(servers);
  const report = staleImages(own, servers, { nowMs, lookup, ...(options.days !== undefined ? { days: options.days } : {}) });
  return { report, own, servers, nowMs };
}
