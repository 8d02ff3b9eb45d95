// The fleet view on the screen, over REAL sandbox worlds: two "accounts" (two sandbox homes from the same
// seed, so their ids are alike), every region of one and two of the other (read-only), and a source whose
// faults make every call fail. Keys are pressed by command (the keymap's), and what they do is checked in
// the worlds themselves: each action reaches its row's source and no other.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import type { SourceConfig } from '../../source/services/config.js';
import { widthOf } from '../../source/ui/components/text.js';
import { Command } from '../../source/ui/keymap.js';
import { fleetRows, selectedFleetRow } from '../../source/ui/state/fleetState.js';
import { start, type Harness } from './harness.js';

const SEED = 7;
const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

async function launch(home: string, region: string, name: string): Promise<string> {
  const provider = await SandboxProvider.open({ home, region, sandboxSeed: SEED });
  try {
    const image = (await provider.listImages({ scope: 'own', pageSize: 500 })).items.find((i) => i.state === 'available' && i.architecture === 'x86_64' && i.platform === 'linux')!;
    const product = (await provider.listProducts()).find((p) => p.architecture === 'x86_64')!;
    return (await provider.launch({ name, imageId: image.id, productId: product.id, firewallIds: [], count: 1 }, `ui-fleet-${name}`))[0]!.id;
  } finally {
    await provider.close();
  }
}

function imageName(home: string, region: string, id: string): { name: string; tags: string } {
  const db = new DatabaseSync(join(home, 'sandbox.db'), { readOnly: true });
  try {
    return db.prepare('SELECT name, tags FROM images WHERE region = ? AND id = ?').get(region, id) as never;
  } finally {
    db.close();
  }
}

function terminatedAt(home: string, region: string, id: string): number | null {
  const db = new DatabaseSync(join(home, 'sandbox.db'), { readOnly: true });
  try {
    return (db.prepare('SELECT terminated_ms FROM servers WHERE region = ? AND id = ?').get(region, id) as { terminated_ms: number | null }).terminated_ms;
  } finally {
    db.close();
  }
}

async function fleet(size: { columns?: number; rows?: number } = {}): Promise<{ h: Harness; home: string; accountB: string; servers: { a: string; b: string } }> {
  const home = mkdtempSync(join(tmpdir(), 'strata-ui-fleet-'));
  homes.push(home);
  const accountB = join(home, 'account-b');
  const servers = { a: await launch(home, 'us-east', 'web-a'), b: await launch(accountB, 'us-east', 'web-b') };
  const sources: SourceConfig[] = [
    { name: 'a', provider: 'sandbox', regions: 'all', sandbox: { seed: SEED, speed: 5000 } },
    { name: 'b', provider: 'sandbox', home: accountB, regions: ['eu-west', 'us-east'], readOnly: true, sandbox: { seed: SEED } },
    { name: 'broken', provider: 'sandbox', home: join(home, 'account-c'), regions: ['eu-west'], sandbox: { seed: SEED, faults: 'throttle=1' } },
  ];
  const h = await start({ home, sources, open: true, ...size });
  await h.waitFor((f) => /a ok/.test(f) && /b ok \(read-only\)/.test(f) && /broken error/.test(f), 'every source with its state', 20_000);
  return { h, home, accountB, servers };
}

/** Filters the fleet (the filter line, as typed) and waits for the rows it keeps. */
async function filter(h: Harness, text: string): Promise<void> {
  await h.command('fleet', Command.Filter);
  await h.type(text);
  await h.command('fleet-filter', Command.Submit);
  await h.waitFor(`filter /${text}`);
}

/** Clears the filter and waits for it to be gone (an Esc followed at once by a key is read as Alt+key). */
async function clearFilter(h: Harness): Promise<void> {
  await h.command('fleet', Command.ClearFilter);
  await h.waitFor((f) => h.controller.state.fleet!.filter.text === '' && !f.includes('filter /'), 'the filter cleared');
}

