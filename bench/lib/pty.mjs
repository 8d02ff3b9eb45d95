// A program in a pseudo-terminal with its screen read from a headless xterm: the bench's driver where
// ptybytes.py does not fit (waiting for a screen state, reading the resident memory). The end-to-end
// tests have the typed twin of this in test/e2e/harness.ts.
import { readFileSync } from 'node:fs';
import xtermHeadless from '@xterm/headless';
import nodePty from 'node-pty';

export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  pgdn: '\u001b[6~',
  pgup: '\u001b[5~',
  enter: '\r',
  esc: '\u001b',
  backspace: '\u007f',
};

/**
 * Starts `file args` in a pseudo-terminal of cols x rows.
 * @param {string} file
 * @param {string[]} args
 * @param {{cols?: number, rows?: number, env?: Record<string, string | undefined>}} [options]
 */
export function startInPty(file, args, { cols = 120, rows = 40, env = {} } = {}) {
  const childEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  // Like ptybytes.py: no CI variable at all (Ink prints no live frames under CI; CI=false would still make
  // chalk drop every style), and no colour overrides from the caller's environment.
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION', 'FORCE_COLOR', 'NO_COLOR']) delete childEnv[k];
  childEnv.TERM = 'xterm-256color';
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const term = new xtermHeadless.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
  const pty = nodePty.spawn(file, args, { name: 'xterm-256color', cols, rows, env: childEnv });
  let bytes = 0;
  let lastDataAt = Date.now();
  const dataListeners = new Set();
  let exit;
  const waiters = new Set();
  let syncTimer;
  const notify = () => {
    // Mid-frame (a synchronized update is open): check when it closes, or after a second at most.
    if (term.modes.synchronizedOutputMode && !exit) {
      syncTimer ??= setTimeout(() => {
        syncTimer = undefined;
        for (const check of [...waiters]) check();
      }, 1000);
      return;
    }
    clearTimeout(syncTimer);
    syncTimer = undefined;
    for (const check of [...waiters]) check();
  };
  pty.onData((data) => {
    bytes += Buffer.byteLength(data);
    lastDataAt = Date.now();
    for (const listener of dataListeners) listener(performance.now(), data);
    term.write(data, notify);
  });
  pty.onExit((status) => {
    exit = status;
    setTimeout(notify, 50);
  });

  const screen = () => {
    const buffer = term.buffer.active;
    const lines = [];
    for (let y = 0; y < term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true, 0, term.cols) ?? '');
    return lines.join('\n');
  };

  const session = {
    pid: pty.pid,
    screen,
    lastLine: () => screen().split('\n').filter((l) => l.trim()).at(-1) ?? '',
    bytes: () => bytes,
    exited: () => exit,
    write: (data) => {
      if (!exit) pty.write(data);
    },
    /** Resolves with the screen as soon as predicate(screen) holds; rejects with the screen on timeout or exit. */
    waitFor(predicate, { timeout = 30_000, what = 'the screen' } = {}) {
      return new Promise((resolve, reject) => {
        const finish = (error) => {
          waiters.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(screen());
        };
        const check = () => {
          if (predicate(screen())) finish();
          else if (exit) {
            finish(new Error(`exited (code ${exit.exitCode}, signal ${exit.signal}) before ${what}\n${screen()}`));
          }
        };
        const timer = setTimeout(() => finish(new Error(`timed out after ${timeout} ms waiting for ${what}\n${screen()}`)), timeout);
        waiters.add(check);
        check();
      });
    },
    /** Calls listener(atMs, data) for every chunk of output as it arrives (performance.now() clock). */
    onData(listener) {
      dataListeners.add(listener);
      return () => dataListeners.delete(listener);
    },
    /** Resolves once no output has arrived for quietMs, counted from the call at the earliest (at most limitMs). */
    waitQuiet(quietMs = 300, limitMs = 10_000) {
      const started = Date.now();
      return new Promise((resolve) => {
        const tick = () => {
          const now = Date.now();
          const quietFor = now - Math.max(lastDataAt, started);
          if (quietFor >= quietMs || now - started >= limitMs || exit) resolve(screen());
          else setTimeout(tick, Math.max(1, Math.min(50, quietMs - quietFor)));
        };
        tick();
      });
    },
    /** VmRSS and VmHWM of the process, in KiB (Linux). */
    memory() {
      const status = readFileSync(`/proc/${pty.pid}/status`, 'utf8');
      const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
    },
    async stop() {
      if (!exit) {
        try {
          pty.kill('SIGTERM');
        } catch {}
        const deadline = Date.now() + 3000;
        while (!exit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (!exit) {
          try {
            pty.kill('SIGKILL');
          } catch {}
          const hardDeadline = Date.now() + 2000;
          while (!exit && Date.now() < hardDeadline) await new Promise((r) => setTimeout(r, 50));
        }
      }
      clearTimeout(syncTimer);
      term.dispose();
    },
  };
  return session;
}
