// The controller turns commands into state changes and service calls. Key handling lives in input.ts; this
// module owns the effects: loading pages, saving names and labels, switching regions and providers.
import { describeError, isStrataError } from '../../core/errors.js';
import { dependantsOf } from '../../core/lineage.js';
import { sanitize } from '../../core/sanitize.js';
import { LABEL_COLOURS, SCOPES, type LabelColour, type Scope } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import type { Server } from '../../core/types.js';
import { releaseMemory } from '../../services/memory.js';
import { yieldToInput } from '../../services/slices.js';
import type { Logger } from '../../services/log.js';
import { knownProviders, Session, type SessionOptions } from '../../services/session.js';
import type { Store } from '../../store/db.js';
import { commandOf, complete, parseCommand, type CommandContext } from '../commands.js';
import { bindingOf, Command, inheritedContexts, type KeyContext } from '../keymap.js';
import { findImage, listedImages, providerNow, selectedImage, selectView, filterText } from './selectors.js';
import { deleteProtectionWords } from '../../core/stale.js';
import type { AppStore } from './store.js';
import type { Action } from './reducer.js';
import { LaunchController } from './launchController.js';
import { JobsController } from './jobsController.js';
import { InterruptedController } from './interruptedController.js';
import type { LaunchServices } from '../../services/launching.js';
import type { RetryNotice } from '../../services/retry.js';
import { MonitorController } from './monitorController.js';
import { BulkController } from './bulkController.js';
import { SHELL_COMMANDS, ShellController } from './shellController.js';
import { realTerminal, type TerminalHost } from '../screen/handover.js';
import { TAB_PANES, type AppState, type Pane } from './state.js';
import { FLEET_CONTEXTS, FleetController } from './fleetController.js';
import { FirewallsController } from './firewallsController.js';
import type { FleetOptions } from '../../services/fleet.js';
import { sourceSessionOptions } from '../../services/sources.js';

export interface ControllerDeps {
  store: AppStore;
  db: Store;
  sessionOptions: SessionOptions;
  logger: Logger;
  /** How many images of the public catalogue are loaded before it relies on provider-side search. */
  preloadLimit?: number;
  /** Page size for own images and templates (default 5,000). */
  pageSize?: number;
  /** Page size for a stored scope (the public catalogue; default 1,000: a page is a few ms to fetch, encode and write). */
  storedPageSize?: number;
  /**
   * Hold the work that can wait (the watcher, lineage look-ups, interrupted launches and jobs) until
   * firstFrameDrawn() (the full-screen TUI: the first frame comes first). Without it the work starts at once.
   */
  waitForFirstFrame?: boolean;
  /** How often own images and vendor templates are refreshed in place (seconds; 0 = never). */
  refreshSeconds?: number;
  /** The terminal beyond the frames: running ssh on it, the clipboard, hyperlinks (tests give their own). */
  terminal?: TerminalHost;
  /** The fleet (config.yaml's sources): how it opens; absent without sources. */
  fleet?: Omit<FleetOptions, 'log'>;
  /** Start in the fleet view (--fleet, or several sources). */
  openFleet?: boolean;
}

const SEARCH_DEBOUNCE_MS = 250;
/**
 * Scopes kept as a stored copy (read by position, shown at once on the next start while the provider is
 * asked again) rather than in memory: the public catalogue, 100,000 images and more.
 */
const STORED_SCOPES: readonly Scope[] = ['public'];
const STORED_PAGE_SIZE = 1000;
/** How often a large load's progress is drawn (milliseconds). */
const PROGRESS_MS = 200;
/**
 * Quiet time after which unused heap is given back, and how much unused heap makes it worth it. Not
 * sooner: the heap given back is grown again by the next burst (keys typed into a filter over 100,000
 * rows answer a few ms slower right after), so it is given back when the user has stopped, not between keys.
 */
const IDLE_MS = 2000;
const IDLE_SLACK_BYTES = 12 * 1024 * 1024;
/** After a burst (a large load, a filter typed), once its last frame is drawn. */
const AFTER_BURST_MS = 300;

export class Controller {
  private session?: Session;
  private opening?: Promise<void>;
  private generation = 0;
  private loads = new Map<Scope, AbortController>();
  private messageId = 0;
  /** Timers to clear when the controller closes (the memory release after a burst of work). */
  private timers = new Set<NodeJS.Timeout>();
  private searchTimer?: NodeJS.Timeout;
  private exitHandler: () => void = () => undefined;
  private redrawHandler: () => void = () => undefined;
  private listHeight = 20;
  /** The terminal's size as last drawn (the Screen sets it): below the minimum only quitting works. */
  size?: { columns: number; rows: number };
  private closed = false;
  private autoRefresh?: NodeJS.Timeout;

  private firstRows!: () => void;
  /** Settles when the scope on screen has its first page (or its load failed): the first frame can wait for it. */
  readonly firstPage = new Promise<void>((resolve) => (this.firstRows = resolve));

  /** The launch form's effects. */
  readonly launch: LaunchController;
  /** The monitor's effects (the watcher, terminate, capture). */
  readonly monitor: MonitorController;
  /** The safe-workflow jobs: started from the form, followed, resumed, cancelled. */
  readonly jobs: JobsController;
  /** Launches interrupted by a kill or a dropped session: adopted, or asked about, at start. */
  readonly interrupted: InterruptedController;
  /** Marked rows and what acts on them (label, delete, terminate), :stale, deprecation dates. */
  readonly bulk: BulkController;
  /** s (ssh), y/Y (copies), o (links), f on a launch result, :ssh-user. */
  readonly shell: ShellController;
  /** The fleet view: every source and region in one list, each action to its row's source. */
  readonly fleet: FleetController;
  /** :firewalls: the region's firewalls, who uses each, whether strata made it; deleting one. */
  readonly firewalls: FirewallsController;
  /** Where to put the selection once a place opened from the fleet has its lists (Enter on a fleet row). */
  private focus?: { imageId?: string; serverId?: string };
  /** The launch services (launcher, jobs, billing, recipes) of a session, loaded on first use. */
  private services?: { session: Session; promise: Promise<LaunchServices>; loaded?: LaunchServices };

  private launchServices(session: Session): Promise<LaunchServices> {
    if (this.services?.session !== session) {
      const entry: { session: Session; promise: Promise<LaunchServices>; loaded?: LaunchServices } = { session, promise: session.services() };
      entry.promise.then((loaded) => (entry.loaded = loaded)).catch(() => undefined);
      this.services = entry;
    }
    return this.services.promise;
  }

