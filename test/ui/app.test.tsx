// Component tests of the whole screen with ink-testing-library, on the real sandbox and a real store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { start } from './harness.js';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';

describe('the image list screen', () => {
  it('shows own images with their columns, the header and the status bar', async () => {
    const h = await start();
    const f = await h.waitFor(/\d+\/\d+/, 'the position indicator');
    await h.waitFor('img-');
    expect(f).toMatch(/strata\s+Images \[own\] vendor\s+public/);
    expect(h.frame()).toMatch(/NAME\s+ID\s+KIND\s+ARCH\s+CREATED\s+STATE\s+DEPRECATION/);
    expect(h.frame()).toMatch(/sandbox · eu-west · own · \d+ images/);
    expect(h.frame()).toContain('? help');
  });

  it('never draws an escape sequence that came from the provider', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.type('/evil');
    const f = await h.waitFor('evil');
    expect(f).not.toMatch(/\u001b\]|\u001b\[2J|\u0007/);
  });

  it('moves with j/k and several keys in one read, and jumps with G and g', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.type('jjj');
    await h.waitFor(/ 4\/\d+/, 'position 4 after three j in one read');
    await h.press('k');
    await h.waitFor(/ 3\/\d+/);
    await h.press('G');
    const f = await h.waitFor((s) => /\s(\d+)\/\1\s/.test(s), 'the last row');
    expect(f).toBeTruthy();
    await h.press('g');
    await h.waitFor(/ 1\/\d+/);
  });

  it('filters as you type and clears with Esc', async () => {
    const h = await start({ scope: 'vendor' });
    await h.waitFor('vendor');
    await h.waitFor('img-');
    const total = Number(/ 1\/(\d+)/.exec(await h.waitFor(/ 1\/\d+/))![1]);
    await h.press('/');
    await h.type('ubuntu');
    const f = await h.waitFor((s) => /^\/ubuntu/m.test(s), 'the filter line');
    const rows = f.split('\n').filter((l) => l.includes('img-'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.toLowerCase()).toMatch(/u.*b.*u.*n.*t.*u/);
    await h.press('enter');
    await h.waitFor('filter /ubuntu');
    await h.press('esc');
    await h.waitFor(new RegExp(` 1/${total}\\b`));
  });

  it('switches scope with s and the number keys, and the vendor templates are marked', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.press('2');
    const f = await h.waitFor(/\[vendor\]/);
    await h.waitFor(/vendor\s+(x86_64|arm64)/);
    expect(h.frame()).toMatch(/deprecated|available/);
    expect(f).toBeTruthy();
    await h.press('s');
    await h.waitFor(/\[public\]/);
    await h.waitFor(/public · 100,000 images|loading/);
  });

  it('renames inline; the name is written as a tag in a region that holds tags, and survives a restart', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.press('r', 'ctrl+u');
    await h.type('golden web 2026');
    await h.press('enter');
    await h.waitFor('Renamed to "golden web 2026" (tag, shared)');
    const home = h.home;
    // A second session over the same home sees it.
    const again = await start({ home });
    await again.waitFor('golden web 2026');
  });

  it('refuses a bad name with the reason and keeps the editor open; Esc leaves the name as it was', async () => {
    const h = await start();
    await h.waitFor('img-');
    const before = h.frame();
    await h.press('r', 'ctrl+u');
    await h.type('x$(reboot)');
    await h.press('enter');
    const f = await h.waitFor('Name refused');
    expect(f).toMatch(/Name refused: .*"\$"/);
    await h.press('esc');
    await h.waitFor((s) => !s.includes('Name refused') && !s.includes('x$(reboot)'));
    expect(h.frame().split('\n')[2]).toBe(before.split('\n')[2]);
  });

  it('in the plain region a rename and a label are kept locally', async () => {
    const h = await start({ region: 'ap-south' });
    await h.waitFor('ap-south');
    await h.waitFor('img-');
    await h.press('r', 'ctrl+u');
    await h.type('local-name');
    await h.press('enter');
    await h.waitFor('Renamed to "local-name" (local)');
    await h.press('c');
    await h.waitFor('Saved in the local store');
    await h.press('j', 'j', 'j', 'enter'); // from none: red, orange, yellow
    await h.waitFor((s) => /ye\s*local-name/i.test(s), 'a local yellow label');
  });

  it('sets a colour label from the palette', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.press('c');
    await h.waitFor('Saved as a tag (shared with teammates)');
    await h.press('down', 'down', 'down', 'down', 'enter'); // from none: red, orange, yellow, green
    await h.waitFor(/Gn\S*\s/);
  });

  it('read-only: renaming is refused with a sentence and the help shows it disabled', async () => {
    const h = await start({ readOnly: true });
    await h.waitFor('img-');
    expect(h.frame()).toContain('READ-ONLY');
    await h.press('r');
    await h.waitFor('read-only (--read-only): renaming is disabled');
    await h.press('?');
    const f = await h.waitFor('Help');
    expect(f).toMatch(/Rename the image inline\s+\(disabled: read-only session\)/);
    await h.press('esc');
    await h.waitFor('NAME');
  });

  it('runs : commands with completion: a region switch', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.press(':');
    await h.type('reg');
    await h.press('tab');
    await h.waitFor(/^ eu-west  us-east  ap-south$/m, 'the region candidates');
    await h.type('ap');
    await h.press('tab', 'enter');
    await h.waitFor('sandbox · ap-south');
    await h.waitFor(/plain/);
    await h.press(':');
    await h.type('nonsense');
    await h.press('enter');
    await h.waitFor('Unknown command ":nonsense"');
  });

  it('keeps at most the preload limit of the public catalogue and finds the rest by provider-side search', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-ui-'));
    const provider = await createSandboxProvider({ home, region: 'eu-west' });
    // An image far past the first 5,000 that only a provider-side search can bring in.
    const far = (await provider.listImages({ scope: 'public', page: undefined, pageSize: 5000 })).next;
    let page = await provider.listImages({ scope: 'public', page: far, pageSize: 5000 });
    for (let i = 0; i < 8 && page.next; i++) page = await provider.listImages({ scope: 'public', page: page.next, pageSize: 5000 });
    const target = page.items[1234];
    await provider.close();

    const h = await start({ home, scope: 'public', preloadLimit: 5000 });
    await h.waitFor('(the rest by search)');
    expect(h.controller.state.scopes.public.rows.indexOf(target.id)).toBe(-1);
    await h.press('/');
    await h.type(target.name);
    await h.waitFor(() => h.controller.state.scopes.public.rows.indexOf(target.id) >= 0, 'the provider-side search result');
    await h.waitFor(target.id);
    rmSync(home, { recursive: true, force: true });
  });

  it('fits 80x24', async () => {
    const h = await start({ columns: 80, rows: 24 });
    const f = await h.waitFor('img-');
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(f).toMatch(/NAME\s+ID\s+KIND\s+STATE\s+DEPRECATION/);
  });
});
