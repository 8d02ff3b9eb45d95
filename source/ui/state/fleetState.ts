// The fleet view's part of the state (the fleet service's snapshot, the selection, the filter, what it shows),
// its reducer and its selectors. The filter takes words (fuzzy, as the image list's) and column filters on
// any column: `source:prod-eu`, `region:eu-*`, `phase:failed`, `kind:server` (core/columns.ts).
import { matchesColumns, parseColumnQuery } from '../../core/columns.js';
import { fuzzyFilter, splitQuery, type FuzzyResult } from '../../core/fuzzy.js';
import { UNKNOWN, type ImageLookup } from '../../core/lineage.js';
import { LABEL_COLOURS, type Image } from '../../core/types.js';
import type { FleetPlace, FleetRow, FleetSnapshot } from '../../services/fleet.js';
import { editorOf, editorReduce, type EditorAction, type EditorState } from './editor.js';
import type { AppState } from './state.js';

export type FleetShow = 'all' | 'images' | 'servers';
export const FLEET_SHOWS: readonly FleetShow[] = ['all', 'images', 'servers'];

export interface FleetView {
  snapshot: FleetSnapshot;
  /** Index in the filtered rows. */
  selected: number;
  filter: EditorState;
  show: FleetShow;
  /** The list, or the image families (which regions run which version). */
  view: 'list' | 'versions';
  /** The versions view's scroll. */
  scroll: number;
  /** The user moved the selection: it then follows its row as the list changes (else it stays at the top while sources load). */
  moved: boolean;
}

/** The columns a fleet filter can name (key:value). */
export const FLEET_COLUMNS = ['source', 'region', 'where', 'kind', 'name', 'id', 'state', 'phase', 'arch', 'label', 'image', 'group', 'billing', 'created'] as const;

export const EMPTY_SNAPSHOT: FleetSnapshot = { sources: [], rows: [], places: [], copies: [], generation: 0, complete: false };

export function emptyFleet(): FleetView {
  return { snapshot: EMPTY_SNAPSHOT, selected: 0, filter: editorOf(''), show: 'all', view: 'list', scroll: 0, moved: false };
}

export type FleetAction =
  | { type: 'fleet/open' }
  | { type: 'fleet/snapshot'; snapshot: FleetSnapshot }
  | { type: 'fleet/move'; delta: number }
  | { type: 'fleet/move-to'; index: number }
  | { type: 'fleet/show'; show?: FleetShow }
  | { type: 'fleet/view'; view?: 'list' | 'versions' }
  | { type: 'fleet/scroll'; delta: number; max: number; to?: 'top' | 'bottom' }
  | { type: 'fleet/filter'; action: EditorAction }
  | { type: 'fleet/filter-clear' }
  | { type: 'fleet/label-move'; delta: number }
  | { type: 'fleet/copy-target'; delta: number; name?: string };

/** The longest fleet filter (a paste beyond it is refused). */
export const FLEET_FILTER_LIMIT = 256;

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

function withFleet(state: AppState, change: Partial<FleetView>): AppState {
  return { ...state, fleet: { ...(state.fleet ?? emptyFleet()), ...change } };
}

export function fleetReducer(state: AppState, action: FleetAction): AppState {
  const f = state.fleet ?? emptyFleet();
  switch (action.type) {
    case 'fleet/open':
      return state.fleet ? state : { ...state, fleet: emptyFleet() };
    case 'fleet/snapshot': {
      // The selection stays on the same row when the list changes under it (once the user has moved it:
      // while the sources load, rows arrive above it, and the top of the list is what is wanted).
      const before = f.moved ? selectedFleetRow(state)?.key : undefined;
      const next = withFleet(state, { snapshot: action.snapshot });
      if (before === undefined) return next;
      const view = fleetRows(next);
      const at = view.indexOfKey(before);
      return at >= 0 ? withFleet(next, { selected: at }) : withFleet(next, { selected: clamp(f.selected, 0, Math.max(0, view.count - 1)) });
    }
    case 'fleet/move': {
      const count = fleetRows(state).count;
      return withFleet(state, { moved: true, selected: count === 0 ? 0 : clamp(clamp(f.selected, 0, count - 1) + action.delta, 0, count - 1) });
    }
    case 'fleet/move-to': {
      const count = fleetRows(state).count;
      return withFleet(state, { moved: true, selected: count === 0 ? 0 : clamp(action.index < 0 ? count - 1 : action.index, 0, count - 1) });
    }
    case 'fleet/show': {
      const show = action.show ?? FLEET_SHOWS[(FLEET_SHOWS.indexOf(f.show) + 1) % FLEET_SHOWS.length]!;
      return withFleet(state, { show, selected: 0, moved: false });
    }
    case 'fleet/view':
      return withFleet(state, { view: action.view ?? (f.view === 'list' ? 'versions' : 'list'), scroll: 0 });
    case 'fleet/scroll': {
      const max = Math.max(0, action.max);
      const scroll = action.to === 'top' ? 0 : action.to === 'bottom' ? max : clamp(f.scroll + action.delta, 0, max);
      return scroll === f.scroll ? state : withFleet(state, { scroll });
    }
    case 'fleet/filter': {
      const filter = editorReduce(f.filter, action.action, FLEET_FILTER_LIMIT);
      if (filter === f.filter) return state;
      return withFleet(state, { filter, ...(filter.text !== f.filter.text ? { selected: 0, moved: false } : {}) });
    }
    case 'fleet/filter-clear':
      return f.filter.text === '' ? state : withFleet(state, { filter: editorOf(''), selected: 0, moved: false });
    case 'fleet/label-move': {
      const o = state.overlay;
      if (o?.kind !== 'fleet-label') return state;
      const n = LABEL_COLOURS.length + 1;
      return { ...state, overlay: { ...o, index: (o.index + action.delta + n) % n } };
    }
    case 'fleet/copy-target': {
      const o = state.overlay;
      if (o?.kind !== 'fleet-copy' || o.targets.length === 0) return state;
      const target = (o.target + action.delta + o.targets.length) % o.targets.length;
      return { ...state, overlay: { ...o, target, error: undefined, ...(action.name !== undefined ? { editor: editorOf(action.name) } : {}) } };
    }
    default: {
      const never: never = action;
      return never;
    }
  }
}

