// Own images in the sandbox: tags (rich profile only, own images only), search and paging of the own and
// vendor lists, and deletion.
import { describe, expect, it } from 'vitest';
import { LABEL_TAG, NAME_TAG } from '../../../source/core/tags.js';
import { DAY, ManualRealClock, ownAvailable, useSandbox } from './helpers.js';

describe('sandbox images', () => {
  const { home, open } = useSandbox();

  it('merges tags, removes them with null, and shows the Name tag as the display name', async () => {
    const p = await open({ sandboxSeed: 6 });
    const image = await ownAvailable(p);
    const original = image.tags;
    const a = await p.setImageTags(image.id, { [NAME_TAG]: 'Payments base', [LABEL_TAG]: 'red' });
    expect(a.displayName).toBe('Payments base');
    expect(a.tags).toEqual({ ...original, [NAME_TAG]: 'Payments base', [LABEL_TAG]: 'red' });
    const b = await p.setImageTags(image.id, { [LABEL_TAG]: 'blue', owner: 'me' });
    expect(b.tags).toEqual({ ...original, [NAME_TAG]: 'Payments base', [LABEL_TAG]: 'blue', owner: 'me' });
    const c = await p.setImageTags(image.id, { [NAME_TAG]: null, owner: null });
    expect(c.displayName).toBeUndefined();
    expect(c.tags).toEqual({ ...Object.fromEntries(Object.entries(original).filter(([k]) => k !== NAME_TAG)), [LABEL_TAG]: 'blue' });
    expect(await p.getImage(image.id)).toEqual(c);
    // A display name with escape sequences is stored as given (the cloud holds any string; strata sanitises).
    const hostile = await p.setImageTags(image.id, { [NAME_TAG]: 'x\u001b[31my' });
    expect(hostile.displayName).toBe('x\u001b[31my');
  });

  it('refuses tags that break the cloud\'s limits', async () => {
    const p = await open();
    const image = await ownAvailable(p);
    await expect(p.setImageTags(image.id, { k: 'v'.repeat(257) })).rejects.toMatchObject({ kind: 'Invalid', field: 'tags' });
    await expect(p.setImageTags(image.id, { ['k'.repeat(129)]: 'v' })).rejects.toMatchObject({ kind: 'Invalid', field: 'tags' });
    await expect(p.setImageTags(image.id, { 'sandbox:x': 'v' })).rejects.toMatchObject({ kind: 'Invalid', field: 'tags' });
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    await expect(p.setImageTags(image.id, many)).rejects.toMatchObject({ kind: 'Invalid', field: 'tags' });
    await expect(p.setImageTags(image.id, { k: 5 as never })).rejects.toMatchObject({ kind: 'Invalid', field: 'tags' });
    expect((await p.getImage(image.id)).tags).toEqual(image.tags);
  });

  it('says which images cannot hold tags, and why', async () => {
    const rich = await open();
    const vendor = (await rich.listImages({ scope: 'vendor', pageSize: 1 })).items[0];
    await expect(rich.setImageTags(vendor.id, { [NAME_TAG]: 'x' })).rejects.toMatchObject({
      kind: 'Unsupported',
      message: expect.stringContaining('only your own images'),
    });
    await expect(rich.setImageTags('img-00000000000000000', { [NAME_TAG]: 'x' })).rejects.toMatchObject({ kind: 'NotFound' });
    const plain = await open({ region: 'ap-south' });
    const own = await ownAvailable(plain);
    await expect(plain.setImageTags(own.id, { [NAME_TAG]: 'x' })).rejects.toMatchObject({
      kind: 'Unsupported',
      message: expect.stringContaining('cannot hold tags'),
    });
    expect((await plain.getImage(own.id)).tags).toEqual({});
  });

  it('searches and pages own and vendor images on the provider side', async () => {
    const p = await open({ sandboxSeed: 6 });
    const all = (await p.listImages({ scope: 'own', pageSize: 5000 })).items;
    const paged = [];
    let page: string | undefined;
    do {
      const r = await p.listImages({ scope: 'own', pageSize: 7, page });
      expect(r.total).toBe(all.length);
      paged.push(...r.items);
      page = r.next;
    } while (page);
    expect(paged).toEqual(all);
    // Newest first.
    const dates = all.map((i) => Date.parse(i.createdAt));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    // A display name is searchable too.
    await p.setImageTags(all[3].id, { [NAME_TAG]: 'Quokka Special' });
    expect((await p.listImages({ scope: 'own', query: 'quokka' })).items.map((i) => i.id)).toEqual([all[3].id]);
    const vendor = await p.listImages({ scope: 'vendor', query: 'debian arm64' });
    expect(vendor.items.length).toBeGreaterThan(0);
    for (const image of vendor.items) expect(image.name).toMatch(/^debian-\d+-arm64-\d{8}$/);
    await expect(p.listImages({ scope: 'mine' as never })).rejects.toMatchObject({ kind: 'Invalid', field: 'scope' });
  });

  it('deletes own images only', async () => {
    const p = await open();
    const image = await ownAvailable(p);
    await p.deleteImage(image.id);
    await expect(p.getImage(image.id)).rejects.toMatchObject({ kind: 'NotFound' });
    expect((await p.listImages({ scope: 'own', pageSize: 5000 })).items.map((i) => i.id)).not.toContain(image.id);
    await expect(p.deleteImage(image.id)).rejects.toMatchObject({ kind: 'NotFound' });
    const vendor = (await p.listImages({ scope: 'vendor', pageSize: 1 })).items[0];
    await expect(p.deleteImage(vendor.id)).rejects.toMatchObject({ kind: 'Unsupported' });
    expect((await p.getImage(vendor.id)).id).toBe(vendor.id);
  });

  it('deprecates an own image at a date: every provider on the home sees it deprecated once the date has come', async () => {
    const clock = new ManualRealClock();
    const dir = home();
    const p = await open({ home: dir, sandboxSeed: 6 }, { realNow: clock.now });
    const image = await ownAvailable(p);
    expect(image.storageGiB).toBe(image.sizeGiB);
    const at = new Date(p.clock.now() + 2 * DAY + 20_000);
    const set = await p.setImageDeprecation(image.id, at.toISOString());
    // Rounded to the minute, as EC2 does; not deprecated before the date.
    expect(set.deprecatedAt).toBe(new Date(Math.round(at.getTime() / 60_000) * 60_000).toISOString());
    expect(set.state).toBe('available');
    const other = await open({ home: dir }, { realNow: clock.now });
    expect((await other.getImage(image.id)).deprecatedAt).toBe(set.deprecatedAt);
    clock.tick(3 * DAY);
    const seen = (await other.listImages({ scope: 'own', pageSize: 5000 })).items.find((i) => i.id === image.id)!;
    expect([seen.state, seen.deprecatedAt]).toEqual(['deprecated', set.deprecatedAt]);
    const cleared = await other.setImageDeprecation(image.id, null);
    expect([cleared.state, cleared.deprecatedAt]).toEqual(['available', undefined]);
    expect((await p.getImage(image.id)).deprecatedAt).toBeUndefined();
    // A moment already past is now; more than 10 years ahead is refused; only own images, only where the profile can.
    expect(Date.parse((await p.setImageDeprecation(image.id, '2000-01-01T00:00:00Z')).deprecatedAt!)).toBe(p.clock.now());
    await expect(p.setImageDeprecation(image.id, new Date(p.clock.now() + 3700 * DAY).toISOString())).rejects.toMatchObject({ kind: 'Invalid', field: 'deprecateAt' });
    const vendor = (await p.listImages({ scope: 'vendor', pageSize: 1 })).items[0];
    await expect(p.setImageDeprecation(vendor.id, null)).rejects.toMatchObject({ kind: 'Unsupported' });
    const plain = await open({ home: dir, region: 'ap-south' }, { realNow: clock.now });
    const plainImage = await ownAvailable(plain);
    await expect(plain.setImageDeprecation(plainImage.id, null)).rejects.toMatchObject({ kind: 'Unsupported' });
  });
});
