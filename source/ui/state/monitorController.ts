// The monitor's effects: the watcher (batched polling, backoff) feeding the state, the server detail's
// console output, terminate with a typed confirmation, capture with its progress, and the images the
// lineage flags need.
import { describeError, isStrataError } from '../../core/errors.js';
import type { PhaseEvent } from '../../core/readiness.js';
import { sanitize } from '../../core/sanitize.js';
import type { Image, Server } from '../../core/types.js';
import type { Session } from '../../services/session.js';
import type { Watcher } from '../../services/watcher.js';
import type { Action } from './reducer.js';
import { listedImages } from './selectors.js';
import type { AppState } from './state.js';

export interface MonitorHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string): void;
  session(): Session | undefined;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: unknown): void;
  /** Own images changed (a capture): reload them in place. */
  refreshOwn(): void;
  /** An image servers stand on is gone while a list shows it: reload the lists. */
  imagesGone?(): void;
  /** After a poll: volume passphrases whose servers are gone leave the keychain (where the launcher is loaded). */
  sweep?(servers: Server[]): void;
}

/** How often images already looked up are checked again (templates are deprecated and deleted). */
const IMAGE_RECHECK_MS = 60_000;
/** How often a followed console is read again (as `strata console --follow` does). */
export const FOLLOW_MS = 2000;

export class MonitorController {
  private watcher?: Watcher;
  private watched?: Session;
  private unsubscribe: (() => void)[] = [];
  private imageCheckedAt = new Map<string, number>();
  private looking = new Set<string>();
  private captureAborts = new Set<AbortController>();

  constructor(private readonly host: MonitorHost) {}

  /** Starts watching the session's region (once per session). */
  watch(): void {
    const session = this.host.session();
    if (!session || this.watched === session) return;
    this.stop();
    this.watched = session;
    const watcher = session.watcher();
    this.watcher = watcher;
    this.unsubscribe.push(
      watcher.onChange(() => {
        if (this.watcher !== watcher) return;
        const servers = watcher.servers();
        this.host.dispatch({ type: 'monitor/servers', servers });
        void this.lookUpImages();
        // The provider says an image a server stands on is gone while a list still shows it: the lists (and
        // :risk, which reads them) are reloaded now, not at the next minute's refresh or a :refresh.
        const state = this.host.state;
        const listed = new Set([...listedImages(state, 'own'), ...listedImages(state, 'vendor')].map((i) => i.id));
        if (servers.some((x) => x.imageGone && listed.has(x.imageId))) this.host.imagesGone?.();
      }),
      watcher.onStatus((status) => {
        if (this.watcher !== watcher) return;
        // Every answer carries the provider's clock: elapsed times and "late" move on even when no phase did.
        if (status.ok) {
          this.host.dispatch({ type: 'monitor/servers', servers: watcher.servers() });
          this.host.sweep?.(watcher.servers());
        }
        this.host.dispatch({
          type: 'monitor/status',
          status: { ok: status.ok, error: status.error, retryInMs: status.retryInMs, lastPollAt: status.lastPollAt ? Date.parse(String(status.lastPollAt)) || Date.now() : Date.now(), calls: status.calls },
        });
      }),
    );
    watcher.start();
  }

  stop(): void {
    this.stopFollowing();
    for (const off of this.unsubscribe.splice(0)) off();
    this.watcher?.stop();
    this.watcher = undefined;
    this.watched = undefined;
    for (const a of this.captureAborts) a.abort();
    this.captureAborts.clear();
  }

  pollNow(): void {
    void this.watcher?.pollNow();
  }

  timeline(serverId: string): PhaseEvent[] {
    return this.watcher?.timeline(serverId) ?? [];
  }

