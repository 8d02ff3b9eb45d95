// The sandbox world is a function of its seed (and simulated time): two homes with the same seed hold the
// same images; another seed gives another world.
import { describe, expect, it } from 'vitest';
import { HOSTILE_IMAGE_NAME, SANDBOX_REGIONS } from '../../../source/providers/sandbox/index.js';
import { PublicCatalogue } from '../../../source/providers/sandbox/public.js';
import { ManualRealClock, useSandbox } from './helpers.js';

describe('sandbox determinism', () => {
  const { open } = useSandbox();

  it('gives two homes with the same seed the same own images, vendor templates and public catalogue', async () => {
    const clock = new ManualRealClock();
    for (const region of SANDBOX_REGIONS.map((r) => r.id)) {
      const a = await open({ region, sandboxSeed: 1234 }, { realNow: clock.now });
      const b = await open({ region, sandboxSeed: 1234 }, { realNow: clock.now });
      for (const scope of ['own', 'vendor'] as const) {
        const listA = await a.listImages({ scope, pageSize: 5000 });
        const listB = await b.listImages({ scope, pageSize: 5000 });
        expect(listA.items.length).toBeGreaterThan(10);
        expect(listB).toEqual(listA);
      }
      const pubA = await a.listImages({ scope: 'public', query: 'debian', pageSize: 300 });
      const pubB = await b.listImages({ scope: 'public', query: 'debian', pageSize: 300 });
      expect(pubB).toEqual(pubA);
      expect(await b.listFirewalls()).toEqual(await a.listFirewalls());
      expect(await b.listKeypairs()).toEqual(await a.listKeypairs());
    }
  });

  it('generates the public catalogue from (seed, region) alone, independently each time', () => {
    // Providers of one process share a catalogue while they hold it; build two separately here.
    const a = new PublicCatalogue(1234, 'eu-west', 3000);
    const b = new PublicCatalogue(1234, 'eu-west', 3000);
    const c = new PublicCatalogue(1234, 'us-east', 3000);
    const names = (cat: PublicCatalogue) => Array.from({ length: cat.count }, (_, i) => cat.name(i));
    expect(names(b)).toEqual(names(a));
    expect(names(c)).not.toEqual(names(a));
    expect(b.image(2999, Date.UTC(2026, 0, 1))).toEqual(a.image(2999, Date.UTC(2026, 0, 1)));
  });

  it('gives another seed another world', async () => {
    const clock = new ManualRealClock();
    const a = await open({ sandboxSeed: 1 }, { realNow: clock.now });
    const b = await open({ sandboxSeed: 2 }, { realNow: clock.now });
    const names = async (p: typeof a, scope: 'own' | 'vendor' | 'public') =>
      (await p.listImages({ scope, pageSize: 50 })).items.map((i) => i.name);
    expect(await names(b, 'own')).not.toEqual(await names(a, 'own'));
    expect(await names(b, 'vendor')).not.toEqual(await names(a, 'vendor'));
    expect(await names(b, 'public')).not.toEqual(await names(a, 'public'));
  });

  it('seeds every region with a varied account: dozens of own images, some pending or failed, lineage to vendor templates', async () => {
    for (const region of SANDBOX_REGIONS) {
      const p = await open({ region: region.id, sandboxSeed: 77 });
      const { items } = await p.listImages({ scope: 'own', pageSize: 5000 });
      expect(items.length).toBeGreaterThanOrEqual(30);
      expect(items.length).toBeLessThanOrEqual(60);
      expect(new Set(items.map((i) => i.name)).size).toBe(items.length);
      expect(items.some((i) => i.state === 'pending')).toBe(true);
      expect(items.some((i) => i.state === 'failed')).toBe(true);
      expect(new Set(items.map((i) => i.architecture))).toEqual(new Set(['x86_64', 'arm64']));
      const fromVendor = items.filter((i) => i.sourceImageId?.startsWith('img-v-'));
      expect(fromVendor.length).toBeGreaterThan(5);
      // Every vendor source is a real template id: either still listed, or gone with a sentence that says when.
      const vendorIds = new Set((await p.listImages({ scope: 'vendor', pageSize: 5000 })).items.map((i) => i.id));
      let gone = 0;
      for (const image of fromVendor) {
        if (vendorIds.has(image.sourceImageId!)) continue;
        gone++;
        await expect(p.getImage(image.sourceImageId!)).rejects.toMatchObject({ kind: 'NotFound', message: expect.stringMatching(/deleted by its vendor on \d{4}-\d\d-\d\d/) });
      }
      expect(gone).toBeGreaterThan(0);
      if (region.profile === 'rich') expect(items.some((i) => i.displayName)).toBe(true);
      else expect(items.every((i) => Object.keys(i.tags).length === 0)).toBe(true);
    }
  });

  it('holds, in every region, one own image whose provider name carries terminal escape sequences', async () => {
    for (const region of SANDBOX_REGIONS) {
      const p = await open({ region: region.id });
      const { items } = await p.listImages({ scope: 'own', pageSize: 5000 });
      const hostile = items.filter((i) => i.name.includes('\u001b'));
      expect(hostile.map((i) => i.name)).toEqual([HOSTILE_IMAGE_NAME]);
      expect(hostile[0].name).toContain('\u001b]0;');
      expect(hostile[0].name).toContain('\u001b[2J');
    }
  });
});
