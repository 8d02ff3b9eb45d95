// Marked rows and what acts on them, on the real sandbox: one prompt and one typed word for every marked
// row, each row's outcome said, the failed ones left marked; nothing without the word; read-only refuses.
// :stale marks the stale own images and deletes them through the same prompt. A deprecation date set in
// one session is seen in another session's :risk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { Command } from '../../source/ui/keymap.js';
import { start, type Harness } from './harness.js';

const homes: string[] = [];
const providers: SandboxProvider[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) await p.close();
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

const flat = (text: string) => text.replace(/\s+/g, ' ');

/** A home with three servers (web-1, web-2, batch-7) launched from an own image, and a provider on it. */
async function world() {
  const home = mkdtempSync(join(tmpdir(), 'strata-bulk-'));
  homes.push(home);
  const provider = await SandboxProvider.open({ home, region: 'eu-west', sandboxSpeed: 2000 });
  providers.push(provider);
  const { items } = await provider.listImages({ scope: 'own', pageSize: 500 });
  const image = items.find((i) => i.state === 'available' && i.architecture === 'x86_64' && /^[\x20-\x7e]+$/.test(i.displayName ?? i.name))!;
  const product = (await provider.listProducts()).find((p) => p.architecture === 'x86_64')!;
  const web = await provider.launch({ name: 'web', imageId: image.id, productId: product.id, firewallIds: [], count: 2 }, 'bulk-web');
  const [batch] = await provider.launch({ name: 'batch-7', imageId: image.id, productId: product.id, firewallIds: [], count: 1 }, 'bulk-batch');
  return { home, provider, image, servers: [...web, batch!] };
}

async function toMonitor(h: Harness, ids: string[]): Promise<void> {
  await h.waitFor('img-');
  await h.command('global', Command.NextPane);
  await h.waitFor(() => ids.every((id) => h.controller.state.monitor.servers.some((s) => s.id === id)), 'the servers in the monitor');
}

