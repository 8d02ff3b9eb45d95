// The monitor's effects: the watcher (batched polling, backoff) feeding the state, the server detail's
// console output, terminate with a typed confirmation, capture with its progress, and the images the
// lineage flags need.
import { describeError, isStrataError } from '../../core/errors.js';
import type { PhaseEvent } from '../../core/readiness.js';
import { sanitize } from '../../core/sanitize.js';
import type { Image } from '../../core/types.js';
import type { Session } from '../../services/session.js';
import { Watcher } from '../../services/watcher.js';
import type { Action } from './reducer.js';
import { listedImages } from './selectors.js';
import type { AppState } from './state.js';

export interface MonitorHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  toast(level: 'error' | 'info', message: string): void;
  session(): Session | undefined;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: unknown): void;
  /** Own images changed (a capture): reload them in place. */
  refreshOwn(): void;
}

/** How often images already looked up are checked again (templates are deprecated and deleted). */
const IMAGE_RECHECK_MS = 60_000;

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
    const watcher = new Watcher({ provider: session.provider });
    this.watcher = watcher;
    this.unsubscribe.push(
      watcher.onChange(() => {
        if (this.watcher !== watcher) return;
        this.host.dispatch({ type: 'monitor/servers', servers: watcher.servers() });
        void this.lookUpImages();
      }),
      watcher.onStatus((status) => {
        if (this.watcher !== watcher) return;
        // Every answer carries the provider's clock: elapsed times and "late" move on even when no phase did.
        if (status.ok) this.host.dispatch({ type: 'monitor/servers', servers: watcher.servers() });
        this.host.dispatch({
          type: 'monitor/status',
          status: { ok: status.ok, error: status.error, retryInMs: status.retryInMs, lastPollAt: status.lastPollAt ? Date.parse(String(status.lastPollAt)) || Date.now() : Date.now(), calls: status.calls },
        });
      }),
    );
    watcher.start();
  }

  stop(): void {
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
    const found: Record<string, Image | null> = {};
    for (const id of ids) {
      this.looking.add(id);
      try {
        found[id] = await session.provider.getImage(id);
      } catch (error) {
        if (isStrataError(error) && error.kind === 'NotFound') found[id] = null;
      } finally {
        this.looking.delete(id);
        this.imageCheckedAt.set(id, Date.now());
      }
    }
    if (this.host.session() === session) this.host.dispatch({ type: 'monitor/images', images: found });
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
    if (!session.description.capabilities.servers.consoleOutput) {
      this.host.dispatch({ type: 'monitor/console', serverId: server.id, error: `${session.description.displayName} has no console output for its servers.` });
      return;
    }
    try {
      const text = await session.provider.consoleOutput(server.id);
      this.host.dispatch({ type: 'monitor/console', serverId: server.id, text: text || '(empty)' });
    } catch (error) {
      this.host.dispatch({ type: 'monitor/console', serverId: server.id, error: describeError(error, 'Reading the console output') });
    }
  }

  closeDetail(): void {
    this.host.dispatch({ type: 'monitor/detail' });
  }

  private selected() {
    const m = this.host.state.monitor;
    return m.detail ? m.servers.find((s) => s.id === m.detail!.serverId) : m.servers[m.selected];
  }

  startTerminate(): void {
    const server = this.selected();
    if (!server) return;
    if (server.phase === 'terminated') {
      this.host.toast('info', `${sanitize(server.name)} is terminated already.`);
      return;
    }
    this.host.dispatch({ type: 'monitor/terminate/open', serverId: server.id });
  }

  async confirmTerminate(): Promise<void> {
    const t = this.host.state.monitor.terminate;
    const session = this.host.session();
    const server = this.host.state.monitor.servers.find((s) => s.id === t?.serverId);
    if (!t || !session || !server) return;
    if (t.editor.text !== server.name) {
      this.host.dispatch({ type: 'monitor/terminate/error', message: `That is not the name; type ${sanitize(server.name)} exactly.` });
      return;
    }
    this.host.dispatch({ type: 'monitor/terminate/close' });
    try {
      await session.provider.terminate(server.id);
      session.audit('server.terminated', server.id, { name: server.name });
      this.host.toast('info', `Terminating ${sanitize(server.name)} (${sanitize(server.id)}).`);
      this.pollNow();
    } catch (error) {
      this.host.toast('error', describeError(error, `Terminating ${sanitize(server.name)}`));
    }
  }

  startCapture(): void {
    const server = this.selected();
    const session = this.host.session();
    if (!server || !session) return;
    if (!['running', 'initializing', 'ready', 'stalled'].includes(server.phase)) {
      this.host.toast('error', `An image can be captured from a running server; ${sanitize(server.name)} is ${server.phase}.`);
      return;
    }
    const day = (server.observedAt ?? new Date().toISOString()).slice(0, 10).replace(/-/g, '');
    this.host.dispatch({ type: 'monitor/capture/open', serverId: server.id, name: `${sanitize(server.name, 80)}-${day}` });
  }

  async confirmCapture(): Promise<void> {
    const cap = this.host.state.monitor.capture;
    const session = this.host.session();
    if (!cap || cap.saving || !session) return;
    const name = cap.editor.text;
    this.host.dispatch({ type: 'monitor/capture/saving' });
    let image: Image;
    try {
      image = await session.capturer.capture(cap.serverId, { name, ...(cap.label ? { label: cap.label } : {}), ...(cap.noReboot ? { noReboot: true } : {}) });
    } catch (error) {
      this.host.dispatch({ type: 'monitor/capture/error', message: isStrataError(error) && error.kind === 'Invalid' ? `Name refused: ${error.message}` : describeError(error, 'Capturing') });
      return;
    }
    this.host.dispatch({ type: 'monitor/capture/close' });
    this.host.toast('info', `Capturing ${sanitize(image.name)} (${sanitize(image.id)}) from ${sanitize(cap.serverId)}.`);
    this.host.dispatch({ type: 'monitor/capture/progress', imageId: image.id, line: `capturing ${sanitize(image.name)}: ${image.state}` });
    this.host.refreshOwn();
    const abort = new AbortController();
    this.captureAborts.add(abort);
    try {
      const done = await session.capturer.waitAvailable(image.id, {
        signal: abort.signal,
        onProgress: (i) => this.host.dispatch({ type: 'monitor/capture/progress', imageId: image.id, line: `capturing ${sanitize(i.name)}: ${i.state}` }),
      });
      this.host.toast('info', `Image ${sanitize(done.name)} (${sanitize(done.id)}) is available among own images, captured from ${sanitize(cap.serverId)}.`);
    } catch (error) {
      if (!abort.signal.aborted) this.host.toast('error', describeError(error, `Capturing ${sanitize(image.name)}`));
    } finally {
      this.captureAborts.delete(abort);
      this.host.dispatch({ type: 'monitor/capture/progress', imageId: image.id });
      this.host.refreshOwn();
    }
  }
}
