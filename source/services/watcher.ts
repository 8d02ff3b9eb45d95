// The watcher (DESIGN.md "Readiness"): polls the provider for every server of the region, in one batched
// call per poll (listServers() without ids: the monitor shows the whole region, and one call answers for
// any number of servers), and turns the answers into events.
//   - The interval adapts: fast while any server is on its way (not ready, stalled, failed or terminated),
//     slow once all are settled (or there are none). A launch or a key press can ask for a poll now.
//   - Errors back off: the delay doubles from the fast interval up to a maximum, with jitter, for
//     throttling and transient errors alike (others are retried the same way: credentials get refreshed,
//     a network comes back). The last good list is kept — the monitor never blanks — and the status says
//     what went wrong in a sentence and when the next try is.
//   - It never blocks: one poll in flight at a time (a second request joins it), timers are unref'd and
//     cancelled by stop(), and an answer that arrives after stop() or after the provider was swapped is
//     dropped.
//   - It keeps each server's phase timeline in memory; the UI layer may pass a store to persist it.
import { describeError, isRetryable } from '../core/errors.js';
import { appendPhase, isSettled, type PhaseEvent } from '../core/readiness.js';
import type { Phase, Server } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';

export interface ServerChange {
  server: Server;
  from: Phase;
  to: Phase;
}

/** What one poll changed. Emitted only when something did; each phase transition is in exactly one. */
export interface WatcherChange {
  /** Servers seen for the first time (on the first poll: every server). */
  added: Server[];
  /** Servers whose phase changed since the last poll. */
  changed: ServerChange[];
  /** Servers in the same phase whose other fields changed (a name, an address, a failure reason). */
  updated: Server[];
  /** Servers no longer listed (gone an hour after termination, or deleted). */
  removed: Server[];
}

export interface WatcherStatus {
  /** The last poll answered. */
  ok: boolean;
  /** What went wrong, in a sentence (the last good list is still shown). */
  error?: string;
  /** Whether the provider said it was throttling or briefly unavailable. */
  retryable?: boolean;
  /** When the watcher tries again (ms from the status), while it runs. */
  retryInMs?: number;
  /** When the next poll is due while all is well (ms from the status), while it runs. */
  nextPollInMs?: number;
  /** When the list was last refreshed (this machine's clock, ISO 8601); undefined before the first answer. */
  lastPollAt?: string;
  /** When the last poll was tried (ISO 8601). */
  lastAttemptAt?: string;
  /** The provider's clock at the last answer (Server.observedAt), where it gives one. */
  observedAt?: string;
  /** Provider calls made so far. */
  calls: number;
  /** Polls in a row that failed (0 when ok). */
  failures: number;
}

export interface WatcherStats {
  /** Provider calls made (one per poll). */
  calls: number;
  /** Polls that answered. */
  polls: number;
  /** Polls that failed. */
  errors: number;
  /** How long the last poll took, answered or not (ms). */
  lastDurationMs?: number;
  maxDurationMs?: number;
  /** Servers in the last good list. */
  servers: number;
  /** Timeline store calls that threw (the timeline is kept in memory regardless). */
  timelineStoreErrors: number;
}

/** Where the UI layer keeps timelines across restarts; the watcher reads and writes through it only. */
export interface TimelineStore {
  load(serverId: string): PhaseEvent[] | undefined;
  save(serverId: string, events: PhaseEvent[]): void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WatcherOptions {
  /** The provider, or a getter for it (so the caller can swap it; see also setProvider). */
  provider: ProviderService | (() => ProviderService);
  /** Interval while any server is on its way (ms, default 2000). */
  fastMs?: number;
  /** Interval once every server is settled (ms, default 15000). */
  slowMs?: number;
  /** The longest wait after errors (ms, default 60000). */
  maxBackoffMs?: number;
  /** How much of a backoff delay is taken off at random, 0..1 (default 0.2): never more, always growing. */
  jitter?: number;
  random?: () => number;
  /** This machine's clock (ms), for lastPollAt and durations. */
  now?: () => number;
  timers?: Timers;
  timelineStore?: TimelineStore;
}

type Listener<T> = (value: T) => void;

const DEFAULTS = { fastMs: 2000, slowMs: 15_000, maxBackoffMs: 60_000, jitter: 0.2 };

const realTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    // A watcher alone never keeps the process alive (the TUI does, while it runs).
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** The fields that make an `updated` event (observedAt moves on every answer and is not one of them). */
function signature(s: Server): string {
  return [
    s.name,
    s.imageId,
    s.productId,
    s.phaseSince,
    s.launchedAt,
    s.publicAddress ?? '',
    s.privateAddress ?? '',
    s.failureReason ?? '',
    s.keypairName ?? '',
    s.group ?? '',
    s.billingCode ?? '',
    JSON.stringify(s.tags ?? {}),
    // The provider's word that its image is gone: a change the lists and :risk must hear of.
    s.imageGone ? 'image-gone' : '',
  ].join('\u0000');
}

function isPhaseEvent(value: unknown): value is PhaseEvent {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as PhaseEvent).phase === 'string' &&
    typeof (value as PhaseEvent).at === 'string'
  );
}

