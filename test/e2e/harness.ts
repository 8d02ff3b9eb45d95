// A small pseudo-terminal harness for end-to-end tests: runs a program (by default the built strata
// binary, dist/cli.js, on the pinned Node 22) in a real PTY and reads its screen from a headless xterm.
//
//   useAppCleanup();                      // once per test file: kills every child after each test
//   const app = startApp({ args: ['--provider', 'sandbox', '--region', 'eu-west'] });
//   await app.waitForText(/img-/);
//   app.press(['down', 'down', '/']);
//   app.write('ubuntu');
//   await app.waitForText('ubuntu');
//   app.press('q');
//   expect(await app.waitForExit()).toEqual({ exitCode: 0, signal: null });
//
// Nothing here sleeps blindly: waits are re-checked whenever the terminal has parsed new output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import xtermHeadless from '@xterm/headless';
import nodePty from 'node-pty';
import { afterEach } from 'vitest';

type Terminal = import('@xterm/headless').Terminal;
type IPty = import('node-pty').IPty;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The repository's root directory. */
export function repoRoot(): string {
  return ROOT;
}

/** The built strata binary the end-to-end tests run (`npm run build` writes it). */
export function appPath(): string {
  return join(ROOT, 'dist', 'cli.js');
}

/** The project's pinned Node 22 (the npm package `node`); the machine's own node may be older. */
export function nodePath(): string {
  return join(ROOT, 'node_modules', '.bin', 'node');
}

/** Named keys → the bytes a terminal sends for them (normal cursor-key mode). */
export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  home: '\u001b[H',
  end: '\u001b[F',
  pgup: '\u001b[5~',
  pgdn: '\u001b[6~',
  delete: '\u001b[3~',
  enter: '\r',
  esc: '\u001b',
  tab: '\t',
  shifttab: '\u001b[Z',
  backspace: '\u007f',
  space: ' ',
  ctrlc: '\u0003',
} as const;

export type NamedKey = keyof typeof KEYS;
/** A named key, `ctrl+<letter>` (or `ctrl<letter>`), or one literal character. */
export type Key = NamedKey | (string & {});

const ALIASES: Record<string, NamedKey> = {
  return: 'enter',
  escape: 'esc',
  pagedown: 'pgdn',
  pageup: 'pgup',
  'shift+tab': 'shifttab',
  'ctrl+c': 'ctrlc',
};

/** Keys whose sequence changes when the program asks for application cursor keys (DECCKM). */
const APPLICATION_CURSOR: Partial<Record<NamedKey, string>> = {
  up: '\u001bOA',
  down: '\u001bOB',
  right: '\u001bOC',
  left: '\u001bOD',
  home: '\u001bOH',
  end: '\u001bOF',
};

/** The bytes for one key; application cursor mode switches arrows, Home and End to their SS3 form. */
export function keySequence(key: Key, applicationCursorKeys = false): string {
  const name = (ALIASES[key] ?? key) as string;
  if (Object.hasOwn(KEYS, name)) {
    const named = name as NamedKey;
    return (applicationCursorKeys ? APPLICATION_CURSOR[named] : undefined) ?? KEYS[named];
  }
  const ctrl = /^ctrl\+?([a-z])$/.exec(name);
  if (ctrl) return String.fromCharCode(ctrl[1].charCodeAt(0) - 96);
  if ([...name].length === 1) return name;
  throw new Error(
    `Unknown key "${key}". Named keys: ${Object.keys(KEYS).join(', ')}, ctrl+<letter>, or one literal ` +
      'character; use write() for text.',
  );
}

export interface StartOptions {
  /** Arguments after the script. */
  args?: string[];
  /** Extra environment; a value of undefined removes the variable. Applied after the defaults. */
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
  /** STRATA_HOME for the child. Without it a fresh temporary directory is made and removed afterwards. */
  home?: string;
  /** The script to run instead of dist/cli.js (fixtures, references). */
  entry?: string;
  /** Arguments to node before the script. */
  nodeArgs?: string[];
  cwd?: string;
  /**
   * Before the first key, wait (at most this many ms; default 2,000; 0 = never) until the program has put
   * its terminal in raw mode. Ink draws its first frame a moment before it turns raw mode on; a key sent
   * in between is handled by the line discipline (Ctrl+C becomes SIGINT, letters wait for a newline).
   */
  rawModeTimeout?: number;
}

