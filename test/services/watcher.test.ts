// The watcher against the real sandbox (temporary homes, a real clock that stands still so simulated time
// moves only when a test advances it): one provider call per poll however many servers, each phase
// transition emitted once, backoff under throttling with the last good list kept, recovery on a healthy
// provider, failures and stalls as the sandbox injects them. Provider calls are counted by wrapping the
// real provider object, never by replacing it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PHASE_ORDER, readinessOf, type PhaseEvent } from '../../source/core/readiness.js';
import type { Phase, Server } from '../../source/core/types.js';
import type { ProviderOptions, ProviderService } from '../../source/providers/provider.js';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { FAILURE_REASONS, timelineFor } from '../../source/providers/sandbox/readiness.js';
import { Watcher, type Timers, type WatcherChange, type WatcherStatus } from '../../source/services/watcher.js';

const SEC = 1000;
const MIN = 60 * SEC;
const REAL_NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const SEED = 21;

const homes: string[] = [];
const providers: SandboxProvider[] = [];
const watchers: Watcher[] = [];
afterEach(async () => {
  for (const w of watchers.splice(0)) w.stop();
  for (const p of providers.splice(0)) await p.close();
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function newHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-watcher-'));
  homes.push(dir);
  return dir;
}

/** A sandbox whose simulated time moves only by clock.advance(). */
async function sandbox(home: string, options: Partial<ProviderOptions> = {}): Promise<SandboxProvider> {
  const p = await SandboxProvider.open({ home, sandboxSeed: SEED, ...options }, { realNow: () => REAL_NOW });
  providers.push(p);
  return p;
}

function watcher(options: ConstructorParameters<typeof Watcher>[0]): Watcher {
  const w = new Watcher(options);
  watchers.push(w);
  return w;
}

/** The real provider, with every call it receives counted. */
function counted<T extends object>(provider: T): { provider: T; calls: { method: string; args: unknown[] }[] } {
  const calls: { method: string; args: unknown[] }[] = [];
  const proxy = new Proxy(provider, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(prop), args });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { provider: proxy, calls };
}

async function launch(p: SandboxProvider, token: string, count: number): Promise<Server[]> {
  const { items } = await p.listImages({ scope: 'own', pageSize: 5000 });
  const image = items.find((i) => i.state === 'available' && i.architecture === 'x86_64' && i.platform !== 'windows')!;
  return p.launch({ name: `w-${token}`, imageId: image.id, productId: 'sb.small', firewallIds: [], count }, token);
}

/** Waits for a condition, checking often, up to a deadline (no blind sleeps). */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Timers the test fires by hand: the watcher's scheduling is observable without waiting. */
class HandTimers implements Timers {
  pending = new Map<number, { callback: () => void; ms: number }>();
  private next = 1;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
  fire(): void {
    const [[id, timer]] = [...this.pending];
    this.pending.delete(id);
    timer.callback();
  }
}

describe('Watcher: batching', () => {
  it('makes one provider call per poll for 50 servers, listing the whole region', async () => {
    const p = await sandbox(newHome());
    await launch(p, 'batch-a', 20);
    await launch(p, 'batch-b', 20);
    await launch(p, 'batch-c', 10);
    const { provider, calls } = counted<ProviderService>(p);
    const w = watcher({ provider });

    for (let i = 0; i < 5; i++) {
      await w.pollNow();
      p.clock.advance(30 * SEC);
    }
    expect(w.servers()).toHaveLength(50);
    expect(calls).toHaveLength(5);
    for (const call of calls) expect(call).toEqual({ method: 'listServers', args: [] });
    expect(w.stats()).toMatchObject({ calls: 5, polls: 5, errors: 0, servers: 50 });
    expect(w.stats().lastDurationMs).toBeGreaterThanOrEqual(0);

    // Asked three times at once: one call, the others join it.
    await Promise.all([w.pollNow(), w.pollNow(), w.pollNow()]);
    expect(calls).toHaveLength(6);

    // Running on its own timer: still exactly one call per poll.
    const w2 = watcher({ provider, fastMs: 5, slowMs: 5 });
    const before = calls.length;
    w2.start();
    await until(() => w2.stats().polls >= 10, 'ten timed polls');
    w2.stop();
    const made = w2.stats().calls;
    expect(calls.length - before).toBe(made);
    expect(calls.slice(before).every((c) => c.method === 'listServers' && c.args.length === 0)).toBe(true);
  });
});

