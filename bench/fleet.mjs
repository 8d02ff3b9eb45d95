// The fleet's figures (issue 13): 3 sources × 3 regions × 1,000 servers (three sandbox "accounts", every
// region of each), measured in one run:
//   1. provider calls per poll (must be the number of source regions: 9) and the poll's time, through the
//      fleet service (services/fleet.ts, its default concurrency of 4), against one region's poll;
//   2. key to settled frame per Down in the fleet view (9,000 servers and the images of every region), against
//      the single-region image list and the single-region monitor (1,000 servers) in the same run, alternated;
//   3. time to the first fleet frame with every row of the sources that answer, one source delayed by 5 s
//      (its sandbox's delay), and to the frame where that source's rows are there too.
//
//   npm run bench:fleet        (builds dist/, then: tsx bench/fleet.mjs [--servers N] [--polls N] [--presses N] [--rounds N])
//
// Prints a markdown table and writes bench/results/fleet.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInPty, KEYS } from './lib/pty.mjs';
import { launchFleet } from './monitor.mjs';
import { Fleet } from '../source/services/fleet.ts';
import { Watcher } from '../source/services/watcher.ts';
import { SandboxProvider } from '../source/providers/sandbox/index.ts';
import { openStore } from '../source/store/db.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SERVERS = arg('--servers', 1000);
const POLLS = arg('--polls', 20);
const PRESSES = arg('--presses', 30);
const ROUNDS = arg('--rounds', 3);
const REGIONS = ['eu-west', 'us-east', 'ap-south'];
const MINUTE = 60_000;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const median = (xs) => quantile(xs, 0.5);
const fmt = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const say = (line) => process.stdout.write(`${line}\n`);

/** Three accounts (sandbox homes), each with `count` servers in every region, all of them ready. */
async function makeWorlds(base) {
  const homes = { a: base, b: join(base, 'account-b'), c: join(base, 'account-c') };
  for (const home of Object.values(homes)) {
    for (const region of REGIONS) {
      const fleet = await launchFleet({ count: SERVERS, region, home });
      await fleet.close();
    }
    // Simulated time stood still while they were launched: 40 minutes on, every server is ready.
    const provider = await SandboxProvider.open({ home, region: 'eu-west' });
    provider.clock.advance(40 * MINUTE);
    await provider.close();
  }
  return homes;
}

function config(homes, delayMs) {
  return [
    'sources:',
    `  - { name: a, provider: sandbox, regions: all${delayMs ? `, home: ${homes.a}` : ''} }`,
    `  - { name: b, provider: sandbox, home: ${homes.b}, regions: all }`,
    `  - { name: c, provider: sandbox, home: ${homes.c}, regions: all${delayMs ? `, sandbox: { delay: ${delayMs} }` : ''} }`,
  ].join('\n');
}

/** 1. Polls of the fleet service: calls per poll and time, and one region's poll for reference. */
async function pollFigures(homes) {
  const store = openStore(homes.a);
  const sources = [
    { name: 'a', provider: 'sandbox', regions: 'all' },
    { name: 'b', provider: 'sandbox', home: homes.b, regions: 'all' },
    { name: 'c', provider: 'sandbox', home: homes.c, regions: 'all' },
  ];
  const fleet = new Fleet({ sources, base: { home: homes.a }, store, autoPoll: false, resumeCopies: false });
  const started = performance.now();
  await fleet.start();
  const startMs = performance.now() - started;
  const snap = fleet.snapshot();
  const servers = snap.rows.filter((r) => r.kind === 'server').length;
  const calls = [];
  const times = [];
  for (let i = 0; i < POLLS; i++) {
    await fleet.pollNow();
    const stats = fleet.stats();
    calls.push(stats.lastPollCalls);
    times.push(stats.lastPollMs);
  }
  const peak = fleet.stats().peakConcurrency;
  await fleet.close();
  store.close();
  // The reference: the same nine places polled one after another, each by a watcher of its own (the
  // monitor's one batched call per region), and one region alone.
  const watchers = [];
  const providers = [];
  for (const home of Object.values(homes)) {
    for (const region of REGIONS) {
      const provider = await SandboxProvider.open({ home, region });
      providers.push(provider);
      watchers.push(new Watcher({ provider }));
    }
  }
  const sequential = [];
  const one = [];
  for (let i = 0; i < POLLS; i++) {
    const t = performance.now();
    for (const watcher of watchers) {
      const u = performance.now();
      await watcher.pollNow();
      if (watcher === watchers[0]) one.push(performance.now() - u);
    }
    sequential.push(performance.now() - t);
  }
  for (const provider of providers) await provider.close();
  return {
    places: snap.places.length,
    servers,
    rows: snap.rows.length,
    startMs,
    calls: { min: Math.min(...calls), max: Math.max(...calls) },
    pollMs: { median: median(times), p95: quantile(times, 0.95) },
    sequentialPollMs: { median: median(sequential), p95: quantile(sequential, 0.95) },
    oneRegionPollMs: { median: median(one), p95: quantile(one, 0.95) },
    peakConcurrency: peak,
  };
}

