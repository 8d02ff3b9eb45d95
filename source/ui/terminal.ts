// The screen belongs to this module: the alternate screen, the hidden cursor, raw mode, bracketed paste,
// and a restore on every way out — quit, Ctrl+C, SIGTERM, SIGHUP of a dropped SSH session, SIGINT, and an
// uncaught error. Nothing else writes to stdout while the TUI runs: Ink renders into the screen writer
// (ui/screen/writer.ts), which alone writes to the terminal.
import { render, type Instance } from 'ink';
import type { ReactElement } from 'react';
import { terminalProblem } from './screen/early.js';
import { RESTORE_SEQUENCE, ScreenWriter } from './screen/writer.js';
import { childInForeground } from './screen/handover.js';

export { RESTORE_SEQUENCE } from './screen/writer.js';

export interface FullScreenOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** Called once, before the process exits for any reason (close the database, the provider). */
  onExit?: (reason: string) => Promise<void> | void;
  log?: (message: string, detail?: unknown) => void;
  /** Called once Ink's first frame is on the terminal: work that can wait starts then, not before. */
  onFirstFrame?: () => void;
}

export class TerminalNotInteractive extends Error {}

export function assertInteractive(
  stdin: NodeJS.ReadStream = process.stdin,
  stdout: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (!stdin.isTTY || !stdout.isTTY) {
    const which = !stdin.isTTY && !stdout.isTTY ? 'stdin and stdout are not terminals' : !stdin.isTTY ? 'stdin is not a terminal' : 'stdout is not a terminal';
    throw new TerminalNotInteractive(
      `strata is a full-screen terminal program and needs a terminal (${which}). Run it in an interactive shell or over ssh -t.`,
    );
  }
  const problem = terminalProblem(env);
  if (problem) throw new TerminalNotInteractive(problem);
}

/**
 * Renders with Ink into the screen writer: Ink writes whole frames (debug mode) to the writer's virtual
 * stdout, with no escape sequences of its own, laid out at the real terminal's size, and reads keys from
 * the writer's virtual stdin. The writer alone writes to the terminal.
 */
export function renderInto(writer: ScreenWriter, element: ReactElement): Instance {
  return render(element, {
    stdin: writer.input as unknown as NodeJS.ReadStream,
    stdout: writer.output as unknown as NodeJS.WriteStream,
    stderr: process.stderr,
    debug: true,
    interactive: false,
    exitOnCtrlC: false,
    patchConsole: false,
  });
}

/**
 * Renders the app full-screen and resolves with the exit code once the app has quit and the terminal is
 * restored. Signals and crashes restore the terminal too, then exit the process with the usual code.
 */
export async function runFullScreen(element: ReactElement, options: FullScreenOptions = {}): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  assertInteractive(stdin, stdout);

  const writer = new ScreenWriter({ stdin, stdout });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    writer.close();
    try {
      stdout.write(RESTORE_SEQUENCE);
    } catch {
      // Nothing to restore on a closed terminal.
    }
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // The terminal may be gone (SIGHUP).
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

  // Ctrl+C typed while a program strata handed the terminal to (ssh) runs is that program's, not strata's.
  const onSignal = (signal: NodeJS.Signals, code: number) => () => {
    if (signal === 'SIGINT' && childInForeground()) return;
    void exitNow(signal, code);
  };
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
  stdin.on('error', onStreamError);

  try {
    writer.start();
    instance = renderInto(writer, element); // the writer draws Ink's first frame as soon as it comes
    options.onFirstFrame?.();
    await instance.waitUntilExit();
    return 0;
  } finally {
    restore();
    for (const [event, handler] of handlers) process.off(event as NodeJS.Signals, handler);
    stdout.off('error', onStreamError);
    stdin.off('error', onStreamError);
  }
}