describe('marks and bulk actions', () => {
  it('terminates every marked server with one typed word; the one that fails is reported and stays marked', async () => {
    const w = await world();
    const h = await start({ home: w.home });
    await toMonitor(h, w.servers.map((s) => s.id));
    await h.command('monitor', Command.MarkAll);
    await h.waitFor('3 marked');
    // Another session terminates batch-7, and an hour later the provider no longer lists it.
    const batch = w.servers[2]!;
    await w.provider.terminate(batch.id);
    w.provider.clock.advance(2 * 3_600_000);
    await h.command('monitor', Command.PollNow);
    await h.waitFor(() => !h.controller.state.monitor.servers.some((s) => s.id === batch.id), 'batch-7 gone from the monitor');
    // Still marked: marks are by id.
    expect(h.frame()).toContain('3 marked');

    await h.command('monitor', Command.Terminate);
    const prompt = await h.waitFor('Type terminate 3 and Enter');
    expect(flat(prompt)).toContain('Type terminate 3 and Enter to terminate these 3 servers (Esc cancels): ');
    for (const name of ['web-1', 'web-2', 'batch-7']) expect(flat(prompt)).toContain(name);
    // A slip (the count alone, Enter on nothing) does nothing.
    await h.command('prompt', Command.Submit);
    await h.waitFor('Nothing was typed; type terminate 3 exactly. Nothing was done.');
    await h.type('3');
    await h.command('prompt', Command.Submit);
    await h.waitFor('The count alone is not enough; type terminate 3 exactly. Nothing was done.');
    const untouched = await w.provider.listServers(w.servers.slice(0, 2).map((s) => s.id));
    expect(untouched.map((s) => s.phase)).not.toContain('terminated');

    await h.press('ctrl+u');
    await h.type('terminate 3');
    await h.command('prompt', Command.Submit);
    const after = await h.waitFor((f) => flat(f).includes('Terminating 2 of 3 servers') && /does not exist/.test(flat(f)), 'the outcome of each server');
    expect(flat(after)).toMatch(/Terminating 2 of 3 servers: web-[12], web-[12]\. 1 failed and stays marked:/);
    expect(flat(after)).toMatch(new RegExp(`batch-7 \\(${batch.id}\\): .*${batch.id} does not exist`));
    expect(after).toContain('1 marked');
    expect([...h.controller.state.marks.servers.ids]).toEqual([batch.id]);
    const done = await w.provider.listServers(w.servers.slice(0, 2).map((s) => s.id));
    expect(done.map((s) => s.phase)).toEqual(['terminated', 'terminated']);
  });

  it('Esc leaves the marked servers as they are; read-only refuses the bulk actions with the reason, marking still works', async () => {
    const w = await world();
    const h = await start({ home: w.home });
    await toMonitor(h, w.servers.map((s) => s.id));
    await h.command('monitor', Command.Mark);
    await h.command('monitor', Command.Mark);
    await h.waitFor('2 marked');
    await h.command('monitor', Command.Terminate);
    await h.waitFor('Type terminate 2 and Enter');
    await h.type('terminate 2');
    await h.command('prompt', Command.Cancel);
    await h.waitFor((f) => !f.includes('Type terminate 2'), 'the prompt closed');
    expect(h.frame()).toContain('2 marked');
    expect((await w.provider.listServers(w.servers.map((s) => s.id))).map((s) => s.phase)).not.toContain('terminated');

    const ro = await start({ home: w.home, readOnly: true });
    await toMonitor(ro, w.servers.map((s) => s.id));
    await ro.command('monitor', Command.MarkAll);
    await ro.waitFor('3 marked');
    await ro.command('monitor', Command.Terminate);
    await ro.waitFor('This session is read-only (--read-only): terminating servers is disabled.');
    expect(ro.controller.state.overlay).toBeUndefined();
    await ro.command('global', Command.NextPane, Command.NextPane);
    await ro.waitFor((f) => /\[own\]/.test(f), 'the image list');
    await ro.command('list', Command.MarkAll);
    await ro.command('list', Command.DeleteImage);
    await ro.waitFor('This session is read-only (--read-only): deleting images is disabled.');
    await ro.command('list', Command.Label);
    await ro.waitFor('This session is read-only (--read-only): setting labels is disabled.');
    expect((await w.provider.listServers(w.servers.map((s) => s.id))).map((s) => s.phase)).not.toContain('terminated');
  });

  it('marks survive the filter and a reload; * marks what the filter shows; u clears; a bulk label sets every one', async () => {
    const h = await start({ scope: 'vendor' });
    await h.waitFor('img-v-');
    await h.press('/');
    await h.type('ubuntu');
    await h.command('filter', Command.Submit);
    const shown = await h.waitFor('filter /ubuntu');
    const count = (() => {
      const m = / \d+\/(\d+) /.exec(shown);
      return Number(m![1]);
    })();
    expect(count).toBeGreaterThan(1);
    await h.command('list', Command.MarkAll);
    await h.waitFor(`${count} marked`);
    // The filter cleared: every vendor template shows, the same ones are marked.
    await h.command('list', Command.ClearFilter);
    await h.waitFor((f) => !f.includes('filter /ubuntu'), 'the filter cleared');
    expect(h.frame()).toContain(`${count} marked`);
    const marked = h.frame().split('\n').filter((l) => /^.\*/.test(l));
    expect(marked.length).toBeGreaterThan(0);
    for (const line of marked) expect(line.toLowerCase()).toContain('ubuntu');
    // A reload in place keeps them.
    await h.command('list', Command.Refresh);
    await h.waitFor(() => h.controller.state.scopes.vendor.loadedAt !== undefined && !h.controller.state.scopes.vendor.loading);
    expect(h.controller.state.marks.vendor.count).toBe(count);
    // Copying ids takes every marked one (what the clipboard's y copies with marks), one a line.
    const copied = await h.controller.bulk.markedIds('vendor');
    expect(copied.count).toBe(count);
    expect(copied.text.split('\n').sort()).toEqual([...h.controller.state.marks.vendor.ids].sort());
    expect(copied.sentence).toMatch(new RegExp(`^Copied the ids of ${count} marked images: img-v-`));
    // c with marks: the palette for all of them, then the typed word.
    await h.command('list', Command.Label);
    await h.waitFor(`Label for the ${count} marked`);
    await h.command('palette', Command.Choose);
    const prompt = await h.waitFor(`Type label ${count} and Enter`);
    expect(flat(prompt)).toContain(`to label these ${count} images red (Esc cancels):`);
    await h.type(`label ${count}`);
    await h.command('prompt', Command.Submit);
    await h.waitFor(`Labelled ${count} images red`);
    const vendor = h.controller.state.scopes.vendor.rows.items!;
    expect(vendor.filter((i) => i.label === 'red').length).toBe(count);
    expect(h.controller.state.marks.vendor.count).toBe(0);
    // Space marks one and moves on; u clears.
    await h.command('list', Command.Mark, Command.Mark);
    await h.waitFor('2 marked');
    await h.command('list', Command.ClearMarks);
    await h.waitFor('Cleared 2 marks.');
  });

  it('* over the stored public catalogue marks positions; a reload to a new copy keeps them marked, by id', async () => {
    const h = await start({ scope: 'public', preloadLimit: 3000 });
    await h.waitFor(() => h.controller.state.scopes.public.complete && !h.controller.state.scopes.public.loading, 'the catalogue loaded');
    const rows = h.controller.state.scopes.public.rows;
    expect(rows.storedCount).toBe(3000);
    await h.press('/');
    await h.type('ubuntu');
    await h.command('filter', Command.Submit);
    await h.waitFor('filter /ubuntu');
    await h.command('list', Command.MarkAll);
    const marks = h.controller.state.marks.public;
    const count = marks.count;
    expect(count).toBeGreaterThan(10);
    // Marked by position in the stored copy, not by id (no row was read for it).
    expect(marks.blocks).toHaveLength(1);
    expect(marks.ids.size).toBe(0);
    await h.command('list', Command.Refresh);
    await h.waitFor(() => !h.controller.state.scopes.public.rows.sameCopy(rows), 'a new copy');
    await h.waitFor(() => h.controller.state.marks.public.blocks.length === 0, 'the positions turned into ids');
    const after = h.controller.state.marks.public;
    expect(after.count).toBe(count);
    const view = h.controller.state.scopes.public.rows;
    for (const id of after.ids) expect(view.find(id)?.shownName.toLowerCase()).toContain('ubuntu');
    expect(h.frame()).toContain(`${count.toLocaleString('en-US')} marked`);
  });

  it(':stale lists and marks the stale own images, never one a server runs on, and D deletes them through the same prompt', async () => {
    const w = await world();
    const h = await start({ home: w.home });
    await h.waitFor('img-');
    await h.type(':stale 30');
    await h.command('command', Command.Submit);
    await h.waitFor(/stale images? \(unused, older than 30 days/);
    expect(h.controller.state.overlay).toMatchObject({ kind: 'stale', loading: false });
    const marked = [...h.controller.state.marks.own.ids];
    expect(marked.length).toBeGreaterThan(0);
    expect(marked).not.toContain(w.image.id);
    // A server launched from one of them: it is not stale any more.
    const [victim] = marked;
    const arch = (await w.provider.getImage(victim!)).architecture;
    const product = (await w.provider.listProducts()).find((p) => p.architecture === arch)!;
    await w.provider.launch({ name: 'keeper', imageId: victim!, productId: product.id, firewallIds: [], count: 1 }, 'bulk-keeper');
    await h.command('stale', Command.Close);
    await h.waitFor(() => h.controller.state.overlay === undefined, 'the report closed');
    await h.type(':stale 30');
    await h.command('command', Command.Submit);
    await h.waitFor(() => h.controller.state.overlay?.kind === 'stale' && !h.controller.state.overlay.loading, 'the report again');
    const now = [...h.controller.state.marks.own.ids];
    expect(now).not.toContain(victim);
    expect(now.length).toBe(marked.length - 1);
    await h.command('stale', Command.DeleteImage);
    const prompt = await h.waitFor(`Type delete ${now.length} and Enter`);
    expect(flat(prompt)).toContain(`to delete these ${now.length} images`);
    await h.type(`delete ${now.length}`);
    await h.command('prompt', Command.Submit);
    await h.waitFor(`Deleted ${now.length} image`);
    for (const id of now) await expect(w.provider.getImage(id)).rejects.toMatchObject({ kind: 'NotFound' });
    expect((await w.provider.getImage(victim!)).id).toBe(victim);
    expect(h.controller.state.marks.own.count).toBe(0);
  });
});

describe('a deprecation date on an own image', () => {
  it('set in one session, is seen in the :risk of another; a bad date is refused with why; read-only refuses', async () => {
    const w = await world();
    const a = await start({ home: w.home });
    await a.waitFor('img-');
    await a.press('/');
    await a.type(w.image.id);
    await a.command('filter', Command.Submit);
    await a.waitFor(`filter /${w.image.id}`);
    await a.command('list', Command.Deprecate);
    await a.waitFor(/Type the day .* is deprecated from/);
    await a.type('2001-01-01');
    await a.command('deprecate', Command.Submit);
    await a.waitFor('2001-01-01 is in the past');
    await a.press('ctrl+u');
    await a.type('now');
    await a.command('deprecate', Command.Submit);
    await a.waitFor(/is deprecated from \d{4}-\d\d-\d\d/);
    expect((await w.provider.getImage(w.image.id)).deprecatedAt).toBeDefined();

    // A second session (another user of the account): its :risk names the servers on the image.
    const b = await start({ home: w.home });
    await b.waitFor('img-');
    await b.waitFor(() => b.controller.state.monitor.servers.length >= 3, 'the servers');
    await b.type(':risk');
    await b.command('command', Command.Submit);
    // Gone templates come first (the sandbox's world has many): the deprecated image is further down.
    await b.waitFor('At risk:');
    let risk = '';
    for (let page = 0; page < 20 && !/has been deprecated since/.test(risk); page++) {
      risk = flat(b.frame());
      if (!/has been deprecated since/.test(risk)) await b.command('risk', Command.PageDown);
    }
    expect(flat(risk)).toMatch(new RegExp(`\\(${w.image.id}\\) has been deprecated since \\d{4}-\\d\\d-\\d\\d: 3 servers run on it`));

    const ro = await start({ home: w.home, readOnly: true });
    await ro.waitFor('img-');
    await ro.command('list', Command.Deprecate);
    await ro.waitFor('This session is read-only (--read-only): deprecating images is disabled.');
  });
});