  /**
   * The images the servers run on, and the sources own images were captured from, as the provider knows
   * them now (null: gone). Those in the own and vendor lists are known already.
   */
  async lookUpImages(force = false): Promise<void> {
    const session = this.host.session();
    if (!session) return;
    const state = this.host.state;
    const known = state.monitor.images;
    const own = listedImages(state, 'own');
    const listed = new Set([...own, ...listedImages(state, 'vendor')].map((i) => i.id));
    const wanted = [...state.monitor.servers.map((s) => s.imageId), ...own.map((i) => i.sourceImageId ?? '')].filter(
      (id) => id !== '' && !listed.has(id),
    );
    const now = Date.now();
    const ids = [...new Set(wanted)].filter(
      (id) => !this.looking.has(id) && (force || !(id in known) || now - (this.imageCheckedAt.get(id) ?? 0) > IMAGE_RECHECK_MS),
    );
    if (ids.length === 0) return;
    for (const id of ids) this.looking.add(id);
    let found: Record<string, Image | null> = {};
    try {
      found = await session.servers.lookUpImages(ids);
    } catch (error) {
      this.host.log('warn', describeError(error, 'Looking up images'));
    } finally {
      for (const id of ids) {
        this.looking.delete(id);
        this.imageCheckedAt.set(id, Date.now());
      }
    }
    if (this.host.session() === session && Object.keys(found).length) this.host.dispatch({ type: 'monitor/images', images: found });
  }

  move(delta: number): void {
    this.host.dispatch({ type: 'monitor/move', delta });
  }

  async openDetail(): Promise<void> {
    const m = this.host.state.monitor;
    const server = m.servers[m.selected];
    const session = this.host.session();
    if (!server || !session) return;
    this.host.dispatch({ type: 'monitor/detail', serverId: server.id });
    try {
      const text = await session.servers.consoleOutput(server.id);
      this.host.dispatch({ type: 'monitor/console', serverId: server.id, text: text || '(empty)' });
    } catch (error) {
      this.host.dispatch({ type: 'monitor/console', serverId: server.id, error: describeError(error, 'Reading the console output') });
    }
  }

  closeDetail(): void {
    this.stopFollowing();
    this.host.dispatch({ type: 'monitor/detail' });
  }

  /** The detail of a server by id (the launch result's f: the server may not be listed yet). */
  async openDetailOf(serverId: string): Promise<void> {
    const session = this.host.session();
    if (!session) return;
    this.host.dispatch({ type: 'monitor/detail', serverId });
    try {
      const text = await session.servers.consoleOutput(serverId);
      this.host.dispatch({ type: 'monitor/console', serverId, text: text || '(empty)' });
    } catch (error) {
      this.host.dispatch({ type: 'monitor/console', serverId, error: describeError(error, 'Reading the console output') });
    }
  }

  private followTimer?: NodeJS.Timeout;
  private followRun = 0;

  /**
   * f in the detail: the console is read again every FOLLOW_MS (one read at a time) and the view stays at
   * its end, until Esc, the detail closes, the pane or the session changes.
   */
  follow(): void {
    const detail = this.host.state.monitor.detail;
    const session = this.host.session();
    if (!detail || !session) return;
    this.stopFollowing(false);
    const run = ++this.followRun;
    const serverId = detail.serverId;
    this.host.dispatch({ type: 'monitor/follow', following: true });
    const still = () => {
      const s = this.host.state;
      return run === this.followRun && s.pane === 'monitor' && s.monitor.detail?.serverId === serverId && s.monitor.detail.following === true && this.host.session() === session;
    };
    const tick = async () => {
      this.followTimer = undefined;
      if (!still()) {
        if (run === this.followRun) this.stopFollowing();
        return;
      }
      try {
        const text = await session.servers.consoleOutput(serverId);
        if (still()) this.host.dispatch({ type: 'monitor/console', serverId, text: text || '(empty)' });
      } catch (error) {
        if (still()) this.host.dispatch({ type: 'monitor/console', serverId, error: describeError(error, 'Reading the console output') });
      }
      if (!still()) {
        if (run === this.followRun) this.stopFollowing();
        return;
      }
      this.followTimer = setTimeout(() => void tick(), FOLLOW_MS);
      this.followTimer.unref?.();
    };
    void tick();
  }

  /** Stops following the console (Esc); the view stays where it is, at the end. */
  stopFollowing(dispatch = true): void {
    this.followRun++;
    if (this.followTimer) clearTimeout(this.followTimer);
    this.followTimer = undefined;
    if (dispatch && this.host.state.monitor.detail?.following) this.host.dispatch({ type: 'monitor/follow', following: false });
  }

