// The public catalogue's figures: resident memory with it loaded and filtered, keys pressed while it
// loads, and the time from choosing it (the `3` key) to its first rows on a warm home. Runs the built
// strata (dist/cli.js, or --app PATH) in a pseudo-terminal and reads its screen (bench/lib/pty.mjs).
//
//   node --disable-warning=ExperimentalWarning bench/catalogue.mjs [--runs 3] [--presses 20]
//        [--only memory,keys,warm] [--app dist/cli.js] [--query "ubuntu 22.04"] [--json FILE]
//
// memory  VmRSS after loading the 100,000 images, typing /QUERY and Enter (1 s of quiet after it, as
//         bench/run.mjs reads it, and again 3 s later, at rest); beside it `node -e 0` (VmRSS of a bare node
//         at its end) and the bare Ink list holding the same rows (bench/reference).
// keys    a fresh home, --scope public: once the first rows show and the status bar says "loading", Down
//         is pressed PRESSES times, each 20 ms after the last one was answered; the figure is the time from
//         the key to the arrival of the output that moved the selection marker. Then `q`: the time to the
//         process's exit.
// warm    a home where strata has loaded the public catalogue once: started with --scope own, `3` is
//         pressed; the figure is the time to the first public row (img-p-) on screen.
// Figures go to stdout (and to --json FILE); bench/run.mjs's structure is left alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BUILD_DIR, buildReference } from './build-reference.mjs';
import xtermHeadless from '@xterm/headless';
import nodePty from 'node-pty';
import { KEYS, startInPty } from './lib/pty.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODE = process.execPath;
const FLAGS = ['--disable-warning=ExperimentalWarning'];
const COLS = 120;
const ROWS = 40;

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    presses: { type: 'string', default: '20' },
    only: { type: 'string', default: 'memory,keys,warm' },
    app: { type: 'string', default: join(root, 'dist', 'cli.js') },
    region: { type: 'string', default: 'eu-west' },
    query: { type: 'string', default: 'ubuntu 22.04' },
    json: { type: 'string' },
  },
});
const RUNS = Math.max(1, Number(opts.runs));
const PRESSES = Math.max(1, Number(opts.presses));
const ONLY = new Set(opts.only.split(',').map((s) => s.trim()));
const APP = opts.app;
const QUERY = opts.query;
const say = (line) => process.stdout.write(line + '\n');
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 1) => (x === undefined ? '–' : x.toFixed(d));
const freshHome = () => mkdtempSync(join(tmpdir(), 'strata-bench-cat-'));
const strata = (home, scope) =>
  startInPty(NODE, [...FLAGS, APP, '--provider', 'sandbox', '--region', opts.region, '--scope', scope], {
    cols: COLS,
    rows: ROWS,
    env: { STRATA_HOME: home },
  });
const lastLine = (s) => s.split('\n').filter((l) => l.trim()).at(-1) ?? '';
const isLoaded = (s) => /img-/.test(s) && /sandbox/.test(lastLine(s)) && !/loading/i.test(lastLine(s));
/** The screen row of the selection marker (a list row starting with ">"), or -1. */
const markerRow = (s) => s.split('\n').findIndex((l) => l.startsWith('>') && l.includes('img-'));
const results = { startedAt: new Date().toISOString(), app: APP, runs: RUNS, figures: {} };

async function waitExit(app, limitMs) {
  const started = Date.now();
  while (!app.exited() && Date.now() - started < limitMs) await new Promise((r) => setTimeout(r, 2));
  return app.exited() ? Date.now() - started : undefined;
}

