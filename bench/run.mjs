// strata's benchmarks: every figure is a ratio against a reference measured in the same go, with runs of
// the two programs alternated (the machines are shared and noisy). Run with `npm run bench`, which
// builds dist/cli.js first.
//
//   npm run bench [-- --runs 7] [--small-runs 5] [--only first-frame,bytes,filter,memory]
//                    [--region eu-west] [--query TEXT] [--presses 20]
// env: PTYBYTES=/path/to/ptybytes.py, BENCH_FZF=/path/to/fzf (or none), PYTHON=python3
//
// Prints a table and writes bench/results/latest.json and bench/results/latest.md (for the README).
// Figures:
//   1 first-frame  time to the first image row, strata vs a bare Ink 8 list bundled the same way
//   2 bytes        bytes written per selection move (Down) at 120x40, strata vs fzf on the same rows
//   2b keys        key to settled screen per Down on the same rows (median and 95th percentile), vs fzf
//   3 filter       key to settled screen while typing a filter over the public catalogue, vs fzf
//   4 memory       resident memory with the public catalogue loaded and filtered, vs the bare Ink list
// ptybytes.py (../shared/tools/ptybytes.py, or $PTYBYTES) measures 1–3; 4 reads /proc/<pid>/status.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BUILD_DIR, buildReference } from './build-reference.mjs';
import { KEYS, startInPty } from './lib/pty.mjs';
import { checkPtybytes, ptybytesPath, runPtybytes } from './lib/ptybytes.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(root, 'bench', 'results');
const NODE = process.execPath;
const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
// strata runs from a copy of dist/ taken at the start (bench/.build/strata-dist): other builds in this
// working tree may rewrite dist/ while the bench runs, and every strata figure must be of one build.
const DIST = join(root, 'dist');
const APP_SNAPSHOT_DIR = join(root, 'bench', '.build', 'strata-dist');
const APP = join(APP_SNAPSHOT_DIR, 'cli.js');
const GATE = join(root, 'bench', 'lib', 'gate.mjs');
const COLS = 120;
const ROWS = 40;

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'small-runs': { type: 'string', default: '5' },
    only: { type: 'string', default: 'first-frame,bytes,keys,filter,memory' },
    region: { type: 'string', default: 'eu-west' },
    query: { type: 'string' },
    presses: { type: 'string', default: '20' },
  },
});
const RUNS = Math.max(1, Number(opts.runs));
const SMALL_RUNS = Math.max(1, Number(opts['small-runs']));
const ONLY = new Set(opts.only.split(',').map((s) => s.trim()));
const REGION = opts.region;
const PRESSES = Math.max(1, Number(opts.presses));

