// Component tests of the whole screen with ink-testing-library, on the real sandbox and a real store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { start } from './harness.js';
import { Command, keyFor } from '../keys.js';
import { riskReport } from '../../source/core/lineage.js';
import { imageLookup, listedImages } from '../../source/ui/state/selectors.js';
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
    await h.command('list', Command.Up);
    await h.waitFor(/ 3\/\d+/);
    await h.command('list', Command.Bottom);
    const f = await h.waitFor((s) => /\s(\d+)\/\1\s/.test(s), 'the last row');
    expect(f).toBeTruthy();
    await h.command('list', Command.Top);
    await h.waitFor(/ 1\/\d+/);
  });

  it('filters as you type and clears with Esc', async () => {
    const h = await start({ scope: 'vendor' });
    await h.waitFor('vendor');
    await h.waitFor('img-');
    const total = Number(/ 1\/(\d+)/.exec(await h.waitFor(/ 1\/\d+/))![1]);
    await h.command('list', Command.Filter);
    await h.type('ubuntu');
    const f = await h.waitFor((s) => /^\/ubuntu/m.test(s), 'the filter line');
    // Rows start with the selection marker's column; the two lines under the list describe the selected row.
    const rows = f.split('\n').filter((l) => /^[ >]/.test(l) && l.includes('img-'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.toLowerCase()).toMatch(/u.*b.*u.*n.*t.*u/);
    await h.command('filter', Command.Submit);
    await h.waitFor('filter /ubuntu');
    await h.command('list', Command.ClearFilter);
    await h.waitFor(new RegExp(` 1/${total}\\b`));
  });

  it('switches scope with s and the number keys, and the vendor templates are marked', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.command('list', Command.ScopeVendor);
    const f = await h.waitFor(/\[vendor\]/);
    await h.waitFor(/vendor\s+(x86_64|arm64)/);
    expect(h.frame()).toMatch(/deprecated|available/);
    expect(f).toBeTruthy();
    await h.command('list', Command.NextScope);
    await h.waitFor(/\[public\]/);
    await h.waitFor(/public · 100,000 images|loading/);
  });

  it('renames inline; the name is written as a tag in a region that holds tags, and survives a restart', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.command('list', Command.Rename);
    await h.command('rename', Command.DeleteToStart);
    await h.type('golden web 2026');
    await h.command('rename', Command.Submit);
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
    await h.command('list', Command.Rename);
    await h.command('rename', Command.DeleteToStart);
    await h.type('x$(reboot)');
    await h.command('rename', Command.Submit);
    const f = await h.waitFor('Name refused');
    expect(f).toMatch(/Name refused: .*"\$"/);
    await h.command('rename', Command.Cancel);
    await h.waitFor((s) => !s.includes('Name refused') && !s.includes('x$(reboot)'));
    expect(h.frame().split('\n')[2]).toBe(before.split('\n')[2]);
  });

  it('in the plain region a rename and a label are kept locally', async () => {
    const h = await start({ region: 'ap-south' });
    await h.waitFor('ap-south');
    await h.waitFor('img-');
    await h.command('list', Command.Rename);
    await h.command('rename', Command.DeleteToStart);
    await h.type('local-name');
    await h.command('rename', Command.Submit);
    await h.waitFor('Renamed to "local-name" (local)');
    await h.command('list', Command.Label);
    await h.waitFor('Saved in the local store');
    await h.command('palette', Command.Down, Command.Down, Command.Down, Command.Choose); // from none: red, orange, yellow
    await h.waitFor((s) => /ye\s*local-name/i.test(s), 'a local yellow label');
  });

  it('sets a colour label from the palette', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.command('list', Command.Label);
    await h.waitFor('Saved as a tag (shared with teammates)');
    await h.command('palette', Command.Down, Command.Down, Command.Down, Command.Down, Command.Choose); // from none: red, orange, yellow, green
    await h.waitFor(/Gn\S*\s/);
  });

  it('read-only: renaming is refused with a sentence and the help shows it disabled', async () => {
    const h = await start({ readOnly: true });
    await h.waitFor('img-');
    expect(h.frame()).toContain('READ-ONLY');
    await h.command('list', Command.Rename);
    await h.waitFor('read-only (--read-only): renaming is disabled');
    await h.command('global', Command.Help);
    const f = await h.waitFor('Help');
    expect(f).toMatch(/Rename the image inline\s+\(disabled: read-only session\)/);
    await h.command('help', Command.Close);
    await h.waitFor('NAME');
  });

  it('runs : commands with completion: a region switch', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.command('global', Command.CommandLine);
    await h.type('reg');
    await h.command('command', Command.Complete);
    await h.waitFor(/^ eu-west  us-east  ap-south$/m, 'the region candidates');
    await h.type('ap');
    await h.command('command', Command.Complete, Command.Submit);
    await h.waitFor('sandbox · ap-south');
    await h.waitFor(/plain/);
    await h.command('global', Command.CommandLine);
    await h.type('nonsense');
    await h.command('command', Command.Submit);
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
    await h.command('list', Command.Filter);
    await h.type(target.name);
    await h.waitFor(() => h.controller.state.scopes.public.rows.indexOf(target.id) >= 0, 'the provider-side search result');
    await h.waitFor(target.id);
    rmSync(home, { recursive: true, force: true });
  });

  it(':own from the monitor brings the image list to the front', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.command('global', Command.NextPane);
    await h.waitFor(/Monitor/);
    await h.command('global', Command.CommandLine);
    await h.type('vendor');
    await h.command('command', Command.Submit);
    await h.waitFor(/Images\s+own\s+\[vendor\]/);
    expect(h.controller.state.pane).toBe('images');
  });

  it('a provider that cannot be opened leaves the session, the header and the status bar as they were', async () => {
    const saved = process.env.STRATA_LIBVIRT_URI;
    process.env.STRATA_LIBVIRT_URI = 'qemu+tcp://127.0.0.1:1/system';
    try {
      const h = await start();
      await h.waitFor('img-');
      await h.command('global', Command.CommandLine);
      await h.type('provider libvirt');
      await h.command('command', Command.Submit);
      await h.waitFor(/Opening libvirt failed/, 'the refusal');
      const f = await h.waitFor(/sandbox · eu-west · own · \d+ images/);
      expect(f).not.toMatch(/^libvirt ·/m);
      expect(h.controller.state.session).toMatchObject({ providerId: 'sandbox', region: 'eu-west', status: 'ready' });
    } finally {
      if (saved === undefined) delete process.env.STRATA_LIBVIRT_URI;
      else process.env.STRATA_LIBVIRT_URI = saved;
    }
  });

  it('fits 80x24', async () => {
    const h = await start({ columns: 80, rows: 24 });
    const f = await h.waitFor('img-');
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(f).toMatch(/NAME\s+ID\s+STATE\s+DEPRECATION/);
  });
});