  constructor(private readonly deps: ControllerDeps) {
    this.firstFrameShown = deps.waitForFirstFrame !== true;
    // Each host reads the state when asked (a getter: spreading a snapshot would go stale).
    const base = <T extends object>(extra: T) =>
      Object.defineProperty(
        {
          dispatch: (action: Action) => this.dispatch(action),
          say: (level: 'error' | 'warning' | 'info', message: string) => this.say(level, message),
          session: () => this.session,
          services: (session: Session) => this.launchServices(session),
          ...extra,
        },
        'state',
        { get: () => deps.store.getState(), enumerable: true },
      ) as T & { readonly state: AppState; dispatch(action: Action): void; say(level: 'error' | 'warning' | 'info', message: string): void; session(): Session | undefined; services(session: Session): Promise<LaunchServices> };
    this.jobs = new JobsController(base({
      launched: () => this.monitor.pollNow(),
      imagesChanged: () => {
        if (this.state.scopes.own.complete) void this.refreshScope('own');
      },
    }));
    this.interrupted = new InterruptedController(base({ jobs: this.jobs }));
    this.launch = new LaunchController(
      base({
        log: (level: 'info' | 'warn' | 'error', message: string, detail?: unknown) => deps.logger.log(level, message, detail),
        launched: () => this.monitor.pollNow(),
        loadedServices: () => (this.services && this.services.session === this.session ? this.services.loaded : undefined),
        jobs: this.jobs,
      }),
    );
    this.fleet = new FleetController(
      {
        get state() {
          return deps.store.getState();
        },
        dispatch: (action) => this.dispatch(action),
        say: (level, message) => this.say(level, message),
        log: (level, message, detail) => deps.logger.log(level, message, detail),
        openPlace: (source, region, focus) => this.openPlace(source, region, focus),
      },
      deps.fleet,
    );
    this.monitor = new MonitorController({
      get state() {
        return deps.store.getState();
      },
      dispatch: (action) => this.dispatch(action),
      say: (level, message) => this.say(level, message),
      session: () => this.session,
      log: (level, message, detail) => deps.logger.log(level, message, detail),
      refreshOwn: () => {
        if (this.state.scopes.own.complete) void this.refreshScope('own');
      },
      sweep: (servers) => this.sweepPassphrases(servers),
      imagesGone: () => {
        for (const scope of ['own', 'vendor'] as const) if (this.state.scopes[scope].complete) void this.refreshScope(scope);
      },
    });
    this.bulk = new BulkController({
      get state() {
        return deps.store.getState();
      },
      dispatch: (action) => this.dispatch(action),
      say: (level, message) => this.say(level, message),
      session: () => this.session,
      log: (level, message, detail) => deps.logger.log(level, message, detail),
      refreshOwn: () => {
        if (this.state.scopes.own.complete) void this.refreshScope('own');
      },
      replaceImages: (images) => this.replaceImages(images),
      pollNow: () => this.monitor.pollNow(),
      showOwn: () => {
        if (this.state.pane !== 'images') this.setPane('images');
        if (this.state.scope !== 'own') this.setScope('own');
      },
    });
    this.firewalls = new FirewallsController({
      get state() {
        return deps.store.getState();
      },
      dispatch: (action) => this.dispatch(action),
      say: (level, message) => this.say(level, message),
      session: () => this.session,
      log: (level, message, detail) => deps.logger.log(level, message, detail),
    });
    this.shell = new ShellController({
      get state() {
        return deps.store.getState();
      },
      dispatch: (action) => this.dispatch(action),
      say: (level, message, link) => this.say(level, message, link),
      session: () => this.session,
      log: (level, message, detail) => deps.logger.log(level, message, detail),
      terminal: deps.terminal ?? realTerminal,
      monitor: this.monitor,
      bulk: this.bulk,
      closeLaunch: () => this.launch.close(),
      setPane: (pane) => this.setPane(pane),
    });
  }

  /** Moves to a pane (Tab, :monitor, :risk). */
  setPane(pane: Pane): void {
    if (pane !== 'monitor') this.monitor.stopFollowing();
    if (pane === 'fleet') {
      this.fleet.open();
      return;
    }
    this.dispatch({ type: 'pane/set', pane });
    if (pane === 'jobs') void this.jobs.loadList();
    if (pane === 'monitor' || pane === 'risk' || pane === 'jobs') {
      this.monitor.watch();
      this.monitor.pollNow();
    }
  }

  cyclePane(delta: number): void {
    const at = TAB_PANES.indexOf(this.state.pane);
    this.setPane(TAB_PANES[(Math.max(0, at) + delta + TAB_PANES.length) % TAB_PANES.length]);
  }

  get state() {
    return this.deps.store.getState();
  }

  dispatch(action: Action): void {
    if (this.closed) return;
    this.deps.store.dispatch(action);
    if (this.focus && (action.type === 'images/page' || action.type === 'monitor/servers')) this.applyFocus();
    this.idle.refresh();
    // Rows from another copy (a reload): positions marked in the old one become ids.
    if ((action.type === 'images/page' || action.type === 'images/refreshed' || action.type === 'images/stored') && !this.state.marks[action.scope].empty) this.bulk.afterRows(action.scope);
    // A filter kept or left: the typing is over, the heap it grew can go (once the frame is drawn).
    if (action.type === 'filter/close') this.afterBurst();
  }

  /**
   * When nothing has happened for a while after a burst of work (a filter typed over 100,000 rows), the
   * heap V8 grew for it is given back (services/memory.ts): resident memory goes back to what is live.
   */
  private readonly idle: NodeJS.Timeout = (() => {
    const timer = setTimeout(() => this.releaseSlack(), IDLE_MS);
    timer.unref?.();
    return timer;
  })();

  private releaseSlack(): void {
    if (this.closed) return;
    const { heapTotal, heapUsed } = process.memoryUsage();
    if (heapTotal - heapUsed > IDLE_SLACK_BYTES) releaseMemory();
  }

  onExit(handler: () => void): void {
    this.exitHandler = handler;
  }

  private firstFrameShown: boolean;
  private waitingForFirstFrame: (() => void)[] = [];