describe('the fleet view', () => {
  it('merges every source and region, a SOURCE column on every row, each source with its state; the failing one says why', async () => {
    const { h } = await fleet();
    const frame = h.frame();
    expect(frame).toContain('Fleet');
    expect(frame).toMatch(/broken: .*throttling/);
    for (const where of ['a/eu-west', 'a/us-east', 'a/ap-south', 'b/eu-west', 'b/us-east']) expect(fleetRows(h.controller.state).count).toBeGreaterThan(0), expect(h.controller.state.fleet!.snapshot.rows.some((r) => r.where === where)).toBe(true);
    expect(frame).toMatch(/^>a\/eu-west\s+img /m);
    // The servers of both accounts, each under its own source.
    await filter(h, 'kind:server');
    const servers = await h.waitFor((f) => f.includes('web-a') && f.includes('web-b'));
    expect(servers).toMatch(/a\/us-east\s+srv\s+web-a/);
    expect(servers).toMatch(/b\/us-east\s+srv\s+web-b/);
  });

  it('the header says READ-ONLY only when every source is: one read-only source says it on the Sources line', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-ui-fleet-'));
    homes.push(home);
    const ro: SourceConfig = { name: 'ro', provider: 'sandbox', home: join(home, 'ro'), regions: ['eu-west'], readOnly: true, sandbox: { seed: SEED } };
    const rw: SourceConfig = { name: 'rw', provider: 'sandbox', home: join(home, 'rw'), regions: ['eu-west'], sandbox: { seed: SEED } };
    const mixed = await start({ home, sources: [ro, rw], open: true });
    const frame = await mixed.waitFor((f) => /ro ok \(read-only\)/.test(f) && /rw ok/.test(f), 'both sources', 20_000);
    expect(frame.split('\n')[0]).not.toContain('READ-ONLY');
    const all = await start({ home, sources: [ro, { ...rw, readOnly: true }], open: true });
    const allFrame = await all.waitFor((f) => /ro ok \(read-only\)/.test(f) && /rw ok \(read-only\)/.test(f), 'both sources, read-only', 20_000);
    expect(allFrame.split('\n')[0]).toContain('READ-ONLY');
  });

  it('filters on any column: source, region with a pattern, phase', async () => {
    const { h } = await fleet();
    await filter(h, 'source:b region:us-*');
    const rows = fleetRows(h.controller.state);
    expect(rows.count).toBeGreaterThan(1);
    for (let i = 0; i < rows.count; i++) expect(rows.at(i)!.where).toBe('b/us-east');
    await clearFilter(h);
    await filter(h, 'phase:failed');
    expect(fleetRows(h.controller.state).count).toBe(0);
    await h.waitFor('No row matches "phase:failed"');
  });

  it('a read-only source refuses with its own name; a rename goes to its row\'s source only', async () => {
    const { h, home, accountB } = await fleet();
    await filter(h, 'source:b kind:image');
    const row = selectedFleetRow(h.controller.state)!;
    await h.command('fleet', Command.Rename);
    await h.waitFor('b is read-only (readOnly in config.yaml): renaming is disabled there.');
    expect(h.controller.state.overlay).toBeUndefined();
    // The same image id in account a (same seed), renamed there.
    await clearFilter(h);
    await filter(h, `source:a region:eu-west id:${row.id}`);
    expect(selectedFleetRow(h.controller.state)!.where).toBe('a/eu-west');
    await h.command('fleet', Command.Rename);
    await h.waitFor('saves it in a/eu-west');
    await h.press('ctrl+u');
    await h.type('renamed-in-a');
    await h.command('rename', Command.Submit);
    await h.waitFor('Renamed to "renamed-in-a" in a/eu-west');
    expect(JSON.parse(imageName(home, 'eu-west', row.id).tags).Name).toBe('renamed-in-a');
    expect(JSON.parse(imageName(accountB, 'eu-west', row.id).tags).Name).not.toBe('renamed-in-a');
  });

  it("terminates a server in its row's source (its name typed); the other account's servers stay", async () => {
    const { h, home, accountB, servers } = await fleet();
    await filter(h, 'kind:server source:a');
    await h.waitFor('web-a');
    await h.command('fleet', Command.Terminate);
    await h.waitFor('Type web-a');
    await h.type('web-a');
    await h.command('prompt', Command.Submit);
    await h.waitFor('Terminating web-a');
    expect(terminatedAt(home, 'us-east', servers.a)).not.toBeNull();
    expect(terminatedAt(accountB, 'us-east', servers.b)).toBeNull();
  });

  it('copies an own image to another region as a job, with its progress, and the copy shows in the list', async () => {
    const { h } = await fleet();
    const image = h.controller.state.fleet!.snapshot.rows.find((r) => r.where === 'a/eu-west' && r.image?.state === 'available' && /^[a-z0-9-]+$/.test(r.image.name))!;
    await filter(h, `source:a region:eu-west id:${image.id}`);
    await h.command('fleet', Command.CopyImage);
    await h.waitFor((f) => f.replace(/\s+/g, ' ').includes('to a/us-east (Tab: another place, 1 of 2)'), 'the copy prompt');
    await h.command('fleet-copy', Command.NextTarget);
    await h.waitFor((f) => f.replace(/\s+/g, ' ').includes('to a/ap-south'));
    await h.command('fleet-copy', Command.PrevTarget);
    await h.waitFor((f) => f.replace(/\s+/g, ' ').includes('to a/us-east'));
    await h.command('fleet-copy', Command.Submit);
    await h.waitFor(`is available in a/us-east, copied from`, 'the copy done', 20_000);
    await clearFilter(h);
    await filter(h, `source:a region:us-east ${image.name}`);
    await h.waitFor((f) => fleetRows(h.controller.state).count === 1 && f.includes('a/us-east'));
    expect(selectedFleetRow(h.controller.state)!.image!.copiedFrom).toEqual({ region: 'eu-west', imageId: image.id });
  });

  it('an image no place can take says why for each source: read-only there, another account elsewhere', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-ui-fleet-'));
    homes.push(home);
    const sources: SourceConfig[] = [
      { name: 'rw', provider: 'sandbox', home: join(home, 'rw'), regions: ['eu-west'], sandbox: { seed: SEED } },
      { name: 'ro', provider: 'sandbox', home: join(home, 'ro'), regions: ['eu-west', 'us-east'], readOnly: true, sandbox: { seed: SEED } },
      { name: 'other', provider: 'sandbox', home: join(home, 'other'), regions: ['us-east'], sandbox: { seed: SEED } },
    ];
    const h = await start({ home, sources, open: true });
    await h.waitFor((f) => /rw ok/.test(f) && /ro ok/.test(f) && /other ok/.test(f), 'every source', 20_000);
    const image = h.controller.state.fleet!.snapshot.rows.find((r) => r.where === 'rw/eu-west' && r.image?.state === 'available')!;
    await filter(h, `source:rw id:${image.id}`);
    await h.command('fleet', Command.CopyImage);
    const said = (await h.waitFor('cannot be copied anywhere')).replace(/\s+/g, ' ');
    // One reason per source (ro's two regions say it once), each whole.
    expect(said).toContain('ro is read-only (readOnly in config.yaml): nothing is copied there.');
    expect(said).toContain('cannot copy an image of another account or host into other/us-east.');
    expect(said.match(/ro is read-only/g)).toHaveLength(1);
    expect(h.controller.state.overlay).toBeUndefined();
  });

  it('Enter opens the row in its source: a server in the monitor, selected', async () => {
    const { h, servers } = await fleet();
    await filter(h, 'kind:server source:b');
    await h.command('fleet', Command.OpenInSource);
    await h.waitFor((f) => f.includes('Monitor') && /^> web-b/m.test(f), 'the monitor on b/us-east with web-b selected', 20_000);
    expect(h.controller.state.session.region).toBe('us-east');
    expect(h.controller.state.monitor.servers[h.controller.state.monitor.selected]!.id).toBe(servers.b);
    // b is read-only: the monitor says so with its name.
    await h.command('monitor', Command.Terminate);
    await h.waitFor('b is read-only (readOnly in config.yaml): terminating servers is disabled there.');
  });

  it('v shows the image families, oldest version first; :risk groups across every source', async () => {
    const { h } = await fleet();
    await h.command('fleet', Command.Versions);
    await h.waitFor(/Image families: \d+/);
    await h.command('fleet-versions', Command.Close);
    await h.waitFor((f) => /^>a\/eu-west/m.test(f));
    await h.press(':');
    await h.type('risk');
    await h.press('enter');
    await h.waitFor(/At risk across 3 sources/);
  });
});

describe.each([
  { columns: 80, rows: 24 },
  { columns: 60, rows: 20 },
])('the fleet view at $columns x $rows', (size) => {
  it('reads whole: no row wider than the screen, the states and the rows there', async () => {
    const { h } = await fleet(size);
    const frame = h.frame();
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(size.rows);
    for (const line of lines) expect(widthOf(line), line).toBeLessThanOrEqual(size.columns);
    expect(frame).toMatch(/^>a\/eu-west/m);
    expect(frame.replace(/\s+/g, ' ')).toMatch(/broken: .*throttling/);
  });
});
