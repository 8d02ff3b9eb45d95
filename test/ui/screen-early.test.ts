// The terminal set-up at the very top of the entry: raw mode only when strata is going to run full-screen,
// and the terminal put back when it stops before the TUI.
import { afterEach, describe, expect, it } from 'vitest';
import { holdKeyboard, releaseKeyboard, terminalProblem, wantsFullScreen } from '../../source/ui/screen/early.js';

class FakeTty {
  readonly modes: boolean[] = [];
  constructor(readonly isTTY: boolean) {}
  setRawMode(mode: boolean): this {
    this.modes.push(mode);
    return this;
  }
}

const TERM = { TERM: 'xterm-256color' };
const streams = (stdin = true, stdout = true) => [new FakeTty(stdin), { isTTY: stdout }] as const;

afterEach(() => releaseKeyboard());

describe('wantsFullScreen', () => {
  it('is true for the TUI with any of its options, false for help, version, arguments and usage errors', () => {
    expect(wantsFullScreen([])).toBe(true);
    expect(wantsFullScreen(['--scope', 'public', '--region', 'eu-west', '--read-only'])).toBe(true);
    for (const argv of [['--help'], ['-h'], ['--version'], ['-v'], ['images'], ['--scope', 'mine'], ['--nope']]) {
      expect(wantsFullScreen(argv), argv.join(' ')).toBe(false);
    }
  });
});

describe('terminalProblem', () => {
  it('names a TERM that cannot move the cursor, in a sentence that says what to do', () => {
    expect(terminalProblem(TERM)).toBeUndefined();
    expect(terminalProblem({ TERM: 'screen' })).toBeUndefined();
    expect(terminalProblem({ TERM: 'dumb' })).toMatch(/^strata cannot draw on this terminal: TERM is "dumb", which cannot move the cursor\. Set TERM/);
    expect(terminalProblem({ TERM: 'unknown' })).toMatch(/TERM is "unknown"/);
    expect(terminalProblem({ TERM: '' })).toMatch(/TERM is empty/);
    expect(terminalProblem({})).toMatch(/TERM is not set/);
  });
});

describe('holdKeyboard', () => {
  it('puts a terminal in raw mode at once, and releaseKeyboard puts it back (once)', () => {
    const [stdin, stdout] = streams();
    expect(holdKeyboard([], stdin as never, stdout as never, TERM)).toBe(true);
    expect(stdin.modes).toEqual([true]);
    releaseKeyboard();
    releaseKeyboard();
    expect(stdin.modes).toEqual([true, false]);
  });

  it('leaves the terminal alone for --help, a usage error, a dumb terminal, or no terminal', () => {
    const cases: [string[], boolean, boolean, NodeJS.ProcessEnv][] = [
      [['--help'], true, true, TERM],
      [['--scope', 'mine'], true, true, TERM],
      [[], true, true, { TERM: 'dumb' }],
      [[], false, true, TERM],
      [[], true, false, TERM],
    ];
    for (const [argv, inTty, outTty, env] of cases) {
      const [stdin, stdout] = streams(inTty, outTty);
      expect(holdKeyboard(argv, stdin as never, stdout as never, env)).toBe(false);
      expect(stdin.modes).toEqual([]);
    }
  });
});
