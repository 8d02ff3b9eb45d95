// The screen belongs to this module: the alternate screen, the hidden cursor, raw mode, bracketed paste,
// and a restore on every way out — quit, Ctrl+C, SIGTERM, SIGHUP of a dropped SSH session, SIGINT, and an
// uncaught error. Nothing else writes to stdout while the TUI runs.
import { render, type Instance } from 'ink';
import type { ReactElement } from 'react';

/** What puts a terminal back as the user had it (each is harmless where already in that state). */
export const RESTORE_SEQUENCE =
  '\u001b[0m' + // attributes off
  '\u001b[?2004l' + // bracketed paste off
  '\u001b[?1000l\u001b[?1002l\u001b[?1006l' + // mouse reporting off
  '\u001b[?1049l' + // leave the alternate screen
  '\u001b[?25h'; // show the cursor

// eslint-disable-next-line no-control-regex
const TOKENS = /\u001b\[([0-9;?]*)([@-~])|\u001b[^[]|[\r\n]|[^\u001b\r\n]+/g;
const SPACES = / {4,}/g;

/**
 * Makes Ink's output cheaper on a slow link without changing what the terminal shows:
 * - Ink moves down over unchanged lines one CNL (ESC [ E) at a time; a run of n becomes ESC [ n E.
 * - Ink erases a line (ESC [ K) before it paints it, so a run of plain spaces after the erase, where no
 *   inverse video or background colour is active, is the same as moving the cursor right (ESC [ n C).
 * At 120x40 that is about a third of the bytes per keypress in the image list.
 */
export function compactOutput(chunk: string): string {
  if (!chunk.includes('\u001b')) return chunk;
  let out = '';
  let erased = false; // the rest of the current line is blank
  let inverse = false;
  let background = false;
  let cnl = 0;
  const flushCnl = () => {
    if (cnl > 0) out += cnl === 1 ? '\u001b[E' : `\u001b[${cnl}E`;
    cnl = 0;
  };
  for (const match of chunk.matchAll(TOKENS)) {
    const token = match[0];
    const final = match[2];
    if (final === 'E' && (match[1] === '' || match[1] === '1')) {
      cnl++;
      erased = false;
      continue;
    }
    flushCnl();
    if (final !== undefined) {
      const params = match[1];
      if (final === 'K' && (params === '' || params === '0')) erased = true;
      else if (final === 'm') {
        const codes = params === '' ? [0] : params.split(';').map(Number);
        for (let i = 0; i < codes.length; i++) {
          const c = codes[i];
          if (c === 0) inverse = background = false;
          else if (c === 7) inverse = true;
          else if (c === 27) inverse = false;
          else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) background = true;
          else if (c === 49) background = false;
          else if (c === 48) {
            background = true;
            i += codes[i + 1] === 5 ? 2 : 4; // 48;5;n or 48;2;r;g;b
          } else if (c === 38) i += codes[i + 1] === 5 ? 2 : 4;
        }
      } else if ('ABCDEFGHJfSTr'.includes(final) || params.startsWith('?')) erased = false;
      out += token;
    } else if (token === '\r' || token === '\n' || token.startsWith('\u001b')) {
      erased = false;
      out += token;
    } else if (erased && !inverse && !background) {
      out += token.replace(SPACES, (run) => `\u001b[${run.length}C`);
    } else {
      out += token;
    }
  }
  flushCnl();
  return out;
}

export interface FullScreenOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** Called once, before the process exits for any reason (close the database, the provider). */
  onExit?: (reason: string) => Promise<void> | void;
  log?: (message: string, detail?: unknown) => void;
}

export class TerminalNotInteractive extends Error {}

export function assertInteractive(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): void {
  if (!stdin.isTTY || !stdout.isTTY) {
    const which = !stdin.isTTY && !stdout.isTTY ? 'stdin and stdout are not terminals' : !stdin.isTTY ? 'stdin is not a terminal' : 'stdout is not a terminal';
    throw new TerminalNotInteractive(
      `strata is a full-screen terminal program and needs a terminal (${which}). Run it in an interactive shell or over ssh -t.`,
    );
  }
}

/**
 * Renders the app full-screen and resolves with the exit code once the app has quit and the terminal is
 * restored. Signals and crashes restore the terminal too, then exit the process with the usual code.
 */
export async function runFullScreen(element: ReactElement, options: FullScreenOptions = {}): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  assertInteractive(stdin, stdout);

  const originalWrite = stdout.write;
  const patchedWrite = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const data = typeof chunk === 'string' ? compactOutput(chunk) : chunk;
    return (originalWrite as (...args: unknown[]) => boolean).call(this, data, ...rest);
  };
  stdout.write = patchedWrite as typeof stdout.write;

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // The terminal may be gone (SIGHUP).
    }
    try {
      stdout.write = originalWrite;
      originalWrite.call(stdout, RESTORE_SEQUENCE);
    } catch {
      // Nothing to restore on a closed terminal.
    }
  };

  let instance: Instance | undefined;
  let exiting = false;
  const exitNow = async (reason: string, code: number, error?: unknown) => {
    if (exiting) return;
    exiting = true;
    options.log?.(`exit: ${reason}`, error);
    try {
      instance?.unmount();
    } catch {
      // unmount on a broken terminal may throw; the restore below still runs.
    }
    restore();
    if (error !== undefined) {
      const message = error instanceof Error ? error.message : String(error);
      try {
        process.stderr.write(`strata stopped after an unexpected error: ${message}\n`);
      } catch {
        // stderr may be gone too.
      }
    }
    try {
      await options.onExit?.(reason);
    } finally {
      process.exit(code);
    }
  };

  const onSignal = (signal: NodeJS.Signals, code: number) => () => void exitNow(signal, code);
  const handlers: [string, (...args: any[]) => void][] = [
    ['SIGTERM', onSignal('SIGTERM', 143)],
    ['SIGHUP', onSignal('SIGHUP', 129)],
    ['SIGINT', onSignal('SIGINT', 130)],
    ['uncaughtException', (error: unknown) => void exitNow('uncaughtException', 1, error)],
    ['unhandledRejection', (error: unknown) => void exitNow('unhandledRejection', 1, error)],
  ];
  for (const [event, handler] of handlers) process.on(event as NodeJS.Signals, handler);
  // A dropped SSH session closes the terminal: writes fail with EIO/EPIPE. Treat it as a hang-up.
  const onStreamError = () => void exitNow('terminal closed', 129, undefined);
  stdout.on('error', onStreamError);

  try {
    instance = render(element, {
      stdin,
      stdout,
      stderr: process.stderr,
      alternateScreen: true,
      incrementalRendering: true,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 30,
      interactive: true,
    });
    await instance.waitUntilExit();
    return 0;
  } finally {
    restore();
    for (const [event, handler] of handlers) process.off(event as NodeJS.Signals, handler);
    stdout.off('error', onStreamError);
  }
}
