// The monitor with 1,000 servers: key-to-settled-frame time and bytes per selection move, against the same
// strata's image list (33 rows) in the same run, plus the provider calls per poll (one) from bench/monitor.mjs.
//
//   PATH=$PWD/node_modules/.bin:$PATH tsx --disable-warning=ExperimentalWarning bench/monitor-frame.mjs [--servers N] [--presses N]
//
// Needs dist/ (npm run build). Prints a markdown table and writes bench/results/monitor.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInPty, KEYS } from './lib/pty.mjs';
import { launchFleet } from './monitor.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SERVERS = arg('--servers', 1000);
const PRESSES = arg('--presses', 30);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
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

async function measure(label, home, tabs) {
  const node = join(root, 'node_modules', '.bin', 'node');
  const app = startInPty(node, ['--disable-warning=ExperimentalWarning', join(root, 'dist', 'cli.js')], { env: { STRATA_HOME: home, STRATA_SECRETS: 'file' } });
  try {
    await app.waitFor((s) => / 1\/\d+/.test(s), { what: 'the image list' });
    for (let i = 0; i < tabs; i++) app.write('\t');
    if (tabs) await app.waitFor((s) => new RegExp(`${SERVERS.toLocaleString('en-US').replace(',', ',?')} servers`).test(s) || s.includes(`${SERVERS} servers`), { what: 'the monitor with every server', timeout: 60_000 });
    await app.waitQuiet(500);
    const samples = [];
    for (let i = 0; i < PRESSES; i++) samples.push(await press(app));
    return {
      label,
      medianMs: median(samples.map((s) => s.ms)),
      maxMs: Math.max(...samples.map((s) => s.ms)),
      medianBytes: median(samples.map((s) => s.bytes)),
      rssMiB: Math.round(app.memory().rssKiB / 1024),
    };
  } finally {
    await app.stop();
  }
}

const home = mkdtempSync(join(tmpdir(), 'strata-bench-frame-'));
try {
  const fleet = await launchFleet({ count: SERVERS, home });
  fleet.provider.clock.advance(40 * 60_000);
  await fleet.provider.close();
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    rounds.push(await measure('image list (33 rows)', home, 0));
    rounds.push(await measure(`monitor (${SERVERS} servers)`, home, 1));
  }
  const summarise = (label) => {
    const mine = rounds.filter((r) => r.label === label);
    return { label, medianMs: median(mine.map((r) => r.medianMs)), maxMs: Math.max(...mine.map((r) => r.maxMs)), medianBytes: median(mine.map((r) => r.medianBytes)), rssMiB: median(mine.map((r) => r.rssMiB)) };
  };
  const list = summarise('image list (33 rows)');
  const monitor = summarise(`monitor (${SERVERS} servers)`);
  const lines = [
    '| Pane | key to settled frame, median (max) | bytes per move | RSS |',
    '|---|---|---|---|',
    ...[list, monitor].map((r) => `| ${r.label} | ${r.medianMs.toFixed(1)} ms (${r.maxMs.toFixed(1)}) | ${r.medianBytes} | ${r.rssMiB} MiB |`),
    '',
    `Monitor ÷ image list: ${(monitor.medianMs / list.medianMs).toFixed(2)}x frame time. Provider calls per poll: 1 (bench/monitor.mjs).`,
  ];
  console.log(lines.join('\n'));
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'monitor.json'), JSON.stringify({ servers: SERVERS, presses: PRESSES, rounds, list, monitor }, null, 2) + '\n');
} finally {
  rmSync(home, { recursive: true, force: true });
}
