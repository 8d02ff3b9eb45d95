// The command-line twin's figures, each beside a reference measured in the same go (runs alternated: the
// machines are shared and noisy). Run with `npm run bench:cli`, which builds dist/cli.js first.
//
//   npm run bench:cli [-- --runs 9] [--public-runs 3] [--only list,public]
//
//   1 list    `strata images --json` (own images, sandbox, a STRATA_HOME used before) wall time, against
//             the TUI's first frame (spawn to the first image row in a 120x40 pseudo-terminal, same home)
//             and `node -e 0`. Aim: at most half the TUI's first frame.
//   2 public  `strata images --scope public --json` (100,000 images) wall time and peak resident memory,
//             against `sqlite3 -json` printing the same rows from a database: a table of the very rows strata
//             printed (strata.db's stored copy of the catalogue keeps them deflated in blocks, which sqlite3
//             cannot print). Aim: at most 3x.
// Writes bench/results/cli-latest.json.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startInPty } from './lib/pty.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP = join(root, 'dist', 'cli.js');
const NODE = process.execPath;
const FLAGS = ['--disable-warning=ExperimentalWarning'];
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' },
    'public-runs': { type: 'string', default: '3' },
    only: { type: 'string', default: 'list,public' },
  },
});
const RUNS = Math.max(1, Number(opts.runs));
const PUBLIC_RUNS = Math.max(1, Number(opts['public-runs']));
const ONLY = new Set(opts.only.split(','));

const say = (line) => process.stdout.write(`${line}\n`);
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 0) => (x === undefined ? '–' : x.toFixed(d));
const home = () => mkdtempSync(join(tmpdir(), 'strata-bench-cli-'));
const env = (h) => ({ ...process.env, STRATA_HOME: h, NO_COLOR: '1' });

/** Wall time of a command to its exit, its output thrown away (ms). */
function wall(file, args, options = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
  return ms;
}

/** The TUI: spawn to the first image row on the screen (ms). */
async function firstFrame(h) {
  const started = process.hrtime.bigint();
  const app = startInPty(NODE, [...FLAGS, APP, '--provider', 'sandbox', '--scope', 'own'], { cols: 120, rows: 40, env: { STRATA_HOME: h } });
  try {
    await app.waitFor((s) => /img-/.test(s), { timeout: 30_000, what: 'an image row' });
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    await app.stop();
  }
}

/** Wall time and peak resident memory (GNU time) of a command whose stdout goes to a file. */
function measured(file, args, out, options = {}) {
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', file, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', ...options });
    if (r.status !== 0) throw new Error(`${file} exited ${r.status}: ${r.stderr.slice(0, 300)}`);
    const [seconds, kib] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    return { ms: seconds * 1000, mib: kib / 1024 };
  } finally {
    closeSync(fd);
  }
}

const results = { startedAt: new Date().toISOString(), machine: { cpus: cpus().length, load: loadavg()[0], node: process.version }, figures: {} };
say(`strata bench:cli — ${results.machine.cpus} cpus (load ${fmt(results.machine.load, 1)}), Node ${process.version}`);

if (ONLY.has('list')) {
  const h = home();
  try {
    // The home used once (the sandbox's world made), as a user's is.
    wall(NODE, [...FLAGS, APP, 'images', '--json'], { env: env(h) });
    await firstFrame(h);
    const samples = { node: [], cli: [], tui: [] };
    for (let i = 0; i < RUNS; i++) {
      samples.node.push(wall(NODE, ['-e', '0']));
      samples.cli.push(wall(NODE, [...FLAGS, APP, 'images', '--json'], { env: env(h) }));
      samples.tui.push(await firstFrame(h));
    }
    const cli = median(samples.cli);
    const tui = median(samples.tui);
    const node = median(samples.node);
    const fresh = [];
    for (let i = 0; i < Math.min(3, RUNS); i++) {
      const f = home();
      try {
        fresh.push(wall(NODE, [...FLAGS, APP, 'images', '--json'], { env: env(f) }));
      } finally {
        rmSync(f, { recursive: true, force: true });
      }
    }
    results.figures.list = { runs: RUNS, medianMs: { node, cli, tui, cliFreshHome: median(fresh) }, ratioToFirstFrame: cli / tui, aim: 0.5, samples };
    say('\n1. strata images --json (own, sandbox, a used home), median of ' + RUNS + ' alternated runs');
    say(`   node -e 0                      ${fmt(node)} ms`);
    say(`   strata images --json           ${fmt(cli)} ms   (${fmt(cli / tui, 2)}x the TUI's first frame; aim ≤ 0.5x)`);
    say(`   the TUI's first frame          ${fmt(tui)} ms`);
    say(`   strata images --json, new home ${fmt(median(fresh))} ms   (the sandbox's world made first)`);
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
}

if (ONLY.has('public')) {
  const h = home();
  try {
    const out = join(h, 'public.json');
    wall(NODE, [...FLAGS, APP, 'images', '--scope', 'own', '--json'], { env: env(h) });
    const strata = [];
    for (let i = 0; i < PUBLIC_RUNS; i++) strata.push(measured(NODE, [...FLAGS, APP, 'images', '--scope', 'public', '--json'], out, { env: env(h) }));
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const rows = doc.images;
    // The reference: sqlite3 printing the same rows from a database. strata.db's stored copy of the
    // catalogue (store migration 5, where the console has loaded it) keeps its rows as JSON in deflated
    // blocks, which sqlite3 cannot print; so the rows strata printed go into a plain table beside it.
    const refDb = join(h, 'reference.db');
    const db = new DatabaseSync(refDb);
    const columns = Object.keys(rows[0]);
    db.exec(`CREATE TABLE images (${columns.map((c) => `"${c}"`).join(', ')})`);
    const insert = db.prepare(`INSERT INTO images VALUES (${columns.map(() => '?').join(', ')})`);
    db.exec('BEGIN');
    for (const row of rows) insert.run(...columns.map((c) => (row[c] !== null && typeof row[c] === 'object' ? JSON.stringify(row[c]) : typeof row[c] === 'boolean' ? Number(row[c]) : row[c])));
    db.exec('COMMIT');
    db.close();
    const query = 'SELECT * FROM images';
    const source = 'a table of the same rows';
    const sqlite = [];
    for (let i = 0; i < PUBLIC_RUNS; i++) {
      sqlite.push(measured('sqlite3', ['-json', refDb, query], join(h, 'sqlite.json')));
      strata.push(measured(NODE, [...FLAGS, APP, 'images', '--scope', 'public', '--json'], out, { env: env(h) }));
    }
    const s = { ms: median(strata.map((x) => x.ms)), mib: median(strata.map((x) => x.mib)) };
    const q = { ms: median(sqlite.map((x) => x.ms)), mib: median(sqlite.map((x) => x.mib)) };
    results.figures.public = { images: rows.length, strata: s, sqlite3: q, ratio: s.ms / q.ms, aim: 3, reference: source, samples: { strata, sqlite } };
    say(`\n2. strata images --scope public --json (${rows.length.toLocaleString('en-US')} images), median of ${strata.length} and ${sqlite.length} runs`);
    say(`   strata      ${fmt(s.ms)} ms, peak ${fmt(s.mib)} MiB resident`);
    say(`   sqlite3     ${fmt(q.ms)} ms, peak ${fmt(q.mib)} MiB resident   (-json, ${source})`);
    say(`   ratio       ${fmt(s.ms / q.ms, 2)}x (aim ≤ 3x)`);
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
}

mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'cli-latest.json'), `${JSON.stringify(results, null, 2)}\n`);

