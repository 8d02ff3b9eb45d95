// Vendor templates rotate over simulated time: a new build is published, the previous one is deprecated
// (with the date it was, and the date it will be deleted), and after that date it is gone.
import { describe, expect, it } from 'vitest';
import type { Image } from '../../../source/core/types.js';
import { DAY, HOUR, ManualRealClock, useSandbox } from './helpers.js';

const familyOf = (image: Image) => image.name.replace(/-\d{8}$/, '');

describe('sandbox vendor templates', () => {
  const { home, open } = useSandbox();

  it('publish a new build, deprecate the previous with dates, then delete it', async () => {
    const provider = await open({ sandboxSeed: 99 }, { realNow: new ManualRealClock().now });
    const vendor = async () => (await provider.listImages({ scope: 'vendor', pageSize: 5000 })).items;

    const initial = await vendor();
    const current = initial.find((i) => familyOf(i) === 'ubuntu-24.04-amd64' && i.state === 'available')!;
    expect(current).toBeDefined();
    expect(current.deprecatedAt).toBeUndefined();
    expect(current.owner).toBe('sandbox-vendor');
    // Exactly one current build per family and architecture.
    const families = new Set(initial.map(familyOf));
    expect(families.size).toBeGreaterThanOrEqual(15);
    for (const family of families) expect(initial.filter((i) => familyOf(i) === family && i.state === 'available')).toHaveLength(1);

    // Step simulated time a day at a time until the family publishes its next build (periods are 7–30 days).
    let next: Image | undefined;
    for (let day = 0; day <= 31 && !next; day++) {
      provider.clock.advance(DAY);
      next = (await vendor()).find((i) => familyOf(i) === 'ubuntu-24.04-amd64' && i.state === 'available' && i.id !== current.id);
    }
    expect(next, 'a new build within 31 days').toBeDefined();
    expect(Date.parse(next!.createdAt)).toBeGreaterThan(Date.parse(current.createdAt));

    const deprecated = await provider.getImage(current.id);
    expect(deprecated.state).toBe('deprecated');
    expect(deprecated.deprecatedAt).toBe(next!.createdAt);
    const retentionDays = (Date.parse(deprecated.deleteAt!) - Date.parse(deprecated.deprecatedAt!)) / DAY;
    expect(retentionDays).toBeGreaterThanOrEqual(21);
    expect(retentionDays).toBeLessThanOrEqual(30);
    expect((await vendor()).find((i) => i.id === current.id)?.state).toBe('deprecated');

    // A deprecated template can still be launched from (strata warns; the cloud allows it).
    const size = (await provider.listProducts()).find((p) => p.architecture === 'x86_64')!;
    const [server] = await provider.launch({ name: 'from-deprecated', imageId: current.id, productId: size.id, firewallIds: [], count: 1 }, 'rotation-1');
    expect(server.imageId).toBe(current.id);

    // Just before its delete date it is still there; after it, it is gone.
    provider.clock.advanceTo(Date.parse(deprecated.deleteAt!) - HOUR);
    expect((await provider.getImage(current.id)).state).toBe('deprecated');
    provider.clock.advanceTo(Date.parse(deprecated.deleteAt!) + HOUR);
    expect((await vendor()).map((i) => i.id)).not.toContain(current.id);
    await expect(provider.getImage(current.id)).rejects.toMatchObject({ kind: 'NotFound', message: expect.stringContaining('deleted by its vendor') });
    await expect(
      provider.launch({ name: 'from-gone', imageId: current.id, productId: size.id, firewallIds: [], count: 1 }, 'rotation-2'),
    ).rejects.toMatchObject({ kind: 'Invalid', field: 'imageId' });

    // The server launched from it keeps its lineage.
    const [still] = await provider.listServers([server.id]);
    expect(still.imageId).toBe(current.id);
  });

  it('keeps deprecatedAt ≤ deleteAt and lists no template past its delete date, over a simulated year', async () => {
    const clock = new ManualRealClock();
    const provider = await open({ sandboxSeed: 3 }, { realNow: clock.now });
    const seen = new Set<string>();
    for (let week = 0; week < 52; week++) {
      const now = provider.clock.now();
      const { items } = await provider.listImages({ scope: 'vendor', pageSize: 5000 });
      for (const image of items) {
        seen.add(image.id);
        expect(Date.parse(image.createdAt)).toBeLessThanOrEqual(now);
        if (image.state === 'deprecated') {
          expect(Date.parse(image.deprecatedAt!)).toBeLessThanOrEqual(now);
          expect(Date.parse(image.deleteAt!)).toBeGreaterThan(now);
        } else {
          expect(image.state).toBe('available');
        }
      }
      provider.clock.advance(7 * DAY);
    }
    // A year of rotation published many builds.
    expect(seen.size).toBeGreaterThan(300);
  });

  it('is the same for every provider on the home: the shared clock decides', async () => {
    const clock = new ManualRealClock();
    const dir = home();
    const a = await open({ home: dir, sandboxSeed: 8 }, { realNow: clock.now });
    const b = await open({ home: dir }, { realNow: clock.now });
    const list = async (p: typeof a) => (await p.listImages({ scope: 'vendor', pageSize: 5000 })).items;
    const before = await list(b);
    expect(before).toEqual(await list(a));
    a.clock.advance(40 * DAY); // one provider moves the world's clock; the other sees the rotation
    const after = await list(b);
    expect(after).toEqual(await list(a));
    expect(after.map((i) => i.id)).not.toEqual(before.map((i) => i.id));
  });
});
