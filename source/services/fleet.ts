// The fleet (DESIGN.md "Sources and the fleet"): one session per source and region, their own images and
// servers merged into one list with the source and region on every row, and each source's state (loading,
// ok, stale since, or its error in a sentence). One failing source never hides the others: each place
// (a source's region) opens, loads and polls on its own, and a place that fails keeps its last rows (stale)
// or says why it has none (error).
//
// Provider calls are bounded: at most `concurrency` in flight at once across every source (config.yaml
// fleet.concurrency, default 4). The servers are polled in one batched call per place per poll
// (listServers() without ids, through each place's Watcher, which diffs and keeps the timelines), fast while
// any server is on its way and slow once all are settled; a place that fails backs off on its own
// (doubling, with jitter), so a throttled account is asked less while the others go on.
import { describeError } from '../core/errors.js';
import { isSettled } from '../core/readiness.js';
import { sanitize } from '../core/sanitize.js';
import type { Image, Server } from '../core/types.js';
import type { Store } from '../store/db.js';
import type { CatalogueImage } from './catalogue.js';
import { copiesFor, type Copies, type CopyRecord } from './copies.js';
import { DEFAULT_CONCURRENCY, Limiter } from './limit.js';
import type { RetryPolicy } from './retry.js';
import { Session, type SessionOptions } from './session.js';
import { namedRegions, sourceSessionOptions, whereLabel, type SourceBase, type SourceConfig } from './sources.js';
import type { Watcher } from './watcher.js';

export type SourceState = 'loading' | 'ok' | 'stale' | 'error';

/** A source as the fleet's header shows it. */
export interface FleetSource {
  name: string;
  provider: string;
  readOnly: boolean;
  /** Its regions, as far as known (a source with regions: all learns them when it opens). */
  regions: string[];
  state: SourceState;
  /** stale: when its rows were last known good (this machine's clock, ms). */
  since?: number;
  /** error: what went wrong, in a sentence (a region's name first where the source has several). */
  error?: string;
}

export type FleetRowKind = 'image' | 'server';

/** One row of the fleet: an own image or a server of one source's region. Every string is sanitised. */
export interface FleetRow {
  key: string;
  kind: FleetRowKind;
  source: string;
  region: string;
  /** "prod-eu/eu-west-1". */
  where: string;
  id: string;
  name: string;
  /** An image's state, or a server's phase. */
  state: string;
  image?: CatalogueImage;
  server?: Server;
  /** Lower-cased text the filter's words match (name, id, source and region). */
  search: string;
}

/** A place of the fleet, for :risk and the versions: its lists and what is known of the images they stand on. */
export interface FleetPlace {
  source: string;
  region: string;
  where: string;
  /** The provider as the store knows it (an account of its own: "sandbox@home=…"). */
  account: string;
  images: readonly CatalogueImage[];
  servers: readonly Server[];
  /** Images looked up for the servers and the own images' sources: the image, or null where it is gone. */
  lookups: Readonly<Record<string, Image | null>>;
  /** How long a server takes to be ready there (the provider's word; 20 minutes unless it knows better). */
  expectedReadySeconds: number;
}

export interface FleetSnapshot {
  sources: FleetSource[];
  rows: readonly FleetRow[];
  places: readonly FleetPlace[];
  /** Copies into any place, newest last (running ones, and those that ended while strata ran). */
  copies: readonly CopyRecord[];
  /** Bumped on every change. */
  generation: number;
  /** Every place has answered (or failed) at least once. */
  complete: boolean;
}

export interface FleetStats {
  /** listServers calls made by polls. */
  calls: number;
  polls: number;
  /** Calls of the last poll (one per place polled). */
  lastPollCalls: number;
  lastPollMs?: number;
  /** The most provider calls the fleet had in flight at once. */
  peakConcurrency: number;
}

export interface FleetOptions {
  sources: readonly SourceConfig[];
  base: SourceBase;
  store: Store;
  /** Provider calls in flight at once (default: config.yaml fleet.concurrency, else 4). */
  concurrency?: number;
  /** Poll interval while a server is on its way (default 2000 ms) and once all are settled (15000 ms). */
  fastMs?: number;
  slowMs?: number;
  /** The longest pause of a place that keeps failing (default 60 s). */
  maxBackoffMs?: number;
  /** Poll on a timer after start (default true; the bench polls by hand). */
  autoPoll?: boolean;
  retry?: RetryPolicy;
  /** Opens a session (default Session.open on the store). */
  open?: (options: SessionOptions) => Promise<Session>;
  now?: () => number;
  random?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, detail?: unknown) => void;
  /** Resume the copies into each place that opens (default true; never in a read-only place). */
  resumeCopies?: boolean;
  /** Real milliseconds between a copy's polls of its image (default 5000; tests make it short). */
  copyPollMs?: number;
}

