// The fleet over REAL sandbox worlds: two "accounts" (two sandbox homes, made from the same seed, so their
// ids are alike), every region of one and two of the other, and a third source whose faults make every
// call fail. The merged list carries the source and region on every row; each source has its state; the
// failing one never hides the others; an action reaches the source of its row and no other; a read-only
// source refuses with its own name; a poll is one call per place, with bounded concurrency and a backoff
// of its own for the place that fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import type { SourceConfig } from '../../source/services/config.js';
import { Fleet } from '../../source/services/fleet.js';
import { openStore, type Store } from '../../source/store/db.js';

const SEED = 7;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function launchOne(home: string, region: string, name: string): Promise<string> {
  const provider = await SandboxProvider.open({ home, region, sandboxSeed: SEED });
  try {
    const image = (await provider.listImages({ scope: 'own', pageSize: 500 })).items.find((i) => i.state === 'available' && i.architecture === 'x86_64' && i.platform === 'linux')!;
    const product = (await provider.listProducts()).find((p) => p.architecture === 'x86_64')!;
    const [server] = await provider.launch({ name, imageId: image.id, productId: product.id, firewallIds: [], count: 1 }, `fleet-test-${name}`);
    return server!.id;
  } finally {
    await provider.close();
  }
}

async function ownImages(home: string, region: string) {
  const provider = await SandboxProvider.open({ home, region, sandboxSeed: SEED });
  try {
    return (await provider.listImages({ scope: 'own', pageSize: 5000 })).items;
  } finally {
    await provider.close();
  }
}

async function setUp(concurrency = 4): Promise<{ fleet: Fleet; store: Store; home: string; accountB: string; servers: { a: string; b: string } }> {
  const home = mkdtempSync(join(tmpdir(), 'strata-fleet-'));
  const accountB = join(home, 'account-b');
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const servers = { a: await launchOne(home, 'us-east', 'web-a'), b: await launchOne(accountB, 'eu-west', 'web-b') };
  const sources: SourceConfig[] = [
    { name: 'a', provider: 'sandbox', regions: 'all', sandbox: { seed: SEED } },
    { name: 'b', provider: 'sandbox', home: accountB, regions: ['eu-west', 'us-east'], readOnly: true, sandbox: { seed: SEED } },
    { name: 'broken', provider: 'sandbox', home: join(home, 'account-c'), regions: ['eu-west'], sandbox: { seed: SEED, faults: 'throttle=1' } },
  ];
  const store = openStore(home);
  cleanups.push(() => store.close());
  const fleet = new Fleet({ sources, base: { home }, store, concurrency, autoPoll: false, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  cleanups.push(() => fleet.close());
  await fleet.start();
  return { fleet, store, home, accountB, servers };
}

describe('the fleet', () => {
  it('merges every source and region into one list, the source and region on every row, each source with its state', async () => {
    const { fleet, home, accountB, servers } = await setUp();
    const snap = fleet.snapshot();
    expect(snap.sources.map((s) => [s.name, s.state, s.regions])).toEqual([
      ['a', 'ok', ['eu-west', 'us-east', 'ap-south']],
      ['b', 'ok', ['eu-west', 'us-east']],
      ['broken', 'error', ['eu-west']],
    ]);
    // The failing source says why, in a sentence; the others show all the same.
    expect(snap.sources[2]!.error).toMatch(/throttling/);
    expect(snap.complete).toBe(true);
    const wheres = [...new Set(snap.rows.map((r) => r.where))];
    expect(wheres).toEqual(['a/eu-west', 'a/us-east', 'a/ap-south', 'b/eu-west', 'b/us-east']);
    for (const row of snap.rows) expect(row.where).toBe(`${row.source}/${row.region}`);
    // Each place's own images, as its own world has them; its servers.
    for (const [source, world, region] of [['a', home, 'eu-west'], ['b', accountB, 'us-east']] as const) {
      const ids = snap.rows.filter((r) => r.source === source && r.region === region && r.kind === 'image').map((r) => r.id).sort();
      expect(ids).toEqual((await ownImages(world, region)).map((i) => i.id).sort());
    }
    expect(snap.rows.filter((r) => r.kind === 'server').map((r) => [r.where, r.id, r.name])).toEqual([
      ['a/us-east', servers.a, 'web-a'],
      ['b/eu-west', servers.b, 'web-b'],
    ]);
    // Two accounts made from one seed have the same image ids: the rows are told apart by their source.
    const aIds = new Set(snap.rows.filter((r) => r.where === 'a/eu-west' && r.kind === 'image').map((r) => r.id));
    expect(snap.rows.filter((r) => r.where === 'b/eu-west' && r.kind === 'image').every((r) => aIds.has(r.id))).toBe(true);
    expect(new Set(snap.rows.map((r) => r.key)).size).toBe(snap.rows.length);
  });

  it("an action goes to its row's source: a rename in a/eu-west leaves b's image of the same id as it was", async () => {
    const { fleet, home, accountB } = await setUp();
    const row = fleet.snapshot().rows.find((r) => r.where === 'a/eu-west' && r.kind === 'image' && r.image!.state === 'available' && r.image!.sharedMeta)!;
    const session = fleet.session('a', 'eu-west')!;
    await session.catalogue.rename(row.image!, 'renamed through the fleet');
    const inA = (await ownImages(home, 'eu-west')).find((i) => i.id === row.id)!;
    const inB = (await ownImages(accountB, 'eu-west')).find((i) => i.id === row.id)!;
    expect(inA.displayName).toBe('renamed through the fleet');
    expect(inB.displayName).not.toBe('renamed through the fleet');
    // Recorded under a's account only.
    await fleet.refreshPlace('a', 'eu-west');
    expect(fleet.snapshot().rows.find((r) => r.key === row.key)!.name).toBe('renamed through the fleet');
    expect(fleet.snapshot().rows.find((r) => r.where === 'b/eu-west' && r.id === row.id)!.name).not.toBe('renamed through the fleet');
  });

  it('a read-only source refuses a change with its own name, and nothing changes there', async () => {
    const { fleet, accountB } = await setUp();
    const row = fleet.snapshot().rows.find((r) => r.where === 'b/eu-west' && r.kind === 'image' && r.image!.state === 'available')!;
    const session = fleet.session('b', 'eu-west')!;
    expect(session.readOnly).toBe(true);
    await expect(session.images.deleteImage(row.id)).rejects.toThrow('b is read-only (readOnly in config.yaml): strata does not delete images there.');
    await expect(session.provider.setImageTags(row.id, { Name: 'x' })).rejects.toThrow('b is read-only (readOnly in config.yaml): strata does not change image tags there.');
    expect((await ownImages(accountB, 'eu-west')).some((i) => i.id === row.id)).toBe(true);
    expect(fleet.snapshot().sources.find((s) => s.name === 'b')!.readOnly).toBe(true);
  });

  it('polls with one call per place, at most `concurrency` at once, the failing place backing off on its own', async () => {
    const { fleet } = await setUp(2);
    await fleet.pollNow();
    // five places answer; the broken one failed at start and is backing off, so it is not asked now
    expect(fleet.stats().lastPollCalls).toBe(5);
    expect(fleet.stats().peakConcurrency).toBeLessThanOrEqual(2);
    expect(fleet.stats().peakConcurrency).toBe(2);
    const broken = fleet.snapshot().sources.find((s) => s.name === 'broken')!;
    expect(broken.state).toBe('error');
    await fleet.pollNow();
    expect(fleet.stats().lastPollCalls).toBe(5);
  });
});
