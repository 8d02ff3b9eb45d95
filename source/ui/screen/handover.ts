// Handing the terminal to another program (ssh) and taking it back. strata leaves the alternate screen and
// restores the terminal (suspendScreen), runs the program on the same terminal (stdin and stdout are the
// terminal's; stderr is also kept, so ssh's refusal can be shown afterwards), and when it exits draws
// everything again where the user was (resumeScreen).
//
// Signals: the program runs in strata's process group, so a Ctrl+C or Ctrl+\ typed while it connects
// (before ssh takes the terminal raw) reaches strata too. While it runs, strata ignores SIGINT and SIGQUIT
// (the program gets them and decides: ssh gives up connecting, and strata comes back). Ctrl+Z stops both,
// as any shell job with a child: `fg` continues both. SIGTERM and SIGHUP still end strata, and the
// program with it.
import { resumeScreen, suspendScreen, writeControlSequence } from './writer.js';
import { hyperlinksSupported, osc52 } from './osc.js';

export interface ForegroundResult {
  exitCode?: number;
  signal?: string;
  /** The program's stderr (its last 16 KB), also shown on the terminal as it came. */
  stderr: string;
  /** Set where the program could not be started at all. */
  error?: string;
}

/** What the UI needs of the terminal beyond its frames (tests give their own). */
export interface TerminalHost {
  /** Runs a program on the terminal and resolves when it has exited and strata has the terminal back. */
  runForeground(program: string, args: readonly string[]): Promise<ForegroundResult>;
  /** Puts text on the clipboard (OSC 52); false where no terminal takes it (no TUI runs). */
  copy(text: string): boolean;
  /** Whether the terminal shows OSC 8 hyperlinks. */
  readonly hyperlinks: boolean;
}

let foreground = 0;
/** Until when a Ctrl+C that ended the program may still reach strata (Date.now() ms). */
let lateSignalsUntil = 0;
/**
 * How long after a program ended by Ctrl+C (or Ctrl+\) strata still takes a SIGINT for that same key. The
 * terminal sends it to both at once, but strata may hear of the program's exit first: its process gets the
 * two signals as separate events, and on a busy machine they arrive in either order. Once strata has the
 * terminal back (raw, so Ctrl+C is a key again), no SIGINT comes from the keyboard: only from kill.
 */
export const LATE_SIGNAL_MS = 2000;

/** Whether a program runs in the foreground now, or just ended by Ctrl+C (terminal.ts then leaves SIGINT to it). */
export function childInForeground(now = Date.now()): boolean {
  return foreground > 0 || now < lateSignalsUntil;
}

const ignore = () => undefined;
const STDERR_KEEP = 16 * 1024;

/** Runs a program on strata's terminal (see the top of this file). */
export async function runForeground(program: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ForegroundResult> {
  // execa is loaded when first needed, never on the way to the first frame.
  const { execa } = await import('execa');
  suspendScreen();
  foreground++;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  let stderr = '';
  const child = execa(program, args, { stdin: 'inherit', stdout: 'inherit', stderr: 'pipe', reject: false, env, buffer: false });
  const killChild = () => child.kill('SIGHUP');
  process.once('exit', killChild);
  child.stderr?.on('data', (chunk: Buffer) => {
    try {
      process.stderr.write(chunk);
    } catch {
      // A terminal that is gone: strata's own handlers end the session.
    }
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
  });
  let interrupted = false;
  try {
    const result = await child;
    interrupted = result.signal === 'SIGINT' || result.signal === 'SIGQUIT';
    const failed = result.failed && result.exitCode === undefined && !result.signal;
    return {
      ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
      ...(result.signal ? { signal: result.signal } : {}),
      stderr,
      ...(failed ? { error: result.shortMessage ?? `${program} could not be started` } : {}),
    };
  } finally {
    process.off('exit', killChild);
    const release = () => {
      process.off('SIGINT', ignore);
      process.off('SIGQUIT', ignore);
    };
    if (interrupted) {
      // The key that ended it may still be on its way to strata (SIGQUIT's default would end strata).
      lateSignalsUntil = Date.now() + LATE_SIGNAL_MS;
      setTimeout(release, LATE_SIGNAL_MS).unref();
    } else release();
    foreground--;
    resumeScreen();
  }
}

/** The terminal strata runs on. */
export const realTerminal: TerminalHost = {
  runForeground: (program, args) => runForeground(program, args),
  copy: (text) => writeControlSequence(osc52(text)),
  get hyperlinks() {
    return hyperlinksSupported();
  },
};