export { DEFAULT_CONCURRENCY } from './limit.js';

interface Place {
  source: SourceConfig;
  index: number;
  region?: string;
  session?: Session;
  watcher?: Watcher;
  opening?: Promise<void>;
  openError?: string;
  images: CatalogueImage[];
  imagesLoaded: boolean;
  imagesError?: string;
  servers: Server[];
  serversLoaded: boolean;
  pollError?: string;
  lastOkAt?: number;
  failures: number;
  dueAt: number;
  lookups: Record<string, Image | null>;
  rows?: FleetRow[];
  copies?: Copies;
}

const rowKey = (source: string, region: string, kind: FleetRowKind, id: string) => `${source}\u0000${region}\u0000${kind}\u0000${id}`;

export class Fleet {
  private readonly places: Place[] = [];
  private readonly limiter: Limiter;
  private readonly listeners = new Set<(snapshot: FleetSnapshot) => void>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly fastMs: number;
  private readonly slowMs: number;
  private readonly maxBackoffMs: number;
  private generation = 0;
  private current?: FleetSnapshot;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private closed = false;
  private started?: Promise<void>;
  private readonly counters: FleetStats = { calls: 0, polls: 0, lastPollCalls: 0, peakConcurrency: 0 };
  private readonly copyRecords = new Map<string, CopyRecord>();
  private notifyQueued = false;
  /** Aborted by close(): a load waiting out a throttle stops at once (a quit never waits for it). */
  private readonly stopping = new AbortController();

  constructor(private readonly options: FleetOptions) {
    this.limiter = new Limiter(options.concurrency ?? options.base.config?.fleet?.concurrency ?? DEFAULT_CONCURRENCY);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.fastMs = options.fastMs ?? 2000;
    this.slowMs = Math.max(this.fastMs, options.slowMs ?? 15_000);
    this.maxBackoffMs = Math.max(this.fastMs, options.maxBackoffMs ?? 60_000);
    options.sources.forEach((source, index) => {
      const regions = namedRegions(source);
      if (regions) for (const region of regions) this.places.push(this.newPlace(source, index, region));
      else this.places.push(this.newPlace(source, index, undefined));
    });
  }

  private newPlace(source: SourceConfig, index: number, region: string | undefined): Place {
    return { source, index, ...(region !== undefined ? { region } : {}), images: [], imagesLoaded: false, servers: [], serversLoaded: false, failures: 0, dueAt: 0, lookups: {} };
  }

  // ---- what it knows -------------------------------------------------------------------------------------

