// The application state: one plain object, changed only by the reducer.
import type { ProviderDescription } from '../../core/capabilities.js';
import type { Scope } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import type { EditorState } from './editor.js';

export type Pane = 'images';
export const PANES: readonly Pane[] = ['images'];

export interface ScopeData {
  items: CatalogueImage[];
  loading: boolean;
  /** Every page was loaded (or the load limit was reached: see capped). */
  complete: boolean;
  /** The load stopped at the limit: the provider is searched for the rest. */
  capped: boolean;
  total?: number;
  error?: string;
  /** Bumped on every reload so late pages of an earlier load are dropped. */
  generation: number;
  loadedAt?: number;
}

export type Modal =
  | { kind: 'help'; scroll: number }
  | { kind: 'palette'; imageId: string; index: number }
  | { kind: 'command'; editor: EditorState; historyIndex: number; message?: string };

export interface Toast {
  id: number;
  level: 'error' | 'info';
  message: string;
}

export interface RenameState {
  imageId: string;
  scope: Scope;
  editor: EditorState;
  original: string;
  error?: string;
  saving: boolean;
}

export interface AppState {
  session: {
    providerId: string;
    region: string;
    status: 'connecting' | 'ready' | 'error';
    description?: ProviderDescription;
    error?: string;
  };
  readOnly: boolean;
  pane: Pane;
  scope: Scope;
  scopes: Record<Scope, ScopeData>;
  filter: { editor: EditorState; editing: boolean };
  /** Index of the selected row in the filtered view, per scope. */
  selected: Record<Scope, number>;
  rename?: RenameState;
  modal?: Modal;
  toasts: Toast[];
  /** What is running, for the status bar ("searching the provider", "saving"). */
  busy: string[];
  history: string[];
  /** Provider-side search in flight (the public catalogue). */
  search?: { scope: Scope; query: string };
}

export function emptyScope(): ScopeData {
  return { items: [], loading: false, complete: false, capped: false, generation: 0 };
}

export function initialState(options: { providerId: string; region: string; scope?: Scope; readOnly?: boolean }): AppState {
  return {
    session: { providerId: options.providerId, region: options.region, status: 'connecting' },
    readOnly: options.readOnly ?? false,
    pane: 'images',
    scope: options.scope ?? 'own',
    scopes: { own: emptyScope(), vendor: emptyScope(), public: emptyScope() },
    filter: { editor: { text: '', cursor: 0 }, editing: false },
    selected: { own: 0, vendor: 0, public: 0 },
    toasts: [],
    busy: [],
    history: [],
  };
}
