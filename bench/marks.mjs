// Marking the whole public catalogue: the time from `*` (every row the filter shows) to the status bar's
// "100,000 marked", and from `u` back to no count, in the built strata (dist/cli.js, or --app PATH) in a
// pseudo-terminal at 120x40, with the 100,000 public images loaded; then the same with a filter typed
// (/QUERY) so * marks its matches. Each `*` is answered before the next key is sent.
//
//   node --disable-warning=ExperimentalWarning bench/marks.mjs [--runs 10] [--query "ubuntu 22.04"] [--app dist/cli.js]
//
// Figures (median, 95th percentile, ms) go to stdout; bench/run.mjs's structure is left alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KEYS, startInPty } from './lib/pty.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    query: { type: 'string', default: 'ubuntu 22.04' },
    app: { type: 'string', default: join(root, 'dist', 'cli.js') },
  },
});

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const status = (screen) => screen.split('\n').filter((l) => l.trim()).at(-1) ?? '';

async function timed(session, key, predicate, what) {
  const at = performance.now();
  session.write(key);
  await session.waitFor((s) => predicate(status(s)), { timeout: 30_000, what });
  return performance.now() - at;
}

const home = mkdtempSync(join(tmpdir(), 'strata-bench-marks-'));
const session = startInPty(process.execPath, ['--disable-warning=ExperimentalWarning', opts.app, '--scope', 'public'], { env: { STRATA_HOME: home } });
try {
  await session.waitFor((s) => /public · 100,000 images/.test(status(s)) && !/loading/.test(status(s)), { timeout: 180_000, what: 'the catalogue loaded' });
  await session.waitQuiet(500);
  const all = [];
  const clear = [];
  for (let i = 0; i < Number(opts.runs); i++) {
    all.push(await timed(session, '*', (line) => /100,000 marked/.test(line), '100,000 marked'));
    clear.push(await timed(session, 'u', (line) => !/ marked/.test(line), 'the marks cleared'));
  }
  session.write('/');
  session.write(opts.query);
  session.write(KEYS.enter);
  await session.waitFor((s) => s.includes(`filter /${opts.query}`), { what: 'the filter kept' });
  await session.waitQuiet(500);
  const filtered = [];
  for (let i = 0; i < Number(opts.runs); i++) {
    filtered.push(await timed(session, '*', (line) => /[\d,]+ marked/.test(line), 'the matches marked'));
    await timed(session, 'u', (line) => !/ marked/.test(line), 'the marks cleared');
  }
  const { rssKiB } = session.memory();
  const row = (name, values) => `${name.padEnd(40)} median ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms`;
  console.log(row('* over 100,000 stored rows', all));
  console.log(row('u (clear them)', clear));
  console.log(row(`* over the matches of /${opts.query}`, filtered));
  console.log(`VmRSS at the end: ${Math.round(rssKiB / 1024)} MiB`);
} finally {
  await session.stop();
  rmSync(home, { recursive: true, force: true });
}
