// Every change of the application state, as a pure function. Key handlers and effects dispatch actions.
import type { ProviderDescription } from '../../core/capabilities.js';
import { LABEL_COLOURS, type Scope } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import { ImageRows } from '../../services/rows.js';
import { editorOf, editorReduce, type EditorAction } from './editor.js';
import { emptyMonitor, emptyScope, type AppState, type Modal, type Pane, type Toast } from './state.js';
import { launchReducer, type LaunchAction } from './launchReducer.js';
import { monitorReducer, type MonitorAction } from './monitorReducer.js';

export type Action =
  | LaunchAction
  | MonitorAction
  | { type: 'reconcile/set'; items: { token: string; sentence: string }[] }
  | { type: 'reconcile/done'; token: string }
  | { type: 'risk/scroll'; delta: number; max: number }
  | { type: 'delete/open'; imageId: string; dependants: string[] }
  | { type: 'delete/edit'; action: EditorAction }
  | { type: 'delete/error'; message: string }
  | { type: 'delete/close' }
  | { type: 'session/connecting'; providerId: string; region: string }
  | { type: 'session/ready'; description: ProviderDescription }
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
  | { type: 'move'; delta: number; count: number }
  | { type: 'move/to'; index: number; count: number }
  | { type: 'filter/open' }
  | { type: 'filter/edit'; action: EditorAction }
  | { type: 'filter/close'; keep: boolean }
  | { type: 'rename/open'; image: CatalogueImage }
  | { type: 'rename/edit'; action: EditorAction }
  | { type: 'rename/saving' }
  | { type: 'rename/error'; message: string }
  | { type: 'rename/close' }
  | { type: 'modal/open'; modal: Modal }
  | { type: 'modal/close' }
  | { type: 'palette/move'; delta: number }
  | { type: 'help/scroll'; delta: number; max: number }
  | { type: 'command/edit'; action: EditorAction }
  | { type: 'command/history'; delta: number }
  | { type: 'command/message'; message?: string }
  | { type: 'command/ran'; line: string }
  | { type: 'toast/add'; toast: Toast }
  | { type: 'toast/remove'; id: number }
  | { type: 'import/start'; id: number; name: string; path: string }
  | { type: 'import/end'; id: number }
  | { type: 'busy/add'; what: string }
  | { type: 'busy/remove'; what: string }
  | { type: 'search/start'; scope: Scope; query: string }
  | { type: 'search/end'; scope: Scope; query: string };

const MAX_TOASTS = 3;
const MAX_HISTORY = 50;

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

function resetSelection(state: AppState): AppState {
  return { ...state, selected: { own: 0, vendor: 0, public: 0 } };
}

