// The readiness monitor's polling cost: 1,000 servers in the sandbox (launched in batches of the region's
// maxCount), watched by services/watcher.ts. Reports provider calls per poll (must be 1: one batched
// listServers() for the whole region) and how long a poll takes — the provider's answer and the watcher's
// own work (diff, events, timelines) — while the servers move through their phases and once all are ready.
//
//   PATH=$PWD/node_modules/.bin:$PATH tsx bench/monitor.mjs [--servers 1000] [--polls 30] [--region eu-west] [--json]
//   (or: node --disable-warning=ExperimentalWarning --import tsx bench/monitor.mjs …)
//
// For the UI engineer: readyFleet() yields a sandbox with N servers all ready (and their list), to measure
// the monitor pane's frame time against; close() removes it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SandboxProvider } from '../source/providers/sandbox/index.ts';
import { Watcher } from '../source/services/watcher.ts';

const MINUTE = 60_000;

/**
 * A sandbox world with `count` servers launched from one own image, in batches of the region's maxCount.
 * Simulated time stands still (it moves only by provider.clock.advance), so the caller decides the phases.
 */
export async function launchFleet({ count = 1000, region = 'eu-west', seed = 7, home } = {}) {
  const dir = home ?? mkdtempSync(join(tmpdir(), 'strata-bench-monitor-'));
  const realNow = Date.now();
  const provider = await SandboxProvider.open({ home: dir, region, sandboxSeed: seed }, { realNow: () => realNow });
  const description = await provider.describe();
  const maxCount = description.capabilities.launch.maxCount;
  const { items } = await provider.listImages({ scope: 'own', pageSize: 5000 });
  const image = items.find((i) => i.state === 'available' && i.architecture === 'x86_64' && i.platform !== 'windows');
  const product = (await provider.listProducts()).find((p) => p.architecture === 'x86_64');
  if (!image || !product) throw new Error(`no x86_64 own image or size in sandbox region ${region}`);
  let launched = 0;
  for (let batch = 0; launched < count; batch++) {
    const n = Math.min(maxCount, count - launched);
    await provider.launch({ name: `fleet-${batch}`, imageId: image.id, productId: product.id, firewallIds: [], count: n }, `bench-fleet-${batch}`);
    launched += n;
  }
  return {
    provider,
    description,
    home: dir,
    async close() {
      await provider.close();
      if (!home) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For the monitor pane's frame-time bench: a sandbox with `count` servers, every one of them ready (40
 * simulated minutes after launch), and the list as the watcher hands it to the UI.
 */
export async function readyFleet(options = {}) {
  const fleet = await launchFleet(options);
  fleet.provider.clock.advance(40 * MINUTE);
  const watcher = new Watcher({ provider: fleet.provider });
  await watcher.pollNow();
  const servers = watcher.servers();
  const notReady = servers.filter((s) => s.phase !== 'ready').length;
  if (notReady) throw new Error(`${notReady} of ${servers.length} servers are not ready after 40 simulated minutes`);
  return { ...fleet, watcher, servers };
}

/** The real provider, with each call counted and the time of listServers answers measured. */
function instrumented(provider) {
  const calls = [];
  const proxy = new Proxy(provider, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return async (...args) => {
        const started = performance.now();
        try {
          return await value.apply(target, args);
        } finally {
          calls.push({ method: String(prop), ids: args[0], ms: performance.now() - started });
        }
      };
    },
  });
  return { provider: proxy, calls };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return undefined;
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const summary = (xs) => ({ median: quantile(xs, 0.5), p95: quantile(xs, 0.95), max: xs.length ? Math.max(...xs) : undefined });

/**
 * Polls `polls` times by hand, moving simulated time `stepMs` before each poll; returns per-poll figures.
 * Every poll must be exactly one provider call, a listServers() without ids.
 */
async function measure(provider, polls, stepMs, now = () => performance.now()) {
  const probe = instrumented(provider);
  const watcher = new Watcher({ provider: probe.provider, now });
  let transitions = 0;
  let events = 0;
  watcher.onChange((c) => {
    events++;
    transitions += c.changed.length;
  });
  const total = [];
  const providerMs = [];
  const callsPerPoll = [];
  for (let i = 0; i < polls; i++) {
    if (stepMs) provider.clock.advance(stepMs);
    const before = probe.calls.length;
    const started = performance.now();
    await watcher.pollNow();
    total.push(performance.now() - started);
    const made = probe.calls.slice(before);
    callsPerPoll.push(made.length);
    if (made.some((c) => c.method !== 'listServers' || c.ids !== undefined)) throw new Error('a poll made a call other than listServers()');
    providerMs.push(made.reduce((n, c) => n + c.ms, 0));
  }
  const overhead = total.map((t, i) => t - providerMs[i]);
  return {
    polls,
    servers: watcher.servers().length,
    callsPerPoll: { min: Math.min(...callsPerPoll), max: Math.max(...callsPerPoll) },
    pollMs: summary(total),
    providerMs: summary(providerMs),
    watcherMs: summary(overhead),
    events,
    transitions,
    phases: watcher.servers().reduce((m, s) => ((m[s.phase] = (m[s.phase] ?? 0) + 1), m), {}),
  };
}

async function main() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    console.error(`bench/monitor: needs Node 22 (this is ${process.version}); run it with PATH=$PWD/node_modules/.bin:$PATH.`);
    process.exit(1);
  }
  const { values } = parseArgs({
    options: {
      servers: { type: 'string', default: '1000' },
      polls: { type: 'string', default: '30' },
      region: { type: 'string', default: 'eu-west' },
      json: { type: 'boolean', default: false },
    },
  });
  const count = Math.max(1, Number(values.servers));
  const polls = Math.max(1, Number(values.polls));
  const say = (line) => process.stdout.write(line + '\n');

  const startedLaunch = performance.now();
  const fleet = await launchFleet({ count, region: values.region });
  const launchS = (performance.now() - startedLaunch) / 1000;
  const maxCount = fleet.description.capabilities.launch.maxCount;
  say(`strata monitor bench — Node ${process.version}, sandbox ${values.region}: ${count} servers in ${Math.ceil(count / maxCount)} launches of up to ${maxCount} (${launchS.toFixed(1)} s)`);
  try {
    // While they come up: 15 simulated seconds between polls, phases change under the watcher.
    const moving = await measure(fleet.provider, polls, 15_000);
    // Then all ready: nothing changes, the steady cost of watching a full region.
    fleet.provider.clock.advance(40 * MINUTE);
    const settled = await measure(fleet.provider, polls, 0);
    const fmt = (x) => (x === undefined ? '–' : x.toFixed(1));
    const row = (label, r) =>
      `  ${label.padEnd(22)} calls/poll ${r.callsPerPoll.min === r.callsPerPoll.max ? r.callsPerPoll.max : `${r.callsPerPoll.min}–${r.callsPerPoll.max}`}` +
      `  poll ${fmt(r.pollMs.median)} ms (p95 ${fmt(r.pollMs.p95)}, max ${fmt(r.pollMs.max)})` +
      `  = provider ${fmt(r.providerMs.median)} + watcher ${fmt(r.watcherMs.median)} ms` +
      `  · ${r.transitions} transitions in ${r.events} events`;
    say(row('while coming up', moving));
    say(row('all ready', settled));
    say(`  phases at the end of the first run: ${Object.entries(moving.phases).map(([p, n]) => `${p} ${n}`).join(', ')}`);
    const ok = moving.callsPerPoll.max === 1 && settled.callsPerPoll.max === 1 && moving.callsPerPoll.min === 1;
    say(`  verdict: ${ok ? 'holds' : 'DOES NOT HOLD'} — one provider call per poll for ${count} servers`);
    if (values.json) say(JSON.stringify({ bench: 'monitor', node: process.version, region: values.region, servers: count, launchS, moving, settled, holds: ok }));
    if (!ok) process.exitCode = 1;
  } finally {
    await fleet.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