// ------------------------------------------------------------------------------------------- memory
if (ONLY.has('memory')) {
  say(`memory: VmRSS with the public catalogue loaded and filtered ("${QUERY}"), ${RUNS} runs`);
  const rows = join(BUILD_DIR, `catalogue-${opts.region}.rows`);
  mkdirSync(BUILD_DIR, { recursive: true });
  if (!existsSync(rows)) {
    const r = spawnSync(NODE, [...FLAGS, '--import', 'tsx', join(root, 'bench', 'dump-catalogue.ts'), '--region', opts.region, '--out', join(BUILD_DIR, `catalogue-${opts.region}`)], {
      cwd: root,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`could not dump the catalogue: ${r.stderr}`);
  }
  await buildReference();
  const bare = join(BUILD_DIR, 'bare-ink.js');
  const drive = async (start, loaded) => {
    const home = freshHome();
    const app = start(home);
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
      app.write(KEYS.enter);
      await app.waitQuiet(1000, 10_000);
      if (!app.screen().toLowerCase().includes(QUERY.split(' ')[0])) throw new Error('the filter did not take');
      const filtered = app.memory();
      // At rest: a few seconds later (strata gives back the heap it grew once the user has stopped).
      await new Promise((r) => setTimeout(r, 3000));
      return { ...filtered, loadedRssKiB: before.rssKiB, restRssKiB: app.memory().rssKiB };
    } finally {
      await app.stop();
      rmSync(home, { recursive: true, force: true });
    }
  };
  const fig = { strata: [], strataLoaded: [], strataPeak: [], strataRest: [], bare: [], bareRest: [], nodeE0: [] };
  for (let i = 0; i < RUNS; i++) {
    const s = await drive((home) => strata(home, 'public'), isLoaded);
    fig.strata.push(s.rssKiB / 1024);
    fig.strataLoaded.push(s.loadedRssKiB / 1024);
    fig.strataPeak.push(s.hwmKiB / 1024);
    fig.strataRest.push(s.restRssKiB / 1024);
    const b = await drive(
      (home) => startInPty(NODE, [...FLAGS, bare, '--items', rows], { cols: COLS, rows: ROWS, env: { STRATA_HOME: home } }),
      (s) => /img-/.test(s) && /reference/.test(s),
    );
    fig.bare.push(b.rssKiB / 1024);
    fig.bareRest.push(b.restRssKiB / 1024);
    const e = spawnSync(NODE, ['-e', "process.stdout.write(/VmRSS:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])"], {
      encoding: 'utf8',
    });
    fig.nodeE0.push(Number(e.stdout) / 1024);
    say(
      `  run ${i + 1}: strata ${fmt(s.rssKiB / 1024)} MiB (loaded ${fmt(s.loadedRssKiB / 1024)}, peak ${fmt(s.hwmKiB / 1024)}, at rest 3 s later ${fmt(s.restRssKiB / 1024)}); bare Ink ${fmt(b.rssKiB / 1024)} MiB (at rest ${fmt(b.restRssKiB / 1024)}); node -e 0 ${fmt(Number(e.stdout) / 1024)} MiB`,
    );
  }
  results.figures.memory = {
    strataMiB: median(fig.strata),
    strataLoadedMiB: median(fig.strataLoaded),
    strataPeakMiB: median(fig.strataPeak),
    strataRestMiB: median(fig.strataRest),
    bareInkMiB: median(fig.bare),
    bareInkRestMiB: median(fig.bareRest),
    nodeE0MiB: median(fig.nodeE0),
    samples: fig,
  };
  const m = results.figures.memory;
  say(
    `  median: strata ${fmt(m.strataMiB)} MiB (loaded ${fmt(m.strataLoadedMiB)}, peak ${fmt(m.strataPeakMiB)}, at rest ${fmt(m.strataRestMiB)}), bare Ink ${fmt(m.bareInkMiB)} MiB (at rest ${fmt(m.bareInkRestMiB)}), node -e 0 ${fmt(m.nodeE0MiB)} MiB`,
  );
}

// ------------------------------------------------------------------------------ keys during the load
/**
 * strata in a pseudo-terminal with each chunk of output stamped when it arrived: a key's answer is timed
 * to the arrival of the bytes that moved the selection, not to when this process got round to parsing them
 * (while the catalogue loads, the status line streams and the parser runs behind).
 */
function stampedStrata(home) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['CI', 'CONTINUOUS_INTEGRATION', 'FORCE_COLOR', 'NO_COLOR'].includes(k)) env[k] = v;
  Object.assign(env, { TERM: 'xterm-256color', STRATA_HOME: home });
  const term = new xtermHeadless.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true, scrollback: 0 });
  const pty = nodePty.spawn(NODE, [...FLAGS, APP, '--provider', 'sandbox', '--region', opts.region, '--scope', 'public'], { name: 'xterm-256color', cols: COLS, rows: ROWS, env });
  let waiter;
  let exit;
  const screen = () => {
    const b = term.buffer.active;
    return Array.from({ length: ROWS }, (_, y) => b.getLine(b.viewportY + y)?.translateToString(true) ?? '').join('\n');
  };
  pty.onData((data) => {
    const at = performance.now();
    term.write(data, () => waiter?.(at));
  });
  pty.onExit((status) => {
    exit = status;
    waiter?.(performance.now());
  });
  return {
    screen,
    exited: () => exit,
    write: (data) => pty.write(data),
    /** Resolves with the arrival time of the output after which predicate(screen) holds. */
    until(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`timed out waiting for ${what}\n${screen()}`));
        }, timeoutMs);
        const check = (at) => {
          if (predicate(screen())) {
            clearTimeout(timer);
            waiter = undefined;
            resolve(at);
          } else if (exit) {
            clearTimeout(timer);
            waiter = undefined;
            reject(new Error(`exited before ${what}`));
          }
        };
        waiter = check;
        check(performance.now());
      });
    },
    async stop() {
      if (!exit) pty.kill('SIGTERM');
      for (let i = 0; i < 100 && !exit; i++) await new Promise((r) => setTimeout(r, 30));
      if (!exit) pty.kill('SIGKILL');
      term.dispose();
    },
  };
}