describe('Watcher: changes', () => {
  it('emits each phase transition once, in order, and keeps a timeline that matches the provider', async () => {
    const p = await sandbox(newHome());
    const launched = await launch(p, 'phases', 6);
    const w = watcher({ provider: p });
    const events: WatcherChange[] = [];
    const statuses: WatcherStatus[] = [];
    w.onChange((c) => events.push(c));
    w.onStatus((s) => statuses.push(s));

    await w.pollNow();
    expect(events).toHaveLength(1);
    expect(events[0].added.map((s) => s.id).sort()).toEqual(launched.map((s) => s.id).sort());
    expect(events[0].added.every((s) => s.phase === 'requested')).toBe(true);

    // Nothing moved: no change event, but a status.
    await w.pollNow();
    expect(events).toHaveLength(1);
    expect(statuses).toHaveLength(2);
    expect(statuses[1]).toMatchObject({ ok: true, failures: 0, calls: 2 });

    const seen = new Map<string, Phase[]>(launched.map((s) => [s.id, ['requested']]));
    for (let t = 0; t < 45 * MIN && !w.servers().every((s) => s.phase === 'ready'); t += 7 * SEC) {
      p.clock.advance(7 * SEC);
      const count = events.length;
      await w.pollNow();
      for (const e of events.slice(count)) {
        expect(e.added).toEqual([]);
        expect(e.removed).toEqual([]);
        for (const c of e.changed) {
          const path = seen.get(c.server.id)!;
          expect(c.from).toBe(path.at(-1)); // from is exactly the phase reported before
          expect(c.to).toBe(c.server.phase);
          expect(PHASE_ORDER.indexOf(c.to as (typeof PHASE_ORDER)[number])).toBeGreaterThan(PHASE_ORDER.indexOf(c.from as (typeof PHASE_ORDER)[number]));
          path.push(c.to);
        }
      }
    }
    expect(w.servers().every((s) => s.phase === 'ready')).toBe(true);

    for (const s of w.servers()) {
      const path = seen.get(s.id)!;
      expect(new Set(path).size).toBe(path.length); // never the same transition twice
      expect(path.at(-1)).toBe('ready');
      // The timeline holds the same phases, at the times the provider's schedule puts them.
      const timeline = w.timeline(s.id);
      expect(timeline.map((e) => e.phase)).toEqual(path);
      const truth = timelineFor(SEED, s.id);
      const launchedMs = Date.parse(s.launchedAt);
      for (const e of timeline) {
        const offset = e.phase === 'requested' ? 0 : truth[e.phase as keyof typeof truth];
        expect(e.at).toBe(new Date(launchedMs + offset).toISOString());
      }
      const r = readinessOf(s, Date.parse(s.observedAt!), 1200);
      expect(r.progress).toBe(1);
      expect(r.label).toMatch(/^ready after \d+m \d\ds$/);
    }
    // Every transition is in exactly one event.
    const transitions = events.flatMap((e) => e.changed).length;
    expect(transitions).toBe([...seen.values()].reduce((n, path) => n + path.length - 1, 0));
  });

  it('reports a terminated server, then its removal when the provider stops listing it', async () => {
    const p = await sandbox(newHome());
    const [s] = await launch(p, 'term', 1);
    const w = watcher({ provider: p });
    const events: WatcherChange[] = [];
    w.onChange((c) => events.push(c));
    await w.pollNow();
    await p.terminate(s.id);
    p.clock.advance(SEC);
    await w.pollNow();
    expect(events.at(-1)!.changed).toEqual([expect.objectContaining({ from: 'requested', to: 'terminated' })]);
    p.clock.advance(61 * MIN);
    await w.pollNow();
    expect(events.at(-1)!.removed.map((r) => r.id)).toEqual([s.id]);
    expect(w.servers()).toEqual([]);
  });

  it('polls fast while a server is on its way, slowly once all are settled, and stop() leaves no timer', async () => {
    const p = await sandbox(newHome());
    await launch(p, 'pace', 3);
    const timers = new HandTimers();
    const w = watcher({ provider: p, fastMs: 2000, slowMs: 15_000, timers });
    const statuses: WatcherStatus[] = [];
    w.onStatus((s) => statuses.push(s));
    w.start();
    await until(() => statuses.length === 1, 'the first poll');
    expect(timers.delays()).toEqual([2000]);
    expect(statuses[0].nextPollInMs).toBe(2000);

    p.clock.advance(40 * MIN); // every server of this seed is ready by then
    timers.fire();
    await until(() => statuses.length === 2, 'the timed poll');
    expect(w.servers().every((s) => s.phase === 'ready')).toBe(true);
    expect(timers.delays()).toEqual([15_000]);

    w.stop();
    expect(timers.pending.size).toBe(0);
    expect(w.isRunning).toBe(false);
  });

  it('drops an answer that arrives after stop(), and a listener that throws does not stop the others', async () => {
    const p = await sandbox(newHome());
    await launch(p, 'late', 2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The real provider, answering late.
    const slow = new Proxy(p, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== 'listServers') return typeof value === 'function' ? value.bind(target) : value;
        return async () => {
          const servers = await target.listServers();
          await gate;
          return servers;
        };
      },
    });
    const w = watcher({ provider: slow, timers: new HandTimers() });
    const events: WatcherChange[] = [];
    w.onChange(() => {
      throw new Error('a broken listener');
    });
    w.onChange((c) => events.push(c));
    w.start();
    const inflight = w.pollNow(); // joins the poll start() began
    w.stop();
    release();
    await inflight;
    expect(events).toEqual([]);
    expect(w.servers()).toEqual([]);

    await w.pollNow(); // a poll by hand still works after stop()
    expect(events).toHaveLength(1);
    expect(w.servers()).toHaveLength(2);
  });
});

