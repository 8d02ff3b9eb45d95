// End-to-end, the public catalogue (100,000 images): keys are answered while it loads, `q` quits at once
// during the load, and the next start shows the copy stored by the last complete load, then the fresh one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp, useAppCleanup } from './harness.js';

useAppCleanup();

const dirs: string[] = [];
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-e2e-catalogue-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const lines = (screen: string) => screen.split('\n');
const statusLine = (screen: string) => lines(screen).filter((l) => l.trim()).at(-1) ?? '';
/** The screen row of the selection marker (a list row that starts with ">"), or -1. */
const markerRow = (screen: string) => lines(screen).findIndex((l) => l.startsWith('>') && l.includes('img-p-'));

describe('the public catalogue', () => {
  it('answers keys while it loads: Down moves the selection and q quits with status 0', async () => {
    const app = startApp({ home: home(), args: ['--scope', 'public'] });
    // The first rows, while the status bar still says it is loading.
    const first = await app.waitFor((s) => markerRow(s) >= 0 && /loading [\d,]+\/100,000/.test(statusLine(s)), {
      timeout: 30_000,
      description: 'the first public rows while loading',
    });
    const from = markerRow(first);
    app.press('down');
    // Bounded only against a hang: a key held until the load ends (seconds) is what this catches.
    const moved = await app.waitFor((s) => markerRow(s) === from + 1, { timeout: 2000, description: 'the selection one row down' });
    // Answered during the load, not after it.
    expect(statusLine(moved)).toMatch(/loading [\d,]+\/100,000/);
    app.press('q');
    expect(await app.waitForExit({ timeout: 2000 })).toEqual({ exitCode: 0, signal: null });
  });

  it('shows the copy stored by the last complete load at once on the next start, then the fresh one', async () => {
    const dir = home();
    const first = startApp({ home: dir, args: ['--scope', 'public'] });
    await first.waitForText(/public · 100,000 images/, { timeout: 60_000 });
    await first.waitForNoText(/loading/, { timeout: 60_000 });
    first.press('q');
    expect(await first.waitForExit()).toEqual({ exitCode: 0, signal: null });

    // A load cut short by q: never taken for a complete copy.
    const cut = startApp({ home: dir, args: ['--scope', 'public'] });
    await cut.waitForText(/stored .* ago · loading/, { timeout: 30_000 });
    cut.press('q');
    expect(await cut.waitForExit()).toEqual({ exitCode: 0, signal: null });

    const second = startApp({ home: dir, args: ['--scope', 'public'] });
    // The stored copy, with every row, while the provider is asked again.
    const stored = await second.waitFor((s) => markerRow(s) >= 0 && /stored .* ago · loading/.test(statusLine(s)), {
      timeout: 30_000,
      description: 'the stored copy shown while loading',
    });
    expect(statusLine(stored)).toMatch(/public · 100,000 images/);
    // Then the fresh copy replaces it.
    await second.waitFor((s) => markerRow(s) >= 0 && !/stored|loading/.test(statusLine(s)), { timeout: 60_000, description: 'the fresh copy' });
    second.press('q');
    expect(await second.waitForExit()).toEqual({ exitCode: 0, signal: null });
    // Three loads of 100,000 images: seconds each on a busy machine.
  }, 180_000);
});
