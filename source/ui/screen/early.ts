// The first thing strata does with the terminal, before its heavy modules load: keys typed from now on
// are not echoed, and stay in the terminal's buffer until the TUI reads them as keys. Kept free of Ink
// and React (the entry imports it; first-frame time matters).
import { parseCli } from '../../args.js';

/**
 * Why this terminal cannot show the full screen (no cursor addressing), as a sentence; undefined when it
 * can. TERM unset, empty, `dumb` or `unknown` has no way to move the cursor.
 */
export function terminalProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const term = env.TERM;
  if (term !== undefined && term !== '' && term !== 'dumb' && term !== 'unknown') return undefined;
  const said = term === undefined ? 'TERM is not set' : term === '' ? 'TERM is empty' : `TERM is "${term}"`;
  return (
    `strata cannot draw on this terminal: ${said}, which cannot move the cursor. ` +
    'Set TERM to your terminal\'s type (e.g. TERM=xterm-256color) and start strata again.'
  );
}

/**
 * Whether these arguments start the full-screen TUI (not --help, --version, a subcommand or a usage
 * error, which print and exit without touching the terminal).
 */
export function wantsFullScreen(argv: string[]): boolean {
  try {
    const options = parseCli(argv);
    return !options.help && !options.version;
  } catch {
    return false;
  }
}

let held: NodeJS.ReadStream | undefined;

/**
 * Raw mode (no echo, no line editing, no signals from keys) right away when strata is going to run
 * full-screen on this terminal. Returns whether it did. releaseKeyboard() puts the terminal back.
 */
export function holdKeyboard(
  argv: string[],
  stdin: NodeJS.ReadStream = process.stdin,
  stdout: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (held || !stdin.isTTY || !stdout.isTTY || terminalProblem(env) || !wantsFullScreen(argv)) return false;
  try {
    stdin.setRawMode(true);
  } catch {
    return false;
  }
  held = stdin;
  // Whatever way strata ends before the TUI takes over, the terminal is put back.
  process.once('exit', releaseKeyboard);
  return true;
}

/** Puts the terminal back in the mode it had (cooked, echo) if holdKeyboard() took it. Idempotent. */
export function releaseKeyboard(): void {
  const stdin = held;
  if (!stdin) return;
  held = undefined;
  process.off('exit', releaseKeyboard);
  try {
    stdin.setRawMode(false);
  } catch {
    // The terminal is gone.
  }
}