  private selected() {
    const m = this.host.state.monitor;
    return m.detail ? m.servers.find((s) => s.id === m.detail!.serverId) : m.servers[m.selected];
  }

  startTerminate(): void {
    const server = this.selected();
    if (!server) return;
    if (server.phase === 'terminated') {
      this.host.say('info', `${sanitize(server.name)} is terminated already.`);
      return;
    }
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'terminate', serverId: server.id, editor: { text: '', cursor: 0 } } });
  }

  async confirmTerminate(): Promise<void> {
    const t = this.host.state.overlay?.kind === 'terminate' ? this.host.state.overlay : undefined;
    const session = this.host.session();
    const server = this.host.state.monitor.servers.find((s) => s.id === t?.serverId);
    if (!t || !session || !server) return;
    if (t.editor.text !== server.name) {
      const typedId = t.editor.text === server.id;
      this.host.dispatch({ type: 'overlay/error', kind: 'terminate', message: `${typedId ? 'That is the id, not the name' : 'That is not the name'}; type ${sanitize(server.name)} exactly.` });
      return;
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'terminate' });
    try {
      await session.servers.terminate(server);
      this.host.say('info', `Terminating ${sanitize(server.name)} (${sanitize(server.id)}).`);
      this.pollNow();
    } catch (error) {
      this.host.say('error', describeError(error, `Terminating ${sanitize(server.name)}`));
    }
  }

  startCapture(): void {
    const server = this.selected();
    const session = this.host.session();
    if (!server || !session) return;
    if (!['running', 'initializing', 'ready', 'stalled'].includes(server.phase)) {
      this.host.say('error', `An image can be captured from a running server; ${sanitize(server.name)} is ${server.phase}.`);
      return;
    }
    // The server's name and the capture's date (the provider's clock), fitted to the image name rules.
    const at = new Date(server.observedAt ?? Date.now());
    const name = session.capturer.defaultName(server.name, at) ?? `${sanitize(server.name, 80)}-${at.toISOString().slice(0, 10)}`;
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'capture', serverId: server.id, editor: { text: name, cursor: [...name].length }, saving: false } });
  }

  async confirmCapture(): Promise<void> {
    const cap = this.host.state.overlay?.kind === 'capture' ? this.host.state.overlay : undefined;
    const session = this.host.session();
    if (!cap || cap.saving || !session) return;
    const name = cap.editor.text;
    this.host.dispatch({ type: 'capture/saving', saving: true });
    let image: Image;
    try {
      image = await session.capturer.capture(cap.serverId, { name, ...(cap.label ? { label: cap.label } : {}), ...(cap.noReboot ? { noReboot: true } : {}) });
    } catch (error) {
      this.host.dispatch({ type: 'overlay/error', kind: 'capture', message: isStrataError(error) && error.kind === 'Invalid' ? `Name refused: ${error.message}` : describeError(error, 'Capturing') });
      return;
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'capture' });
    this.host.say('info', `Capturing ${sanitize(image.name)} (${sanitize(image.id)}) from ${sanitize(cap.serverId)}.`);
    this.host.dispatch({ type: 'monitor/capture/progress', imageId: image.id, line: `capturing ${sanitize(image.name)}: ${image.state}` });
    this.host.refreshOwn();
    const abort = new AbortController();
    this.captureAborts.add(abort);
    try {
      const done = await session.capturer.waitAvailable(image.id, {
        signal: abort.signal,
        onProgress: (i) => this.host.dispatch({ type: 'monitor/capture/progress', imageId: image.id, line: `capturing ${sanitize(i.name)}: ${i.state}` }),
      });
      this.host.say('info', `Image ${sanitize(done.name)} (${sanitize(done.id)}) is available among own images, captured from ${sanitize(cap.serverId)}.`);
    } catch (error) {
      if (!abort.signal.aborted) this.host.say('error', describeError(error, `Capturing ${sanitize(image.name)}`));
    } finally {
      this.captureAborts.delete(abort);
      this.host.dispatch({ type: 'monitor/capture/progress', imageId: image.id });
      this.host.refreshOwn();
    }
  }
}
