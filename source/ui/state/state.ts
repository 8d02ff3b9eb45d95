// The application state: one plain object, changed only by the reducer.
import type { ProviderDescription } from '../../core/capabilities.js';
import type { Image, LabelColour, Scope, Server } from '../../core/types.js';
import { ImageRows } from '../../services/rows.js';
import type { EditorState } from './editor.js';
import type { DraftProblem, FieldId, FormContext, LaunchDraft } from '../panes/launch/draft.js';

export type Pane = 'images' | 'launch' | 'monitor' | 'risk';
/** The panes Tab moves between (the launch form is entered from an image, not by Tab). */
export const TAB_PANES: readonly Pane[] = ['images', 'monitor', 'risk'];

export interface ScopeData {
  /** The rows (read by position: a stored copy is never held whole in memory). */
  rows: ImageRows;
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
  /** The rows shown are the copy stored at this time (ms), shown while the provider is asked again. */
  storedAt?: number;
  /** Images fetched so far by a load that fills a new copy behind the rows shown. */
  fetched?: number;
}

export type Modal =
  | { kind: 'help'; scroll: number }
  | { kind: 'info'; imageId: string; scroll: number }
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

/** What the review step shows (secrets already redacted by the launcher). */
export interface ReviewView {
  summary: string[];
  request: string;
  cloudInit?: string;
  cli?: string;
  clientToken: string;
  /** Quota figures, a sentence. */
  quota?: string;
  /** The review is of the safe workflow (L starts the job), not of a plain launch. */
  workflow?: boolean;
}

export interface LaunchResultView {
  /** The heading: "Launched", or "Started" for a job. */
  title?: string;
  lines: string[];
  /** A created key that can be offered to ssh-agent. */
  keyFile?: string;
  agentAvailable: boolean;
  agentDone?: string;
}

export interface LaunchFormState {
  stage: 'loading' | 'form' | 'review' | 'launching' | 'done' | 'failed';
  imageId: string;
  ctx?: FormContext;
  draft?: LaunchDraft;
  focus: FieldId;
  /** Cursor of the focused text field. */
  cursor: number;
  /** Problems only the launcher can see (files, quotas, names taken), from the last review. */
  reviewProblems: DraftProblem[];
  picker?: { field: FieldId | 'recipe'; index: number; filter: EditorState };
  /** The user read the vendor-template advice and chose to go on. */
  vendorAck: boolean;
  review?: ReviewView;
  scroll: number;
  result?: LaunchResultView;
  error?: string;
  /** Saving the form as a recipe: the name being typed. */
  recipe?: { editor: EditorState; error?: string };
  progress?: string;
}

export interface MonitorState {
  servers: Server[];
  /** The watcher's last word: ok, or the error and when it tries again. */
  status: { ok: boolean; error?: string; retryInMs?: number; lastPollAt?: number; calls: number };
  selected: number;
  detail?: { serverId: string; scroll: number; console?: string; consoleError?: string };
  /** Terminating asks for the server's name, typed. */
  terminate?: { serverId: string; editor: EditorState; error?: string };
  /** Capturing an image: its name, typed. */
  capture?: { serverId: string; editor: EditorState; error?: string; saving: boolean; label?: LabelColour; noReboot?: boolean };
  /** Captures in progress: image id -> a line for the status. */
  captures: Record<string, string>;
  /** Images by id as last seen (own and vendor), for lineage and risk; undefined marks an image gone. */
  images: Record<string, Image | null>;
  /** Safe-workflow jobs of this region: a line each, unfinished first. */
  jobs: { id: string; state: string; line: string }[];
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
  launch?: LaunchFormState;
  monitor: MonitorState;
  riskScroll: number;
  /** Deleting an image: its name, typed, with what depends on it. */
  deleteImage?: { imageId: string; editor: EditorState; dependants: string[]; error?: string };
  /** Image files being imported (:import), oldest first: what the message line says while they run. */
  imports: { id: number; name: string; path: string }[];
  /** Interrupted launches found at start that need the user's word. */
  reconcile?: { token: string; sentence: string }[];
}

export function emptyMonitor(): MonitorState {
  return { servers: [], status: { ok: true, calls: 0 }, selected: 0, captures: {}, images: {}, jobs: [] };
}

export function emptyScope(): ScopeData {
  return { rows: ImageRows.EMPTY, loading: false, complete: false, capped: false, generation: 0 };
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
    imports: [],
    history: [],
    monitor: emptyMonitor(),
    riskScroll: 0,
  };
}
