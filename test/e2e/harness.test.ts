// Tests of the PTY harness itself, against a bare Ink 8 fixture (test/e2e/fixtures/ink-fixture.mjs), so
// the harness is proven independently of strata.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appPath,
  cleanupApps,
  keySequence,
  nodePath,
  repoRoot,
  startApp,
  useAppCleanup,
  type StartOptions,
} from './harness.js';

const FIXTURE = join(repoRoot(), 'test', 'e2e', 'fixtures', 'ink-fixture.mjs');
const startFixture = (options: StartOptions = {}) => startApp({ entry: FIXTURE, ...options });

useAppCleanup();

describe('paths', () => {
  it('points at the built binary and the pinned Node 22', () => {
    expect(appPath()).toBe(join(repoRoot(), 'dist', 'cli.js'));
    expect(nodePath()).toBe(join(repoRoot(), 'node_modules', '.bin', 'node'));
    expect(existsSync(nodePath())).toBe(true);
  });

  it('runs the child on Node 22, whatever node runs the tests', async () => {
    const app = startApp({ entry: join(repoRoot(), 'test', 'e2e', 'fixtures', 'print-version.mjs') });
    const screen = await app.waitForText(/node v\d+\./);
    expect(screen).toMatch(/node v22\./);
    expect(await app.waitForExit()).toEqual({ exitCode: 0, signal: null });
  });
});

describe('keys', () => {
  it('maps named keys, ctrl letters and literal characters, and refuses unknown names', () => {
    expect(keySequence('down')).toBe('\u001b[B');
    expect(keySequence('down', true)).toBe('\u001bOB');
    expect(keySequence('pgdn')).toBe('\u001b[6~');
    expect(keySequence('shifttab')).toBe('\u001b[Z');
    expect(keySequence('ctrlc')).toBe('\u0003');
    expect(keySequence('ctrl+a')).toBe('\u0001');
    expect(keySequence('/')).toBe('/');
    expect(keySequence('é')).toBe('é');
    expect(() => keySequence('donw')).toThrow(/Unknown key "donw"/);
  });
});

describe('a bare Ink app in a pseudo-terminal', () => {
  it('reads the first frame, in the alternate screen, with the size, env and home it was given', async () => {
    const app = startFixture({ args: ['--title', 'hello'], env: { FIXTURE_ECHO: 'xyzzy' }, cols: 100, rows: 30 });
    const screen = await app.waitForText('hello ready');
    expect(screen.split('\n')).toHaveLength(30);
    expect(app.line(0)).toBe('hello ready');
    expect(app.line(1)).toContain('size: 100x30');
    await app.waitForText('echo: xyzzy');
    expect(app.screen()).toContain('ci: -');
    expect(app.screen()).toContain(`home: ${app.home}`);
    expect(existsSync(app.home)).toBe(true);
    expect(app.line(-1)).toBe('selected item-00  1/50');
    expect(app.rawOutput()).toContain('\u001b[?1049h');
    expect(app.screen().split('\n').every((row) => row === row.trimEnd())).toBe(true);
  });

  it('shows styles as a user terminal would (no CI variable), and takes env overrides', async () => {
    const inverseAt = (app: ReturnType<typeof startFixture>, text: string) => {
      const y = app.screen().split('\n').findIndex((row) => row.startsWith(text));
      expect(y).toBeGreaterThanOrEqual(0);
      return Boolean(app.term.buffer.active.getLine(app.term.buffer.active.viewportY + y)?.getCell(2)?.isInverse());
    };
    const styled = startFixture();
    await styled.waitForText('> item-00');
    expect(inverseAt(styled, '> item-00')).toBe(true);
    expect(inverseAt(styled, '  item-01')).toBe(false);

    const plain = startFixture({ env: { FORCE_COLOR: '0', CI: 'false' } });
    await plain.waitForText('> item-00');
    expect(plain.screen()).toContain('ci: false');
    expect(inverseAt(plain, '> item-00')).toBe(false);
  });

  it('moves the selection with named keys, one write per key', async () => {
    const app = startFixture();
    await app.waitForText('selected item-00');
    app.press('down');
    await app.waitForText('selected item-01');
    expect(app.line(1)).toContain('last: down');
    app.press(['down', 'down', 'down']);
    await app.waitForText('selected item-04');
    app.press('up');
    await app.waitForText('selected item-03');
    app.press('end');
    await app.waitForText('selected item-49  50/50');
    app.press('home');
    await app.waitForText('selected item-00');
    app.press('pgdn');
    await app.waitForText(/last: pgdn/);
    expect(app.line(-1)).not.toContain('item-00');
    app.press('pgup');
    await app.waitForText('selected item-00');
    app.press('tab');
    await app.waitForText('last: tab');
    app.press('shifttab');
    await app.waitForText('last: shifttab');
  });

  it('types text, edits it, and sees Enter and Esc', async () => {
    const app = startFixture();
    await app.waitForText('typed: []');
    app.write('abc');
    await app.waitForText('typed: [abc]');
    app.press(['d', 'backspace', 'backspace']);
    await app.waitForText('typed: [ab]');
    app.press('enter');
    await app.waitForText('entered: [ab]');
    app.press('esc');
    await app.waitForText('typed: []  entered: [ab]');
  });

  it('redraws on resize', async () => {
    const app = startFixture({ cols: 120, rows: 40 });
    await app.waitForText('size: 120x40');
    app.resize(90, 20);
    const screen = await app.waitForText('size: 90x20');
    expect(screen.split('\n')).toHaveLength(20);
    expect(app.line(-1)).toBe('selected item-00  1/50');
    app.resize(80, 24);
    await app.waitForText('size: 80x24');
  });

  it('never reports a row wider than the terminal, even before the program redraws', async () => {
    const title = 'x'.repeat(110);
    const app = startFixture({ args: ['--title', title], cols: 120, rows: 30 });
    await app.waitForText(`${title} ready`);
    app.resize(60, 30);
    expect(app.screen().split('\n').every((row) => row.length <= 60)).toBe(true);
    await app.waitForText('size: 60x30');
    expect(app.screen().split('\n').every((row) => row.length <= 60)).toBe(true);
  });

  it('reads exit codes and the restored terminal', async () => {
    const quit = startFixture();
    await quit.waitForText('fixture ready');
    quit.press('q');
    expect(await quit.waitForExit()).toEqual({ exitCode: 0, signal: null });
    expect(quit.rawOutput()).toContain('\u001b[?1049l');

    const three = startFixture();
    await three.waitForText('fixture ready');
    three.press('!');
    expect(await three.waitForExit()).toEqual({ exitCode: 3, signal: null });

    const ctrlc = startFixture();
    await ctrlc.waitForText('fixture ready');
    ctrlc.press('ctrlc');
    expect(await ctrlc.waitForExit()).toEqual({ exitCode: 130, signal: null });
  });

  it('holds the first key until the program has put the terminal in raw mode', async () => {
    // The fixture draws at once but turns raw mode on 400 ms later; Ctrl+C sent before that would be
    // turned into SIGINT by the line discipline.
    const app = startFixture({ args: ['--input-delay', '400'] });
    await app.waitForText('fixture ready');
    app.press('ctrlc');
    expect(await app.waitForExit()).toEqual({ exitCode: 130, signal: null });
  });

  it('can send keys at once when asked to (rawModeTimeout: 0)', async () => {
    const app = startFixture({ args: ['--input-delay', '2000'], rawModeTimeout: 0 });
    await app.waitForText('fixture ready');
    app.press('ctrlc');
    expect(await app.waitForExit()).toEqual({ exitCode: 0, signal: 'SIGINT' });
  });

  it('reports a crash as a non-zero exit', async () => {
    const app = startFixture();
    await app.waitForText('fixture ready');
    app.press('@');
    const status = await app.waitForExit();
    expect(status.exitCode).not.toBe(0);
    expect(app.rawOutput()).toContain('fixture crash on purpose');
  });

  it('reads a signal', async () => {
    const app = startFixture();
    await app.waitForText('fixture ready');
    app.kill('SIGKILL');
    expect(await app.waitForExit()).toEqual({ exitCode: 0, signal: 'SIGKILL' });
  });

  it('marks output so a test can read only what came after a key', async () => {
    const app = startFixture();
    await app.waitForText('selected item-00');
    const mark = app.outputLength();
    app.press('down');
    await app.waitForText('selected item-01');
    const answer = app.rawOutput(mark);
    expect(answer.length).toBeGreaterThan(0);
    expect(answer.length).toBeLessThan(app.rawOutput().length);
    expect(app.rawOutput()).toBe(app.rawOutput(0));
  });
});

