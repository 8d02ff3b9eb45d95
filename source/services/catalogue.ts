// The catalogue: a provider's images merged with strata's metadata (display names and colour labels), for
// the UI. Names and labels live in tags where the provider can hold them on an image the account owns
// (shared with teammates), and in the local store everywhere else. Every string that came from the
// provider is sanitised here, so the UI can draw a CatalogueImage's fields directly.
import { checkName, type ProviderDescription } from '../core/capabilities.js';
import { StrataError } from '../core/errors.js';
import { needsSanitising, sanitize } from '../core/sanitize.js';
import { LABEL_TAG, NAME_TAG } from '../core/tags.js';
import { isLabelColour, type Image, type LabelColour, type Page, type Scope } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';
import { withRetry } from './retry.js';
import { Slices } from './slices.js';
import type { ImageMeta, Store } from '../store/db.js';

export type NameSource = 'provider' | 'tag' | 'local';

export interface CatalogueImage extends Image {
  /** What to show: the local name, else the Name tag, else the provider's name; always sanitised. */
  shownName: string;
  /** Where shownName comes from. */
  nameSource: NameSource;
  label?: LabelColour;
  labelSource?: 'tag' | 'local';
  /** true where name and label can be written as tags (shared with teammates): caps.images.tags && image.owned */
  sharedMeta: boolean;
}

export interface CatalogueDeps {
  provider: ProviderService;
  store: Store;
  providerId: string;
  region: string;
  description: ProviderDescription;
  /** Who the audit log names; defaults to the store's actor (the OS user). */
  actor?: string;
  /** Retries of throttled or transient provider calls (default 3 attempts, 250 ms doubling). */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** Longest strings kept per field (sanitize cuts with an ellipsis). */
const LIMITS = { id: 256, name: 256, description: 1024, owner: 128, other: 256 } as const;

/** The fields of CatalogueImage that Image does not have (stripped when an image is merged again). */
const CATALOGUE_FIELDS = ['shownName', 'nameSource', 'label', 'labelSource', 'sharedMeta'] as const;
/** Fields of a provider's image that mergeWith does not copy as they are. */
const SKIPPED_FIELDS: ReadonlySet<string> = new Set([...CATALOGUE_FIELDS, 'tags']);

export class Catalogue {
  private readonly provider: ProviderService;
  private readonly store: Store;
  private readonly providerId: string;
  private readonly region: string;
  private readonly description: ProviderDescription;
  private readonly actor?: string;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  /**
   * The provider's own id of an image whose id had to be sanitised (a hostile or broken provider), so a
   * write goes to the right image. Ids that were clean need no entry. An id two raw ids sanitise to is
   * ambiguous and refuses writes.
   */
  private readonly rawIds = new Map<string, string | null>();

  constructor(deps: CatalogueDeps) {
    this.provider = deps.provider;
    this.store = deps.store;
    this.providerId = deps.providerId;
    this.region = deps.region;
    this.description = deps.description;
    this.actor = deps.actor;
    this.attempts = Math.max(1, deps.retry?.attempts ?? 3);
    this.baseDelayMs = Math.max(0, deps.retry?.baseDelayMs ?? 250);
  }

  /** Whether this provider holds tags on images at all. */
  get tagsSupported(): boolean {
    return this.description.capabilities.images.tags;
  }

  /** The reason a name would be refused, or undefined (for live validation in the rename editor). */
  nameProblem(name: string): string | undefined {
    const reason = checkName(name, this.description.capabilities.images.nameRules);
    if (reason) return reason;
    if (needsSanitising(name)) return 'A name cannot contain control characters or escape sequences.';
    return undefined;
  }

  /** One page of a scope merged with metadata. */
  async listPage(
    scope: Scope,
    options: { query?: string; page?: string; pageSize?: number } = {},
  ): Promise<Page<CatalogueImage>> {
    return this.fetchPage(scope, options);
  }