// ---------------------------------------------------------------------------------------------- helpers
/** Names, sizes and times of dist/: the bench notes when another process rebuilds strata mid-run. */
function distFingerprint() {
  const dir = join(root, 'dist');
  if (!existsSync(dir)) return 'missing';
  const parts = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const st = statSync(path);
        parts.push(`${path}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return parts.sort().join('|');
}
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const max = (xs) => (xs.length ? Math.max(...xs.filter((x) => Number.isFinite(x))) : undefined);
const ratio = (a, b) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
const fmt = (x, digits = 0) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x.toFixed(digits));
const say = (line) => process.stdout.write(line + '\n');
const step = (line) => process.stdout.write(`  · ${line}\n`);
const freshHome = () => mkdtempSync(join(tmpdir(), 'strata-bench-'));
const oneLine = (s) => String(s).split('\n')[0].slice(0, 300);
/** The last few non-empty rows of a screen, for a sentence about what went wrong. */
const tail = (screen, n = 4) =>
  screen
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .map((l) => l.trim().slice(0, 160))
    .join(' ⏎ ') || '(blank screen)';

function which(program) {
  const r = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const strataCmd = (scope) => [NODE, ...NODE_FLAGS, APP, '--provider', 'sandbox', '--region', REGION, '--scope', scope];
const bareCmd = (...args) => [NODE, ...NODE_FLAGS, join(BUILD_DIR, 'bare-ink.js'), ...args];
const fzfCmd = (file) => ['sh', '-c', `exec '${FZF}' --layout=reverse < '${file}'`];
/** Wraps a command in the ready gate (bench/lib/gate.mjs); see there for why. */
const gated = (cmd, { text, last, not, pre }) => [
  NODE,
  GATE,
  '--text',
  text,
  ...(last ? ['--last', last] : []),
  ...(not ? ['--not', not] : []),
  ...(pre ? ['--pre', pre] : []),
  '--timeout',
  '170',
  '--',
  ...cmd,
];
const GATED = { ready: 'bench-gate-ready', startup: 180, timeoutMs: 240_000 };

/** Runs ptybytes with a fresh STRATA_HOME (or options.home), removed afterwards. */
async function measure(label, options) {
  const home = options.home ?? freshHome();
  try {
    return await runPtybytes({ cols: COLS, rows: ROWS, label, ...options, env: { STRATA_HOME: home, ...options.env } });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** A STRATA_HOME strata has already started in once (its databases made), for the second-start figure. */
async function usedHome(scope) {
  const home = freshHome();
  const app = startInPty(NODE, strataCmd(scope).slice(1), { cols: COLS, rows: ROWS, env: { STRATA_HOME: home } });
  try {
    await app.waitFor((s) => /img-/.test(s), { timeout: 30_000, what: 'an image row' });
    await app.waitQuiet(300, 3000);
  } finally {
    await app.stop();
  }
  return home;
}

// --------------------------------------------------------------------------------------------- preflight
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 22) {
  console.error(`bench: needs Node 22 (this is ${process.version}); run it through npm run bench.`);
  process.exit(1);
}
try {
  checkPtybytes();
} catch (error) {
  console.error(`bench: ${error.message}`);
  process.exit(1);
}
// $BENCH_FZF picks another fzf binary; BENCH_FZF=none runs the bench as on a machine without fzf.
const FZF = process.env.BENCH_FZF === 'none' ? undefined : (process.env.BENCH_FZF ?? which('fzf'));
const results = {
  startedAt: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    terminal: `${COLS}x${ROWS}`,
    loadAtStart: loadavg()[0],
  },
  tool: ptybytesPath(),
  fzf: FZF ? execFileSync(FZF, ['--version'], { encoding: 'utf8' }).trim() : null,
  region: REGION,
  runs: RUNS,
  smallRuns: SMALL_RUNS,
  figures: [],
  notes: [],
};
const note = (line) => {
  results.notes.push(line);
  say(`  ! ${line}`);
};

say(`strata bench — ${results.machine.cpus} cpus (load ${fmt(results.machine.loadAtStart, 1)}), Node ${process.version}, ${COLS}x${ROWS}, region ${REGION}`);
say(`  tool: ${results.tool}; fzf: ${results.fzf ?? 'absent'}`);
if (!FZF) note('skipping the fzf comparisons (bytes per move, filter latency): fzf is not installed (apt-get install -y fzf).');

step('bundling the bare Ink reference (bench/.build/bare-ink.js)');
await buildReference();

// ----------------------------------------------------------------------------- the catalogue, for fzf
step(`dumping the sandbox public catalogue for ${REGION} (bench/dump-catalogue.ts)`);
mkdirSync(BUILD_DIR, { recursive: true });
const catalogueBase = join(BUILD_DIR, `catalogue-${REGION}`);
let catalogue;
{
  const r = spawnSync(
    NODE,
    [...NODE_FLAGS, '--import', 'tsx', join(root, 'bench', 'dump-catalogue.ts'), '--region', REGION, '--out', catalogueBase],
    { cwd: root, encoding: 'utf8', timeout: 300_000 },
  );
  if (r.status === 0) {
    const count = JSON.parse(r.stdout.trim().split('\n').at(-1)).count;
    catalogue = { source: 'sandbox', count, names: `${catalogueBase}.names`, rows: `${catalogueBase}.rows` };
    step(`${count.toLocaleString('en-US')} images`);
  } else {
    const why = oneLine((r.stderr || r.error?.message || '').trim().split('\n').find((l) => /error/i.test(l)) ?? r.stderr);
    note(`could not dump the sandbox catalogue (${why}); fzf runs on 100,000 synthetic rows of the same shape.`);
    const rows = [];
    const names = [];
    for (let i = 0; i < 100_000; i++) {
      const name = `ubuntu-${20 + (i % 5)}.04-server-${i % 2 ? 'arm64' : 'amd64'}-v${100000 + i}`;
      names.push(name);
      rows.push(`img-${(0x10000000 + i * 7919).toString(16)}  ${name.padEnd(48)}  public  x86_64  available  2024-01-01`.padEnd(100).slice(0, 100));
    }
    writeFileSync(`${catalogueBase}.synthetic.names`, names.join('\n') + '\n');
    writeFileSync(`${catalogueBase}.synthetic.rows`, rows.join('\n') + '\n');
    catalogue = { source: 'synthetic', count: 100_000, names: `${catalogueBase}.synthetic.names`, rows: `${catalogueBase}.synthetic.rows` };
  }
}
const QUERY = opts.query ?? chooseQuery(readFileSync(catalogue.names, 'utf8').split('\n').filter(Boolean));

/** "ubuntu 22.04" (two terms, as a user types it) when names match it, else the most common leading word. */
function chooseQuery(names) {
  const lower = names.map((n) => n.toLowerCase());
  if (lower.some((n) => n.includes('ubuntu') && n.includes('22.04'))) return 'ubuntu 22.04';
  const counts = new Map();
  for (const name of lower) {
    const word = name.split(/[^a-z0-9]+/).find((w) => /^[a-z]{3,}/.test(w));
    if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return ([...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'ubuntu').slice(0, 8);
}
results.query = QUERY;
{
  const lines = readFileSync(catalogue.rows, 'utf8').split('\n').filter(Boolean);
  catalogue.rowChars = Math.round(lines.reduce((n, l) => n + [...l].length, 0) / Math.max(1, lines.length));
}
results.catalogue = { source: catalogue.source, count: catalogue.count, rowChars: catalogue.rowChars };
const FZF_LOADED = `${catalogue.count}/${catalogue.count}`;

// ------------------------------------------------------------------------------ does strata draw yet?
/** Copies dist/ to the snapshot directory, again if dist/ changed during the copy; the fingerprint copied. */
function snapshotDist() {
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = distFingerprint();
    if (before === 'missing') return before;
    rmSync(APP_SNAPSHOT_DIR, { recursive: true, force: true });
    cpSync(DIST, APP_SNAPSHOT_DIR, { recursive: true });
    if (distFingerprint() === before) return before;
  }
  throw new Error('dist/ kept changing while it was copied (another build running?); try again.');
}
const DIST_AT_START = snapshotDist();
step('probing strata (dist/ as built at the start, copied to bench/.build/strata-dist)');
const strata = { draws: false, reason: '', scope: undefined, listSize: undefined, publicLoadS: undefined, publicStatus: undefined };
/** The list's size as strata shows it: "33 images" in the status bar, else the N of a "1/N" counter. */
const listCount = (screen) => {
  const last = screen.split('\n').filter((l) => l.trim()).at(-1) ?? '';
  const images = /(\d[\d,]*)\s+images?\b/.exec(last);
  if (images) return Number(images[1].replace(/,/g, ''));
  const all = [...screen.matchAll(/(\d[\d,]*)\s*\/\s*(\d[\d,]*)/g)];
  return all.length ? Number(all.at(-1)[2].replace(/,/g, '')) : undefined;
};
const isLoaded = (screen) => {
  const last = screen.split('\n').filter((l) => l.trim()).at(-1) ?? '';
  return /img-/.test(screen) && /sandbox/.test(last) && !/loading/i.test(last);
};
if (!existsSync(APP)) {
  strata.reason = 'dist/cli.js is missing (did the build fail?)';
} else {
  for (const scope of ['own', 'vendor']) {
    const home = freshHome();
    const app = startInPty(NODE, [...NODE_FLAGS, APP, '--provider', 'sandbox', '--region', REGION, '--scope', scope], {
      cols: COLS,
      rows: ROWS,
      env: { STRATA_HOME: home },
    });
    try {
      await app.waitFor((s) => /img-/.test(s), { timeout: 20_000, what: 'an image row' });
      await app.waitQuiet(300, 3000);
      strata.draws = true;
      strata.scope = scope;
      strata.listSize = listCount(app.screen());
      step(`scope ${scope}: draws; status bar: ${app.lastLine().trim()}`);
      break;
    } catch (error) {
      strata.reason = `--scope ${scope}: ${oneLine(error.message)}; screen ends: ${tail(app.screen())}`;
      step(`scope ${scope}: no image row (${strata.reason})`);
    } finally {
      await app.stop();
      rmSync(home, { recursive: true, force: true });
    }
  }
  if (strata.draws) {
    const home = freshHome();
    const started = Date.now();
    const app = startInPty(NODE, [...NODE_FLAGS, APP, '--provider', 'sandbox', '--region', REGION, '--scope', 'public'], {
      cols: COLS,
      rows: ROWS,
      env: { STRATA_HOME: home },
    });
    try {
      await app.waitFor(isLoaded, { timeout: 170_000, what: 'the public catalogue loaded (no "loading")' });
      strata.publicLoadS = (Date.now() - started) / 1000;
      strata.publicStatus = app.lastLine().trim();
      step(`scope public: loaded in ${strata.publicLoadS.toFixed(1)} s; status bar: ${strata.publicStatus}`);
    } catch (error) {
      strata.publicReason = `${oneLine(error.message)}; screen ends: ${tail(app.screen())}`;
      note(`strata --scope public never finished loading: ${strata.publicReason}`);
    } finally {
      await app.stop();
      rmSync(home, { recursive: true, force: true });
    }
  }
}
if (!strata.draws) note(`strata is not drawing its list yet — ${strata.reason}. Measuring the references only.`);
results.strata = strata;
const strataPublic = strata.draws && strata.publicLoadS !== undefined;

// ------------------------------------------------------------------------------------ 1. first frame
if (ONLY.has('first-frame')) {
  say('\n1. time to first frame');
  const listSize = strata.listSize ?? 100;
  const fig = {
    id: 'first-frame',
    title: 'Time to first frame',
    unit: 'ms',
    detail: `to the first image row (img-), ${RUNS} alternated runs each after a warm-up; strata --scope ${strata.scope ?? '–'} in a fresh STRATA_HOME; bare Ink lists ${listSize} rows`,
    describe: (f) => (f.pairedRatio === undefined ? '' : `; median of the per-round ratios ${fmt(f.pairedRatio, 2)}x`),
    reference: { name: 'bare Ink 8 list (same bundle options)', samples: [] },
    strata: { samples: [] },
    also: { name: 'strata started again in a used STRATA_HOME', samples: [] },
    aim: { text: 'within 1.2x of bare Ink', maxRatio: 1.2 },
    errors: [],
  };
  const runBare = () =>
    measure('bare-ink first frame', { cmd: bareCmd('--count', String(listSize)), ready: 'img-', presses: 1, settle: 0.1 });
  const runStrata = () =>
    measure('strata first frame', { cmd: strataCmd(strata.scope), ready: 'img-', presses: 1, settle: 0.1, startup: 30 });
  const runStrataAgain = async () =>
    measure('strata first frame, used home', {
      cmd: strataCmd(strata.scope),
      home: await usedHome(strata.scope),
      ready: 'img-',
      presses: 1,
      settle: 0.1,
      startup: 30,
    });
  const runners = { bare: runBare, strata: runStrata, 'strata-again': runStrataAgain };
  const into = { bare: fig.reference, strata: fig.strata, 'strata-again': fig.also };
  const pairs = [];
  for (let i = 0; i <= RUNS; i++) {
    const order = i % 2 ? ['bare', 'strata-again', 'strata'] : ['strata', 'strata-again', 'bare'];
    for (const which of order) {
      if (which !== 'bare' && !strata.draws) continue;
      try {
        const r = await runners[which]();
        const ms = r.firstFrameS * 1000;
        if (i > 0) {
          into[which].samples.push(ms);
          (pairs[i] ??= {})[which] = ms;
        }
        step(`${i === 0 ? 'warm-up ' : `run ${i} `}${which}: ${ms.toFixed(0)} ms`);
      } catch (error) {
        fig.errors.push(oneLine(error.message));
        step(`${which}: ${oneLine(error.message)}`);
      }
    }
  }
  for (const side of [fig.strata, fig.reference, fig.also]) side.value = median(side.samples);
  fig.ratio = ratio(fig.strata.value, fig.reference.value);
  fig.also.ratio = ratio(fig.also.value, fig.reference.value);
  // The median of the ratios within each alternated round: less moved by load that drifts over the run.
  fig.pairedRatio = median(pairs.filter((p) => p?.strata && p?.bare).map((p) => p.strata / p.bare));
  fig.holds = fig.ratio === undefined ? null : fig.ratio <= fig.aim.maxRatio;
  if (!strata.draws) fig.skipped = 'strata not drawing yet';
  results.figures.push(fig);
}

// ---------------------------------------------------------------------------------- 2. bytes per move
if (ONLY.has('bytes')) {
  say('\n2. bytes per selection move (Down)');
  const fig = {
    id: 'bytes',
    title: 'Bytes per selection move (Down)',
    unit: 'bytes',
    detail: `median bytes in answer to one Down key, ${PRESSES} presses per run, ${SMALL_RUNS} alternated runs; the public catalogue of ${REGION} (${catalogue.count.toLocaleString('en-US')} rows of ${catalogue.rowChars} characters on average, strata's columns) once loaded`,
    reference: { name: 'fzf --layout=reverse, same rows', samples: [] },
    strata: { samples: [] },
    also: { name: 'bare Ink 8 list, same rows', samples: [] },
    aim: { text: 'at most 0.6x fzf', maxRatio: 0.6 },
    errors: [],
  };
  const programs = [
    ['strata', strataPublic, () => gated(strataCmd('public'), { text: 'img-', last: 'sandbox', not: 'loading' }), fig.strata],
    ['fzf', !!FZF, () => gated(fzfCmd(catalogue.rows), { text: FZF_LOADED }), fig.reference],
    ['bare-ink', true, () => gated(bareCmd('--items', catalogue.rows), { text: 'img-' }), fig.also],
  ];
  for (let i = 0; i < SMALL_RUNS; i++) {
    for (const [name, available, cmd, into] of i % 2 ? [...programs].reverse() : programs) {
      if (!available) continue;
      try {
        const r = await measure(`${name} bytes per Down`, { cmd: cmd(), key: 'down', presses: PRESSES, ...GATED });
        into.samples.push(r.bytesPerKey.median);
        step(`run ${i + 1} ${name}: median ${r.bytesPerKey.median} bytes (min ${r.bytesPerKey.min}, max ${r.bytesPerKey.max})`);
      } catch (error) {
        fig.errors.push(oneLine(error.message));
        step(`${name}: ${oneLine(error.message)}`);
      }
    }
  }
  for (const side of [fig.strata, fig.reference, fig.also]) side.value = median(side.samples);
  fig.ratio = ratio(fig.strata.value, fig.reference.value);
  fig.holds = fig.ratio === undefined ? null : fig.ratio <= fig.aim.maxRatio;
  if (!FZF) fig.skipped = 'fzf not installed';
  else if (!strataPublic) fig.skipped = strata.draws ? 'strata never finished loading the public catalogue' : 'strata not drawing yet';
  results.figures.push(fig);
}

// ------------------------------------------------------------------- 2b. key to settled screen per Down
/** The pth percentile (0..100) of xs, nearest rank. */
const percentile = (xs, p) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/**
 * Presses Down `presses` times in a program already showing its list, each once the screen has been quiet
 * for QUIET_MS; a key's figure is the time from the key to the last byte of its answer (settled). Output
 * timestamps are taken as each chunk arrives, on the clock the key was sent by.
 */
async function downLatencies(app, presses) {
  const QUIET_MS = 120;
  let last = 0;
  const off = app.onData((at) => (last = at));
  const out = [];
  try {
    await app.waitQuiet(500, 15_000);
    for (let i = 0; i < presses; i++) {
      const sent = performance.now();
      last = 0;
      app.write(KEYS.down);
      for (;;) {
        await new Promise((r) => setTimeout(r, 5));
        const now = performance.now();
        if (last > 0 && now - last >= QUIET_MS) break;
        if (now - sent > 5000) break;
      }
      if (last > 0) out.push(last - sent);
    }
  } finally {
    off();
  }
  return out;
}

if (ONLY.has('keys')) {
  say('\n2b. key to settled screen per Down (the public catalogue, loaded)');
  const fig = {
    id: 'keys',
    title: 'Key to settled screen per Down (100,000 rows)',
    unit: 'ms',
    detail: `Down pressed ${PRESSES * 2} times per run once the list has loaded (each after 120 ms of quiet), time from the key to the last byte of its answer; median and 95th percentile over every key of ${SMALL_RUNS} alternated runs; fzf --layout=reverse over the same rows`,
    reference: { name: 'fzf --layout=reverse, same rows', samples: [] },
    strata: { samples: [] },
    aim: { text: 'median ≤ 8 ms and 95th percentile ≤ 25 ms (fzf beside it)', maxRatio: Infinity },
    errors: [],
  };
  const programs = [
    ['strata', strataPublic, () => startInPty(NODE, strataCmd('public').slice(1), { cols: COLS, rows: ROWS, env: { STRATA_HOME: mkdtempSync(join(tmpdir(), 'strata-bench-keys-')) } }), (s) => /img-p-/.test(s) && /public · [\d,]+ images/.test(s) && !/loading/.test(s), fig.strata],
    ['fzf', !!FZF, () => startInPty('sh', ['-c', `exec '${FZF}' --layout=reverse < '${catalogue.rows}'`], { cols: COLS, rows: ROWS }), (s) => s.includes(FZF_LOADED), fig.reference],
  ];
  for (let i = 0; i < SMALL_RUNS; i++) {
    for (const [name, available, start, loaded, into] of i % 2 ? [...programs].reverse() : programs) {
      if (!available) continue;
      const app = start();
      try {
        await app.waitFor(loaded, { timeout: 180_000, what: `${name} loaded` });
        const keys = await downLatencies(app, PRESSES * 2);
        into.samples.push(...keys);
        step(`run ${i + 1} ${name}: median ${fmt(median(keys), 1)} ms, p95 ${fmt(percentile(keys, 95), 1)} ms, max ${fmt(max(keys), 1)} ms`);
      } catch (error) {
        fig.errors.push(`${name}: ${oneLine(error.message)}`);
        step(`${name}: ${oneLine(error.message)}`);
      } finally {
        await app.stop();
      }
    }
  }
  for (const side of [fig.strata, fig.reference]) {
    side.value = median(side.samples);
    side.p95 = percentile(side.samples, 95);
    side.max = max(side.samples);
  }
  fig.ratio = ratio(fig.strata.value, fig.reference.value);
  fig.holds = fig.strata.value === undefined ? null : fig.strata.value <= 8 && fig.strata.p95 <= 25;
  if (!FZF) fig.skipped = 'fzf not installed';
  results.figures.push(fig);
}

// ----------------------------------------------------------------------------------- 3. filter latency
if (ONLY.has('filter')) {
  say(`\n3. key to settled screen, typing "${QUERY}" over the public catalogue`);
  const fig = {
    id: 'filter',
    title: `Filter typing latency ("${QUERY}", per key)`,
    unit: 'ms',
    detail: `key to settled screen (last byte before 250 ms of quiet), median over the keys of a run, ${SMALL_RUNS} alternated runs; strata: loaded, \`/\` pressed before the measurement; fzf over the same ${catalogue.count.toLocaleString('en-US')} names`,
    reference: { name: 'fzf, same names', samples: [], maxSamples: [] },
    strata: { samples: [], maxSamples: [] },
    also: { name: 'bare Ink 8 list, substring filter', samples: [], maxSamples: [] },
    aim: { text: 'no worse than fzf', maxRatio: 1.0 },
    errors: [],
  };
  const programs = [
    ['strata', strataPublic, () => gated(strataCmd('public'), { text: 'img-', last: 'sandbox', not: 'loading', pre: '/' }), fig.strata],
    ['fzf', !!FZF, () => gated(fzfCmd(catalogue.names), { text: FZF_LOADED }), fig.reference],
    ['bare-ink', true, () => gated(bareCmd('--items', catalogue.names), { text: '.', pre: '/' }), fig.also],
  ];
  for (let i = 0; i < SMALL_RUNS; i++) {
    for (const [name, available, cmd, into] of i % 2 ? [...programs].reverse() : programs) {
      if (!available) continue;
      try {
        const r = await measure(`${name} filter typing`, { cmd: cmd(), type: QUERY, ...GATED });
        // A space that does not change the matches may leave the screen as it was (nothing to send).
        const mustAnswer = QUERY.replace(/ /g, '').length;
        if (r.keyToOutputMs.answered < mustAnswer) {
          throw new Error(`answered only ${r.keyToOutputMs.answered} of ${QUERY.length} keys`);
        }
        if (r.keyToOutputMs.answered < QUERY.length) into.silentKeys = (into.silentKeys ?? 0) + QUERY.length - r.keyToOutputMs.answered;
        into.samples.push(r.keyToSettledMs.median);
        into.maxSamples.push(r.keyToSettledMs.max);
        step(`run ${i + 1} ${name}: median ${fmt(r.keyToSettledMs.median, 1)} ms, max ${fmt(r.keyToSettledMs.max, 1)} ms`);
      } catch (error) {
        fig.errors.push(`${name}: ${oneLine(error.message)}`);
        step(`${name}: ${oneLine(error.message)}`);
      }
    }
  }
  for (const side of [fig.strata, fig.reference, fig.also]) {
    side.value = median(side.samples);
    side.max = max(side.maxSamples);
  }
  fig.ratio = ratio(fig.strata.value, fig.reference.value);
  fig.maxRatio = ratio(fig.strata.max, fig.reference.max);
  fig.holds = fig.ratio === undefined ? null : fig.ratio <= fig.aim.maxRatio;
  if (!FZF) fig.skipped = 'fzf not installed';
  else if (!strataPublic) fig.skipped = strata.draws ? 'strata never finished loading the public catalogue' : 'strata not drawing yet';
  results.figures.push(fig);
}

// ------------------------------------------------------------------------------------------- 4. memory
if (ONLY.has('memory')) {
  say(`\n4. resident memory, public catalogue loaded and filtered ("${QUERY}")`);
  const fig = {
    id: 'memory',
    title: 'Resident memory, catalogue loaded + filtered',
    unit: 'MiB',
    detail: `VmRSS of the node process after loading ${catalogue.count.toLocaleString('en-US')} images, typing /${QUERY} and Enter, ${SMALL_RUNS} alternated runs; peak (VmHWM) in the JSON`,
    reference: { name: 'bare Ink 8 list holding the same rows', samples: [], peakSamples: [], loadedSamples: [] },
    strata: { samples: [], peakSamples: [], loadedSamples: [] },
    aim: { text: 'at most 120 MB (114.4 MiB)', maxRatio: undefined },
    errors: [],
  };
  const drive = async (name, file, args, loaded) => {
    const home = freshHome();
    const app = startInPty(file, args, { cols: COLS, rows: ROWS, env: { STRATA_HOME: home } });
    try {
      await app.waitFor(loaded, { timeout: 170_000, what: 'the catalogue loaded' });
      await app.waitQuiet(1000, 5000);
      const before = app.memory();
      app.write('/');
      await app.waitQuiet(200, 5000);
      for (const ch of QUERY) {
        app.write(ch);
        await app.waitQuiet(200, 10_000);
      }
      if (!app.screen().toLowerCase().includes(QUERY.toLowerCase())) {
        throw new Error(`the filter line does not show "${QUERY}"; last row: ${app.lastLine().trim()}`);
      }
      app.write(KEYS.enter);
      await app.waitQuiet(1000, 10_000);
      return { ...app.memory(), loadedRssKiB: before.rssKiB };
    } finally {
      await app.stop();
      rmSync(home, { recursive: true, force: true });
    }
  };
  const programs = [
    ['strata', strataPublic, () => drive('strata', NODE, strataCmd('public').slice(1), isLoaded), fig.strata],
    [
      'bare-ink',
      true,
      () => drive('bare-ink', NODE, bareCmd('--items', catalogue.rows).slice(1), (s) => /img-/.test(s) && /reference/.test(s)),
      fig.reference,
    ],
  ];
  for (let i = 0; i < SMALL_RUNS; i++) {
    for (const [name, available, run, into] of i % 2 ? [...programs].reverse() : programs) {
      if (!available) continue;
      try {
        const m = await run();
        into.samples.push(m.rssKiB / 1024);
        into.peakSamples.push(m.hwmKiB / 1024);
        into.loadedSamples.push(m.loadedRssKiB / 1024);
        step(
          `run ${i + 1} ${name}: RSS ${(m.rssKiB / 1024).toFixed(1)} MiB (loaded, before the filter ${(m.loadedRssKiB / 1024).toFixed(1)}; peak ${(m.hwmKiB / 1024).toFixed(1)})`,
        );
      } catch (error) {
        fig.errors.push(`${name}: ${oneLine(error.message)}`);
        step(`${name}: ${oneLine(error.message)}`);
      }
    }
  }
  for (const side of [fig.strata, fig.reference]) {
    side.value = median(side.samples);
    side.peak = median(side.peakSamples);
    side.loaded = median(side.loadedSamples);
  }
  fig.describe = (f) =>
    f.strata.loaded === undefined
      ? ''
      : `; loaded, before filtering: strata ${fmt(f.strata.loaded, 1)} MiB, bare Ink ${fmt(f.reference.loaded, 1)} MiB`;
  fig.ratio = ratio(fig.strata.value, fig.reference.value);
  // An absolute aim (issue 10): 120 MB resident; the bare Ink list and node -e 0 are beside it.
  fig.holds = fig.strata.value === undefined ? null : fig.strata.value <= 120e6 / 1048576;
  {
    const bare = spawnSync(NODE, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/status","utf8").match(/VmRSS:\\s+(\\d+)/)[1])'], { encoding: 'utf8' });
    fig.nodeBareMiB = Number(bare.stdout) / 1024;
  }
  const describeMemory = fig.describe;
  fig.describe = (f) => `${describeMemory(f)}${f.nodeBareMiB ? `; node -e 0: ${fmt(f.nodeBareMiB, 1)} MiB` : ''}`;
  if (!strataPublic) fig.skipped = strata.draws ? 'strata never finished loading the public catalogue' : 'strata not drawing yet';
  results.figures.push(fig);
}

// ------------------------------------------------------------------------------------------- report
results.finishedAt = new Date().toISOString();
results.machine.loadAtEnd = loadavg()[0];
if (distFingerprint() !== DIST_AT_START) {
  note('dist/ was rebuilt while the bench ran (another build in this working tree); the figures are of the build copied at the start.');
}
/** The reference's own run-to-run spread: half its interquartile range, relative to its median. */
const spread = (samples) => {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const m = median(s);
  if (m === undefined || s.length < 3) return undefined;
  const q = (p) => {
    const i = (s.length - 1) * p;
    return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
  };
  return (q(0.75) - q(0.25)) / 2 / m;
};
for (const fig of results.figures) {
  fig.reference.spread = spread(fig.reference.samples);
  fig.strata.spread = spread(fig.strata.samples);
}
const verdictCore = (fig) =>
  fig.skipped && fig.ratio === undefined
    ? `skipped: ${fig.skipped}`
    : fig.holds === null || fig.holds === undefined
      ? fig.aim.maxRatio === undefined
        ? 'reported'
        : '–'
      : fig.holds
        ? 'holds'
        : 'does not hold';
const verdict = (fig) => {
  const v = verdictCore(fig);
  const noise = fig.reference.spread;
  if (v === 'does not hold' && noise !== undefined && fig.ratio <= fig.aim.maxRatio * (1 + noise)) {
    return `does not hold (by less than the reference's own ±${fmt(noise * 100, 0)}% run-to-run spread)`;
  }
  return v;
};
const valueText = (fig, side) => {
  if (!side || side.value === undefined) return '–';
  const digits = fig.unit === 'bytes' ? 0 : fig.unit === 'MiB' ? 1 : fig.id === 'filter' || fig.id === 'keys' ? 1 : 0;
  let text = `${fmt(side.value, digits)} ${fig.unit}`;
  if (fig.id === 'filter' && side.max !== undefined) text += ` (max ${fmt(side.max, 1)})`;
  if (fig.id === 'keys' && side.p95 !== undefined) text += ` (p95 ${fmt(side.p95, 1)}, max ${fmt(side.max, 1)})`;
  return text;
};
const rows = results.figures.map((fig) => ({
  figure: fig.title,
  strata: valueText(fig, fig.strata),
  reference: `${valueText(fig, fig.reference)} — ${fig.reference.name}`,
  ratio: fig.ratio === undefined ? '–' : `${fmt(fig.ratio, 2)}x${fig.maxRatio !== undefined ? ` (max ${fmt(fig.maxRatio, 2)}x)` : ''}`,
  aim: fig.aim.text,
  verdict: verdict(fig),
}));
const header = ['Figure', 'strata', 'reference', 'ratio', 'aim', 'verdict'];
const cells = rows.map((r) => [r.figure, r.strata, r.reference, r.ratio, r.aim, r.verdict]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
say('\n' + header.map((h, i) => h.padEnd(widths[i])).join('  '));
say(widths.map((w) => '-'.repeat(w)).join('  '));
for (const c of cells) say(c.map((x, i) => x.padEnd(widths[i])).join('  '));
const alsoLines = results.figures
  .filter((fig) => fig.also?.value !== undefined)
  .map((fig) => {
    const r = ratio(fig.also.value, fig.reference.value);
    return `${fig.title} — ${fig.also.name}: ${valueText(fig, fig.also)}${r === undefined ? '' : ` (${fmt(r, 2)}x the reference)`}`;
  });
for (const fig of results.figures) {
  for (const side of [fig.strata, fig.reference, fig.also]) {
    if (side?.silentKeys) {
      note(`${fig.title}: ${side === fig.strata ? 'strata' : side.name} sent nothing for ${side.silentKeys} key(s) in all (a space that leaves the matches as they were); those keys are not in its latency figures.`);
    }
  }
}
for (const line of alsoLines) say(`  also: ${line}`);
for (const fig of results.figures) {
  const extra = fig.describe?.(fig);
  if (extra) say(`  ${fig.title}${extra.replace(/^; /, ': ')}`);
}
for (const fig of results.figures) for (const e of fig.errors) say(`  ${fig.title}: error: ${e}`);
for (const n of results.notes) say(`  note: ${n}`);

const md = [
  `| Figure | strata | reference | ratio | aim | verdict |`,
  `|---|---|---|---|---|---|`,
  ...cells.map((c) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`),
  '',
  `Measured ${results.finishedAt.slice(0, 10)} on ${results.machine.cpus} × ${results.machine.cpuModel ?? 'cpu'}, Node ${process.version}, ` +
    `a ${COLS}x${ROWS} pseudo-terminal, sandbox region ${REGION} (${catalogue.count.toLocaleString('en-US')} public images${catalogue.source === 'synthetic' ? ', synthetic' : ''}), ` +
    `${results.fzf ? `fzf ${results.fzf}` : 'no fzf'}. Ratios are strata ÷ reference, measured in the same go with runs alternated. ` +
    `Bytes and latency by ptybytes.py; memory is VmRSS. Load average ${fmt(results.machine.loadAtStart, 1)} at the start, ${fmt(results.machine.loadAtEnd, 1)} at the end. Run \`npm run bench\`.`,
  ...results.figures.map((fig) => `- ${fig.title}: ${fig.detail}${fig.describe?.(fig) ?? ''}.`),
  ...alsoLines.map((line) => `- Also: ${line}.`),
  ...results.figures.flatMap((fig) => fig.errors.map((e) => `- Error (${fig.title}): ${e}`)),
  ...results.notes.map((n) => `- Note: ${n}`),
  '',
].join('\n');
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(RESULTS, 'latest.md'), md);
say(`\nwrote bench/results/latest.json and bench/results/latest.md`);