describe('waiting', () => {
  it('resolves at once when the screen already matches, without waiting out any delay', async () => {
    const app = startFixture();
    await app.waitForText('selected item-00');
    // A timeout of 1 ms would reject if the wait slept or polled on a timer before its first check.
    await expect(app.waitForText('selected item-00', { timeout: 1 })).resolves.toContain('fixture ready');
    app.press('down');
    await app.waitForText('selected item-01');
  });

  it('times out with the current screen in the error', async () => {
    const app = startFixture();
    await app.waitForText('fixture ready');
    const error = await app.waitForText('never shown', { timeout: 300 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Timed out after 300 ms waiting for the text "never shown"/);
    expect((error as Error).message).toContain('fixture ready');
    expect((error as Error).message).toContain('selected item-00');
  });

  it('waits for text to go away, and accepts a global regular expression more than once', async () => {
    const app = startFixture();
    const re = /item-0\d/g;
    await app.waitForText(re);
    await app.waitForText(re);
    app.write('x');
    await app.waitForText('typed: [x]');
    app.press('backspace');
    await app.waitForNoText('typed: [x]');
  });

  it('fails fast, with the exit code, when the program ends before the text appears', async () => {
    const app = startApp({ entry: join(repoRoot(), 'test', 'e2e', 'fixtures', 'print-version.mjs') });
    const error = await app.waitForText('never shown', { timeout: 5000 }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/ended before the screen showed the text "never shown".*code 0/);
  });

  it('says clearly when the program to start is missing', () => {
    expect(() => startApp({ entry: join(repoRoot(), 'no-such-program.mjs') })).toThrow(/missing: .*no-such-program/);
  });
});

describe('cleanup', () => {
  it('kills a running child and removes its temporary home', async () => {
    const app = startFixture();
    await app.waitForText('fixture ready');
    const { pid, home } = app;
    await cleanupApps();
    expect(app.exitStatus()).toBeDefined();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(home)).toBe(false);
  });

  it('disposes with await using', async () => {
    let pid = 0;
    {
      await using app = startFixture();
      await app.waitForText('fixture ready');
      pid = app.pid;
    }
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('leaves a given home in place', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const home = mkdtempSync(join(tmpdir(), 'harness-home-'));
    try {
      const app = startFixture({ home });
      await app.waitForText(`home: ${home}`);
      await app.dispose();
      expect(existsSync(home)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