/** Presses Down and measures until the output has been quiet for 150 ms: time of the last byte, bytes. */
async function press(app) {
  const before = app.bytes();
  const started = performance.now();
  let last = started;
  let seen = before;
  app.write(KEYS.down);
  for (;;) {
    await new Promise((r) => setTimeout(r, 2));
    const now = performance.now();
    if (app.bytes() !== seen) {
      seen = app.bytes();
      last = now;
    } else if (now - Math.max(last, started) > 150) break;
  }
  return { ms: last - started, bytes: seen - before };
}

function startStrata(home, args) {
  const node = join(root, 'node_modules', '.bin', 'node');
  return startInPty(node, ['--disable-warning=ExperimentalWarning', join(root, 'dist', 'cli.js'), ...args], { env: { STRATA_HOME: home, STRATA_SECRETS: 'file' } });
}

/** 2. Key to settled frame per Down in one view. */
async function keyFigures(label, home, args, ready, tabs = 0) {
  const app = startStrata(home, args);
  try {
    await app.waitFor(ready.first, { what: `${label}: its rows`, timeout: 120_000 });
    for (let i = 0; i < tabs; i++) app.write('\t');
    if (ready.then) await app.waitFor(ready.then, { what: `${label}: ready`, timeout: 120_000 });
    await app.waitQuiet(800, 20_000);
    const samples = [];
    for (let i = 0; i < PRESSES; i++) samples.push(await press(app));
    return { label, medianMs: median(samples.map((s) => s.ms)), p95Ms: quantile(samples.map((s) => s.ms), 0.95), medianBytes: median(samples.map((s) => s.bytes)), rssMiB: Math.round(app.memory().rssKiB / 1024) };
  } finally {
    await app.stop();
  }
}

/** 3. First frame with the answering sources' rows, and the frame with the delayed one's too. */
async function delayedFigures(home) {
  const started = performance.now();
  const app = startStrata(home, ['--fleet']);
  try {
    const others = await app.waitFor((s) => /^[> ]a\/eu-west/m.test(s) && /b ok/.test(s) && /c loading/.test(s), { what: 'the answering sources', timeout: 60_000 });
    const othersMs = performance.now() - started;
    void others;
    await app.waitFor((s) => /c ok/.test(s), { what: 'the delayed source', timeout: 120_000 });
    const completeMs = performance.now() - started;
    return { othersMs, completeMs };
  } finally {
    await app.stop();
  }
}

