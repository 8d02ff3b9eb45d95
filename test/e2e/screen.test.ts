// End-to-end tests of strata's screen writer: the built binary in a real pseudo-terminal, its screen read
// by a terminal emulator. Resizes, keys typed before the first frame, terminals that cannot draw.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, startApp, useAppCleanup, type App } from './harness.js';
import { Command, keyFor } from '../keys.js';

useAppCleanup();

const homes: string[] = [];
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-e2e-screen-'));
  homes.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

/** The own list has loaded: the position and the status bar are drawn. */
const LOADED = /^ 1\/\d+/m;
const TITLE = /^strata\s+Images/;

/** A small seeded generator, so a failing sequence can be run again (the seed is in the test's name). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows with trailing blanks trimmed: a blank written and a blank never touched look the same to a user. */
function rows(app: App): string[] {
  return app.screen().split('\n').map((row) => row.trimEnd());
}

/** Resolves once both apps show the same screen; rejects after the timeout with both screens side by side. */
async function sameScreens(a: App, b: App, timeout = 15_000): Promise<void> {
  const same = () => rows(a).join('\n') === rows(b).join('\n');
  // Whichever of the two draws last re-checks: no polling, no fixed sleep.
  const either = Promise.race([a.waitFor(same, { timeout, description: 'the reference screen' }), b.waitFor(same, { timeout, description: 'the resized screen' })]);
  try {
    await either;
  } catch {
    const left = rows(a);
    const right = rows(b);
    const lines = left.map((row, i) => `${row === right[i] ? ' ' : '≠'} ${JSON.stringify(row)}\n  ${JSON.stringify(right[i])}`);
    throw new Error(`The screens differ (first the resized app, then a fresh start at the same size):\n${lines.join('\n')}`);
  }
}

describe('the screen after resizes', () => {
  // The sandbox world moves with time (servers change phase, images become available). Both programs run
  // on one STRATA_HOME with --sandbox-speed 0.000001, so its simulated clock stands (a simulated second is
  // eleven real days): the fresh start sees the very world the resized one shows, and any difference left
  // on the screen is the screen's fault. Nothing is hidden: every cell of every row is compared.
  const FROZEN = ['--sandbox-speed', '0.000001'];

  const seeds = process.env.SCREEN_SEED ? [Number(process.env.SCREEN_SEED)] : [Date.now() % 100_000, 4242];
  for (const seed of seeds) {
    it(`a random sequence of resizes ends on the screen of a fresh start at the final size (seed ${seed})`, async () => {
      const next = random(seed);
      const pick = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
      const dir = home();
      let cols = 80;
      let height = 24;
      const app = startApp({ home: dir, args: FROZEN, cols, rows: height });
      await app.waitForText(LOADED, { timeout: 20_000 });

      const steps: string[] = [];
      // The sizes the program may have last read: after resizes that came quickly one after the other it
      // may have read any of them (SIGWINCHes coalesce), and a size it already has draws nothing.
      let seen = new Set([`${cols}x${height}`]);
      const resize = async (c: number, r: number, settle: boolean) => {
        if (c === cols && r === height) c++; // the same size sends no SIGWINCH
        cols = c;
        height = r;
        const size = `${c}x${r}`;
        steps.push(`${size}${settle ? '' : '!'}`);
        const mark = app.outputLength();
        app.resize(c, r);
        // Sometimes the next resize comes before the program has drawn this one.
        if (settle && !seen.has(size)) {
          await app.waitFor(() => app.outputLength() > mark, { description: `a frame at ${size}` });
          seen = new Set([size]);
        } else {
          seen.add(size);
        }
      };
      for (let i = 0; i < 10; i++) {
        const kind = next();
        const settle = next() < 0.7;
        if (kind < 0.35) await resize(Math.max(20, cols + (next() < 0.5 ? -1 : 1)), height, settle); // one column
        else if (kind < 0.55) await resize(pick(30, 59), pick(6, 30), settle); // below the minimum
        else if (kind < 0.7) await resize(pick(60, 200), pick(4, 19), settle); // too few rows
        else await resize(pick(60, 220), pick(20, 60), settle);
      }
      // End as in the report: a step of one column after a wide terminal, anywhere from the smallest size
      // strata supports (60x20) up.
      await resize(pick(61, 220), pick(20, 50), true);
      await resize(cols + 1, height, next() < 0.5);
      await resize(cols - 1, height, true);

      const reference = startApp({ home: dir, args: FROZEN, cols, rows: height });
      await reference.waitForText(LOADED, { timeout: 20_000 });
      try {
        await sameScreens(app, reference);
      } catch (error) {
        throw new Error(`after ${steps.join(' → ')}: ${(error as Error).message}`);
      }
      expect(app.line(0)).toMatch(TITLE);
    });
  }

  it('a one-column resize and back (80 → 81 → 80) leaves the screen of a fresh start at 80x24', async () => {
    const dir = home();
    const app = startApp({ home: dir, args: FROZEN, cols: 80, rows: 24 });
    await app.waitForText(LOADED, { timeout: 20_000 });
    let mark = app.outputLength();
    app.resize(81, 24);
    await app.waitFor(() => app.outputLength() > mark, { description: 'the frame at 81x24' });
    mark = app.outputLength();
    app.resize(80, 24);
    await app.waitFor(() => app.outputLength() > mark, { description: 'the frame at 80x24' });
    const reference = startApp({ home: dir, args: FROZEN, cols: 80, rows: 24 });
    await reference.waitForText(LOADED, { timeout: 20_000 });
    await sameScreens(app, reference);
    expect(app.line(0)).toMatch(TITLE);
    expect(app.line(1)).toMatch(/^\s+NAME\s+ID/);
  });
});

