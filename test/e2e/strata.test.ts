// End-to-end: the built binary in a real pseudo-terminal, read back through a terminal emulator.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appPath, nodePath, repoRoot, startApp, useAppCleanup } from './harness.js';

useAppCleanup();

const homes: string[] = [];
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-e2e-home-'));
  homes.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

const LEAVE_ALT_SCREEN = '\u001b[?1049l';
const SHOW_CURSOR = '\u001b[?25h';
const ENTER_ALT_SCREEN = '\u001b[?1049h';

describe('strata in a terminal', () => {
  it('renames and labels an image, quits cleanly, and finds both after a restart', async () => {
    const dir = home();
    // NO_COLOR: labels are spelled (Gn = green, shared) so the screen text shows them.
    const first = startApp({ home: dir, env: { NO_COLOR: '1' } });
    await first.waitForText(/ 1\/\d+/);
    expect(first.rawOutput()).toContain(ENTER_ALT_SCREEN);
    first.press(['r', 'ctrl+u']);
    first.write('e2e golden image');
    first.press('enter');
    await first.waitForText('Renamed to "e2e golden image" (tag, shared)');
    first.press('c');
    await first.waitForText('Label for e2e golden image');
    first.press(['down', 'down', 'down', 'down', 'enter']);
    await first.waitForText(/Gn\s+e2e golden image/);
    const mark = first.outputLength();
    first.press('q');
    expect(await first.waitForExit()).toEqual({ exitCode: 0, signal: null });
    const tail = first.rawOutput(mark);
    expect(tail).toContain(LEAVE_ALT_SCREEN);
    expect(tail).toContain(SHOW_CURSOR);

    const second = startApp({ home: dir, env: { NO_COLOR: '1' } });
    const screen = await second.waitForText('e2e golden image');
    expect(screen).toMatch(/Gn\s+e2e golden image/);
    second.press('q');
    await second.waitForExit();
  });

  it('a second session open at the same time sees a rename after a refresh', async () => {
    const dir = home();
    const a = startApp({ home: dir });
    const b = startApp({ home: dir });
    await a.waitForText(/ 1\/\d+/);
    await b.waitForText(/ 1\/\d+/);
    a.press(['r', 'ctrl+u']);
    a.write('seen by b');
    a.press('enter');
    await a.waitForText('Renamed to "seen by b"');
    b.press('ctrl+r');
    await b.waitForText('seen by b');
  });

  for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
    it(`restores the terminal's modes on ${signal}`, async () => {
      const app = startApp({ home: home(), entry: join(repoRoot(), 'test/e2e/fixtures/then-stty.mjs') });
      await app.waitForText(/ 1\/\d+/);
      // While strata runs the terminal is raw: no echo, no canonical mode.
      const mark = app.outputLength();
      app.kill(signal);
      const screen = await app.waitForText('DONE');
      const tail = app.rawOutput(mark);
      expect(tail).toContain(LEAVE_ALT_SCREEN);
      expect(tail).toContain(SHOW_CURSOR);
      expect(screen).toMatch(new RegExp(`STRATA-EXIT code=${signal === 'SIGHUP' ? 129 : 143} signal=null`));
      const stty = /STTY (.*)/.exec(app.rawOutput())![1];
      expect(stty).toMatch(/(^| )icanon( |$)/);
      expect(stty).toMatch(/(^| )echo( |$)/);
      // Nothing strata printed is left on the normal screen.
      expect(screen).not.toMatch(/img-|strata needs/);
    });
  }

  it('redraws to fit when the terminal is resized to 80x24', async () => {
    const app = startApp({ home: home() });
    await app.waitForText(/NAME\s+ID\s+KIND\s+ARCH\s+CREATED\s+STATE/);
    app.resize(80, 24);
    const screen = await app.waitForText(/NAME\s+ID\s+STATE\s+DEPRECATION/);
    const lines = screen.split('\n');
    expect(lines).toHaveLength(24);
    expect(lines[23]).toMatch(/^sandbox · eu-west · own/);
    expect(lines[0]).toMatch(/^strata\s+Images/);
  });

  it('filters the 100,000-image public catalogue as you type', async () => {
    const app = startApp({ home: home(), args: ['--scope', 'public'] });
    await app.waitForText(/public · 100,000 images/, { timeout: 30_000 });
    app.press('/');
    app.write('ubuntu 24');
    const screen = await app.waitForText(/^\/ubuntu 24\s+[\d,]+ match(es)? · Enter keeps/m);
    const rows = screen.split('\n').filter((l) => l.includes('img-'));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row.toLowerCase()).toMatch(/u.*b.*u.*n.*t.*u/);
  });

  it('refuses to start without a terminal, with a sentence', () => {
    const run = spawnSync(nodePath(), ['--disable-warning=ExperimentalWarning', appPath()], {
      input: '',
      encoding: 'utf8',
      env: { ...process.env, STRATA_HOME: home() },
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/strata is a full-screen terminal program and needs a terminal \(stdin and stdout are not terminals\)/);
  });

  it('says what is wrong with a bad option, and exits 2', () => {
    const run = spawnSync(nodePath(), ['--disable-warning=ExperimentalWarning', appPath(), '--scope', 'mine'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('strata: --scope must be one of own, vendor, public; got "mine".\n');
  });
});

describe('the Node version', () => {
  it('runs on the pinned Node 22 or newer', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
    const pinned = spawnSync(nodePath(), ['-p', 'process.versions.node'], { encoding: 'utf8' });
    expect(Number(pinned.stdout.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  const system = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
  const systemMajor = system.status === 0 ? Number(system.stdout.split('.')[0]) : undefined;
  it.skipIf(systemMajor === undefined || systemMajor >= 22)(`an older Node gets a sentence, not a stack trace (system Node ${system.stdout.trim() || 'absent'})`, () => {
    const run = spawnSync('/usr/bin/node', [appPath(), '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^strata needs Node.js 22 or newer; this is Node.js 2\d\./);
  });
});
