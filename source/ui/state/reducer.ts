// Every change of the application state, as a pure function. Key handlers and effects dispatch actions.
import type { ProviderDescription } from '../../core/capabilities.js';
import { LABEL_COLOURS, type Scope } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import { ImageRows } from '../../services/rows.js';
import { editorOf, editorReduce, type EditorAction } from './editor.js';
import { emptyMonitor, emptyScope, type AppState, type JobView, type Message, type Overlay, type OverlayKind, type Pane, type StaleLine } from './state.js';
import { Marks, noMarks, type MarkBlock, type MarkScope } from './marks.js';
import { selectView } from './selectors.js';
import { launchReducer, type LaunchAction } from './launchReducer.js';
import { monitorReducer, type MonitorAction } from './monitorReducer.js';
import { FLEET_FILTER_LIMIT, fleetReducer, type FleetAction } from './fleetState.js';
import type { FirewallEntry } from '../../services/firewalls.js';

export type Action =
  | LaunchAction
  | MonitorAction
  | FleetAction
  | { type: 'reconcile/set'; items: { token: string; sentence: string }[] }
  | { type: 'reconcile/done'; token: string }
  | { type: 'risk/scroll'; delta: number; max: number }
  | { type: 'jobs/list'; jobs: JobView[] }
  | { type: 'jobs/move'; delta: number; to?: 'top' | 'bottom' }
  | { type: 'cancel-job/keep' }
  | { type: 'session/connecting'; providerId: string; region: string }
  | { type: 'session/ready'; description: ProviderDescription; providerId?: string; timeScale?: number; readOnly?: boolean; readOnlySource?: string }
  /** A retry about to be made ("listing firewalls: the provider is throttling; retrying in 2 s (attempt 2 of 10)"), or none. */
  | { type: 'retry/notice'; text?: string }
  | { type: 'session/error'; message: string }
  | { type: 'pane/set'; pane: Pane }
  | { type: 'scope/set'; scope: Scope }
  | { type: 'images/loading'; scope: Scope; generation: number }
  // A page: items to add (rows held in memory), or the rows so far (a stored copy growing page by page).
  | { type: 'images/page'; scope: Scope; generation: number; items?: CatalogueImage[]; rows?: ImageRows; total?: number; complete: boolean; capped?: boolean }
  // A stored copy shown while the provider is asked again; its pages then count as progress until complete.
  | { type: 'images/stored'; scope: Scope; generation: number; rows: ImageRows; storedAt: number; total?: number; capped: boolean }
  | { type: 'images/error'; scope: Scope; generation: number; message: string }
  | { type: 'images/merge'; scope: Scope; items: CatalogueImage[] }
  | { type: 'images/refreshed'; scope: Scope; items?: CatalogueImage[]; rows?: ImageRows; total?: number; capped: boolean }
  | { type: 'images/replace'; image: CatalogueImage }
  /** Many changed images at once (a bulk label): each scope's rows replaced in one pass. */
  | { type: 'images/replace-many'; images: CatalogueImage[] }
  | { type: 'move'; delta: number; count: number }
  | { type: 'move/to'; index: number; count: number }
  | { type: 'filter/open' }
  | { type: 'filter/edit'; action: EditorAction }
  | { type: 'filter/close'; keep: boolean }
  | { type: 'rename/open'; image: CatalogueImage }
  | { type: 'overlay/open'; overlay: Overlay }
  /** Closes the overlay; with a kind, only an overlay of that kind (a late answer never closes another). */
  | { type: 'overlay/close'; kind?: OverlayKind }
  /** Edits the open overlay's line editor (the filter's, the command line's, a prompt's, the picker's). */
  | { type: 'overlay/edit'; action: EditorAction }
  /** A prompt's refusal, shown under its editor (the prompt stays open to fix it). */
  | { type: 'overlay/error'; kind: OverlayKind; message?: string }
  | { type: 'overlay/scroll'; delta: number; max: number; to?: 'top' | 'bottom' }
  | { type: 'palette/move'; delta: number }
  | { type: 'picker/move'; delta: number; count: number }
  | { type: 'capture/label'; delta: number }
  | { type: 'capture/no-reboot' }
  | { type: 'capture/saving'; saving: boolean }
  | { type: 'help/filtering'; filtering: boolean; clear?: boolean }
  | { type: 'command/history'; delta: number }
  | { type: 'command/ran'; line: string }
  | { type: 'message/add'; message: Message }
  /** A key was pressed: what was said before it has been seen. */
  | { type: 'message/seen' }
  | { type: 'import/start'; id: number; name: string; path: string }
  | { type: 'import/end'; id: number }
  | { type: 'busy/add'; what: string }
  | { type: 'busy/remove'; what: string }
  | { type: 'search/start'; scope: Scope; query: string }
  | { type: 'search/end'; scope: Scope; query: string }
  /** Space: one row marked or unmarked (a stored row also by its position in its copy). */
  | { type: 'marks/toggle'; scope: MarkScope; id: string; rows?: ImageRows; pos?: number }
  /** *: every row the list shows (its filter) marked; in the monitor, every server listed. */
  | { type: 'marks/all'; scope: MarkScope }
  /** u: the marks of a list cleared. */
  | { type: 'marks/clear'; scope: MarkScope }
  /** The marks set to these ids (:stale marks what it found). */
  | { type: 'marks/set'; scope: MarkScope; ids: string[] }
  /** Rows an action did: unmarked (by id, and stored rows by position); what failed stays marked. */
  | { type: 'marks/done'; scope: MarkScope; ids: string[]; rows?: ImageRows; positions?: number[] }
  /** A block of stored positions turned into ids (its copy was replaced by a reload). */
  | { type: 'marks/resolved'; scope: MarkScope; block: MarkBlock; ids: string[] }
  | { type: 'stale/result'; lines: StaleLine[]; deletable: number }
  | { type: 'stale/error'; message: string }
  /** :firewalls: the list (re)loading, loaded, or failed; the selection moved. */
  | { type: 'firewalls/loading' }
  | { type: 'firewalls/loaded'; rows: FirewallEntry[] }
  | { type: 'firewalls/error'; message: string }
  | { type: 'firewalls/move'; delta: number; to?: 'top' | 'bottom' };