const base = mkdtempSync(join(tmpdir(), 'strata-bench-fleet-'));
try {
  say(`strata fleet bench — Node ${process.version}, ${loadavg()[0].toFixed(1)} load; 3 sandbox accounts × ${REGIONS.length} regions × ${SERVERS} servers`);
  const t0 = performance.now();
  const homes = await makeWorlds(base);
  say(`  worlds made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const polls = await pollFigures(homes);
  say(`  fleet: ${polls.places} places, ${polls.servers} servers, ${polls.rows} rows; opened and loaded in ${fmt(polls.startMs, 0)} ms`);

  // The fleet's own STRATA_HOME is account a's: strata there is the single-region reference too.
  writeFileSync(join(homes.a, 'config.yaml'), config(homes, 0));
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push(await keyFigures('image list (one region)', homes.a, [], { first: (s) => / 1\/\d+/.test(s) }));
    rounds.push(await keyFigures(`monitor (one region, ${SERVERS} servers)`, homes.a, [], { first: (s) => / 1\/\d+/.test(s), then: (s) => s.includes(`${SERVERS} servers`) }, 1));
    rounds.push(await keyFigures(`fleet view (${polls.servers.toLocaleString('en-US')} servers)`, homes.a, ['--fleet'], { first: (s) => /^>a\/eu-west/m.test(s) && /a ok · b ok · c ok/.test(s) }));
  }
  const summarise = (label) => {
    const mine = rounds.filter((x) => x.label === label);
    return { label, medianMs: median(mine.map((x) => x.medianMs)), p95Ms: Math.max(...mine.map((x) => x.p95Ms)), medianBytes: median(mine.map((x) => x.medianBytes)), rssMiB: median(mine.map((x) => x.rssMiB)) };
  };
  const [list, monitor, fleetView] = [...new Set(rounds.map((x) => x.label))].map(summarise);

  // A home whose config delays source c by 5 s (every answer of its sandbox).
  const delayedHome = join(base, 'delayed');
  mkdirSync(delayedHome);
  writeFileSync(join(delayedHome, 'config.yaml'), config(homes, 5000));
  const delayed = [];
  for (let r = 0; r < ROUNDS; r++) delayed.push(await delayedFigures(delayedHome));
  const othersMs = median(delayed.map((d) => d.othersMs));
  const completeMs = median(delayed.map((d) => d.completeMs));

  const ratio = fleetView.medianMs / list.medianMs;
  const lines = [
    '| | strata | reference | ratio | aim |',
    '|---|---|---|---|---|',
    `| provider calls per poll | ${polls.calls.min === polls.calls.max ? polls.calls.max : `${polls.calls.min}–${polls.calls.max}`} | ${polls.places} source regions | — | = source regions |`,
    `| poll of the fleet (${polls.servers.toLocaleString('en-US')} servers, 4 calls at once) | ${fmt(polls.pollMs.median)} ms (p95 ${fmt(polls.pollMs.p95)}) | the ${polls.places} regions one after another: ${fmt(polls.sequentialPollMs.median)} ms (one region: ${fmt(polls.oneRegionPollMs.median)} ms) | ${fmt(polls.pollMs.median / polls.sequentialPollMs.median, 2)}x | reported |`,
    `| key to settled frame per Down, fleet view | ${fmt(fleetView.medianMs)} ms (p95 ${fmt(fleetView.p95Ms)}) | image list of one region: ${fmt(list.medianMs)} ms (p95 ${fmt(list.p95Ms)}) | ${fmt(ratio, 2)}x | ≤ 1.2x |`,
    `| bytes per Down | ${fleetView.medianBytes} | image list: ${list.medianBytes} | ${fmt(fleetView.medianBytes / list.medianBytes, 2)}x | reported |`,
    `| first frame with the answering sources' rows, one source 5 s late | ${fmt(othersMs, 0)} ms | the late source's rows: ${fmt(completeMs, 0)} ms | — | the others first |`,
    '',
    `Also: the monitor of one region (${SERVERS} servers): ${fmt(monitor.medianMs)} ms per Down (p95 ${fmt(monitor.p95Ms)}), ${monitor.medianBytes} bytes; the fleet view ÷ the monitor: ${fmt(fleetView.medianMs / monitor.medianMs, 2)}x. Resident memory: fleet view ${fleetView.rssMiB} MiB, image list ${list.rssMiB} MiB. Peak provider calls in flight: ${polls.peakConcurrency}. Load average at the end: ${loadavg()[0].toFixed(1)}.`,
  ];
  say(lines.join('\n'));
  const holds = polls.calls.max === polls.places && polls.calls.min === polls.places && ratio <= 1.2 && othersMs < completeMs && completeMs >= 5000;
  say(`  verdict: ${holds ? 'holds' : 'DOES NOT HOLD'}`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'fleet.json'), JSON.stringify({ servers: SERVERS, presses: PRESSES, rounds, polls, list, monitor, fleet: fleetView, delayed, holds }, null, 2) + '\n');
  if (!holds) process.exitCode = 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