// ---- selectors ---------------------------------------------------------------------------------------------

/** A cell of a row by column name (for the column filters). */
export function fleetCell(row: FleetRow, key: string): string | undefined {
  switch (key) {
    case 'source':
      return row.source;
    case 'region':
      return row.region;
    case 'where':
      return row.where;
    case 'kind':
      return row.kind;
    case 'name':
      return row.name;
    case 'id':
      return row.id;
    case 'state':
      return row.state;
    case 'phase':
      return row.server?.phase;
    case 'arch':
      return row.image?.architecture;
    case 'label':
      return row.image?.label;
    case 'image':
      return row.server ? row.server.imageId : row.image?.id;
    case 'group':
      return row.server?.group;
    case 'billing':
      return row.server?.billingCode;
    case 'created':
      return (row.image?.createdAt ?? row.server?.launchedAt)?.slice(0, 10);
    default:
      return undefined;
  }
}

export interface FleetRowsView {
  readonly count: number;
  at(k: number): FleetRow | undefined;
  indexOfKey(key: string): number;
}

let keysCache: { rows: readonly FleetRow[]; keys: string[] } | undefined;
let viewCache: { rows: readonly FleetRow[]; query: string; show: FleetShow; view: FleetRowsView; result?: FuzzyResult } | undefined;

/** The rows the fleet view shows: its kind (all, images, servers), its column filters and its words. */
export function fleetRows(state: AppState): FleetRowsView {
  const f = state.fleet;
  const rows = f?.snapshot.rows ?? EMPTY_SNAPSHOT.rows;
  const query = f?.filter.text ?? '';
  const show = f?.show ?? 'all';
  if (viewCache && viewCache.rows === rows && viewCache.query === query && viewCache.show === show) return viewCache.view;
  const { terms, rest } = parseColumnQuery(query, FLEET_COLUMNS);
  const kind = show === 'images' ? 'image' : show === 'servers' ? 'server' : undefined;
  const keep = (row: FleetRow) => (kind === undefined || row.kind === kind) && (terms.length === 0 || matchesColumns(terms, (key) => fleetCell(row, key)));
  let order: number[];
  let result: FuzzyResult | undefined;
  if (splitQuery(rest).length > 0) {
    if (keysCache?.rows !== rows) keysCache = { rows, keys: rows.map((r) => r.search) };
    const previous = viewCache?.rows === rows && viewCache.show === show ? viewCache.result : undefined;
    result = fuzzyFilter(keysCache.keys, rest, previous && previous.query !== undefined ? previous : undefined);
    order = result.indices.filter((i) => keep(rows[i]!));
  } else if (kind === undefined && terms.length === 0) {
    order = [];
  } else {
    order = [];
    for (let i = 0; i < rows.length; i++) if (keep(rows[i]!)) order.push(i);
  }
  const all = splitQuery(rest).length === 0 && kind === undefined && terms.length === 0;
  const view: FleetRowsView = all
    ? { count: rows.length, at: (k) => rows[k], indexOfKey: (key) => rows.findIndex((r) => r.key === key) }
    : {
        count: order.length,
        at: (k) => (order[k] === undefined ? undefined : rows[order[k]!]),
        indexOfKey: (key) => order.findIndex((i) => rows[i]!.key === key),
      };
  viewCache = { rows, query, show, view, ...(result ? { result } : {}) };
  return view;
}

export function selectedFleetIndex(state: AppState): number {
  const count = fleetRows(state).count;
  return count === 0 ? 0 : clamp(state.fleet?.selected ?? 0, 0, count - 1);
}

export function selectedFleetRow(state: AppState): FleetRow | undefined {
  return state.fleet ? fleetRows(state).at(selectedFleetIndex(state)) : undefined;
}

/** The row with this key, wherever it is (a prompt's row, filtered or not). */
export function fleetRowByKey(state: AppState, key: string): FleetRow | undefined {
  return state.fleet?.snapshot.rows.find((r) => r.key === key);
}

export function fleetPlaceOf(state: AppState, row: Pick<FleetRow, 'source' | 'region'>): FleetPlace | undefined {
  return state.fleet?.snapshot.places.find((p) => p.source === row.source && p.region === row.region);
}

const lookups = new WeakMap<FleetPlace, ImageLookup>();

/** What a place knows of images: its own, and those looked up for its servers; UNKNOWN for the rest. */
export function placeLookup(place: FleetPlace | undefined): ImageLookup {
  if (!place) return () => UNKNOWN;
  let lookup = lookups.get(place);
  if (!lookup) {
    const known = new Map<string, Image | null>();
    for (const [id, image] of Object.entries(place.lookups)) known.set(id, image);
    for (const image of place.images) known.set(image.id, image.shownName !== (image.displayName || image.name) ? { ...image, displayName: image.shownName } : image);
    lookup = (id) => (known.has(id) ? (known.get(id) ?? undefined) : UNKNOWN);
    lookups.set(place, lookup);
  }
  return lookup;
}