export interface WaitOptions {
  /** Milliseconds; default 10,000. */
  timeout?: number;
}

export interface ExitStatus {
  exitCode: number;
  /** The signal's name when the process was ended by one, else null. */
  signal: string | null;
}

export interface App extends AsyncDisposable {
  /** The headless terminal the output is parsed into. */
  readonly term: Terminal;
  /** The child's process id (the node process itself: no shell in between). */
  readonly pid: number;
  /** The STRATA_HOME the child was given. */
  readonly home: string;
  /** The visible rows joined by \n, each with trailing spaces trimmed. */
  screen(): string;
  /** One visible row (0 = top; negative counts from the bottom, -1 = the last row), trailing spaces trimmed. */
  line(n: number): string;
  /** Writes raw data to the program's terminal. */
  write(data: string): void;
  /** Presses keys by name (see KEYS), one write per key, in order. */
  press(keys: Key | readonly Key[]): void;
  /** Resolves with the screen as soon as it contains the text (or matches the regular expression). */
  waitForText(text: string | RegExp, options?: WaitOptions): Promise<string>;
  /** Resolves with the screen as soon as it no longer contains the text. */
  waitForNoText(text: string | RegExp, options?: WaitOptions): Promise<string>;
  /** Resolves with the screen as soon as the predicate holds for it. */
  waitFor(predicate: (screen: string) => boolean, options?: WaitOptions & { description?: string }): Promise<string>;
  /** Resolves when the program has exited and its last output has been parsed. */
  waitForExit(options?: WaitOptions): Promise<ExitStatus>;
  /** The exit status once the program has exited, else undefined. */
  exitStatus(): ExitStatus | undefined;
  /** Sends a signal (default SIGTERM) to the program; no-op once it has exited. */
  kill(signal?: NodeJS.Signals): void;
  /** Resizes the pseudo-terminal (the program gets SIGWINCH) and the emulator. */
  resize(cols: number, rows: number): void;
  /** Everything the program has written so far (from `since`, a value of outputLength(), when given). */
  rawOutput(since?: number): string;
  /** The length of rawOutput() now: a mark to read only later output from. */
  outputLength(): number;
  /** Kills the program if it still runs, waits for it, releases the terminal and the temporary home. */
  dispose(): Promise<void>;
}

// One registry per worker, even when a test file's module graph is evaluated again.
const LIVE = Symbol.for('strata.e2e.harness.live');
const globalRegistry = globalThis as { [LIVE]?: Set<App> };
const firstLoad = globalRegistry[LIVE] === undefined;
const live: Set<App> = (globalRegistry[LIVE] ??= new Set<App>());

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(osConstants.signals).map(([name, number]) => [number as number, name]),
);

/**
 * While a program holds a synchronized update open (CSI ? 2026 h … l) its frame is incomplete: waits are
 * not checked then, unless it stays open this long (terminals give up after a similar time).
 */
const SYNC_UPDATE_MAX_MS = 1000;

/** How long the output must stay quiet after the exit before the screen counts as final. */
const EXIT_DRAIN_MS = 50;
const EXIT_DRAIN_MAX_MS = 1000;

function describeMatcher(text: string | RegExp): string {
  return typeof text === 'string' ? JSON.stringify(text) : String(text);
}

function matcher(text: string | RegExp): (screen: string) => boolean {
  if (typeof text === 'string') return (screen) => screen.includes(text);
  const re = new RegExp(text.source, text.flags.replace(/[gy]/g, ''));
  return (screen) => re.test(screen);
}

