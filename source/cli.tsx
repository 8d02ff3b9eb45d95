// strata's entry. The version guard runs before anything that needs Node 22 is loaded: on an older Node the
// user gets a sentence, not a stack trace from deep inside a dependency. A subcommand goes to the
// command-line twin (cli/run.ts). For the TUI, before the heavy modules load, the terminal stops echoing:
// keys typed while strata starts are read as keys by the TUI.
import { holdKeyboard, releaseKeyboard, wantsFullScreen } from './ui/screen/early.js';

const REQUIRED_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  process.stderr.write(
    `strata needs Node.js ${REQUIRED_MAJOR} or newer; this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      'Run it through npm (npm start), which uses the Node.js the project pins, or install Node.js 22.\n',
  );
  process.exit(1);
} else if (!wantsFullScreen(process.argv.slice(2))) {
  // A subcommand (strata images, strata launch, …), --help, --version or a usage error: the command-line
  // twin, a chunk of its own that never loads Ink or React and never touches the terminal's mode.
  const { run } = await import('./cli/run.js');
  process.exitCode = await run(process.argv.slice(2));
} else {
  holdKeyboard(process.argv.slice(2));
  try {
    const { main } = await withoutLazyFetch(() => import('./main.js'));
    process.exitCode = await main(process.argv.slice(2));
  } finally {
    // Back as it was if strata stopped before the TUI (a broken config.yaml, no terminal); after the TUI
    // it is already restored.
    releaseKeyboard();
  }
}

/**
 * Ink's layout engine (yoga, WebAssembly) loads its embedded module through fetch() when fetch exists; in
 * Node that first touch of fetch loads undici, ~40 ms of a ~300 ms start. Hidden while the modules load,
 * yoga takes its synchronous path; fetch is put back untouched (its lazy getter never ran).
 */
async function withoutLazyFetch<T>(load: () => Promise<T>): Promise<T> {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!descriptor?.configurable) return load();
  Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', descriptor);
  }
}