  /** Hears every change (a place opened, loaded, polled, failed; a copy moved on). Returns the unsubscribe. */
  onChange(listener: (snapshot: FleetSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): FleetSnapshot {
    return (this.current ??= this.build());
  }

  /** The session of a source's region (undefined until it opened, or where it failed to). */
  session(source: string, region: string): Session | undefined {
    return this.places.find((p) => p.source.name === source && p.region === region)?.session;
  }

  /** Every open session, in the fleet's order (a copy's targets are picked from these). */
  sessions(): { source: string; region: string; session: Session }[] {
    return this.places.filter((p) => p.session && p.region).map((p) => ({ source: p.source.name, region: p.region!, session: p.session! }));
  }

  /** The copy service into a source's region (undefined until it opened). */
  copies(source: string, region: string): Copies | undefined {
    const place = this.places.find((p) => p.source.name === source && p.region === region);
    if (!place?.session) return undefined;
    place.copies ??= copiesFor(place.session, { ...(this.options.retry ? { retry: this.options.retry } : {}), ...(this.options.copyPollMs ? { pollMs: this.options.copyPollMs, maxBackoffMs: this.options.copyPollMs * 4 } : {}) });
    return place.copies;
  }

  stats(): FleetStats {
    return { ...this.counters, peakConcurrency: this.limiter.peak };
  }

  /** How many places (source regions) the fleet has now. */
  get placeCount(): number {
    return this.places.length;
  }

  // ---- running -------------------------------------------------------------------------------------------

  /** Opens every source and loads its places (at most `concurrency` calls at once); resolves when all have answered or failed. */
  start(): Promise<void> {
    return (this.started ??= (async () => {
      await Promise.all(this.options.sources.map((source, index) => this.openSource(source, index)));
      if (this.options.autoPoll !== false) this.schedule(this.nextDelay());
    })());
  }

  private async openSource(source: SourceConfig, index: number): Promise<void> {
    const named = namedRegions(source);
    if (named) {
      await Promise.all(this.places.filter((p) => p.source === source).map((p) => this.openPlace(p)));
      return;
    }
    // regions: all, or the provider's default: the first session says which regions there are.
    const first = this.places.find((p) => p.source === source)!;
    await this.openPlace(first);
    if (!first.session) return;
    const description = first.session.description;
    first.region = description.region;
    if (source.regions === 'all') {
      const others = description.regions.map((r) => r.id).filter((r) => r !== description.region);
      const at = this.places.indexOf(first);
      const added = others.map((region) => this.newPlace(source, index, region));
      // In the provider's order, the first one's place kept.
      const ordered = [first, ...added].sort((a, b) => description.regions.findIndex((r) => r.id === a.region) - description.regions.findIndex((r) => r.id === b.region));
      this.places.splice(at, 1, ...ordered);
      this.changed();
      await Promise.all(added.map((p) => this.openPlace(p)));
    }
  }

  private openPlace(place: Place): Promise<void> {
    return (place.opening ??= (async () => {
      try {
        const options = sourceSessionOptions(place.source, place.region, this.options.base);
        if (this.options.retry) options.retry = this.options.retry;
        const open = this.options.open ?? ((o: SessionOptions) => Session.open(o, this.options.store));
        const session = await this.limiter.run(() => open(options));
        if (this.closed) {
          await session.close().catch(() => undefined);
          return;
        }
        place.session = session;
        place.region = session.region;
        place.watcher = session.watcher();
        place.openError = undefined;
        this.changed();
      } catch (error) {
        place.openError = describeError(error, `Opening ${place.source.name}${place.region ? ` in ${place.region}` : ''}`);
        this.options.log?.('warn', place.openError);
        this.changed();
        return;
      }
      await Promise.all([this.loadImages(place), this.pollPlace(place)]);
      await this.lookUp(place);
      this.resumeCopies(place);
    })());
  }

  /** Own images of a place (every page), then the images its servers and own images stand on. */
  private async loadImages(place: Place): Promise<void> {
    const session = place.session;
    if (!session) return;
    try {
      const items: CatalogueImage[] = [];
      await this.limiter.run(async () => {
        for await (const page of session.catalogue.pages('own', { pageSize: 5000, signal: this.stopping.signal })) items.push(...page.items);
      });
      place.images = items.map((i) => session.capturer.withLineage(i));
      place.imagesLoaded = true;
      place.imagesError = undefined;
    } catch (error) {
      if (this.closed) return;
      place.imagesError = describeError(error, 'Listing own images');
    }
    if (this.closed) return;
    place.rows = undefined;
    this.changed();
  }

  /** Looks up the images a place's servers and own images stand on (for :risk and the flags). */
  private async lookUp(place: Place): Promise<void> {
    const session = place.session;
    if (!session) return;
    const own = new Set(place.images.map((i) => i.id));
    const wanted = [...new Set([...place.servers.map((s) => s.imageId), ...place.images.map((i) => i.sourceImageId ?? '')])].filter((id) => id && !own.has(id) && !(id in place.lookups));
    if (wanted.length === 0) return;
    try {
      const found = await this.limiter.run(() => session.servers.lookUpImages(wanted, { signal: this.stopping.signal }));
      place.lookups = { ...place.lookups, ...found };
      this.changed();
    } catch (error) {
      this.options.log?.('warn', describeError(error, `Looking up images in ${place.source.name}/${place.region}`));
    }
  }

  /** Polls one place's servers (one batched call) unless it is backing off. */
  private async pollPlace(place: Place, force = false): Promise<boolean> {
    const watcher = place.watcher;
    if (!watcher || (!force && place.dueAt > this.now())) return false;
    const before = watcher.stats().calls;
    await this.limiter.run(() => watcher.pollNow());
    this.counters.calls += watcher.stats().calls - before;
    const status = watcher.status();
    if (status.ok) {
      const servers = watcher.servers();
      const changed = !place.serversLoaded || servers.length !== place.servers.length || servers.some((s, i) => s !== place.servers[i]) || place.pollError !== undefined;
      place.servers = servers;
      place.serversLoaded = true;
      place.pollError = undefined;
      place.failures = 0;
      place.dueAt = 0;
      place.lastOkAt = this.now();
      if (changed) {
        place.rows = undefined;
        this.changed();
      }
      // Elapsed times follow the provider's clock: the rows are new objects on every answer.
      else if (servers.length) {
        place.rows = undefined;
        this.changed();
      }
    } else {
      place.failures++;
      const full = Math.min(this.maxBackoffMs, this.fastMs * 2 ** Math.min(place.failures, 20));
      place.dueAt = this.now() + Math.max(1, Math.round(full * (1 - 0.2 * this.random())));
      place.pollError = status.error ?? 'the provider did not answer';
      this.changed();
    }
    return true;
  }

  /** One poll of every place that is not backing off: one listServers call each, `concurrency` at a time. */
  pollNow(): Promise<void> {
    if (this.polling) return this.polling;
    const started = performance.now();
    const before = this.counters.calls;
    this.polling = (async () => {
      await Promise.all(this.places.map((p) => this.pollPlace(p).catch((error) => this.options.log?.('warn', describeError(error, 'Polling')))));
      this.counters.polls++;
      this.counters.lastPollCalls = this.counters.calls - before;
      this.counters.lastPollMs = performance.now() - started;
      // A new image a server stands on (a template) is looked up once.
      await Promise.all(this.places.map((p) => this.lookUp(p)));
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private nextDelay(): number {
    const busy = this.places.some((p) => p.servers.some((s) => !isSettled(s.phase)));
    return busy ? this.fastMs : this.slowMs;
  }

  private schedule(ms: number): void {
    if (this.closed || this.options.autoPoll === false) return;
    if (this.timer) clearTimeout(this.timer);
    const due = Math.min(ms, ...this.places.filter((p) => p.dueAt > 0).map((p) => Math.max(50, p.dueAt - this.now())));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollNow().finally(() => this.schedule(this.nextDelay()));
    }, due);
    this.timer.unref?.();
  }

  /** Reloads a place's own images and polls its servers now (after an action on it, or :refresh). */
  async refreshPlace(source: string, region: string): Promise<void> {
    const place = this.places.find((p) => p.source.name === source && p.region === region);
    if (!place) return;
    if (!place.session && place.openError) {
      place.opening = undefined;
      await this.openPlace(place);
      return;
    }
    await Promise.all([this.loadImages(place), this.pollPlace(place, true)]);
    await this.lookUp(place);
  }

  /** Ctrl+R on the fleet: every place reloaded (a place that failed to open is tried again). */
  async refreshAll(): Promise<void> {
    await Promise.all(this.places.map((p) => (p.region ? this.refreshPlace(p.source.name, p.region) : this.retryOpen(p))));
  }

  private async retryOpen(place: Place): Promise<void> {
    if (place.session) return;
    place.opening = undefined;
    await this.openSource(place.source, place.index);
  }

  /** Runs a copy job here (started by the UI), following it in the snapshot until it ends. */
  runCopy(source: string, region: string, id: string): Promise<CopyRecord> | undefined {
    const copies = this.copies(source, region);
    if (!copies) return undefined;
    const onUpdate = (copy: CopyRecord) => {
      this.copyRecords.set(copy.id, copy);
      this.changed();
    };
    return copies.run(id, { onUpdate }).then((copy) => {
      onUpdate(copy);
      if (copy.state === 'done') void this.refreshPlace(source, region);
      return copy;
    });
  }

  private resumeCopies(place: Place): void {
    if (this.options.resumeCopies === false || !place.session || place.session.readOnly || !place.region) return;
    const copies = this.copies(place.source.name, place.region);
    for (const copy of copies?.unfinished() ?? []) void this.runCopy(place.source.name, place.region, copy.id)?.catch((error) => this.options.log?.('warn', describeError(error, 'Resuming a copy')));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    for (const place of this.places) place.watcher?.stop();
    // Sessions still opening close themselves when they open (openPlace sees closed).
    await Promise.all(this.places.map((p) => p.session?.close().catch(() => undefined)));
  }

  // ---- the snapshot --------------------------------------------------------------------------------------

  private changed(): void {
    this.generation++;
    this.current = undefined;
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    // Several places answering in one turn make one snapshot, not one each.
    queueMicrotask(() => {
      this.notifyQueued = false;
      if (this.listeners.size === 0) return;
      const snapshot = this.snapshot();
      for (const listener of [...this.listeners]) {
        try {
          listener(snapshot);
        } catch (error) {
          this.options.log?.('error', 'a fleet listener failed', error);
        }
      }
    });
  }

  private rowsOf(place: Place): FleetRow[] {
    if (place.rows) return place.rows;
    const source = place.source.name;
    const region = place.region ?? '';
    const where = whereLabel(source, region);
    const rows: FleetRow[] = [];
    const images = [...place.images].sort((a, b) => a.shownName.localeCompare(b.shownName));
    for (const image of images) {
      rows.push({
        key: rowKey(source, region, 'image', image.id),
        kind: 'image',
        source,
        region,
        where,
        id: image.id,
        name: image.shownName,
        state: image.state,
        image,
        search: `${image.shownName} ${image.name === image.shownName ? '' : `${image.name} `}${image.id} ${where}`.toLowerCase(),
      });
    }
    for (const server of place.servers) {
      const name = sanitize(server.name, 256);
      const id = sanitize(server.id, 256);
      rows.push({ key: rowKey(source, region, 'server', id), kind: 'server', source, region, where, id, name, state: server.phase, server, search: `${name} ${id} ${where}`.toLowerCase() });
    }
    place.rows = rows;
    return rows;
  }

  private build(): FleetSnapshot {
    const rows: FleetRow[] = [];
    const places: FleetPlace[] = [];
    for (const place of this.places) {
      if (!place.region) continue;
      rows.push(...this.rowsOf(place));
      places.push({
        source: place.source.name,
        region: place.region,
        where: whereLabel(place.source.name, place.region),
        account: place.session?.storeId ?? place.source.provider,
        images: place.images,
        servers: place.servers,
        lookups: place.lookups,
        expectedReadySeconds: place.session?.description.capabilities.servers.expectedReadySeconds ?? 1200,
      });
    }
    const sources = this.options.sources.map((source) => this.stateOf(source));
    const complete = this.places.every((p) => p.openError !== undefined || (p.imagesLoaded || p.imagesError !== undefined) && (p.serversLoaded || p.pollError !== undefined));
    return { sources, rows, places, copies: [...this.copyRecords.values()], generation: this.generation, complete };
  }

  private stateOf(source: SourceConfig): FleetSource {
    const mine = this.places.filter((p) => p.source === source);
    const regions = mine.map((p) => p.region).filter((r): r is string => r !== undefined);
    const readOnly = this.options.base.readOnly === true || source.readOnly === true;
    const base = { name: source.name, provider: source.provider, readOnly, regions };
    const several = mine.length > 1;
    const errorOf = (p: Place): string | undefined => {
      const failure = p.openError ?? (!p.imagesLoaded ? p.imagesError : undefined) ?? (!p.serversLoaded ? p.pollError : undefined);
      if (!failure) return undefined;
      return several && p.region ? `${p.region}: ${failure}` : failure;
    };
    const errors = mine.map(errorOf).filter((e): e is string => e !== undefined);
    if (errors.length) return { ...base, state: 'error', error: errors.join(' ') };
    const stale = mine.filter((p) => p.pollError !== undefined || (p.imagesError !== undefined && p.imagesLoaded));
    if (stale.length) return { ...base, state: 'stale', since: Math.min(...stale.map((p) => p.lastOkAt ?? this.now())), error: stale.map((p) => (several ? `${p.region}: ` : '') + (p.pollError ?? p.imagesError)).join(' ') };
    if (mine.some((p) => !p.session || !p.imagesLoaded || !p.serversLoaded)) return { ...base, state: 'loading' };
    return { ...base, state: 'ok' };
  }
}

/** A source's state in a few words, for the fleet's header: "ok", "loading", "stale since 10:42", "error". */
export function sourceStateWords(source: FleetSource): string {
  if (source.state === 'stale' && source.since !== undefined) {
    const at = new Date(source.since);
    return `stale since ${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  }
  return source.state;
}
