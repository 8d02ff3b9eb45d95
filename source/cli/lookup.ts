// What a subcommand knows of images, for lineage and risk: the own and vendor lists as the catalogue lists
// them (with the names the user sees), and the images they point at, looked up through the session's
// services (ServerActions.lookUpImages: retried, never the provider directly). An id that could not be
// told is UNKNOWN, never taken for gone (core/lineage.ts).
import { lineageChain, UNKNOWN, type ImageLookup } from '../core/lineage.js';
import type { Image, Scope, Server } from '../core/types.js';
import type { CatalogueImage } from '../services/catalogue.js';
import type { Session } from '../services/session.js';

/** Every image of a scope, merged with metadata and the lineage kept locally (providers without tags). */
export async function listScope(session: Session, scope: Scope, remember?: (kind: string, ids: string[]) => void): Promise<CatalogueImage[]> {
  const lineage = scope === 'own' ? session.capturer.lineageMap() : undefined;
  const out: CatalogueImage[] = [];
  for await (const page of session.catalogue.pages(scope, { pageSize: 5000 })) {
    for (const image of page.items) out.push(lineage ? session.capturer.withLineage(image, lineage) : image);
  }
  if (scope !== 'public') remember?.(`images-${scope}`, out.map((i) => i.id));
  return out;
}

/** The name the user sees (a local name, a Name tag) as the image's display name, as :risk says it. */
export function shown(image: CatalogueImage): Image {
  return image.shownName !== (image.displayName || image.name) ? { ...image, displayName: image.shownName } : image;
}

export class Known {
  private readonly known = new Map<string, Image | null>();

  constructor(images: Iterable<CatalogueImage> = []) {
    for (const image of images) this.known.set(image.id, shown(image));
  }

  readonly lookup: ImageLookup = (id) => {
    if (!this.known.has(id)) return UNKNOWN;
    return this.known.get(id) ?? undefined;
  };

  has(id: string): boolean {
    return this.known.has(id);
  }

  set(id: string, image: Image | null): void {
    this.known.set(id, image);
  }

  /** Looks up the ids not known yet (null: the provider says it is gone; left unknown while it throttles). */
  async lookUp(session: Session, ids: Iterable<string>): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => id !== '' && !this.known.has(id));
    if (wanted.length === 0) return;
    const found = await session.servers.lookUpImages(wanted);
    for (const [id, image] of Object.entries(found)) this.known.set(id, image ? session.catalogue.merge(image) : null);
  }

  /** Looks up, link by link, every image the chains from these ids lead through (until nothing new is learnt). */
  async lookUpChains(session: Session, ids: Iterable<string>, nowMs: number): Promise<void> {
    const starts = [...new Set(ids)].filter((id) => id !== '');
    await this.lookUp(session, starts);
    for (let round = 0; round < 64; round++) {
      const unknown = new Set<string>();
      // A chain ends at the first link not known yet: that one is looked up next.
      for (const id of starts) for (const link of lineageChain(id, this.lookup, nowMs)) if (link.unknown) unknown.add(link.id);
      const fresh = [...unknown].filter((id) => !this.known.has(id));
      if (fresh.length === 0) return;
      await this.lookUp(session, fresh);
      if (fresh.every((id) => !this.known.has(id))) return; // still throttled: left unknown
    }
  }
}

/** The servers that are not terminated (what stands on images). */
export function live(servers: readonly Server[]): Server[] {
  return servers.filter((s) => s.phase !== 'terminated');
}