  /** Runs now where the first frame is on screen (or nobody waits for it), else once it is. */
  private afterFirstFrame(work: () => void): void {
    if (this.firstFrameShown) work();
    else this.waitingForFirstFrame.push(work);
  }

  /** The first frame is on the terminal: the work that waited for it starts (the watcher, look-ups, jobs). */
  firstFrameDrawn(): void {
    if (this.firstFrameShown) return;
    this.firstFrameShown = true;
    for (const work of this.waitingForFirstFrame.splice(0)) work();
  }

  /** Who repaints the whole screen on Ctrl+L (the screen writer, when the TUI runs full-screen). */
  onRedraw(handler: () => void): void {
    this.redrawHandler = handler;
  }

  redraw(): void {
    this.redrawHandler();
  }

  private pendingYes?: () => void;

  /** y to the open yes-or-no question. */
  confirmYes(): void {
    const yes = this.pendingYes;
    this.pendingYes = undefined;
    this.dispatch({ type: 'overlay/close', kind: 'confirm' });
    yes?.();
  }

  openHelp(): void {
    this.dispatch({ type: 'overlay/open', overlay: { kind: 'help', scroll: 0, filter: { text: '', cursor: 0 }, filtering: false } });
  }

  /** i on an image: its lineage, dependants and tags. */
  openInfo(): void {
    const image = selectedImage(this.state);
    if (image) this.dispatch({ type: 'overlay/open', overlay: { kind: 'info', imageId: image.id, scroll: 0 } });
  }

  /**
   * Why a command cannot run here now, in a sentence, or undefined where it can. The refusal, the footer
   * (drawn as disabled) and the help come from this one place (lazygit's "disabled reason").
   */
  disabledReason(context: KeyContext, command: Command): string | undefined {
    const s = this.state;
    const binding = [context, ...inheritedContexts(context)].map((c) => bindingOf(c, command)).find((b) => b !== undefined);
    // The fleet's rows are of every source: each row's own source says whether it may change.
    if (FLEET_CONTEXTS.includes(context)) return this.fleet.disabledReason(context, command);
    if (binding?.mutating && s.readOnly && s.readOnlySource) return `${s.readOnlySource} is read-only (readOnly in config.yaml): ${binding.doing ?? 'changing things'} is disabled there.`;
    if (binding?.mutating && s.readOnly) return `This session is read-only (--read-only): ${binding.doing ?? 'changing things'} is disabled.`;
    if (SHELL_COMMANDS.has(command)) return this.shell.disabledReason(context, command);
    const description = s.session.description;
    if (context === 'list') {
      const marked = s.marks[s.scope].count;
      if (command === Command.ClearMarks && marked === 0) return 'Nothing is marked in this list.';
      if (command === Command.MarkAll && selectView(s).count === 0) return s.session.status === 'ready' ? 'Nothing to mark: the list is empty.' : 'Not connected yet.';
      // With marks, labelling and deleting act on every marked image.
      if (marked > 0 && command === Command.Label) return undefined;
      if (marked > 0 && command === Command.DeleteImage) {
        if (s.scope !== 'own') return `Only own images can be deleted; the ${marked.toLocaleString('en-US')} marked here are ${s.scope} images.`;
        if (description?.capabilities.images.delete === 'none') return `${description.displayName} cannot delete images here.`;
        return undefined;
      }
      if (command === Command.Deprecate) {
        const can = description?.capabilities.images.deprecate;
        if (description && (can === undefined || can === 'none')) return `${description.displayName} cannot give images a deprecation date here.`;
        const image = selectedImage(s);
        if (!image) return s.session.status === 'ready' ? 'No image is selected: the list is empty.' : 'Not connected yet.';
        if (!image.owned) return `${image.shownName} is not yours to deprecate (a ${image.kind} image).`;
        return undefined;
      }
      const needsImage = [Command.Rename, Command.Label, Command.Launch, Command.DeleteImage, Command.Info, Command.Mark];
      if (!needsImage.includes(command)) return command === Command.NextRegion && description && description.regions.length < 2 ? `${description.displayName} has one region here.` : undefined;
      const image = selectedImage(s);
      if (!image) return s.session.status === 'ready' ? 'No image is selected: the list is empty.' : 'Not connected yet.';
      if (command === Command.DeleteImage) {
        if (!image.owned) return `${image.shownName} is not yours to delete (a ${image.kind} image).`;
        const protection = deleteProtectionWords(image.deleteProtection, providerNow(s));
        if (protection) return `${image.shownName}: ${protection.charAt(0).toLowerCase()}${protection.slice(1)}.`;
        if (description?.capabilities.images.delete === 'none') return `${description.displayName} cannot delete images here.`;
      }
      return undefined;
    }
    if (context === 'monitor' || context === 'detail') {
      const m = s.monitor;
      const server = m.detail ? m.servers.find((x) => x.id === m.detail!.serverId) : m.servers[m.selected];
      if (context === 'monitor' && command === Command.ClearMarks && s.marks.servers.empty) return 'No server is marked.';
      if (context === 'monitor' && command === Command.Terminate && !s.marks.servers.empty) return undefined;
      if (context === 'monitor' && (command === Command.Mark || command === Command.MarkAll) && m.servers.length === 0) return 'No server is listed: the monitor lists none.';
      if ((command === Command.Capture || command === Command.Terminate || command === Command.Detail) && !server) return 'No server is selected: the monitor lists none.';
      if (command === Command.Capture && description?.capabilities.images.capture === 'none') return `${description.displayName} cannot capture images here.`;
      if (command === Command.CancelJob && !m.jobs.some((j) => !['done', 'failed', 'cancelled'].includes(j.state))) return 'No safe-workflow job is running.';
      return undefined;
    }
    if (context === 'stale' && command === Command.DeleteImage) {
      const o = s.overlay?.kind === 'stale' ? s.overlay : undefined;
      if (o?.loading) return 'Still looking for stale images.';
      if (s.marks.own.empty) return 'No own image is marked to delete.';
      if (description?.capabilities.images.delete === 'none') return `${description.displayName} cannot delete images here.`;
      return undefined;
    }
    if (context === 'firewalls') return this.firewalls.disabledReason(command);
    if (context === 'jobs') {
      const job = s.jobList.jobs[s.jobList.selected];
      const needsJob = [Command.CancelJob, Command.RetryJob, Command.TerminateBuilder, Command.KeepBuilder];
      if (!needsJob.includes(command)) return undefined;
      if (!job) return s.jobList.loaded ? 'No job is selected: this region has none.' : 'The jobs are still being listed.';
      if (command === Command.CancelJob) return job.actions.cancel;
      if (command === Command.RetryJob) return job.actions.retry;
      if (command === Command.TerminateBuilder) return job.actions.terminateBuilder;
      return job.actions.keepBuilder;
    }
    if (context === 'result' && command === Command.AddToAgent) {
      const result = s.launch?.result;
      if (!result?.keyFile) return 'This launch made no new key to add to ssh-agent.';
      if (!result.agentAvailable) return 'No ssh-agent answers here (SSH_AUTH_SOCK is not set or not reachable).';
      if (result.agentDone) return result.agentDone;
    }
    return undefined;
  }

