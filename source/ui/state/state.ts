// The application state: one plain object, changed only by the reducer.
import type { ProviderDescription } from '../../core/capabilities.js';
import type { Image, LabelColour, Scope, Server } from '../../core/types.js';
import { ImageRows } from '../../services/rows.js';
import type { EditorState } from './editor.js';
import { noMarks, type MarkScope, type MarksState } from './marks.js';
import type { DraftProblem, FieldId, FormContext, LaunchDraft } from '../panes/launch/draft.js';
import type { FleetView } from './fleetState.js';
import type { FirewallEntry } from '../../services/firewalls.js';

export type Pane = 'images' | 'launch' | 'monitor' | 'risk' | 'jobs' | 'fleet';
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

/**
 * Whatever is open over the panes: one at a time, one tagged union. Which overlay (if any) is open decides
 * the key context, the key and paste handlers and what is drawn (ui/routes.ts). Prompts that belong to a
 * pane (terminate and capture to the monitor, the picker and the recipe name to the launch form) are
 * overlays too: they take every key while open.
 */
export type Overlay =
  | { kind: 'help'; scroll: number; filter: EditorState; filtering: boolean }
  | { kind: 'info'; imageId: string; scroll: number }
  | { kind: 'messages'; scroll: number }
  /** marked: the label is for that many marked rows (a bulk label follows, with its typed confirmation). */
  | { kind: 'palette'; imageId: string; index: number; marked?: number }
  | { kind: 'command'; editor: EditorState; historyIndex: number; message?: string }
  | { kind: 'filter' }
  | { kind: 'rename'; imageId: string; scope: Scope; editor: EditorState; original: string; error?: string }
  | { kind: 'delete'; imageId: string; editor: EditorState; dependants: string[]; error?: string }
  | { kind: 'terminate'; serverId: string; editor: EditorState; error?: string }
  | { kind: 'capture'; serverId: string; editor: EditorState; error?: string; saving: boolean; label?: LabelColour; noReboot?: boolean }
  /** toggled: Space ticked or unticked something here (then Enter closes the list as ticked). */
  | { kind: 'picker'; field: FieldId | 'recipe'; index: number; filter: EditorState; toggled?: boolean }
  | { kind: 'recipe'; editor: EditorState; error?: string }
  /**
   * Cancelling a safe-workflow job: what becomes of its builder is chosen (Tab) — terminated, which wants
   * the builder's name typed, or kept running on purpose.
   */
  | { kind: 'cancel-job'; jobId: string; what: string; serverId?: string; serverName?: string; keep: boolean; editor: EditorState; error?: string }
  /** A yes-or-no question (y does it, any other key leaves it): creating a vendor pool config.yaml names. */
  | { kind: 'confirm'; text: string; yes: string }
  /** Terminating a failed or cancelled job's builder: its name, typed. */
  | { kind: 'builder'; jobId: string; serverId: string; serverName: string; editor: EditorState; error?: string }
  /**
   * One action on every marked row: the count and as many names as fit (the rest in :messages), then what
   * to type: the action and the count ("delete 3"), which no slip of a key produces.
   */
  | {
      kind: 'bulk';
      action: BulkAction;
      scope: MarkScope;
      count: number;
      /** Names shown in the prompt (the first of the marked rows). */
      names: string[];
      /** Marked rows not named in the prompt. */
      more: number;
      /** What must be typed. */
      word: string;
      /** The label to set (bulk label); null takes it off. */
      label?: LabelColour | null;
      /** A sentence after the names (what depends on the images, what is left out). */
      note?: string;
      editor: EditorState;
      error?: string;
    }
  /** :stale: the stale own images, looked for and then marked; D deletes them (the bulk prompt). */
  | { kind: 'stale'; days: number; scroll: number; loading: boolean; lines?: StaleLine[]; deletable?: number; error?: string }
  /** A deprecation date for an own image, typed: a day, +90d, now, or none to take it off. */
  | { kind: 'deprecate'; imageId: string; name: string; current?: string; editor: EditorState; error?: string }
  /** s on a server whose console shows no host keys: connect unverified (y) or not. */
  | { kind: 'ssh-unverified'; serverId: string; serverName: string; sentence: string }
  // The fleet view (its rows are of any source and region: `key` names the row).
  /** The fleet's filter line (words, and column filters such as source:prod-eu). */
  | { kind: 'fleet-filter' }
  | { kind: 'fleet-rename'; key: string; where: string; editor: EditorState; original: string; error?: string }
  | { kind: 'fleet-label'; key: string; index: number }
  | { kind: 'fleet-delete'; key: string; imageId: string; where: string; editor: EditorState; dependants: string[]; error?: string }
  | { kind: 'fleet-terminate'; key: string; serverId: string; serverName: string; where: string; editor: EditorState; error?: string }
  /** Copying an own image: to which of the places that can take it (Tab), under which name. */
  | { kind: 'fleet-copy'; key: string; name: string; where: string; targets: { source: string; region: string }[]; target: number; editor: EditorState; error?: string }
  /** :firewalls: the region's firewalls, the servers that use each, whether strata made it; d deletes one. */
  | FirewallsOverlay
  /** Deleting the selected firewall of :firewalls: its name, typed; Esc goes back to the list. */
  | { kind: 'firewall-delete'; id: string; name: string; madeByStrata: boolean; editor: EditorState; error?: string; list: FirewallsOverlay };

/** The :firewalls list (rows from services/firewalls.ts, every string sanitised there). */
export interface FirewallsOverlay {
  kind: 'firewalls';
  index: number;
  loading: boolean;
  /** Whose firewalls: the source and region where strata runs on sources ("prod-eu/eu-west-1"). */
  where?: string;
  rows?: FirewallEntry[];
  error?: string;
}