  /**
   * All pages of a scope, yielded page by page (the UI shows progress); stops when signal aborts; limit caps
   * the total. Where the cap cut the scope short, the last page yielded keeps a `next` (the provider's
   * token, or '' where the cap fell inside a page), so the caller can tell the list is capped.
   */
  async *pages(
    scope: Scope,
    options: { query?: string; pageSize?: number; signal?: AbortSignal; limit?: number } = {},
  ): AsyncGenerator<Page<CatalogueImage>> {
    const { signal, limit } = options;
    if (limit !== undefined && limit <= 0) return;
    let token: string | undefined;
    let count = 0;
    const seen = new Set<string>();
    for (;;) {
      if (signal?.aborted) return;
      // Near the cap, ask for no more than is still wanted.
      const pageSize =
        limit !== undefined ? Math.min(options.pageSize ?? Number.POSITIVE_INFINITY, limit - count) : options.pageSize;
      const page = await this.fetchPage(
        scope,
        { query: options.query, pageSize: Number.isFinite(pageSize) ? pageSize : undefined, page: token },
        signal,
      );
      if (signal?.aborted) return;
      if (limit !== undefined && count + page.items.length >= limit) {
        const items = page.items.slice(0, limit - count);
        // Capped: the page keeps its next token when more was left, so the caller can tell.
        const more = page.next !== undefined || items.length < page.items.length;
        yield { items, total: page.total, ...(more ? { next: page.next ?? '' } : {}) };
        return;
      }
      count += page.items.length;
      yield page;
      // A provider that hands back a token it gave before would loop forever: stop instead.
      if (page.next === undefined || seen.has(page.next)) return;
      seen.add(page.next);
      token = page.next;
    }
  }

  /**
   * Renames an image. The name is validated first with the provider's name rules (an Invalid StrataError
   * with field "name" and the reason; nothing is written). Where sharedMeta, the NAME_TAG is written (and
   * a local name that would hide it is cleared); otherwise the local store holds it. Where the provider
   * refuses the tag, nothing local is written and the error propagates. Audit-logged with the old and the
   * new name. An empty string clears: the local name where there is one, else (sharedMeta) the Name tag.
   */
  async rename(image: CatalogueImage, newName: string): Promise<CatalogueImage> {
    if (typeof newName !== 'string') throw new StrataError('Invalid', 'A name must be text.', { field: 'name' });
    const id = this.rawId(image);
    const local = this.store.getImageMeta(this.providerId, this.region, id);
    const tagName = image.tags[NAME_TAG];
    const shared = this.isShared(image);

    if (newName === '') {
      if (local?.displayName !== undefined) {
        return this.writeLocal(image, id, { displayName: null }, 'image.rename', {
          from: image.shownName,
          to: null,
          where: 'local',
        });
      }
      if (shared && tagName !== undefined) {
        return this.writeTags(image, id, { [NAME_TAG]: null }, {}, 'image.rename', {
          from: image.shownName,
          to: null,
          where: 'tag',
        });
      }
    }
    const reason = this.nameProblem(newName);
    if (reason) throw new StrataError('Invalid', reason, { field: 'name' });

    if (shared) {
      // Written as a tag; a local name would hide it from this user, so it goes (after the tag is safe).
      if (tagName === newName && local?.displayName === undefined) return this.merge(this.toImage(image));
      return this.writeTags(image, id, { [NAME_TAG]: newName }, { displayName: null }, 'image.rename', {
        from: image.shownName,
        to: newName,
        where: 'tag',
      });
    }
    if (local?.displayName === newName) return this.merge(this.toImage(image));
    return this.writeLocal(image, id, { displayName: newName }, 'image.rename', {
      from: image.shownName,
      to: newName,
      where: 'local',
    });
  }

  /** LABEL_TAG where sharedMeta, else local store; null clears. Audit-logged. */
  async setLabel(image: CatalogueImage, label: LabelColour | null): Promise<CatalogueImage> {
    if (label !== null && !isLabelColour(label)) {
      throw new StrataError('Invalid', `"${sanitize(label, 32)}" is not a label colour.`, { field: 'label' });
    }
    const id = this.rawId(image);
    const detail = { from: image.label ?? null, to: label };
    if (this.isShared(image)) {
      const local = this.store.getImageMeta(this.providerId, this.region, id);
      if (tagLabel(image.tags) === (label ?? undefined) && local?.label === undefined) {
        return this.merge(this.toImage(image));
      }
      return this.writeTags(image, id, { [LABEL_TAG]: label }, { label: null }, 'image.label', {
        ...detail,
        where: 'tag',
      });
    }
    return this.writeLocal(image, id, { label }, 'image.label', { ...detail, where: 'local' });
  }