describe('Watcher: errors', () => {
  it('backs off under throttling with growing delays, keeps the servers, and recovers on a healthy provider', async () => {
    const home = newHome();
    const healthy = await sandbox(home);
    await launch(healthy, 'throttle', 3);
    const throttled = await sandbox(home, { sandboxFaults: 'throttle=1' });
    let current: ProviderService = healthy;
    const w = watcher({ provider: () => current, fastMs: 20, slowMs: 20, maxBackoffMs: 5000 });
    const statuses: { status: WatcherStatus; servers: number }[] = [];
    w.onStatus((status) => statuses.push({ status, servers: w.servers().length }));
    w.start();
    await until(() => w.servers().length === 3, 'the first list');

    current = throttled;
    const errorsOf = () => statuses.filter((s) => !s.status.ok);
    await until(() => errorsOf().length >= 4, 'four throttled polls');
    const errors = errorsOf().slice(0, 4);
    for (const { status, servers } of errors) {
      expect(servers).toBe(3); // the last good list is kept: the monitor never blanks
      expect(status.retryable).toBe(true);
      expect(status.error).toMatch(/^Listing the servers failed: the provider is throttling requests\. \(Sandbox eu-west is throttling/);
      expect(status.lastPollAt).toBeDefined();
    }
    const delays = errors.map((e) => e.status.retryInMs!);
    // 20 ms doubled each time, less at most a fifth: 40, 80, 160, 320 at most, and always growing.
    for (let i = 0; i < delays.length; i++) {
      expect(delays[i]).toBeLessThanOrEqual(20 * 2 ** (i + 1));
      expect(delays[i]).toBeGreaterThanOrEqual(0.8 * 20 * 2 ** (i + 1));
      if (i > 0) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
    }
    expect(errors.map((e) => e.status.failures)).toEqual([1, 2, 3, 4]);

    // A fresh provider without faults (a reconnect): the next timed poll answers.
    current = await sandbox(home);
    await until(() => statuses.at(-1)!.status.ok, 'recovery');
    expect(statuses.at(-1)!.status).toMatchObject({ ok: true, failures: 0 });
    expect(statuses.at(-1)!.status.retryInMs).toBeUndefined();
    expect(statuses.at(-1)!.status.error).toBeUndefined();
    expect(w.servers()).toHaveLength(3);
  });

  it('caps the backoff, and setProvider polls at once (reset: every server removed)', async () => {
    const home = newHome();
    const healthy = await sandbox(home);
    await launch(healthy, 'cap', 2);
    const timers = new HandTimers();
    const w = watcher({ provider: await sandbox(home, { sandboxFaults: 'throttle=1' }), fastMs: 1000, maxBackoffMs: 5000, jitter: 0, timers });
    const statuses: WatcherStatus[] = [];
    w.onStatus((s) => statuses.push(s));
    w.start();
    for (let i = 1; i <= 5; i++) {
      await until(() => statuses.length === i, `throttled poll ${i}`);
      if (i < 5) timers.fire();
    }
    expect(statuses.map((s) => s.retryInMs)).toEqual([2000, 4000, 5000, 5000, 5000]);
    expect(w.servers()).toEqual([]); // never had a list: nothing to keep

    w.setProvider(healthy);
    await until(() => statuses.at(-1)!.ok, 'the poll setProvider starts');
    expect(w.servers()).toHaveLength(2);

    const events: WatcherChange[] = [];
    w.onChange((c) => events.push(c));
    const other = await sandbox(newHome());
    w.setProvider(other, { reset: true });
    expect(events[0].removed).toHaveLength(2);
    await until(() => statuses.length >= 7, 'the poll of the other region');
    expect(w.servers()).toEqual([]);
  });

  it('reports a failed server with its reason, once', async () => {
    const p = await sandbox(newHome(), { sandboxFaults: 'fail=1' });
    const launched = await launch(p, 'fail', 2);
    const w = watcher({ provider: p });
    const failed: WatcherChange['changed'] = [];
    w.onChange((c) => failed.push(...c.changed.filter((x) => x.to === 'failed')));
    for (let t = 0; t <= 10 * MIN; t += 20 * SEC) {
      await w.pollNow();
      p.clock.advance(20 * SEC);
    }
    expect(failed.map((c) => c.server.id).sort()).toEqual(launched.map((s) => s.id).sort());
    for (const { server, from } of failed) {
      expect(['booting', 'pending', 'requested']).toContain(from);
      expect(FAILURE_REASONS).toContain(server.failureReason);
      const r = readinessOf(server, Date.parse(server.observedAt!), 1200);
      expect(r).toMatchObject({ overdue: false, progress: 0 });
      expect(r.label).toMatch(/^failed after \d+m \d\ds$/);
      expect(w.timeline(server.id).at(-1)!.phase).toBe('failed');
    }
  });

  it('reports a stalled server once it is past the expected time, and the monitor calls it late', async () => {
    const p = await sandbox(newHome(), { sandboxFaults: 'stall=1' });
    const expected = (await p.describe()).capabilities.servers.expectedReadySeconds;
    expect(expected).toBe(1200);
    const [s] = await launch(p, 'stall', 1);
    const w = watcher({ provider: p });
    const changes: WatcherChange['changed'] = [];
    w.onChange((c) => changes.push(...c.changed));
    const launchedMs = Date.parse(s.launchedAt);

    p.clock.advanceTo(launchedMs + 19 * MIN);
    await w.pollNow();
    let now = w.server(s.id)!;
    expect(now.phase).toBe('initializing');
    expect(readinessOf(now, Date.parse(now.observedAt!), expected)).toMatchObject({ overdue: false, late: undefined });

    p.clock.advanceTo(launchedMs + 21 * MIN);
    await w.pollNow();
    await w.pollNow();
    now = w.server(s.id)!;
    expect(now.phase).toBe('stalled');
    expect(changes.filter((c) => c.to === 'stalled')).toEqual([expect.objectContaining({ from: 'initializing', to: 'stalled' })]);
    const r = readinessOf(now, Date.parse(now.observedAt!), expected);
    expect(r).toMatchObject({ overdue: true, late: 'late: 21 min of ~20', label: 'stalled · late: 21 min of ~20' });
    expect(w.timeline(s.id).map((e) => e.phase)).toEqual(['requested', 'initializing', 'stalled']);
  });
});

describe('Watcher: the timeline store hook', () => {
  it('saves each change, and a new watcher (a restart) continues from the stored timeline', async () => {
    const p = await sandbox(newHome());
    const [s] = await launch(p, 'store', 1);
    const stored = new Map<string, PhaseEvent[]>();
    const saves: string[] = [];
    const store = {
      load: (id: string) => stored.get(id),
      save: (id: string, events: PhaseEvent[]) => {
        saves.push(id);
        stored.set(id, events);
      },
    };
    const first = watcher({ provider: p, timelineStore: store });
    await first.pollNow();
    p.clock.advance(30 * SEC);
    await first.pollNow();
    await first.pollNow(); // no change: no save
    expect(saves).toHaveLength(2);
    first.stop();

    p.clock.advance(5 * MIN);
    const second = watcher({ provider: p, timelineStore: store });
    await second.pollNow();
    const phases = second.timeline(s.id).map((e) => e.phase);
    expect(phases.slice(0, 2)).toEqual(stored.get(s.id)!.slice(0, 2).map((e) => e.phase));
    expect(phases[0]).toBe('requested');
    expect(phases.length).toBe(3);
    expect(saves).toHaveLength(3);

    // A store that throws costs the timeline nothing in memory.
    const broken = watcher({
      provider: p,
      timelineStore: {
        load: () => {
          throw new Error('disk gone');
        },
        save: () => {
          throw new Error('disk gone');
        },
      },
    });
    await broken.pollNow();
    expect(broken.timeline(s.id).length).toBeGreaterThan(1);
    expect(broken.stats().timelineStoreErrors).toBeGreaterThan(0);
  });
});