const MAX_MESSAGES = 100;
const MAX_HISTORY = 50;

/** The longest text each editor takes (a paste beyond it is refused with a sentence, never cut). */
export const EDITOR_LIMITS: Partial<Record<OverlayKind, number>> & { launchField: number } = {
  filter: 256,
  command: 256,
  rename: 256,
  delete: 256,
  terminate: 256,
  capture: 256,
  picker: 128,
  recipe: 64,
  help: 128,
  'cancel-job': 256,
  builder: 256,
  bulk: 64,
  deprecate: 64,
  'fleet-filter': FLEET_FILTER_LIMIT,
  'fleet-rename': 256,
  'fleet-delete': 256,
  'fleet-terminate': 256,
  'fleet-copy': 256,
  'firewall-delete': 256,
  launchField: 1024,
};

/** Overlays that belong to what was on screen in one session (closed when the provider or region changes). */
const SESSION_BOUND: ReadonlySet<OverlayKind> = new Set(['info', 'palette', 'command', 'rename', 'delete', 'terminate', 'capture', 'picker', 'recipe', 'cancel-job', 'builder', 'bulk', 'stale', 'deprecate', 'ssh-unverified', 'firewalls', 'firewall-delete']);

function withOverlay(state: AppState, overlay: Overlay): AppState {
  return { ...state, overlay };
}

function editFilter(state: AppState, action: EditorAction): AppState {
  const editor = editorReduce(state.filter.editor, action, EDITOR_LIMITS.filter);
  if (editor === state.filter.editor) return state;
  const next = { ...state, filter: { editor } };
  return editor.text !== state.filter.editor.text ? resetSelection(next) : next;
}

