// Derived data: computed from the state, never stored in it. The filtered view is memoised per scope and
// filtered incrementally while the query grows, so typing over 100,000 rows stays quick.
import { fuzzyFilter, splitQuery, type FuzzyResult } from '../../core/fuzzy.js';
import { UNKNOWN, type ImageLookup } from '../../core/lineage.js';
import type { Image } from '../../core/types.js';
import type { Scope } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import type { ImageRows } from '../../services/rows.js';
import type { AppState } from './state.js';

export { searchKey } from '../../services/rows.js';

/** A scope's rows as the list shows them: filtered and ordered. Rows are read only when drawn. */
export interface View {
  rows: ImageRows;
  /** How many rows are shown. */
  readonly count: number;
  /**
   * Positions in rows, in the order shown. Without a filter it is made on first use (100,000 numbers per
   * page of a load otherwise): prefer count, at() and positionOf().
   */
  readonly indices: readonly number[];
  /** The row shown k-th (undefined past the end, or a stored row that cannot be read any more). */
  at(k: number): CatalogueImage | undefined;
  /** Where the row at position pos of rows is shown, or -1. */
  shownAt(pos: number): number;
  /** The position in rows of the row shown k-th (-1 past the end). */
  positionAt(k: number): number;
}

/** Every row in order (no filter): no list of positions is needed. */
class AllRows implements View {
  private listed?: number[];
  readonly result = undefined;
  constructor(readonly rows: ImageRows) {}
  get count(): number {
    return this.rows.count;
  }
  get indices(): readonly number[] {
    return (this.listed ??= Array.from({ length: this.rows.count }, (_, i) => i));
  }
  at(k: number): CatalogueImage | undefined {
    return this.rows.at(k);
  }
  shownAt(pos: number): number {
    return pos >= 0 && pos < this.rows.count ? pos : -1;
  }
  positionAt(k: number): number {
    return k >= 0 && k < this.rows.count ? k : -1;
  }
}

/** The rows a filter matched, best first. */
class Matches implements View {
  constructor(
    readonly rows: ImageRows,
    readonly result: FuzzyResult,
  ) {}
  get count(): number {
    return this.result.indices.length;
  }
  get indices(): readonly number[] {
    return this.result.indices;
  }
  at(k: number): CatalogueImage | undefined {
    const pos = this.result.indices[k];
    return pos === undefined ? undefined : this.rows.at(pos);
  }
  shownAt(pos: number): number {
    return pos < 0 ? -1 : this.result.indices.indexOf(pos);
  }
  positionAt(k: number): number {
    return this.result.indices[k] ?? -1;
  }
}

const views: Partial<Record<Scope, { view: View; query: string; result?: FuzzyResult }>> = {};

export function filterText(state: AppState): string {
  return state.filter.editor.text;
}

export function selectView(state: AppState, scope: Scope = state.scope): View {
  const rows = state.scopes[scope].rows;
  const query = filterText(state);
  const cached = views[scope];
  if (cached && cached.view.rows === rows && cached.query === query) return cached.view;
  if (splitQuery(query).length === 0) {
    views[scope] = { view: new AllRows(rows), query };
    return views[scope].view;
  }
  // The filter runs on the rows' search index (one string), not on the rows.
  const result = fuzzyFilter(rows.search, query, cached?.result);
  views[scope] = { view: new Matches(rows, result), query, result };
  return views[scope].view;
}

export function selectedIndex(state: AppState): number {
  const count = selectView(state).count;
  return count === 0 ? 0 : Math.max(0, Math.min(state.selected[state.scope], count - 1));
}

export function selectedImage(state: AppState): CatalogueImage | undefined {
  return selectView(state).at(selectedIndex(state));
}

export function findImage(state: AppState, id: string): CatalogueImage | undefined {
  for (const scope of ['own', 'vendor', 'public'] as const) {
    const found = state.scopes[scope].rows.find(id);
    if (found) return found;
  }
  return undefined;
}