  setListHeight(rows: number): void {
    this.listHeight = Math.max(1, rows);
  }

  get pageRows(): number {
    return this.listHeight;
  }

  // ---- a place of the fleet in the classic panes ----------------------------------------------------------

  /** Enter on a fleet row: its source and region in the image list (an image) or the monitor (a server). */
  openPlace(source: string, region: string, focus: { imageId?: string; serverId?: string }): void {
    const config = this.deps.fleet?.sources.find((s) => s.name === source);
    if (!config || !this.deps.fleet) return;
    this.focus = focus;
    const current = this.deps.sessionOptions;
    const same = current.source === source && this.state.session.region === region && this.session !== undefined;
    if (!same) void this.open(sourceSessionOptions(config, region, this.deps.fleet.base));
    if (focus.serverId) this.setPane('monitor');
    else {
      this.dispatch({ type: 'pane/set', pane: 'images' });
      if (this.state.scope !== 'own') this.setScope('own');
    }
    if (same) this.applyFocus();
  }

  private applyFocus(): void {
    const focus = this.focus;
    if (!focus) return;
    if (focus.imageId) {
      const view = selectView(this.state, 'own');
      const at = view.shownAt(view.rows.indexOf(focus.imageId));
      if (at < 0) return;
      this.focus = undefined;
      if (this.state.scope === 'own') this.dispatch({ type: 'move/to', index: at, count: view.count });
    } else if (focus.serverId) {
      const at = this.state.monitor.servers.findIndex((x) => x.id === focus.serverId);
      if (at < 0) return;
      this.focus = undefined;
      this.dispatch({ type: 'monitor/move-to', index: at });
    }
  }

  // ---- sessions ---------------------------------------------------------------------------------------

  /** Opens the first session; the first frame is already on screen while this runs. */
  start(): Promise<void> {
    if (this.deps.openFleet) this.fleet.open();
    return this.open(this.deps.sessionOptions);
  }

  private open(options: SessionOptions): Promise<void> {
    const run = async () => {
      this.dispatch({ type: 'session/connecting', providerId: options.providerId, region: options.region ?? '' });
      this.cancelLoads();
      try {
        const next = await Session.open(options, this.deps.db);
        const previous = this.session;
        this.session = next;
        this.deps.sessionOptions = next.options;
        if (previous) await previous.close().catch(() => undefined);
        if (this.closed) return next.close();
        this.dispatch({ type: 'session/ready', description: next.description, timeScale: next.timeScale(), readOnly: next.readOnly, readOnlySource: next.options.readOnlySource });
        this.deps.logger.log('info', 'session opened', { provider: next.providerId, region: next.region });
        // Whatever says it will retry, retries, and shows when: every retry of the session's services.
        this.stopRetryNotices?.();
        this.stopRetryNotices = next.onRetry((notice) => this.retryNotice(notice));
        this.loadInitial();
        this.startAutoRefresh();
        // Work that can wait for the first frame waits for it (the image list is what the user came for).
        this.afterFirstFrame(() => {
          if (this.session !== next) return;
          // A read-only session changes nothing, in the foreground or the background: interrupted launches
          // and unfinished jobs are shown and left for a session that may act.
          if (this.state.readOnly) void this.interrupted.showInterrupted();
          else {
            void this.interrupted.reconcile();
            void this.jobs.resumeJobs();
          }
          // The monitor watches the region from the start: the list's risk flags and the monitor are live.
          this.monitor.watch();
        });
      } catch (error) {
        const message = describeError(error, `Opening ${options.providerId}${options.region ? ` in ${options.region}` : ''}`);
        this.deps.logger.log('error', message, error);
        // A vendor pool config.yaml names that does not exist: offer to create it (never silently).
        if (isStrataError(error) && error.field === 'libvirt.vendorPool' && !this.state.readOnly) {
          this.pendingYes = () => void this.open({ ...options, libvirtCreateVendorPool: true });
          this.dispatch({
            type: 'overlay/open',
            overlay: { kind: 'confirm', yes: 'Press y to create it (an empty pool, autostarted), n to leave it.', text: sanitize(error.message, 600) },
          });
        }
        if (this.session) {
          // Stay where we were: the old session still works (and the header and status bar name it again).
          this.dispatch({ type: 'session/ready', description: this.session.description, providerId: this.session.providerId });
          this.loadInitial();
        } else {
          this.dispatch({ type: 'session/error', message });
        }
        this.firstRows();
        this.say('error', message);
      }
    };
    const p = (this.opening ?? Promise.resolve()).then(run);
    this.opening = p;
    return p;
  }

  /** The scope on screen first, then own images and templates; the public catalogue when first shown. */
  private loadInitial(): void {
    this.loadScope(this.state.scope);
    for (const scope of SCOPES) if (scope !== this.state.scope && scope !== 'public') this.loadScope(scope);
  }

  switchRegion(region: string): void {
    if (region === this.state.session.region) return;
    void this.open({ ...this.deps.sessionOptions, region });
  }

  nextRegion(): void {
    const regions = this.state.session.description?.regions.map((r) => r.id) ?? [];
    if (regions.length < 2) return;
    const at = regions.indexOf(this.state.session.region);
    this.switchRegion(regions[(at + 1) % regions.length]);
  }

  switchProvider(providerId: string): void {
    if (providerId === this.state.session.providerId) return;
    // Another provider is not the source's: its account, home and sandbox options stay behind.
    const { source: _source, account: _account, providerHome: _home, sandboxDelayMs: _delay, readOnlySource: _ro, ...rest } = this.deps.sessionOptions;
    void this.open({ ...rest, readOnly: this.deps.fleet?.base.readOnly ?? rest.readOnly, providerId, region: undefined });
  }

