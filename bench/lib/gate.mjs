// A ready gate for ptybytes.py: runs a program in an inner pseudo-terminal, passes bytes through
// unchanged both ways (keys in, output out), reads the inner screen with a headless xterm, and writes one
// harmless marker (an OSC window-title sequence containing "bench-gate-ready") the first time the screen
// is in the wanted state. ptybytes then uses `--ready bench-gate-ready`.
//
// Why: ptybytes' --ready matches a regular expression on the raw output, which can say "a row has been
// drawn" but not "the status bar no longer says loading" (with incremental rendering the status line is
// rewritten in parts). The gate adds one hop on the way out; every program compared through it pays it.
//
//   node gate.mjs --text REGEX [--not REGEX] [--timeout SECONDS] -- CMD ARGS...
//
// --text   the screen must match this (case-insensitive)
// --last   and the last non-empty row must match this (e.g. the status bar's provider id)
// --not    and the last non-empty row must not match this (e.g. loading)
// --pre    keys to send once the screen is ready (e.g. `/` to open a filter line); the marker follows
//          when the answer to them has been quiet for 300 ms, so they are not part of the measurement
// Diagnostics go to $BENCH_GATE_LOG when set (stderr is the terminal being measured).
import { execFile } from 'node:child_process';
import { appendFileSync, readlinkSync } from 'node:fs';
import xtermHeadless from '@xterm/headless';
import nodePty from 'node-pty';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const opts = argv.slice(0, sep < 0 ? argv.length : sep);
const cmd = sep < 0 ? [] : argv.slice(sep + 1);
const opt = (name) => {
  const i = opts.indexOf(name);
  return i >= 0 ? opts[i + 1] : undefined;
};
const log = (line) => {
  if (process.env.BENCH_GATE_LOG) appendFileSync(process.env.BENCH_GATE_LOG, `${new Date().toISOString()} ${line}\n`);
};
if (cmd.length === 0) {
  log('gate: no command');
  process.exit(2);
}
const want = new RegExp(opt('--text') ?? '.', 'i');
const notWanted = opt('--not') ? new RegExp(opt('--not'), 'i') : undefined;
const lastWanted = opt('--last') ? new RegExp(opt('--last'), 'i') : undefined;
const timeoutS = Number(opt('--timeout') ?? 120);
const pre = opt('--pre');
const MARKER = '\u001b]0;bench-gate-ready\u0007';
let lastOutput = 0;

const size = () => ({
  cols: process.stdout.columns || Number(process.env.COLUMNS) || 120,
  rows: process.stdout.rows || Number(process.env.LINES) || 40,
});
let { cols, rows } = size();
const term = new xtermHeadless.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
const env = { ...process.env };
const inner = nodePty.spawn(cmd[0], cmd.slice(1), { name: env.TERM ?? 'xterm-256color', cols, rows, env, encoding: null });

let ready = false;
const screen = () => {
  const buffer = term.buffer.active;
  const lines = [];
  for (let y = 0; y < term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true, 0, term.cols) ?? '');
  return lines;
};
let syncTimer;
const check = () => {
  if (ready) return;
  // Mid-frame (a synchronized update is open): look again when it closes, or after a second at most.
  if (term.modes.synchronizedOutputMode) {
    syncTimer ??= setTimeout(() => {
      syncTimer = undefined;
      look();
    }, 1000);
    return;
  }
  clearTimeout(syncTimer);
  syncTimer = undefined;
  look();
};
const look = () => {
  if (ready) return;
  const lines = screen();
  const last = lines.filter((l) => l.trim()).at(-1) ?? '';
  if (want.test(lines.join('\n')) && !(lastWanted && !lastWanted.test(last)) && !(notWanted && notWanted.test(last))) {
    ready = true;
    clearTimeout(timer);
    log(`gate: ready; last row: ${last}`);
    if (pre) {
      whenRaw(() => sendPre());
    } else {
      process.stdout.write(MARKER);
    }
  }
};

/** Calls back once the inner terminal is in raw mode (stty shows -icanon), or after 2 s. */
function whenRaw(callback) {
  let device;
  try {
    device = readlinkSync(`/proc/${inner.pid}/fd/0`);
  } catch {
    callback();
    return;
  }
  const deadline = Date.now() + 2000;
  const poll = () =>
    execFile('stty', ['-F', device, '-a'], (error, stdout) => {
      if (error || /(^|[\s;])-icanon([\s;]|$)/.test(stdout) || Date.now() >= deadline) callback();
      else setTimeout(poll, 10);
    });
  poll();
}

/** Sends the --pre keys, then the marker once their answer has been quiet for 300 ms (5 s at most). */
function sendPre() {
  inner.write(pre);
  const sent = Date.now();
  const quiet = () => {
    if ((Date.now() - lastOutput >= 300 && lastOutput > sent) || Date.now() - sent > 5000) {
      log(`gate: sent ${JSON.stringify(pre)}; last row: ${screen().filter((l) => l.trim()).at(-1) ?? ''}`);
      process.stdout.write(MARKER);
    } else setTimeout(quiet, 20);
  };
  setTimeout(quiet, 20);
}
const timer = setTimeout(() => {
  log(`gate: not ready after ${timeoutS} s; screen:\n${screen().join('\n')}`);
  stop(3);
}, timeoutS * 1000);

inner.onData((data) => {
  lastOutput = Date.now();
  process.stdout.write(data);
  term.write(data, check);
});
inner.onExit(({ exitCode, signal }) => {
  log(`gate: inner exited code ${exitCode} signal ${signal}`);
  clearTimeout(timer);
  term.dispose();
  process.exitCode = exitCode || (signal ? 128 + signal : 0);
  // Let the last output drain, then go.
  process.stdout.write('', () => process.exit());
});

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', (data) => inner.write(data.toString('utf8')));
process.stdout.on('resize', () => {
  ({ cols, rows } = size());
  inner.resize(cols, rows);
  term.resize(cols, rows);
});

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  try {
    inner.kill('SIGTERM');
  } catch {}
  setTimeout(() => {
    try {
      inner.kill('SIGKILL');
    } catch {}
    process.exit(code);
  }, 2000).unref();
}
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(143));