export function startApp(options: StartOptions = {}): App {
  const { args = [], cols = 120, rows = 40, nodeArgs = [] } = options;
  const entry = options.entry ?? appPath();
  const node = nodePath();
  if (!existsSync(node)) {
    throw new Error(`The pinned Node 22 is missing at ${node}: run npm install (or npm rebuild node).`);
  }
  if (!existsSync(entry)) {
    throw new Error(
      entry === appPath()
        ? `The strata binary is missing at ${entry}: run npm run build first.`
        : `The program to start is missing: ${entry}`,
    );
  }
  const ownHome = options.home === undefined;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'strata-e2e-'));

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  // The child sees what a user's terminal shows. CI (even empty) makes Ink print no live frames; CI=false
  // satisfies Ink but still makes chalk's colour detection drop every style (supports-color returns level
  // 0 for any CI variable), so the CI variables are removed instead. FORCE_COLOR and NO_COLOR from the
  // test runner's environment are removed too: a test that wants them passes them in `env`.
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION', 'FORCE_COLOR', 'NO_COLOR']) delete env[k];
  Object.assign(env, { TERM: 'xterm-256color', STRATA_HOME: home });
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const term: Terminal = new xtermHeadless.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
  let pty: IPty;
  try {
    pty = nodePty.spawn(node, ['--disable-warning=ExperimentalWarning', ...nodeArgs, entry, ...args], {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: options.cwd ?? ROOT,
      env,
    });
  } catch (error) {
    term.dispose();
    if (ownHome) rmSync(home, { recursive: true, force: true });
    throw new Error(`Could not start ${entry} in a pseudo-terminal: ${(error as Error).message}`, { cause: error });
  }

  let raw = '';
  let pendingParses = 0;
  let lastDataAt = Date.now();
  let exit: ExitStatus | undefined;
  let exitSettled = false;
  let disposed = false;
  const waiters = new Set<() => void>();
  let syncTimer: NodeJS.Timeout | undefined;
  const checkAll = () => {
    for (const check of [...waiters]) check();
  };
  const notify = () => {
    if (term.modes.synchronizedOutputMode && !exitSettled && !disposed) {
      // Mid-frame: check once the update closes (the next write callback), or after SYNC_UPDATE_MAX_MS.
      syncTimer ??= setTimeout(() => {
        syncTimer = undefined;
        checkAll();
      }, SYNC_UPDATE_MAX_MS);
      return;
    }
    if (syncTimer) clearTimeout(syncTimer);
    syncTimer = undefined;
    checkAll();
  };

  // Raw mode: read the terminal's settings (stty on the child's end of the pty) until -icanon shows.
  const rawModeTimeout = options.rawModeTimeout ?? 2000;
  let inputReady = rawModeTimeout <= 0;
  const waitForRawMode = () => {
    if (inputReady) return;
    inputReady = true; // Checked once per program, whatever the outcome.
    let device: string;
    try {
      device = readlinkSync(`/proc/${pty.pid}/fd/0`);
    } catch {
      return; // Not Linux, or already gone: nothing to wait for.
    }
    if (!device.startsWith('/dev/pts/')) return;
    const deadline = Date.now() + rawModeTimeout;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      const stty = spawnSync('stty', ['-F', device, '-a'], { encoding: 'utf8' });
      if (stty.status !== 0 || /(^|[\s;])-icanon([\s;]|$)/.test(stty.stdout)) return;
      if (Date.now() >= deadline) return;
      Atomics.wait(pause, 0, 0, 10);
    }
  };

  pty.onData((data) => {
    raw += data;
    lastDataAt = Date.now();
    pendingParses++;
    term.write(data, () => {
      pendingParses--;
      notify();
    });
  });
  pty.onExit(({ exitCode, signal }) => {
    exit = { exitCode, signal: signal ? (SIGNAL_NAMES.get(signal) ?? String(signal)) : null };
    // The exit can be reported before the last output is read: wait until the output is quiet and parsed.
    const exitAt = Date.now();
    const drain = () => {
      const quiet = Date.now() - lastDataAt >= EXIT_DRAIN_MS && pendingParses === 0;
      if (quiet || Date.now() - exitAt >= EXIT_DRAIN_MAX_MS) {
        exitSettled = true;
        checkAll();
      } else {
        setTimeout(drain, 10);
      }
    };
    setTimeout(drain, EXIT_DRAIN_MS);
  });

  const screen = () => {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < term.rows; y++) {
      lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true, 0, term.cols) ?? '');
    }
    return lines.join('\n');
  };

  const state = () =>
    exit
      ? `The program exited (code ${exit.exitCode}${exit.signal ? `, signal ${exit.signal}` : ''}).`
      : 'The program is still running.';
  const screenDump = () => `--- screen ${term.cols}x${term.rows} ---\n${screen()}\n--- end of screen ---`;

  const waitFor: App['waitFor'] = (predicate, { timeout = 10_000, description = 'a condition' } = {}) =>
    new Promise<string>((resolvePromise, reject) => {
      const stack = new Error().stack;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        waiters.delete(check);
        if (timer) clearTimeout(timer);
        if (error) {
          error.stack = `${error.name}: ${error.message}\n${stack?.split('\n').slice(1).join('\n') ?? ''}`;
          reject(error);
        } else {
          resolvePromise(screen());
        }
      };
      const check = () => {
        let ok: boolean;
        try {
          ok = predicate(screen());
        } catch (error) {
          finish(error as Error);
          return;
        }
        if (ok) finish();
        else if (exitSettled) {
          finish(new Error(`The program ended before the screen showed ${description}. ${state()}\n${screenDump()}`));
        } else if (disposed) {
          finish(new Error(`The harness was disposed while waiting for ${description}.\n${screenDump()}`));
        }
      };
      timer = setTimeout(() => {
        finish(new Error(`Timed out after ${timeout} ms waiting for ${description}. ${state()}\n${screenDump()}`));
      }, timeout);
      waiters.add(check);
      check();
    });

  const app: App = {
    term,
    pid: pty.pid,
    home,
    screen,
    line(n) {
      const lines = screen().split('\n');
      return lines.at(n) ?? '';
    },
    write(data) {
      if (exit) throw new Error(`Cannot write to the program: ${state()}`);
      waitForRawMode();
      pty.write(data);
    },
    press(keys) {
      const list: readonly Key[] = typeof keys === 'string' ? [keys] : keys;
      const sequences = list.map((key) => keySequence(key, term.modes.applicationCursorKeysMode));
      for (const sequence of sequences) app.write(sequence);
    },
    waitForText(text, options) {
      return waitFor(matcher(text), { ...options, description: `the text ${describeMatcher(text)}` });
    },
    waitForNoText(text, options) {
      const has = matcher(text);
      return waitFor((s) => !has(s), { ...options, description: `no more ${describeMatcher(text)}` });
    },
    waitFor,
    waitForExit({ timeout = 10_000 } = {}) {
      return new Promise<ExitStatus>((resolvePromise, reject) => {
        const stack = new Error().stack;
        const check = () => {
          if (!exitSettled || !exit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolvePromise(exit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const error = new Error(`Timed out after ${timeout} ms waiting for the program to exit. ${state()}\n${screenDump()}`);
          error.stack = `${error.name}: ${error.message}\n${stack?.split('\n').slice(1).join('\n') ?? ''}`;
          reject(error);
        }, timeout);
        waiters.add(check);
        check();
      });
    },
    exitStatus: () => exit,
    kill(signal = 'SIGTERM') {
      if (!exit) {
        try {
          pty.kill(signal);
        } catch {
          // Already gone.
        }
      }
    },
    resize(newCols, newRows) {
      if (!exit) pty.resize(newCols, newRows);
      term.resize(newCols, newRows);
      notify();
    },
    rawOutput: (since = 0) => raw.slice(since),
    outputLength: () => raw.length,
    async dispose() {
      if (disposed) return;
      if (!exit) {
        app.kill('SIGTERM');
        try {
          await app.waitForExit({ timeout: 2000 });
        } catch {
          app.kill('SIGKILL');
          await app.waitForExit({ timeout: 2000 }).catch(() => undefined);
        }
      }
      disposed = true;
      if (syncTimer) clearTimeout(syncTimer);
      checkAll();
      live.delete(app);
      term.dispose();
      if (ownHome) rmSync(home, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]() {
      return app.dispose();
    },
  };
  live.add(app);
  return app;
}

/** Disposes every program started and not yet disposed (kills those still running). */
export async function cleanupApps(): Promise<void> {
  await Promise.all([...live].map((app) => app.dispose()));
}

/**
 * Registers an afterEach that prints the screen of every live program when the test failed, then kills
 * and disposes them all. Call once at the top of a test file (or inside a describe).
 */
export function useAppCleanup(): void {
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      for (const app of live) {
        process.stderr.write(`\n[harness] pid ${app.pid}, screen at failure:\n${app.screen()}\n`);
      }
    }
    await cleanupApps();
  });
}

// Last resort: a worker that exits with programs still running takes them down with it.
if (firstLoad) {
  process.once('exit', () => {
    for (const app of live) {
      try {
        process.kill(app.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}