  // ---- images -----------------------------------------------------------------------------------------

  private cancelLoads(): void {
    for (const c of this.loads.values()) c.abort();
    this.loads.clear();
    for (const c of this.refreshes.values()) c.abort();
    this.refreshes.clear();
  }

  /** Ctrl+R, :refresh and the periodic refresh: every scope loaded so far is reloaded in place. */
  reloadAll(): void {
    for (const scope of SCOPES) {
      const data = this.state.scopes[scope];
      if (data.complete) void this.refreshScope(scope);
      else if (scope === this.state.scope || data.rows.count > 0 || data.loading) this.loadScope(scope);
    }
  }

  private refreshes = new Map<Scope, AbortController>();

  private limitOf(scope: Scope): number | undefined {
    return scope === 'public' ? (this.deps.preloadLimit ?? 200_000) : undefined;
  }

  /** Reloads a scope without emptying the list first: the new list replaces the old one in one frame. */
  async refreshScope(scope: Scope): Promise<void> {
    const session = this.session;
    if (!session || this.refreshes.has(scope) || this.loads.has(scope)) return;
    const abort = new AbortController();
    this.refreshes.set(scope, abort);
    const limit = this.limitOf(scope);
    try {
      if (STORED_SCOPES.includes(scope)) {
        // A new copy is filled behind the one shown, then swapped in whole.
        for await (const step of session.listings.load(scope, { pageSize: this.deps.storedPageSize ?? STORED_PAGE_SIZE, signal: abort.signal, limit })) {
          if (abort.signal.aborted || this.session !== session) return;
          if (step.complete) {
            this.swapKeepingSelection(scope, { type: 'images/refreshed', scope, rows: step.rows, total: step.total, capped: step.capped });
            this.afterLargeLoad();
          }
        }
        return;
      }
      let items: CatalogueImage[] = [];
      let total: number | undefined;
      let capped = false;
      for await (const page of session.catalogue.pages(scope, { pageSize: this.deps.pageSize ?? 5000, limit, signal: abort.signal })) {
        items = items.concat(page.items);
        total = page.total ?? total;
        if (limit !== undefined && items.length >= limit && page.next !== undefined) {
          capped = true;
          break;
        }
        await yieldToInput();
        if (abort.signal.aborted) return;
      }
      if (this.session === session && !abort.signal.aborted) {
        this.dispatch({ type: 'images/refreshed', scope, items, total, capped });
        // A template that left the list may be gone: the servers and images on it are looked up again.
        if (scope !== 'public') void this.monitor.lookUpImages(true);
      }
    } catch (error) {
      if (this.session === session && !abort.signal.aborted) this.say('error', describeError(error, `Refreshing ${scope} images`));
    } finally {
      if (this.refreshes.get(scope) === abort) this.refreshes.delete(scope);
    }
  }

  /**
   * Swaps a scope's rows (a new copy replacing the one shown) with the selection kept on the same image
   * where it is still listed and matches the filter.
   */
  private swapKeepingSelection(scope: Scope, action: Action): void {
    const before = scope === this.state.scope ? selectedImage(this.state)?.id : undefined;
    this.dispatch(action);
    if (before === undefined || scope !== this.state.scope) return;
    const view = selectView(this.state);
    const at = view.shownAt(view.rows.indexOf(before));
    if (at >= 0) this.dispatch({ type: 'move/to', index: at, count: view.count });
  }

  /** Own images and templates change under us (teammates, template rotation): refresh them now and then. */
  private startAutoRefresh(): void {
    const every = this.deps.refreshSeconds ?? 60;
    if (every <= 0 || this.autoRefresh) return;
    this.autoRefresh = setInterval(() => {
      for (const scope of ['own', 'vendor'] as const) if (this.state.scopes[scope].complete) void this.refreshScope(scope);
    }, every * 1000);
    this.autoRefresh.unref?.();
  }

  ensureLoaded(scope: Scope): void {
    const data = this.state.scopes[scope];
    if (!this.session || data.loading || data.complete || this.loads.has(scope)) return;
    this.loadScope(scope);
  }

  loadScope(scope: Scope): void {
    const session = this.session;
    if (!session) return;
    this.loads.get(scope)?.abort();
    const abort = new AbortController();
    this.loads.set(scope, abort);
    const generation = ++this.generation;
    this.dispatch({ type: 'images/loading', scope, generation });
    const limit = this.limitOf(scope);
    void (async () => {
      let loaded = 0;
      try {
        if (STORED_SCOPES.includes(scope)) {
          await this.loadStored(session, scope, generation, abort.signal, limit);
          return;
        }
        for await (const page of session.catalogue.pages(scope, { pageSize: this.deps.pageSize ?? 5000, signal: abort.signal, limit })) {
          if (abort.signal.aborted) return;
          loaded += page.items.length;
          const capped = limit !== undefined && loaded >= limit && page.next !== undefined;
          const complete = page.next === undefined || capped;
          this.dispatch({ type: 'images/page', scope, generation, items: page.items, total: page.total, complete, capped });
          if (scope === this.state.scope) this.firstRows();
          // Own images remember their source: look up the sources that are not listed (gone, or public).
          if (complete && scope === 'own') this.afterFirstFrame(() => void this.monitor.lookUpImages());
          if (complete) break;
          // Pages may come without real I/O (the sandbox): between them, keys are read and answered.
          await yieldToInput();
          if (abort.signal.aborted) return;
        }
        // A generator that ends without a final page (an empty scope) still completes the load.
        if (!abort.signal.aborted && this.state.scopes[scope].loading && this.state.scopes[scope].generation === generation) {
          this.dispatch({ type: 'images/page', scope, generation, items: [], complete: true });
        }
        if (scope === this.state.scope) this.firstRows();
      } catch (error) {
        if (abort.signal.aborted) return;
        const message = describeError(error, `Loading ${scope} images`);
        this.deps.logger.log('error', message, error);
        this.dispatch({ type: 'images/error', scope, generation, message });
        this.say('error', message);
        this.firstRows();
      } finally {
        if (this.loads.get(scope) === abort) this.loads.delete(scope);
      }
    })();
  }