describe('Ctrl+L', () => {
  it('repaints the whole screen from a cleared one: what another program scribbled is gone', async () => {
    const app = startApp({ home: home(), args: ['--sandbox-speed', '0.000001'], cols: 100, rows: 30 });
    await app.waitForText(LOADED, { timeout: 20_000 });
    // The whole first screen: the list with its lineage flags (looked up after the load), the status bar.
    const before = await app.waitFor((screen) => /\? help/.test(screen) && /x0\.000001/.test(screen) && /src gone/.test(screen), { description: 'the settled screen' });
    // Something else writes over the screen (a wall message, a background job): the terminal shows it.
    await new Promise<void>((resolve) => app.term.write('\u001b[5;5HSCRIBBLE SCRIBBLE\u001b[20;1H~~~~~~~~~~', resolve));
    expect(app.screen()).toContain('SCRIBBLE');
    app.press(keyFor('global', Command.Redraw));
    await app.waitFor((screen) => screen === before, { description: 'the screen as it was before the scribble' });
  });
});

describe('keys typed while strata starts', () => {
  for (const delay of [0, 100, 300]) {
    it(`a key sent ${delay} ms after start acts, and the frame is whole (title bar on the first row)`, async () => {
      const app = startApp({ home: home(), rawModeTimeout: 0 });
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      app.write('j');
      // The key moves the selection to the second image; then one more after the list is up.
      const screen = await app.waitForText(/^ 2\/\d+/m, { timeout: 20_000 });
      expect(screen.split('\n')[0]).toMatch(TITLE);
      expect(app.line(-1)).toMatch(/^sandbox · eu-west · own/);
      app.write('j');
      await app.waitForText(/^ 3\/\d+/m);
      expect(app.line(0)).toMatch(TITLE);
      expect(app.line(1)).toMatch(/^\s+NAME\s+ID/);
      expect(app.line(4)).toMatch(/^>/);
    });
  }
});

describe('the terminal\'s modes', () => {
  it('while strata runs: autowrap off and bracketed paste on; after q: every mode as it was', async () => {
    const app = startApp({ home: home() });
    await app.waitForText(LOADED, { timeout: 20_000 });
    expect(app.term.modes.wraparoundMode).toBe(false);
    expect(app.term.modes.bracketedPasteMode).toBe(true);
    expect(app.term.buffer.active.type).toBe('alternate');
    const mark = app.outputLength();
    app.press('q');
    expect(await app.waitForExit()).toEqual({ exitCode: 0, signal: null });
    // Attributes off, autowrap on, bracketed paste off, mouse off, the normal screen, the cursor shown.
    expect(app.rawOutput(mark)).toContain('\u001b[0m\u001b[?7h\u001b[?2004l\u001b[?1000l\u001b[?1002l\u001b[?1006l\u001b[?1049l\u001b[?25h');
    expect(app.term.modes.wraparoundMode).toBe(true);
    expect(app.term.modes.bracketedPasteMode).toBe(false);
    expect(app.term.buffer.active.type).toBe('normal');
  });
});

describe('terminals strata cannot draw on', () => {
  for (const term of ['dumb', 'unknown', '', undefined]) {
    it(`TERM=${term === undefined ? '(unset)' : JSON.stringify(term)}: a sentence, exit status 2, and nothing drawn`, async () => {
      const app = startApp({ home: home(), entry: join(repoRoot(), 'test/e2e/fixtures/term-env.mjs'), args: [term ?? '--unset'] });
      expect(await app.waitForExit()).toEqual({ exitCode: 2, signal: null });
      const output = app.rawOutput();
      expect(output).toMatch(/strata cannot draw on this terminal: TERM (is "dumb"|is "unknown"|is empty|is not set), which cannot move the cursor\. Set TERM to your terminal's type/);
      // No escape sequence at all: no alternate screen, no cursor movement, no colour.
      expect(output).not.toContain('\u001b');
    });
  }

  it('a broken config.yaml exits before the TUI and leaves the terminal as it was (echo, line editing)', async () => {
    const dir = home();
    writeFileSync(join(dir, 'config.yaml'), 'trustedVendorOwners: [unclosed\n');
    const app = startApp({ home: dir, entry: join(repoRoot(), 'test/e2e/fixtures/then-stty.mjs'), rawModeTimeout: 0 });
    const screen = await app.waitForText('DONE', { timeout: 20_000 });
    expect(screen).toMatch(/STRATA-EXIT code=2 signal=null/);
    const stty = /STTY (.*)/.exec(app.rawOutput())![1];
    expect(stty).toMatch(/(^| )icanon( |$)/);
    expect(stty).toMatch(/(^| )echo( |$)/);
    expect(app.rawOutput()).not.toContain('\u001b[?1049h');
  });
});

describe('wrapped messages', () => {
  // The list's empty message and the message area both wrap a long sentence; every line keeps its first
  // character (a padding row used to land on the empty message's last line and blank its first column).
  // Every call times out: the services retry each (10 attempts, about 26 s of waiting) before the sentence.
  it('a message that wraps keeps the first character of every line', { timeout: 120_000 }, async () => {
    const app = startApp({ home: home(), args: ['--sandbox-faults', 'timeout=1'], cols: 60, rows: 20 });
    const screen = await app.waitForText(/retried/, { timeout: 90_000 });
    // The sandbox's own words, read back whole from the wrapped lines (whitespace folded).
    const flat = screen.replace(/\s+/g, ' ');
    expect(flat).toMatch(/Sandbox eu-west did not answer in time \([^)]*\); the request may be retried\./);
    // It did wrap (at 60 columns it cannot fit one line), so a lost first character would break the match.
    expect(screen.split('\n').some((row) => row.includes('Sandbox eu-west') && row.includes('retried.'))).toBe(false);
  });
});