describe(':risk', () => {
  it('names an image by the name the user gave it (a local name), not only the provider’s', async () => {
    const h = await start({ region: 'ap-south' });
    await h.waitFor('img-');
    // An own image in the risk report (captured from a template that is deprecated or gone).
    await h.waitFor(() => Object.keys(h.controller.state.monitor.images).length > 0, 'the templates looked up');
    const groups = riskReport(h.controller.state.monitor.servers, listedImages(h.controller.state, 'own'), imageLookup(h.controller.state), Date.now());
    const image = groups.flatMap((g) => g.images)[0]!;
    expect(image, 'an own image at risk in the sandbox').toBeDefined();
    await h.command('list', Command.Filter);
    await h.type(image.id);
    await h.command('filter', Command.Submit);
    await h.command('list', Command.Rename);
    await h.command('rename', Command.DeleteToStart);
    await h.type('my-local-name');
    await h.command('rename', Command.Submit);
    await h.waitFor('Renamed to "my-local-name" (local)');
    await h.command('global', Command.CommandLine);
    await h.type('risk');
    await h.command('command', Command.Submit);
    await h.waitFor(/At risk:/);
    // The report is long: page through it until the image shows (never past its end).
    for (let page = 0; page < 40 && !h.frame().includes(`image my-local-name (${image.id})`); page++) await h.command('risk', Command.PageDown);
    expect(h.frame()).toContain(`image my-local-name (${image.id})`);
  });
});

describe('keys typed while something is saved', () => {
  it('r, a name, Enter, c, k, Enter in one read: the name and the label are both saved, no key is lost', async () => {
    const h = await start();
    await h.waitFor('img-');
    const image = h.controller.state.scopes.own.rows.at(0)!;
    // One write: everything arrives in one read, while the rename is still being saved.
    await h.type(`r\u0015burst name\r${keyFor('list', Command.Label)}${keyFor('palette', Command.Up)}\r`);
    await h.waitFor('Renamed to "burst name"');
    // From "none", one up is the last colour (grey).
    await h.waitFor(() => h.controller.state.scopes.own.rows.find(image.id)?.label === 'grey', 'the label saved');
    expect(h.controller.state.scopes.own.rows.find(image.id)?.shownName).toBe('burst name');
  });
});