if (ONLY.has('keys')) {
  say(`keys during the load: ${PRESSES} Down keys, then q, ${RUNS} runs (fresh home each)`);
  const quits = [];
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const home = freshHome();
    const app = stampedStrata(home);
    const lat = [];
    let pressedDuringLoad = 0;
    try {
      await app.until((s) => markerRow(s) >= 0 && /loading/i.test(lastLine(s)), 60_000, 'the first rows while loading');
      for (let k = 0; k < PRESSES; k++) {
        const from = markerRow(app.screen());
        if (/loading/i.test(lastLine(app.screen()))) pressedDuringLoad++;
        const t0 = performance.now();
        app.write(KEYS.down);
        const at = await app.until((s) => markerRow(s) === from + 1, 60_000, `the selection to move (key ${k + 1})`);
        lat.push(at - t0);
        // Keys a person presses, not a stream: each after the last was answered, a few ms apart.
        await new Promise((r) => setTimeout(r, 20));
      }
      const loadingAtQ = /loading/i.test(lastLine(app.screen()));
      const t0 = performance.now();
      app.write('q');
      const exitedAt = await app.until(() => app.exited() !== undefined, 60_000, 'the exit').catch(() => undefined);
      quits.push({ ms: exitedAt === undefined ? undefined : exitedAt - t0, duringLoad: loadingAtQ, code: app.exited()?.exitCode });
    } finally {
      await app.stop();
      rmSync(home, { recursive: true, force: true });
    }
    runs.push({ median: median(lat), max: Math.max(...lat), pressedDuringLoad, samples: lat });
    const q = quits.at(-1);
    say(
      `  run ${i + 1}: key to moved selection median ${fmt(median(lat))} ms, max ${fmt(Math.max(...lat))} ms (${pressedDuringLoad}/${PRESSES} pressed while "loading" showed); q to exit ${fmt(q.ms)} ms (${q.duringLoad ? 'during' : 'after'} the load, exit ${q.code})`,
    );
  }
  results.figures.keys = {
    medianMs: median(runs.map((r) => r.median)),
    maxMs: Math.max(...runs.map((r) => r.max)),
    quitMs: median(quits.map((q) => q.ms)),
    runs,
    quits,
  };
  const k = results.figures.keys;
  say(`  median of run medians ${fmt(k.medianMs)} ms, max ${fmt(k.maxMs)} ms; q to exit (median) ${fmt(k.quitMs)} ms`);
}

// ----------------------------------------------------------------------------------- warm scope switch
if (ONLY.has('warm')) {
  say(`warm home: \`3\` to the first public rows, ${RUNS} runs`);
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const home = freshHome();
    try {
      const first = strata(home, 'public');
      await first.waitFor(isLoaded, { timeout: 170_000, what: 'the public catalogue loaded' });
      first.write('q');
      await waitExit(first, 10_000);
      await first.stop();
      const app = strata(home, 'own');
      try {
        await app.waitFor((s) => /img-/.test(s) && /· own ·/.test(lastLine(s)), { timeout: 30_000, what: 'the own list' });
        await app.waitQuiet(500, 5000);
        const t0 = performance.now();
        app.write('3');
        await app.waitFor((s) => /img-p-/.test(s), { timeout: 60_000, what: 'a public row' });
        const ms = performance.now() - t0;
        samples.push(ms);
        await app.waitQuiet(300, 5000);
        say(`  run ${i + 1}: ${fmt(ms)} ms; status bar: ${lastLine(app.screen()).trim().slice(0, 100)}`);
      } finally {
        await app.stop();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  results.figures.warm = { medianMs: median(samples), samples };
  say(`  median ${fmt(median(samples))} ms`);
}

results.finishedAt = new Date().toISOString();
if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