export function reducer(state: AppState, action: Action): AppState {
  if (action.type.startsWith('launch/')) return launchReducer(state, action as LaunchAction);
  if (action.type.startsWith('monitor/')) return monitorReducer(state, action as MonitorAction);
  switch (action.type) {
    case 'reconcile/set':
      return { ...state, reconcile: action.items.length ? action.items : undefined };
    case 'risk/scroll':
      return { ...state, riskScroll: clamp(state.riskScroll + action.delta, 0, Math.max(0, action.max)) };
    case 'delete/open':
      return { ...state, deleteImage: { imageId: action.imageId, editor: editorOf(''), dependants: action.dependants } };
    case 'delete/edit':
      return state.deleteImage ? { ...state, deleteImage: { ...state.deleteImage, editor: editorReduce(state.deleteImage.editor, action.action, 256), error: undefined } } : state;
    case 'delete/error':
      return state.deleteImage ? { ...state, deleteImage: { ...state.deleteImage, error: action.message } } : state;
    case 'delete/close':
      return { ...state, deleteImage: undefined };
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
        rename: undefined,
        modal: state.modal?.kind === 'command' ? undefined : state.modal,
        // A launch form and the monitor belong to their provider and region.
        pane: state.pane === 'launch' ? 'images' : state.pane,
        launch: undefined,
        reconcile: undefined,
        monitor: emptyMonitor(),
      };
    case 'session/ready':
      return {
        ...state,
        session: { ...state.session, region: action.description.region, status: 'ready', description: action.description, error: undefined },
      };
    case 'session/error':
      return { ...state, session: { ...state.session, status: 'error', error: action.message } };
    case 'pane/set':
      return state.pane === action.pane ? state : { ...state, pane: action.pane };
    case 'scope/set':
      if (state.scope === action.scope) return state;
      return { ...state, scope: action.scope, rename: undefined };

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

    case 'move': {
      if (action.count === 0) return withSelected(state, 0);
      const current = clamp(state.selected[state.scope], 0, action.count - 1);
      return withSelected(state, clamp(current + action.delta, 0, action.count - 1));
    }
    case 'move/to':
      return withSelected(state, action.count === 0 ? 0 : clamp(action.index, 0, action.count - 1));

    case 'filter/open':
      return { ...state, filter: { ...state.filter, editing: true } };
    case 'filter/edit': {
      const editor = editorReduce(state.filter.editor, action.action, 256);
      if (editor === state.filter.editor) return state;
      const changed = editor.text !== state.filter.editor.text;
      const next = { ...state, filter: { ...state.filter, editor } };
      return changed ? resetSelection(next) : next;
    }
    case 'filter/close':
      if (action.keep) return { ...state, filter: { ...state.filter, editing: false } };
      return resetSelection({ ...state, filter: { editor: editorOf(''), editing: false } });

    case 'rename/open':
      return {
        ...state,
        rename: {
          imageId: action.image.id,
          scope: state.scope,
          editor: editorOf(action.image.shownName),
          original: action.image.shownName,
          saving: false,
        },
      };
    case 'rename/edit':
      if (!state.rename || state.rename.saving) return state;
      return { ...state, rename: { ...state.rename, editor: editorReduce(state.rename.editor, action.action, 256), error: undefined } };
    case 'rename/saving':
      return state.rename ? { ...state, rename: { ...state.rename, saving: true, error: undefined } } : state;
    case 'rename/error':
      return state.rename ? { ...state, rename: { ...state.rename, saving: false, error: action.message } } : state;
    case 'rename/close':
      return state.rename ? { ...state, rename: undefined } : state;

    case 'modal/open':
      return { ...state, modal: action.modal };
    case 'modal/close':
      return state.modal ? { ...state, modal: undefined } : state;
    case 'palette/move': {
      if (state.modal?.kind !== 'palette') return state;
      const n = LABEL_COLOURS.length + 1; // the colours, then "none"
      const index = (state.modal.index + action.delta + n) % n;
      return { ...state, modal: { ...state.modal, index } };
    }
    case 'help/scroll': {
      if (state.modal?.kind !== 'help' && state.modal?.kind !== 'info') return state;
      return { ...state, modal: { ...state.modal, scroll: clamp(state.modal.scroll + action.delta, 0, Math.max(0, action.max)) } };
    }
    case 'command/edit': {
      if (state.modal?.kind !== 'command') return state;
      return { ...state, modal: { ...state.modal, editor: editorReduce(state.modal.editor, action.action, 256), message: undefined } };
    }
    case 'command/history': {
      if (state.modal?.kind !== 'command' || state.history.length === 0) return state;
      const index = clamp(state.modal.historyIndex + action.delta, -1, state.history.length - 1);
      const text = index < 0 ? '' : state.history[state.history.length - 1 - index];
      return { ...state, modal: { ...state.modal, historyIndex: index, editor: editorOf(text) } };
    }
    case 'command/message':
      return state.modal?.kind === 'command' ? { ...state, modal: { ...state.modal, message: action.message } } : state;
    case 'command/ran': {
      const line = action.line.trim();
      if (!line) return state;
      const history = state.history.filter((h) => h !== line).concat(line).slice(-MAX_HISTORY);
      return { ...state, history };
    }

    case 'toast/add':
      return { ...state, toasts: state.toasts.concat(action.toast).slice(-MAX_TOASTS) };
    case 'toast/remove': {
      const toasts = state.toasts.filter((t) => t.id !== action.id);
      return toasts.length === state.toasts.length ? state : { ...state, toasts };
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
