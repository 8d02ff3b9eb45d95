// Derived data: computed from the state, never stored in it. The filtered view is memoised per scope and
// filtered incrementally while the query grows, so typing over 100,000 rows stays quick.
import { fuzzyFilter, type FuzzyResult } from '../../core/fuzzy.js';
import { UNKNOWN, type ImageLookup } from '../../core/lineage.js';
import type { Image } from '../../core/types.js';
import type { Scope } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import type { AppState } from './state.js';

/** The text a filter matches: the shown name, the provider's name and the id, lower-cased. */
export function searchKey(image: CatalogueImage): string {
  return (image.shownName === image.name ? `${image.shownName} ${image.id}` : `${image.shownName} ${image.name} ${image.id}`).toLowerCase();
}

// Keys computed once per list (a list is replaced, never changed in place), so typing does no string work.
const keyLists = new WeakMap<readonly CatalogueImage[], string[]>();

function keysOf(items: readonly CatalogueImage[]): string[] {
  let keys = keyLists.get(items);
  if (!keys) {
    keys = items.map(searchKey);
    keyLists.set(items, keys);
  }
  return keys;
}

export interface View {
  items: readonly CatalogueImage[];
  /** Indices into items, in the order shown. */
  indices: number[];
}

const views: Partial<Record<Scope, View & { result: FuzzyResult }>> = {};

export function filterText(state: AppState): string {
  return state.filter.editor.text;
}

export function selectView(state: AppState, scope: Scope = state.scope): View {
  const items = state.scopes[scope].items;
  const query = filterText(state);
  const cached = views[scope];
  if (cached && cached.items === items && cached.result.query === query) return cached;
  const result = fuzzyFilter(keysOf(items), query, cached?.result);
  const view = { items, indices: result.indices, result };
  views[scope] = view;
  return view;
}

export function selectedIndex(state: AppState): number {
  const count = selectView(state).indices.length;
  return count === 0 ? 0 : Math.max(0, Math.min(state.selected[state.scope], count - 1));
}

export function selectedImage(state: AppState): CatalogueImage | undefined {
  const view = selectView(state);
  const at = view.indices[selectedIndex(state)];
  return at === undefined ? undefined : view.items[at];
}

export function findImage(state: AppState, id: string): CatalogueImage | undefined {
  for (const scope of ['own', 'vendor', 'public'] as const) {
    const found = state.scopes[scope].items.find((i) => i.id === id);
    if (found) return found;
  }
  return undefined;
}

/** What is in flight, for the status bar. */
export function loadingLine(state: AppState): string | undefined {
  if (state.session.status === 'connecting') return `connecting to ${state.session.providerId}`;
  if (state.retrying) return state.retrying;
  const data = state.scopes[state.scope];
  if (data.loading) {
    return data.total !== undefined ? `loading ${data.items.length.toLocaleString('en-US')}/${data.total.toLocaleString('en-US')}` : 'loading';
  }
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
  const own = state.scopes.own.items;
  const vendor = state.scopes.vendor.items;
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
  const items = state.scopes.own.items;
  if (shownCache?.items === items) return shownCache.out;
  const out = items.map((i) => (i.shownName !== (i.displayName || i.name) ? { ...i, displayName: i.shownName } : i));
  shownCache = { items, out };
  return out;
}