  /**
   * A stored scope: its last complete copy is shown at once (marked as stored, with its age) while a new
   * copy is filled from the provider behind it, then swapped in whole with the selection kept. Without a
   * stored copy, the rows show page by page as they arrive.
   */
  private async loadStored(session: Session, scope: Scope, generation: number, signal: AbortSignal, limit: number | undefined): Promise<void> {
    let stored: Awaited<ReturnType<Session['listings']['stored']>>;
    try {
      stored = await session.listings.stored(scope, signal);
    } catch (error) {
      // A stored copy that cannot be read is not shown; the provider is asked as on a first start.
      this.deps.logger.log('warn', `the stored ${scope} images could not be read`, error);
    }
    if (signal.aborted) return;
    if (stored) {
      this.dispatch({ type: 'images/stored', scope, generation, rows: stored.rows, storedAt: stored.storedAt, total: stored.total, capped: stored.capped });
      if (scope === this.state.scope) this.firstRows();
    }
    const pageSize = this.deps.storedPageSize ?? STORED_PAGE_SIZE;
    let drawnAt: number | undefined;
    for await (const step of session.listings.load(scope, { pageSize, signal, limit })) {
      if (signal.aborted) return;
      // The rows and the "loading N/…" line are drawn a few times a second, not for each of 100 pages: a
      // frame drawn for a page is time the user's keys wait for.
      const now = performance.now();
      if (!step.complete && drawnAt !== undefined && now - drawnAt < PROGRESS_MS) continue;
      drawnAt = now;
      const action: Action = { type: 'images/page', scope, generation, rows: step.rows, total: step.total, complete: step.complete, capped: step.capped };
      if (stored && step.complete) this.swapKeepingSelection(scope, action);
      else this.dispatch(action);
      if (scope === this.state.scope) this.firstRows();
      if (step.complete) this.afterLargeLoad();
    }
  }

  /** Once a large load is done (and its last frame drawn), the memory it churned through is given back. */
  private afterLargeLoad(): void {
    this.afterBurst();
  }