  /**
   * One image by id, as the provider knows it now, merged with metadata (retried while the provider
   * throttles; NotFound where it does not exist). For a command that names an image (strata image show).
   */
  async image(id: string, signal?: AbortSignal): Promise<CatalogueImage> {
    const raw = this.rawIds.get(id);
    const image = await this.withRetry(() => this.provider.getImage(typeof raw === 'string' ? raw : id), signal);
    return this.merge(image);
  }

  /** Re-merge a provider image with metadata (for a refreshed image). */
  merge(image: Image): CatalogueImage {
    const id = this.rawId(image);
    return this.mergeWith(image, this.store.getImageMeta(this.providerId, this.region, id));
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private async fetchPage(
    scope: Scope,
    options: { query?: string; page?: string; pageSize?: number },
    signal?: AbortSignal,
  ): Promise<Page<CatalogueImage>> {
    const page = await this.withRetry(
      () =>
        this.provider.listImages({
          scope,
          ...(options.query !== undefined && options.query !== '' ? { query: options.query } : {}),
          ...(options.page !== undefined ? { page: options.page } : {}),
          ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
        }),
      signal,
    );
    // Read the metadata after the provider answered, so a name saved meanwhile (here or in another
    // strata process) is not missed.
    const meta = this.store.listImageMeta(this.providerId, this.region);
    // Merging (sanitising every string) a page of 1,000 is a few milliseconds: the event loop runs between slices.
    const slices = new Slices();
    const items = new Array<CatalogueImage>(page.items.length);
    for (let i = 0; i < page.items.length; i++) {
      items[i] = this.mergeWith(page.items[i], meta.get(page.items[i].id));
      if (i % 64 === 63 && slices.due()) await slices.pause();
    }
    const out: Page<CatalogueImage> = { items };
    if (page.next !== undefined) out.next = page.next;
    if (page.total !== undefined) out.total = page.total;
    return out;
  }

  private isShared(image: Image): boolean {
    return this.tagsSupported && image.owned === true;
  }

  /** The provider's own id for an image the UI holds (whose id may have been sanitised). */
  private rawId(image: Image): string {
    const raw = this.rawIds.get(image.id);
    if (raw === null) {
      throw new StrataError(
        'Conflict',
        'Two images of this provider have ids that differ only in control characters; strata will not change either.',
      );
    }
    return raw ?? image.id;
  }

  private mergeWith(image: Image, meta: ImageMeta | undefined): CatalogueImage {
    const cleanId = sanitize(image.id, LIMITS.id);
    if (cleanId !== image.id) {
      const known = this.rawIds.get(cleanId);
      this.rawIds.set(cleanId, known === undefined || known === image.id ? image.id : null);
    }
    const tags = image.tags && typeof image.tags === 'object' ? image.tags : {};
    const shared = this.isShared(image);

    // The name: local, else the Name tag, else the provider's; the first that is not empty once sanitised.
    const tagName = tags[NAME_TAG] ?? image.displayName;
    let nameSource: NameSource = 'local';
    let shownName = sanitize(meta?.displayName, LIMITS.name).trim();
    if (!shownName) {
      nameSource = 'tag';
      shownName = sanitize(tagName, LIMITS.name).trim();
    }
    if (!shownName) {
      nameSource = 'provider';
      shownName = sanitize(image.name, LIMITS.name).trim() || cleanId;
    }

    const out: Record<string, unknown> = {};
    // Every string the provider sent is sanitised, including fields this version does not know.
    for (const key in image) {
      if (!Object.hasOwn(image, key) || SKIPPED_FIELDS.has(key)) continue;
      const value = (image as unknown as Record<string, unknown>)[key];
      if (typeof value === 'string') {
        const limit = key in LIMITS ? LIMITS[key as keyof typeof LIMITS] : LIMITS.other;
        out[key] = sanitize(value, limit);
      } else if (value !== undefined) {
        out[key] = value;
      }
    }
    out.id = cleanId;
    out.name = sanitize(image.name, LIMITS.name);
    out.owned = image.owned === true;
    const clean: Record<string, string> = {};
    for (const key in tags) {
      const value = (tags as Record<string, unknown>)[key];
      if (Object.hasOwn(tags, key) && typeof value === 'string') clean[sanitize(key, 128)] = sanitize(value, 256);
    }
    out.tags = clean;
    if (tagName !== undefined) out.displayName = sanitize(tagName, LIMITS.name);

    const merged = out as unknown as CatalogueImage;
    merged.shownName = shownName;
    merged.nameSource = nameSource;
    merged.sharedMeta = shared;
    const fromTag = tagLabel(tags);
    if (meta?.label !== undefined) {
      merged.label = meta.label;
      merged.labelSource = 'local';
    } else if (fromTag !== undefined) {
      merged.label = fromTag;
      merged.labelSource = 'tag';
    }
    return merged;
  }

  /** A CatalogueImage back to the Image it was merged from (with the provider's own id). */
  private toImage(image: CatalogueImage): Image {
    const copy: Record<string, unknown> = { ...image };
    for (const key of CATALOGUE_FIELDS) delete copy[key];
    copy.id = this.rawId(image);
    return copy as unknown as Image;
  }

  /** Writes tags at the provider; only once they are safe, the local change and the audit entry (one transaction). */
  private async writeTags(
    image: CatalogueImage,
    id: string,
    tags: Record<string, string | null>,
    localPatch: { displayName?: null; label?: null },
    action: string,
    detail: Record<string, unknown>,
  ): Promise<CatalogueImage> {
    const updated = await this.withRetry(() => this.provider.setImageTags(id, tags));
    const result = this.store.transaction(() => {
      const local = this.store.getImageMeta(this.providerId, this.region, id);
      const patch: { displayName?: null; label?: null } = {};
      if (localPatch.displayName === null && local?.displayName !== undefined) patch.displayName = null;
      if (localPatch.label === null && local?.label !== undefined) patch.label = null;
      const meta = Object.keys(patch).length
        ? this.store.updateImageMeta(this.providerId, this.region, id, patch)
        : local;
      this.store.audit.append({
        provider: this.providerId,
        region: this.region,
        action,
        target: id,
        detail: { ...detail, image: image.shownName, ...(Object.keys(patch).length ? { clearedLocal: Object.keys(patch) } : {}) },
        ...(this.actor ? { actor: this.actor } : {}),
      });
      return meta;
    });
    return this.mergeWith(updated, result);
  }

  /** Writes the local store and the audit entry in one transaction. */
  private writeLocal(
    image: CatalogueImage,
    id: string,
    patch: { displayName?: string | null; label?: LabelColour | null },
    action: string,
    detail: Record<string, unknown>,
  ): CatalogueImage {
    const meta = this.store.transaction(() => {
      const meta = this.store.updateImageMeta(this.providerId, this.region, id, patch);
      this.store.audit.append({
        provider: this.providerId,
        region: this.region,
        action,
        target: id,
        detail: { ...detail, image: image.shownName },
        ...(this.actor ? { actor: this.actor } : {}),
      });
      return meta;
    });
    return this.mergeWith(this.toImage(image), meta);
  }

  private withRetry<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(call, { attempts: this.attempts, baseDelayMs: this.baseDelayMs }, { signal });
  }
}

/** The label a tag holds, where it is a colour strata knows (anything else is not drawn). */
function tagLabel(tags: Record<string, string>): LabelColour | undefined {
  const value = tags[LABEL_TAG];
  if (typeof value !== 'string') return undefined;
  const colour = value.trim().toLowerCase();
  return isLabelColour(colour) ? colour : undefined;
}