/** What a bulk prompt does to the marked rows. */
export type BulkAction = 'delete' | 'terminate' | 'label';

/** A line of the :stale report. */
export interface StaleLine {
  text: string;
  tone?: 'heading' | 'muted' | 'warning';
}

export type OverlayKind = Overlay['kind'];
export type OverlayOf<K extends OverlayKind> = Extract<Overlay, { kind: K }>;

/** A message for the user: shown whole in the message area until the next key; kept for :messages. */
export interface Message {
  id: number;
  level: 'error' | 'warning' | 'info';
  text: string;
  /** Date.now() when it was said. */
  at: number;
  /** A URL the message shows (a web-console link): drawn as a hyperlink where the terminal can. */
  link?: string;
}

export type RenameState = OverlayOf<'rename'>;

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
  /** The servers the launch started (f follows the first one's console). */
  serverIds?: string[];
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
  /** The user read the vendor-template advice and chose to go on. */
  vendorAck: boolean;
  review?: ReviewView;
  scroll: number;
  result?: LaunchResultView;
  error?: string;
  progress?: string;
}

export interface MonitorState {
  servers: Server[];
  /** The watcher's last word: ok, or the error and when it tries again. */
  status: { ok: boolean; error?: string; retryInMs?: number; lastPollAt?: number; calls: number };
  selected: number;
  detail?: { serverId: string; scroll: number; console?: string; consoleError?: string; following?: boolean };
  /** Captures in progress: image id -> a line for the status. */
  captures: Record<string, string>;
  /** Images by id as last seen (own and vendor), for lineage and risk; undefined marks an image gone. */
  images: Record<string, Image | null>;
  /** Safe-workflow jobs of this region: a line each, unfinished first. */
  jobs: { id: string; state: string; line: string }[];
}

/** One job as the jobs list shows it, with what may be done with it now (a reason where not). */
export interface JobView {
  id: string;
  state: string;
  line: string;
  serverId?: string;
  /** The builder's name, where the monitor knows it. */
  serverName?: string;
  /** What the job's "what" is for a prompt: its image name. */
  imageName: string;
  actions: { cancel?: string; retry?: string; terminateBuilder?: string; keepBuilder?: string };
}

export interface AppState {
  session: {
    providerId: string;
    region: string;
    status: 'connecting' | 'ready' | 'error';
    description?: ProviderDescription;
    error?: string;
    /** Simulated seconds per real second where the provider has a simulated clock (the sandbox). */
    timeScale?: number;
  };
  /** A retry the services are about to make, in a sentence (until it has been made). */
  retrying?: string;
  readOnly: boolean;
  pane: Pane;
  scope: Scope;
  scopes: Record<Scope, ScopeData>;
  /** The list's filter; it stays applied after its line is closed (the 'filter' overlay edits it). */
  filter: { editor: EditorState };
  /** Index of the selected row in the filtered view, per scope. */
  selected: Record<Scope, number>;
  overlay?: Overlay;
  /** What strata said, oldest first (the last 100): :messages shows them. */
  messages: Message[];
  /** Messages with an id above this were said since the last key: the message area shows them whole. */
  seenMessageId: number;
  /** What is running, for the status bar ("searching the provider", "saving"). */
  busy: string[];
  history: string[];
  /** Provider-side search in flight (the public catalogue). */
  search?: { scope: Scope; query: string };
  launch?: LaunchFormState;
  monitor: MonitorState;
  riskScroll: number;
  /** Every safe-workflow job of the region (the jobs pane, :jobs), newest first, and the selected one. */
  jobList: { jobs: JobView[]; selected: number; loaded: boolean };
  /** Image files being imported (:import), oldest first: what the message line says while they run. */
  imports: { id: number; name: string; path: string }[];
  /** Interrupted launches found at start that need the user's word. */
  reconcile?: { token: string; sentence: string }[];
  /** Marked rows, per image scope and for the monitor's servers (by id; see marks.ts). */
  marks: MarksState;
  /** The fleet view (strata opened on sources, or :fleet): absent until first opened. */
  fleet?: FleetView;
  /** The source whose readOnly in config.yaml makes the session read-only (the refusals name it). */
  readOnlySource?: string;
}

export function emptyMonitor(): MonitorState {
  return { servers: [], status: { ok: true, calls: 0 }, selected: 0, captures: {}, images: {}, jobs: [] };
}

export function emptyScope(): ScopeData {
  return { rows: ImageRows.EMPTY, loading: false, complete: false, capped: false, generation: 0 };
}

export function initialState(options: { providerId: string; region: string; scope?: Scope; readOnly?: boolean; readOnlySource?: string; pane?: Pane }): AppState {
  return {
    ...(options.readOnlySource ? { readOnlySource: options.readOnlySource } : {}),
    session: { providerId: options.providerId, region: options.region, status: 'connecting' },
    readOnly: options.readOnly ?? false,
    pane: options.pane ?? 'images',
    scope: options.scope ?? 'own',
    scopes: { own: emptyScope(), vendor: emptyScope(), public: emptyScope() },
    filter: { editor: { text: '', cursor: 0 } },
    selected: { own: 0, vendor: 0, public: 0 },
    messages: [],
    seenMessageId: 0,
    busy: [],
    imports: [],
    history: [],
    monitor: emptyMonitor(),
    riskScroll: 0,
    jobList: { jobs: [], selected: 0, loaded: false },
    marks: noMarks(),
  };
}