  private afterBurst(): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.releaseSlack();
    }, AFTER_BURST_MS);
    timer.unref?.();
    this.timers.add(timer);
  }

  setScope(scope: Scope): void {
    this.dispatch({ type: 'scope/set', scope });
    this.ensureLoaded(scope);
    this.scheduleSearch();
  }

  nextScope(): void {
    const at = SCOPES.indexOf(this.state.scope);
    this.setScope(SCOPES[(at + 1) % SCOPES.length]);
  }

  /** Moves the selection; the view length comes from the same memoised selector the list draws. */
  move(delta: number): void {
    this.dispatch({ type: 'move', delta, count: selectView(this.state).count });
  }

  moveTo(index: number): void {
    const count = selectView(this.state).count;
    this.dispatch({ type: 'move/to', index: index < 0 ? count - 1 : index, count });
  }

  // ---- filter and provider-side search ------------------------------------------------------------------

  /** After the filter changed: where the scope is not fully in memory, ask the provider too (debounced). */
  scheduleSearch(): void {
    if (this.searchTimer) clearTimeout(this.searchTimer);
    const scope = this.state.scope;
    const data = this.state.scopes[scope];
    const query = filterText(this.state).trim();
    const description = this.state.session.description;
    if (!query || scope !== 'public' || !description?.capabilities.images.serverSideSearch) return;
    if (data.complete && !data.capped) return; // everything is here already: the local filter sees it all
    this.searchTimer = setTimeout(() => void this.search(scope, query), SEARCH_DEBOUNCE_MS);
    this.searchTimer.unref?.();
  }

  private async search(scope: Scope, query: string): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.dispatch({ type: 'search/start', scope, query });
    try {
      const page = await session.catalogue.listPage(scope, { query, pageSize: 1000 });
      if (this.session === session) this.dispatch({ type: 'images/merge', scope, items: page.items });
    } catch (error) {
      this.say('error', describeError(error, 'Searching the provider'));
    } finally {
      this.dispatch({ type: 'search/end', scope, query });
    }
  }

  /**
   * Changed images (a bulk label, a deprecation date): on screen now, in one pass over each scope's rows, and
   * in the stored copy where they are few (a few hundred: each is a block rewritten; a bulk label over the
   * whole catalogue is in the store's names and labels, and in the next copy loaded).
   */
  private replaceImages(images: CatalogueImage[]): void {
    if (images.length === 1) {
      this.replaceImage(images[0]!);
      return;
    }
    this.dispatch({ type: 'images/replace-many', images });
    if (images.length > 200) return;
    for (const scope of STORED_SCOPES) {
      for (const image of images) {
        try {
          this.session?.listings.persist(this.state.scopes[scope].rows, image);
        } catch (error) {
          this.deps.logger.log('warn', 'the stored copy could not be updated', error);
          return;
        }
      }
    }
  }

  /** A renamed or relabelled image: on screen now, and in the stored copy it is read from (the next start shows it). */
  private replaceImage(image: CatalogueImage): void {
    this.dispatch({ type: 'images/replace', image });
    for (const scope of STORED_SCOPES) {
      try {
        this.session?.listings.persist(this.state.scopes[scope].rows, image);
      } catch (error) {
        this.deps.logger.log('warn', 'the stored copy could not be updated', error);
      }
    }
  }

  // ---- rename -----------------------------------------------------------------------------------------

  startRename(): void {
    const image = selectedImage(this.state);
    if (!image) return;
    this.dispatch({ type: 'rename/open', image });
  }

  /**
   * Enter in the rename editor. A name the provider's rules refuse keeps the editor open with the reason.
   * Otherwise the editor closes at once and the name is saved in the background: keys typed meanwhile go
   * to the list, not into a busy editor, and a failure is said with the name that was typed.
   */
  submitRename(): void {
    const rename = this.state.overlay?.kind === 'rename' ? this.state.overlay : undefined;
    const session = this.session;
    if (!rename || !session) return;
    const image = findImage(this.state, rename.imageId);
    const name = rename.editor.text;
    if (!image || name === rename.original) {
      this.dispatch({ type: 'overlay/close', kind: 'rename' });
      return;
    }
    const problem = name === '' ? undefined : session.catalogue.nameProblem(name);
    if (problem) {
      this.dispatch({ type: 'overlay/error', kind: 'rename', message: `Name refused: ${problem}` });
      return;
    }
    this.dispatch({ type: 'overlay/close', kind: 'rename' });
    const busy = `saving the name "${sanitize(name, 40)}"`;
    this.dispatch({ type: 'busy/add', what: busy });
    void session.catalogue
      .rename(image, name)
      .then((updated) => {
        if (this.session !== session) return;
        this.dispatch({ type: 'images/replace', image: updated });
        this.say('info', `Renamed to "${updated.shownName}" (${updated.nameSource === 'tag' ? 'tag, shared' : 'local'}).`);
      })
      .catch((error) => {
        const why = isStrataError(error) && error.kind === 'Invalid' ? `Name refused: ${error.message}` : describeError(error, 'Renaming');
        this.deps.logger.log('warn', why);
        this.say('error', `${image.shownName} keeps its name; "${sanitize(name, 256)}" was not saved. ${why}`);
      })
      .finally(() => this.dispatch({ type: 'busy/remove', what: busy }));
  }

  // ---- deleting an image --------------------------------------------------------------------------------

  /** D: an own image, after a typed confirmation that names what depends on it (with marks: every marked one). */
  startDelete(): void {
    if (!this.state.marks[this.state.scope].empty) {
      this.bulk.startDelete();
      return;
    }
    const image = selectedImage(this.state);
    if (!image) return;
    const { servers, images } = dependantsOf(image.id, this.state.monitor.servers.filter((s) => s.phase !== 'terminated'), listedImages(this.state, 'own'));
    const dependants = [...servers.map((s) => `server ${sanitize(s.name)} (${s.id})`), ...images.map((i) => `image ${sanitize(i.displayName ?? i.name)} (${i.id})`)];
    this.dispatch({ type: 'overlay/open', overlay: { kind: 'delete', imageId: image.id, editor: { text: '', cursor: 0 }, dependants } });
  }

  async confirmDelete(): Promise<void> {
    const d = this.state.overlay?.kind === 'delete' ? this.state.overlay : undefined;
    const session = this.session;
    if (!d || !session) return;
    if (d.editor.text !== d.imageId) {
      const image = findImage(this.state, d.imageId);
      const typedName = image && (d.editor.text === image.shownName || d.editor.text === image.name);
      this.dispatch({ type: 'overlay/error', kind: 'delete', message: `${typedName ? 'That is the name, not the id' : 'That is not the id'}; type ${d.imageId} exactly.` });
      return;
    }
    this.dispatch({ type: 'overlay/close', kind: 'delete' });
    try {
      await session.images.deleteImage(d.imageId, { dependants: d.dependants.length });
      const n = d.dependants.length;
      this.say('info', `Deleted ${d.imageId}${n ? `; ${n} ${n === 1 ? 'dependant now stands' : 'dependants now stand'} on a deleted image (see :risk)` : ''}.`);
      if (this.state.scopes.own.complete) void this.refreshScope('own');
    } catch (error) {
      this.say('error', describeError(error, `Deleting ${d.imageId}`));
    }
  }

  // ---- importing an image file (:import) ------------------------------------------------------------------

  private importId = 0;

  /** Why :import cannot run now (a sentence), or the session and the name it runs with. */
  private importRefusal(path: string, name: string | undefined): string | { session: Session; name: string } {
    const session = this.session;
    const description = this.state.session.description;
    if (!session || !description || this.state.session.status !== 'ready') return 'Not connected yet; try :import again in a moment.';
    if (!session.capturer.importSupported) {
      return `${description.displayName} cannot import image files (in ${description.region}); :import works where the provider can import images.`;
    }
    const chosen = name ?? session.capturer.importName(path);
    if (chosen === undefined) {
      return `strata cannot make an image name from ${sanitize(path.slice(path.lastIndexOf('/') + 1), 80)} (${description.capabilities.images.nameRules.description}); give one: :import PATH NAME.`;
    }
    const problem = session.capturer.nameProblem(chosen);
    if (problem) return `The image name "${sanitize(chosen, 80)}" is refused: ${problem}`;
    return { session, name: chosen };
  }

  /** Imports the file; the message line says so while it runs; the own list shows the image when done. */
  private async runImport(session: Session, path: string, name: string): Promise<void> {
    const id = ++this.importId;
    this.dispatch({ type: 'import/start', id, name, path });
    this.deps.logger.log('info', 'import started', { path, name });
    try {
      const image = await session.capturer.importImage({ path, name });
      this.dispatch({ type: 'import/end', id });
      this.deps.logger.log('info', 'image imported', { id: image.id, name });
      this.say('info', `Imported ${image.shownName}.`);
      if (this.session !== session) return;
      // Shown at once, then the list is reloaded in place (the provider's word on the whole list).
      this.dispatch({ type: 'images/merge', scope: 'own', items: [image] });
      if (this.state.scopes.own.complete) await this.refreshScope('own');
      else this.loadScope('own');
      if (this.state.scope === 'own' && this.session === session) {
        const view = selectView(this.state);
        const at = view.shownAt(view.rows.indexOf(image.id));
        if (at >= 0) this.dispatch({ type: 'move/to', index: at, count: view.count });
      }
    } catch (error) {
      this.dispatch({ type: 'import/end', id });
      const message = describeError(error, `Importing ${path}`);
      this.deps.logger.log('warn', message);
      this.say('error', message);
    }
  }

  // ---- labels -----------------------------------------------------------------------------------------

  openPalette(): void {
    if (!this.state.marks[this.state.scope].empty) {
      this.bulk.startLabel();
      return;
    }
    const image = selectedImage(this.state);
    if (!image) return;
    const at = image.label ? LABEL_COLOURS.indexOf(image.label) : LABEL_COLOURS.length;
    this.dispatch({ type: 'overlay/open', overlay: { kind: 'palette', imageId: image.id, index: at } });
  }

  async chooseLabel(): Promise<void> {
    const modal = this.state.overlay;
    const session = this.session;
    if (modal?.kind !== 'palette' || !session) return;
    const image = findImage(this.state, modal.imageId);
    this.dispatch({ type: 'overlay/close', kind: 'palette' });
    if (modal.marked) {
      this.bulk.chooseLabel(modal.index < LABEL_COLOURS.length ? LABEL_COLOURS[modal.index]! : null);
      return;
    }
    if (!image) return;
    const label: LabelColour | null = modal.index < LABEL_COLOURS.length ? LABEL_COLOURS[modal.index] : null;
    if ((image.label ?? null) === label) return;
    this.dispatch({ type: 'busy/add', what: 'saving the label' });
    try {
      const updated = await session.catalogue.setLabel(image, label);
      this.replaceImage(updated);
    } catch (error) {
      const message = describeError(error, 'Setting the label');
      this.deps.logger.log('warn', message);
      this.say('error', message);
    } finally {
      this.dispatch({ type: 'busy/remove', what: 'saving the label' });
    }
  }

  // ---- the command line ---------------------------------------------------------------------------------

  commandContext(): CommandContext {
    return {
      regions: this.state.session.description?.regions.map((r) => r.id) ?? [],
      providers: knownProviders().map((p) => p.id),
      panes: ['images'],
    };
  }

  completeCommand(): void {
    const modal = this.state.overlay;
    if (modal?.kind !== 'command') return;
    const result = complete(modal.editor.text, this.commandContext());
    if (result.line !== modal.editor.text) this.dispatch({ type: 'overlay/edit', action: { set: result.line } });
    else if (result.candidates.length === 0) this.dispatch({ type: 'overlay/error', kind: 'command', message: 'Nothing to complete.' });
  }

  runCommand(): void {
    const modal = this.state.overlay;
    if (modal?.kind !== 'command') return;
    const line = modal.editor.text;
    // A changing command is refused in a read-only session whatever its arguments.
    const spec = commandOf(line);
    if (this.state.readOnly && spec?.mutating) {
      this.dispatch({ type: 'overlay/error', kind: 'command', message: `This session is read-only (--read-only): ${spec.doing ?? 'changes'} is disabled.` });
      return;
    }
    const parsed = parseCommand(line, this.commandContext());
    if (parsed.kind === 'error') {
      this.dispatch({ type: 'overlay/error', kind: 'command', message: parsed.message });
      return;
    }
    if (parsed.kind === 'import') {
      // Refused here, with the command line still open to fix it; the file itself is the provider's to check.
      const refused = this.importRefusal(parsed.path, parsed.name);
      if (typeof refused === 'string') {
        this.dispatch({ type: 'overlay/error', kind: 'command', message: refused });
        return;
      }
      this.dispatch({ type: 'command/ran', line });
      this.dispatch({ type: 'overlay/close', kind: 'command' });
      void this.runImport(refused.session, parsed.path, refused.name);
      return;
    }
    this.dispatch({ type: 'command/ran', line });
    this.dispatch({ type: 'overlay/close', kind: 'command' });
    switch (parsed.kind) {
      case 'pane':
        this.setPane(parsed.pane as Pane);
        break;
      case 'scope':
        // A scope is a view of the image list: from another pane, the list comes to the front.
        if (this.state.pane !== 'images') this.setPane('images');
        this.setScope(parsed.scope);
        break;
      case 'region':
        this.switchRegion(parsed.region);
        break;
      case 'provider':
        this.switchProvider(parsed.provider);
        break;
      case 'refresh':
        this.reloadAll();
        break;
      case 'stale':
        void this.bulk.openStale(parsed.days);
        break;
      case 'help':
        this.openHelp();
        break;
      case 'messages':
        this.dispatch({ type: 'overlay/open', overlay: { kind: 'messages', scroll: Number.MAX_SAFE_INTEGER } });
        break;
      case 'ssh-user':
        this.shell.setLoginUser(parsed.user);
        break;
      case 'quit':
        this.quit();
        break;
      case 'firewalls':
        this.firewalls.open();
        break;
      case 'versions':
        this.fleet.open();
        if (this.state.pane === 'fleet') this.dispatch({ type: 'fleet/view', view: 'versions' });
        break;
    }
  }

  // ---- volume passphrases ---------------------------------------------------------------------------------

  private sweeping = false;
  private keptSaid = new Set<string>();

  /**
   * After a poll, where the launcher is loaded (this session launched or opened the form): a volume passphrase
   * whose server and volumes are gone leaves the keychain; one kept because its volumes outlive the server
   * is said once, with why. A read-only session changes nothing.
   */
  private sweepPassphrases(servers: Server[]): void {
    const launcher = this.services?.session === this.session ? this.services?.loaded?.launcher : undefined;
    if (!launcher || this.sweeping || this.state.readOnly) return;
    this.sweeping = true;
    void launcher
      .sweepPassphrases(servers)
      .then((result) => {
        for (const kept of result.kept) {
          if (this.keptSaid.has(kept.account)) continue;
          this.keptSaid.add(kept.account);
          this.say('warning', kept.sentence);
        }
      })
      .catch((error) => this.deps.logger.log('warn', describeError(error, 'Sweeping volume passphrases')))
      .finally(() => (this.sweeping = false));
  }

  // ---- messages, quitting ---------------------------------------------------------------------------------

  private stopRetryNotices?: () => void;
  private retryTimer?: NodeJS.Timeout;

  /** A retry about to happen, on the status line until it has happened (its delay and a moment more). */
  private retryNotice(n: RetryNotice): void {
    const why = n.kind === 'Throttled' ? 'the provider is throttling' : 'the provider did not answer';
    const wait = n.delayMs < 1000 ? `${Math.max(0, Math.round(n.delayMs))} ms` : `${Math.round(n.delayMs / 100) / 10} s`;
    const text = `${n.operation ? `${n.operation}: ` : ''}${why}; retrying in ${wait} (attempt ${n.attempt} of ${n.attempts})`;
    this.dispatch({ type: 'retry/notice', text });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.dispatch({ type: 'retry/notice' }), n.delayMs + 1500);
    this.retryTimer.unref?.();
  }


  /** Says something in the message area: shown whole until the next key, and kept for :messages. A link (a URL) is shown after it. */
  say(level: 'error' | 'warning' | 'info', message: string, link?: string): void {
    this.dispatch({ type: 'message/add', message: { id: ++this.messageId, level, text: message, at: Date.now(), ...(link ? { link } : {}) } });
  }

  /** Whether the terminal shows OSC 8 hyperlinks (a message's link is drawn as one there). */
  get hyperlinks(): boolean {
    return (this.deps.terminal ?? realTerminal).hyperlinks;
  }

  quit(): void {
    this.exitHandler();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.monitor.stop();
    await this.fleet.close().catch(() => undefined);
    this.cancelLoads();
    if (this.searchTimer) clearTimeout(this.searchTimer);
    if (this.autoRefresh) clearInterval(this.autoRefresh);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopRetryNotices?.();
    for (const t of this.timers) clearTimeout(t);
    clearTimeout(this.idle);
    await this.opening?.catch(() => undefined);
    await this.session?.close().catch(() => undefined);
    this.session = undefined;
  }
}
