// strata images stale (a dry run of the TUI's :stale) and strata image deprecate, against the real sandbox:
// an image a server runs on is never listed, nothing is deleted, and a deprecation date is seen by the
// next command as by another user.
import { describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import { jsonOf, newHome, strataSync } from './helpers.js';

type StaleDoc = {
  days: number;
  considered: number;
  totalGiB: number;
  unknownSize: number;
  deleted: false;
  images: { id: string; shownName: string; ageDays: number; storageGiB: number | null; deletable: boolean; newerId: string | null; architecture: string; state: string }[];
  sentence: string;
};

describe('strata images stale', () => {
  it('lists old unused own images with their storage and the total, deletes nothing, and never one a server runs on', async () => {
    const home = newHome();
    const first = jsonOf<StaleDoc>(strataSync(['images', 'stale', '--json'], { home }), 'stale-images');
    expect(first.days).toBe(90);
    expect(first.deleted).toBe(false);
    expect(first.images.length).toBeGreaterThan(0);
    for (const image of first.images) {
      expect(image.ageDays).toBeGreaterThanOrEqual(90);
      expect(image.newerId === null || image.newerId !== image.id).toBe(true);
    }
    const sum = first.images.filter((i) => i.deletable && i.storageGiB !== null).reduce((n, i) => n + i.storageGiB!, 0);
    expect(first.totalGiB).toBeCloseTo(sum, 2);
    expect(first.sentence).toMatch(new RegExp(`^${first.images.filter((i) => i.deletable).length} stale images? \\(unused, older than 90 days`));

    // A server launched from a stale image: the image is in use now, and is not listed again.
    const target = first.images.find((i) => i.state === 'available' && i.architecture === 'x86_64')!;
    const provider = await createSandboxProvider({ home, region: 'eu-west' });
    try {
      const product = (await provider.listProducts()).find((p) => p.architecture === 'x86_64')!;
      await provider.launch({ name: 'keeps-it', imageId: target.id, productId: product.id, firewallIds: [], count: 1 }, 'stale-test-1');
      const again = jsonOf<StaleDoc>(strataSync(['images', 'stale', '--json'], { home }), 'stale-images');
      expect(again.images.map((i) => i.id)).not.toContain(target.id);
      // Nothing was deleted by the first run.
      for (const image of first.images) expect((await provider.getImage(image.id)).id).toBe(image.id);
    } finally {
      await provider.close();
    }

    // The table, and a younger limit lists more (or as many).
    const table = strataSync(['images', 'stale', '--days', '30'], { home });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+AGE\s+STORAGE\s+STATE\s+NOTE$/);
    expect(table.stderr).toMatch(/Nothing was deleted \(a dry run\)/);
    const none = jsonOf<StaleDoc>(strataSync(['images', 'stale', '--days', '36500', '--json'], { home }), 'stale-images');
    expect(none.images).toEqual([]);
    expect(none.sentence).toMatch(/^No stale images/);
    const bad = strataSync(['images', 'stale', '--days', 'soon'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--days must be a whole number of days/);
  });

  it('strata image deprecate sets and clears a date; read-only refuses; a vendor template is not yours', () => {
    const home = newHome();
    const images = JSON.parse(strataSync(['images', '--json'], { home }).stdout) as { images: { id: string; state: string }[] };
    const id = images.images.find((i) => i.state === 'available')!.id;
    const set = jsonOf<{ action: string; image: { deprecatedAt: string | null } }>(strataSync(['image', 'deprecate', id, '+30d', '--json'], { home }), 'image-changed');
    expect(set.action).toBe('deprecated');
    expect(set.image.deprecatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const shown = jsonOf<{ image: { deprecatedAt: string | null } }>(strataSync(['image', 'show', id, '--json'], { home }), 'image');
    expect(shown.image.deprecatedAt).toBe(set.image.deprecatedAt);
    const readOnly = strataSync(['image', 'deprecate', id, 'none', '--read-only'], { home });
    expect(readOnly.code).toBe(4);
    const cleared = jsonOf<{ image: { deprecatedAt: string | null } }>(strataSync(['image', 'deprecate', id, 'none', '--json'], { home }), 'image-changed');
    expect(cleared.image.deprecatedAt).toBeNull();
    const past = strataSync(['image', 'deprecate', id, '2001-01-01'], { home });
    expect(past.code).toBe(4);
    expect(past.stderr).toMatch(/2001-01-01 is in the past/);
    const audit = JSON.parse(strataSync(['audit', '--action', 'image.deprecation', '--json'], { home }).stdout) as { entries: { target: string }[] };
    expect(audit.entries.map((e) => e.target)).toEqual([id, id]);
  });
});