export class Watcher {
  private getProvider: () => ProviderService;
  private readonly fastMs: number;
  private readonly slowMs: number;
  private readonly maxBackoffMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly store?: TimelineStore;

  private list: Server[] = [];
  private byId = new Map<string, Server>();
  private signatures = new Map<string, string>();
  private timelines = new Map<string, PhaseEvent[]>();

  private running = false;
  private timer: unknown;
  private inflight?: Promise<void>;
  private inflightGeneration = -1;
  /** Bumped by stop() and setProvider(): answers of an older generation are dropped. */
  private generation = 0;
  private nextDelayMs: number;
  private failures = 0;

  private readonly changeListeners = new Set<Listener<WatcherChange>>();
  private readonly statusListeners = new Set<Listener<WatcherStatus>>();
  private lastStatus: WatcherStatus = { ok: true, calls: 0, failures: 0 };
  private counters: WatcherStats = { calls: 0, polls: 0, errors: 0, servers: 0, timelineStoreErrors: 0 };

  constructor(options: WatcherOptions) {
    this.getProvider = typeof options.provider === 'function' ? options.provider : constant(options.provider);
    const positive = (value: number | undefined, fallback: number) =>
      value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
    this.fastMs = positive(options.fastMs, DEFAULTS.fastMs);
    this.slowMs = Math.max(this.fastMs, positive(options.slowMs, DEFAULTS.slowMs));
    this.maxBackoffMs = Math.max(this.fastMs, positive(options.maxBackoffMs, DEFAULTS.maxBackoffMs));
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? DEFAULTS.jitter));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.store = options.timelineStore;
    this.nextDelayMs = this.fastMs;
  }

  // ---- events ----------------------------------------------------------------------------------------

  /** Calls the listener with what each poll changed; returns a function that unsubscribes it. */
  onChange(listener: Listener<WatcherChange>): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Calls the listener after every poll, answered or not; returns a function that unsubscribes it. */
  onStatus(listener: Listener<WatcherStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch {
        // A listener's failure is its own; the watcher and the other listeners go on.
      }
    }
  }

  // ---- control ---------------------------------------------------------------------------------------

  /** Starts polling (a first poll at once). Calling it again while running does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.pollNow();
  }

  /** Stops polling: the timer is cancelled and an answer still on its way is dropped. */
  stop(): void {
    this.running = false;
    this.generation++;
    this.clearTimer();
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Swaps the provider (a reconnect, new credentials). The list is kept unless reset is set (another
   * region or provider: every server is reported removed). While running, a poll follows at once.
   */
  setProvider(provider: ProviderService, options: { reset?: boolean } = {}): void {
    this.getProvider = constant(provider);
    this.generation++;
    this.failures = 0;
    if (options.reset) {
      const removed = this.list;
      this.list = [];
      this.byId.clear();
      this.signatures.clear();
      this.timelines.clear();
      this.counters.servers = 0;
      if (removed.length) this.emit(this.changeListeners, { added: [], changed: [], updated: [], removed });
    }
    if (this.running) void this.pollNow();
  }

  /**
   * Polls now (replacing the scheduled poll) and resolves when the answer is applied. While a poll is in
   * flight this joins it instead of sending another call. Works whether or not the watcher is started.
   */
  pollNow(): Promise<void> {
    if (this.inflight) {
      if (this.inflightGeneration === this.generation) return this.inflight;
      // The poll in flight belongs to a provider or a run that is no more: poll again after it.
      return this.inflight.then(() => this.pollNow());
    }
    this.clearTimer();
    this.inflightGeneration = this.generation;
    this.inflight = this.poll().finally(() => {
      this.inflight = undefined;
      if (this.running && this.timer === undefined) this.schedule(this.nextDelayMs);
    });
    return this.inflight;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.running) void this.pollNow();
    }, ms);
  }

  // ---- the poll --------------------------------------------------------------------------------------

  private async poll(): Promise<void> {
    const generation = this.generation;
    const provider = this.getProvider();
    const started = this.now();
    this.counters.calls++;
    let servers: Server[];
    try {
      servers = await provider.listServers();
    } catch (error) {
      const duration = this.now() - started;
      if (generation !== this.generation || provider !== this.getProvider()) return;
      this.recordDuration(duration);
      this.counters.errors++;
      this.failures++;
      this.nextDelayMs = this.backoff(this.failures);
      this.lastStatus = {
        ok: false,
        error: describeError(error, 'Listing the servers'),
        retryable: isRetryable(error),
        ...(this.running ? { retryInMs: this.nextDelayMs } : {}),
        ...(this.lastStatus.lastPollAt ? { lastPollAt: this.lastStatus.lastPollAt } : {}),
        lastAttemptAt: new Date(started).toISOString(),
        ...(this.lastStatus.observedAt ? { observedAt: this.lastStatus.observedAt } : {}),
        calls: this.counters.calls,
        failures: this.failures,
      };
      this.emit(this.statusListeners, this.status());
      return;
    }
    const duration = this.now() - started;
    if (generation !== this.generation || provider !== this.getProvider()) return;
    this.recordDuration(duration);
    this.counters.polls++;
    this.failures = 0;
    const change = this.apply(Array.isArray(servers) ? servers : []);
    const busy = this.list.some((s) => !isSettled(s.phase));
    this.nextDelayMs = busy ? this.fastMs : this.slowMs;
    const observedAt = this.list.reduce<string | undefined>((latest, s) => (s.observedAt && (!latest || s.observedAt > latest) ? s.observedAt : latest), undefined);
    this.lastStatus = {
      ok: true,
      ...(this.running ? { nextPollInMs: this.nextDelayMs } : {}),
      lastPollAt: new Date(this.now()).toISOString(),
      lastAttemptAt: new Date(started).toISOString(),
      ...(observedAt ? { observedAt } : {}),
      calls: this.counters.calls,
      failures: 0,
    };
    if (change) this.emit(this.changeListeners, change);
    this.emit(this.statusListeners, this.status());
  }

  private recordDuration(ms: number): void {
    this.counters.lastDurationMs = ms;
    this.counters.maxDurationMs = Math.max(this.counters.maxDurationMs ?? 0, ms);
  }

  /** fast × 2^failures, at most the maximum, less up to `jitter` of it at random (so it still grows). */
  private backoff(failures: number): number {
    const full = Math.min(this.maxBackoffMs, this.fastMs * 2 ** Math.min(failures, 30));
    return Math.max(1, Math.round(full * (1 - this.jitter * this.random())));
  }

  /** Takes a new list; returns what changed, or undefined when nothing did. */
  private apply(servers: Server[]): WatcherChange | undefined {
    const added: Server[] = [];
    const changed: ServerChange[] = [];
    const updated: Server[] = [];
    const next = new Map<string, Server>();
    const list: Server[] = [];
    for (const server of servers) {
      if (!server || typeof server.id !== 'string' || next.has(server.id)) continue;
      next.set(server.id, server);
      list.push(server);
      const before = this.byId.get(server.id);
      const sig = signature(server);
      if (!before) added.push(server);
      else if (before.phase !== server.phase) changed.push({ server, from: before.phase, to: server.phase });
      else if (this.signatures.get(server.id) !== sig) updated.push(server);
      this.signatures.set(server.id, sig);
      this.track(server);
    }
    const removed: Server[] = [];
    for (const [id, server] of this.byId) {
      if (next.has(id)) continue;
      removed.push(server);
      this.signatures.delete(id);
      this.timelines.delete(id);
    }
    this.list = list;
    this.byId = next;
    this.counters.servers = list.length;
    return added.length || changed.length || updated.length || removed.length ? { added, changed, updated, removed } : undefined;
  }

  /** Adds the server's phase to its timeline (loading the stored one when first seen), and saves a change. */
  private track(server: Server): void {
    let before = this.timelines.get(server.id);
    let inStore = before;
    if (before === undefined) {
      const stored = this.load(server.id);
      if (stored.length > 0) before = inStore = stored;
      // Every server was requested when it was launched: a timeline first seen later starts there.
      else before = server.phase !== 'requested' && server.launchedAt ? [{ phase: 'requested', at: server.launchedAt }] : [];
    }
    const after = appendPhase(before, server);
    this.timelines.set(server.id, after);
    if (after !== inStore) this.save(server.id, after);
  }

  private load(id: string): PhaseEvent[] {
    if (!this.store) return [];
    try {
      const events = this.store.load(id);
      return Array.isArray(events) ? events.filter(isPhaseEvent).map((e) => ({ phase: e.phase, at: e.at })) : [];
    } catch {
      this.counters.timelineStoreErrors++;
      return [];
    }
  }

  private save(id: string, events: PhaseEvent[]): void {
    if (!this.store) return;
    try {
      this.store.save(id, events.map((e) => ({ ...e })));
    } catch {
      this.counters.timelineStoreErrors++;
    }
  }

  // ---- what it knows ---------------------------------------------------------------------------------

  /** Every server of the region as last listed, in the provider's order (kept through errors). */
  servers(): Server[] {
    return [...this.list];
  }

  server(id: string): Server | undefined {
    return this.byId.get(id);
  }

  /** The phases a server went through, oldest first (from the store for a server no longer listed). */
  timeline(id: string): PhaseEvent[] {
    const events = this.timelines.get(id) ?? this.load(id);
    return events.map((e) => ({ ...e }));
  }

  status(): WatcherStatus {
    return { ...this.lastStatus };
  }

  stats(): WatcherStats {
    return { ...this.counters };
  }
}

function constant<T>(value: T): () => T {
  return () => value;
}