/** The open overlay after an edit of its line editor (an overlay without one is left as it is). */
function editOverlay(state: AppState, action: EditorAction): AppState {
  const o = state.overlay;
  if (!o) return state;
  switch (o.kind) {
    case 'filter':
      return editFilter(state, action);
    case 'help': {
      const filter = editorReduce(o.filter, action, EDITOR_LIMITS.help);
      return filter === o.filter ? state : withOverlay(state, { ...o, filter, scroll: 0 });
    }
    case 'command':
      return withOverlay(state, { ...o, editor: editorReduce(o.editor, action, EDITOR_LIMITS.command), message: undefined });
    case 'picker':
      return withOverlay(state, { ...o, filter: editorReduce(o.filter, action, EDITOR_LIMITS.picker), index: 0 });
    case 'capture':
      if (o.saving) return state;
      return withOverlay(state, { ...o, editor: editorReduce(o.editor, action, EDITOR_LIMITS.capture), error: undefined });
    case 'rename':
    case 'delete':
    case 'terminate':
    case 'recipe':
    case 'cancel-job':
    case 'builder':
    case 'bulk':
    case 'deprecate':
      return withOverlay(state, { ...o, editor: editorReduce(o.editor, action, EDITOR_LIMITS[o.kind]), error: undefined } as Overlay);
    case 'fleet-filter':
      return fleetReducer(state, { type: 'fleet/filter', action });
    case 'fleet-rename':
    case 'fleet-delete':
    case 'fleet-terminate':
    case 'fleet-copy':
    case 'firewall-delete':
      return withOverlay(state, { ...o, editor: editorReduce(o.editor, action, EDITOR_LIMITS[o.kind]), error: undefined } as Overlay);
    default:
      return state;
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

function withScope(state: AppState, scope: Scope, change: Partial<AppState['scopes'][Scope]>): AppState {
  return { ...state, scopes: { ...state.scopes, [scope]: { ...state.scopes[scope], ...change } } };
}

function withSelected(state: AppState, index: number): AppState {
  if (state.selected[state.scope] === index) return state;
  return { ...state, selected: { ...state.selected, [state.scope]: index } };
}

function withMarks(state: AppState, scope: MarkScope, marks: Marks): AppState {
  return state.marks[scope] === marks ? state : { ...state, marks: { ...state.marks, [scope]: marks } };
}

/** *: the rows a list shows, or every server of the monitor. */
function markAll(state: AppState, scope: MarkScope): Marks {
  const marks = state.marks[scope];
  if (scope === 'servers') return marks.add(state.monitor.servers.map((s) => s.id));
  return marks.markAll(selectView(state, scope));
}

function resetSelection(state: AppState): AppState {
  return { ...state, selected: { own: 0, vendor: 0, public: 0 } };
}

export function reducer(state: AppState, action: Action): AppState {
  if (action.type.startsWith('launch/')) return launchReducer(state, action as LaunchAction);
  if (action.type.startsWith('monitor/')) return monitorReducer(state, action as MonitorAction);
  if (action.type.startsWith('fleet/')) return fleetReducer(state, action as FleetAction);
  switch (action.type) {
    case 'reconcile/set':
      return { ...state, reconcile: action.items.length ? action.items : undefined };
    case 'risk/scroll':
      return { ...state, riskScroll: clamp(state.riskScroll + action.delta, 0, Math.max(0, action.max)) };
    case 'jobs/list': {
      // The selection stays on the same job when the list changes under it.
      const current = state.jobList.jobs[state.jobList.selected]?.id;
      const at = current ? action.jobs.findIndex((j) => j.id === current) : -1;
      const selected = at >= 0 ? at : clamp(state.jobList.selected, 0, Math.max(0, action.jobs.length - 1));
      return { ...state, jobList: { jobs: action.jobs, selected, loaded: true } };
    }
    case 'jobs/move': {
      const last = Math.max(0, state.jobList.jobs.length - 1);
      const selected = action.to === 'top' ? 0 : action.to === 'bottom' ? last : clamp(state.jobList.selected + action.delta, 0, last);
      return selected === state.jobList.selected ? state : { ...state, jobList: { ...state.jobList, selected } };
    }
    case 'cancel-job/keep': {
      const o = state.overlay;
      return o?.kind === 'cancel-job' && o.serverId ? withOverlay(state, { ...o, keep: !o.keep, error: undefined }) : state;
    }
    case 'reconcile/done': {
      const rest = (state.reconcile ?? []).filter((r) => r.token !== action.token);
      return { ...state, reconcile: rest.length ? rest : undefined };
    }
    case 'session/connecting':
      return {
        ...state,
        session: { providerId: action.providerId, region: action.region, status: 'connecting' },
        scopes: { own: emptyScope(), vendor: emptyScope(), public: emptyScope() },
        selected: { own: 0, vendor: 0, public: 0 },
        overlay: state.overlay && SESSION_BOUND.has(state.overlay.kind) ? undefined : state.overlay,
        // A launch form and the monitor belong to their provider and region.
        pane: state.pane === 'launch' ? 'images' : state.pane,
        launch: undefined,
        reconcile: undefined,
        monitor: emptyMonitor(),
        jobList: { jobs: [], selected: 0, loaded: false },
        // Marks name rows of the provider and region they were made in.
        marks: noMarks(),
      };
    case 'session/ready':
      return {
        ...state,
        session: {
          ...state.session,
          providerId: action.providerId ?? state.session.providerId,
          region: action.description.region,
          status: 'ready',
          description: action.description,
          error: undefined,
          ...(action.timeScale !== undefined ? { timeScale: action.timeScale } : {}),
        },
        // A session of a source: its own read-only (said with its name).
        ...(action.readOnly !== undefined ? { readOnly: action.readOnly, readOnlySource: action.readOnlySource } : {}),
      };
    case 'session/error':
      return { ...state, session: { ...state.session, status: 'error', error: action.message } };
    case 'pane/set':
      return state.pane === action.pane ? state : { ...state, pane: action.pane };
    case 'scope/set':
      if (state.scope === action.scope) return state;
      return { ...state, scope: action.scope, overlay: state.overlay?.kind === 'rename' ? undefined : state.overlay };

    case 'images/loading':
      return withScope(state, action.scope, {
        rows: ImageRows.EMPTY,
        loading: true,
        complete: false,
        capped: false,
        total: undefined,
        error: undefined,
        generation: action.generation,
        storedAt: undefined,
        fetched: undefined,
      });
    case 'images/stored': {
      const data = state.scopes[action.scope];
      if (data.generation !== action.generation) return state;
      return withScope(state, action.scope, {
        rows: action.rows,
        total: action.total,
        capped: action.capped,
        complete: true,
        loading: true,
        storedAt: action.storedAt,
        fetched: 0,
      });
    }
    case 'images/page': {
      const data = state.scopes[action.scope];
      if (data.generation !== action.generation) return state;
      const rows = action.rows ?? data.rows.concat(action.items ?? []);
      // Behind a stored copy, the new one is swapped in whole when complete; until then its pages are progress.
      if (data.storedAt !== undefined && !action.complete) {
        return withScope(state, action.scope, { fetched: rows.count, total: action.total ?? data.total });
      }
      return withScope(state, action.scope, {
        rows,
        total: action.total ?? data.total,
        loading: !action.complete,
        complete: action.complete,
        capped: action.capped ?? false,
        loadedAt: action.complete ? Date.now() : data.loadedAt,
        storedAt: undefined,
        fetched: undefined,
      });
    }
    case 'images/error': {
      const data = state.scopes[action.scope];
      if (data.generation !== action.generation) return state;
      return withScope(state, action.scope, { loading: false, error: action.message });
    }
    case 'images/merge': {
      const data = state.scopes[action.scope];
      const rows = data.rows.merge(action.items);
      if (rows === data.rows) return state;
      return withScope(state, action.scope, { rows });
    }
    case 'images/refreshed':
      // A reload in place: the list is swapped at once (no empty frame), the selection stays where it was.
      return withScope(state, action.scope, {
        rows: action.rows ?? ImageRows.of(action.items ?? []),
        total: action.total,
        capped: action.capped,
        complete: true,
        loading: false,
        error: undefined,
        loadedAt: Date.now(),
        storedAt: undefined,
        fetched: undefined,
      });
    case 'images/replace': {
      let next = state;
      for (const scope of ['own', 'vendor', 'public'] as const) {
        const data = next.scopes[scope];
        const rows = data.rows.replace(action.image);
        if (rows !== data.rows) next = withScope(next, scope, { rows });
      }
      return next;
    }

    case 'images/replace-many': {
      let next = state;
      for (const scope of ['own', 'vendor', 'public'] as const) {
        const data = next.scopes[scope];
        const rows = data.rows.replaceMany(action.images);
        if (rows !== data.rows) next = withScope(next, scope, { rows });
      }
      return next;
    }

    case 'move': {
      if (action.count === 0) return withSelected(state, 0);
      const current = clamp(state.selected[state.scope], 0, action.count - 1);
      return withSelected(state, clamp(current + action.delta, 0, action.count - 1));
    }
    case 'move/to':
      return withSelected(state, action.count === 0 ? 0 : clamp(action.index, 0, action.count - 1));

    case 'filter/open':
      return withOverlay(state, { kind: 'filter' });
    case 'filter/edit':
      return editFilter(state, action.action);
    case 'filter/close': {
      const closed = state.overlay?.kind === 'filter' ? { ...state, overlay: undefined } : state;
      if (action.keep) return closed;
      return resetSelection({ ...closed, filter: { editor: editorOf('') } });
    }

    case 'rename/open':
      return withOverlay(state, {
        kind: 'rename',
        imageId: action.image.id,
        scope: state.scope,
        editor: editorOf(action.image.shownName),
        original: action.image.shownName,
      });

    case 'overlay/open':
      return withOverlay(state, action.overlay);
    case 'overlay/close':
      if (!state.overlay || (action.kind !== undefined && state.overlay.kind !== action.kind)) return state;
      return { ...state, overlay: undefined };
    case 'overlay/edit':
      return editOverlay(state, action.action);
    case 'overlay/error': {
      const o = state.overlay;
      if (!o || o.kind !== action.kind) return state;
      if (o.kind === 'command') return withOverlay(state, { ...o, message: action.message });
      if (o.kind === 'capture') return withOverlay(state, { ...o, error: action.message, saving: false });
      if (o.kind === 'stale') return withOverlay(state, { ...o, loading: false, error: action.message });
      if (o.kind === 'rename' || o.kind === 'delete' || o.kind === 'terminate' || o.kind === 'recipe' || o.kind === 'cancel-job' || o.kind === 'builder' || o.kind === 'bulk' || o.kind === 'deprecate' || o.kind === 'fleet-rename' || o.kind === 'fleet-delete' || o.kind === 'fleet-terminate' || o.kind === 'fleet-copy' || o.kind === 'firewall-delete') {
        return withOverlay(state, { ...o, error: action.message } as Overlay);
      }
      return state;
    }
    case 'overlay/scroll': {
      const o = state.overlay;
      if (o?.kind !== 'help' && o?.kind !== 'info' && o?.kind !== 'messages' && o?.kind !== 'stale') return state;
      const max = Math.max(0, action.max);
      const scroll = action.to === 'top' ? 0 : action.to === 'bottom' ? max : clamp(clamp(o.scroll, 0, max) + action.delta, 0, max);
      return scroll === o.scroll ? state : withOverlay(state, { ...o, scroll });
    }
    case 'palette/move': {
      if (state.overlay?.kind !== 'palette') return state;
      const n = LABEL_COLOURS.length + 1; // the colours, then "none"
      const index = (state.overlay.index + action.delta + n) % n;
      return withOverlay(state, { ...state.overlay, index });
    }
    case 'picker/move': {
      if (state.overlay?.kind !== 'picker') return state;
      const index = action.count === 0 ? 0 : clamp(state.overlay.index + action.delta, 0, action.count - 1);
      return withOverlay(state, { ...state.overlay, index });
    }
    case 'capture/label': {
      const o = state.overlay;
      if (o?.kind !== 'capture' || o.saving) return state;
      // Cycles none → the colours → none.
      const all = [undefined, ...LABEL_COLOURS];
      const at = all.indexOf(o.label);
      return withOverlay(state, { ...o, label: all[(at + action.delta + all.length) % all.length] });
    }
    case 'capture/no-reboot': {
      const o = state.overlay;
      return o?.kind === 'capture' && !o.saving ? withOverlay(state, { ...o, noReboot: !o.noReboot }) : state;
    }
    case 'capture/saving': {
      const o = state.overlay;
      return o?.kind === 'capture' ? withOverlay(state, { ...o, saving: action.saving, error: undefined }) : state;
    }
    case 'help/filtering': {
      const o = state.overlay;
      if (o?.kind !== 'help') return state;
      return withOverlay(state, { ...o, filtering: action.filtering, ...(action.clear ? { filter: editorOf(''), scroll: 0 } : {}) });
    }
    case 'command/history': {
      const o = state.overlay;
      if (o?.kind !== 'command' || state.history.length === 0) return state;
      const index = clamp(o.historyIndex + action.delta, -1, state.history.length - 1);
      const text = index < 0 ? '' : state.history[state.history.length - 1 - index];
      return withOverlay(state, { ...o, historyIndex: index, editor: editorOf(text) });
    }
    case 'command/ran': {
      const line = action.line.trim();
      if (!line) return state;
      const history = state.history.filter((h) => h !== line).concat(line).slice(-MAX_HISTORY);
      return { ...state, history };
    }

    case 'retry/notice':
      return state.retrying === action.text ? state : { ...state, retrying: action.text };
    case 'message/add':
      return { ...state, messages: state.messages.concat(action.message).slice(-MAX_MESSAGES) };
    case 'message/seen': {
      const last = state.messages[state.messages.length - 1]?.id ?? 0;
      return last > state.seenMessageId ? { ...state, seenMessageId: last } : state;
    }
    case 'busy/add':
      return { ...state, busy: state.busy.concat(action.what) };
    case 'busy/remove': {
      const at = state.busy.indexOf(action.what);
      if (at < 0) return state;
      const busy = state.busy.slice();
      busy.splice(at, 1);
      return { ...state, busy };
    }
    case 'import/start':
      return { ...state, imports: state.imports.concat({ id: action.id, name: action.name, path: action.path }) };
    case 'import/end': {
      const imports = state.imports.filter((i) => i.id !== action.id);
      return imports.length === state.imports.length ? state : { ...state, imports };
    }
    case 'marks/toggle':
      return withMarks(state, action.scope, state.marks[action.scope].toggle(action.id, action.rows, action.pos));
    case 'marks/all':
      return withMarks(state, action.scope, markAll(state, action.scope));
    case 'marks/clear':
      return withMarks(state, action.scope, Marks.NONE);
    case 'marks/set':
      return withMarks(state, action.scope, Marks.of(action.ids));
    case 'marks/done':
      return withMarks(state, action.scope, state.marks[action.scope].remove(action.ids, action.rows, action.positions));
    case 'marks/resolved':
      return withMarks(state, action.scope, state.marks[action.scope].resolved(action.block, action.ids));
    case 'stale/result': {
      const o = state.overlay;
      return o?.kind === 'stale' ? withOverlay(state, { ...o, loading: false, lines: action.lines, deletable: action.deletable, error: undefined, scroll: 0 }) : state;
    }
    case 'firewalls/loading': {
      const o = state.overlay;
      return o?.kind === 'firewalls' ? withOverlay(state, { ...o, loading: true, error: undefined }) : state;
    }
    case 'firewalls/loaded': {
      const o = state.overlay;
      if (o?.kind !== 'firewalls') return state;
      // The selection stays on the same firewall where it is still there.
      const was = o.rows?.[o.index]?.id;
      const at = was === undefined ? -1 : action.rows.findIndex((r) => r.id === was);
      const index = at >= 0 ? at : clamp(o.index, 0, Math.max(0, action.rows.length - 1));
      return withOverlay(state, { ...o, loading: false, error: undefined, rows: action.rows, index });
    }
    case 'firewalls/error': {
      const o = state.overlay;
      return o?.kind === 'firewalls' ? withOverlay(state, { ...o, loading: false, error: action.message }) : state;
    }
    case 'firewalls/move': {
      const o = state.overlay;
      if (o?.kind !== 'firewalls') return state;
      const last = Math.max(0, (o.rows?.length ?? 0) - 1);
      const index = action.to === 'top' ? 0 : action.to === 'bottom' ? last : clamp(o.index + action.delta, 0, last);
      return index === o.index ? state : withOverlay(state, { ...o, index });
    }
    case 'stale/error': {
      const o = state.overlay;
      return o?.kind === 'stale' ? withOverlay(state, { ...o, loading: false, error: action.message }) : state;
    }
    case 'search/start':
      return { ...state, search: { scope: action.scope, query: action.query } };
    case 'search/end':
      return state.search && state.search.scope === action.scope && state.search.query === action.query
        ? { ...state, search: undefined }
        : state;
    default:
      return state;
  }
}