/** The images of a scope held in memory (own images, vendor templates); none for a stored copy. */
export function listedImages(state: AppState, scope: 'own' | 'vendor'): readonly CatalogueImage[] {
  return state.scopes[scope].rows.items ?? [];
}

/** "5 min", "3 h", "2 d": how old a stored copy is. */
export function ageOf(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

/** What is in flight, for the status bar. */
export function loadingLine(state: AppState): string | undefined {
  if (state.session.status === 'connecting') return `connecting to ${state.session.providerId}`;
  if (state.retrying) return state.retrying;
  const data = state.scopes[state.scope];
  // A stored copy is on screen while the provider is asked again (or could not be).
  const stored = data.storedAt !== undefined ? `stored ${ageOf(Date.now() - data.storedAt)} ago` : undefined;
  if (data.loading) {
    const fetched = data.fetched ?? data.rows.count;
    const progress = data.total !== undefined ? `loading ${fetched.toLocaleString('en-US')}/${data.total.toLocaleString('en-US')}` : 'loading';
    return stored ? `${stored} · ${progress}` : progress;
  }
  if (stored) return stored;
  if (state.search && state.search.scope === state.scope) return 'searching the provider';
  if (state.busy.length > 0) return state.busy[state.busy.length - 1];
  return undefined;
}

let lookupCache: { own: unknown; vendor: unknown; looked: unknown; lookup: ImageLookup } | undefined;

/**
 * What strata knows of images: own images and templates as listed, and those looked up for the servers.
 * An id it has never seen is UNKNOWN (never taken for gone); one the provider said it no longer has is gone.
 */
export function imageLookup(state: AppState): ImageLookup {
  const own = listedImages(state, 'own');
  const vendor = listedImages(state, 'vendor');
  const looked = state.monitor.images;
  if (lookupCache && lookupCache.own === own && lookupCache.vendor === vendor && lookupCache.looked === looked) return lookupCache.lookup;
  const known = new Map<string, Image | null>();
  for (const [id, image] of Object.entries(looked)) known.set(id, image);
  // The name the user sees (a local name, a Name tag) is the one :risk and the details say.
  for (const image of [...own, ...vendor]) known.set(image.id, image.shownName !== (image.displayName || image.name) ? { ...image, displayName: image.shownName } : image);
  const lookup: ImageLookup = (id) => {
    if (!known.has(id)) return UNKNOWN;
    return known.get(id) ?? undefined;
  };
  lookupCache = { own, vendor, looked, lookup };
  return lookup;
}

let shownCache: { items: unknown; out: Image[] } | undefined;

/** Own images with the name the user sees as their display name (for :risk's sentences and lists). */
export function shownOwn(state: AppState): Image[] {
  const items = listedImages(state, 'own');
  if (shownCache?.items === items) return shownCache.out;
  const out = items.map((i) => (i.shownName !== (i.displayName || i.name) ? { ...i, displayName: i.shownName } : i));
  shownCache = { items, out };
  return out;
}

/**
 * The provider's clock now, as the monitor last saw it: a server's observedAt, moved on by the time since
 * that poll at the session's time scale (the sandbox's may run faster); else this machine's clock.
 */
export function providerNow(state: AppState): number {
  const seen = state.monitor.servers.find((s) => s.observedAt)?.observedAt;
  const at = seen ? Date.parse(seen) : Number.NaN;
  const polled = state.monitor.status.lastPollAt;
  if (!Number.isFinite(at) || polled === undefined) return Date.now();
  return at + Math.max(0, Date.now() - polled) * (state.session.timeScale ?? 1);
}

/** How many rows are marked in what is on screen: the image scope, or the monitor's servers. */
export function markedCount(state: AppState): number {
  if (state.pane === 'monitor') return state.marks.servers.count;
  if (state.pane === 'images') return state.marks[state.scope].count;
  return 0;
}
