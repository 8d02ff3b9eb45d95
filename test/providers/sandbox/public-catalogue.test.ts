// The public catalogue: 100,000 images per region, searched and paged on the provider side. Correctness
// over the whole catalogue is checked against a brute-force filter of every name; speed is a benchmark's
// business, not a test's.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Image } from '../../../source/core/types.js';
import { PUBLIC_CATALOGUE_SIZE, SandboxProvider } from '../../../source/providers/sandbox/index.js';

describe('sandbox public catalogue', () => {
  let home: string;
  let provider: SandboxProvider;
  /** Every name, in catalogue order, read by paging through the unfiltered listing. */
  let names: string[];
  let firstPage: Image[];

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'strata-public-'));
    provider = await SandboxProvider.open({ home, sandboxSeed: 404 });
    names = [];
    const ids = new Set<string>();
    let page: string | undefined;
    do {
      const result = await provider.listImages({ scope: 'public', pageSize: 5000, page });
      expect(result.total).toBe(PUBLIC_CATALOGUE_SIZE);
      for (const image of result.items) {
        names.push(image.name);
        ids.add(image.id);
      }
      firstPage ??= result.items;
      page = result.next;
    } while (page);
    expect(ids.size).toBe(PUBLIC_CATALOGUE_SIZE);
  });

  afterAll(async () => {
    await provider.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('holds 100,000 images, paged 1000 at a time by default and at most 5000', async () => {
    expect(names).toHaveLength(100_000);
    const byDefault = await provider.listImages({ scope: 'public' });
    expect(byDefault.items).toHaveLength(1000);
    expect(byDefault.total).toBe(100_000);
    const capped = await provider.listImages({ scope: 'public', pageSize: 50_000 });
    expect(capped.items).toHaveLength(5000);
    await expect(provider.listImages({ scope: 'public', pageSize: 0 })).rejects.toMatchObject({ kind: 'Invalid', field: 'pageSize' });
  });

  it('has varied, realistic names (distributions, vendors, apps, versions, dates)', () => {
    const distinct = new Set(names);
    // A real catalogue repeats some names (across owners and rebuilds), but not many.
    expect(distinct.size).toBeGreaterThan(95_000);
    for (const word of ['ubuntu', 'debian', 'windows_server', 'bitnami', 'rhel', 'cis ', 'suse', 'al2023', 'wordpress', 'nginx']) {
      expect(names.some((n) => n.toLowerCase().includes(word)), word).toBe(true);
    }
    for (const image of firstPage) {
      expect(image.kind).toBe('public');
      expect(image.owned).toBe(false);
      expect(image.owner.length).toBeGreaterThan(0);
    }
  });

  it('finds exactly what a brute-force filter of every name finds, in order', async () => {
    for (const query of ['ubuntu', 'NGINX debian', 'windows german sql', 'arm64 2024', 'r-', 'zz-nothing-here', '   jammy   minimal  ']) {
      const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
      const expected = names.filter((n) => terms.every((t) => n.toLowerCase().includes(t)));
      const found: string[] = [];
      let page: string | undefined;
      let total: number | undefined;
      do {
        const result = await provider.listImages({ scope: 'public', query, pageSize: 5000, page });
        total = result.total;
        found.push(...result.items.map((i) => i.name));
        page = result.next;
      } while (page);
      expect(total, query).toBe(expected.length);
      expect(found, query).toEqual(expected);
    }
  });

  it('dates each image as its name does', async () => {
    const { items } = await provider.listImages({ scope: 'public', query: 'debian- amd64', pageSize: 200 });
    let checked = 0;
    for (const image of items) {
      const match = /^debian-\d+-amd64-(\d{8})-/.exec(image.name);
      if (!match) continue;
      expect(image.createdAt.slice(0, 10).replaceAll('-', '')).toBe(match[1]);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('gets a public image by id, refuses ids it never gave, and deprecates images two years old', async () => {
    const image = firstPage[1234 % firstPage.length];
    expect(await provider.getImage(image.id)).toEqual(image);
    await expect(provider.getImage('img-p-ffffffffffff')).rejects.toMatchObject({ kind: 'NotFound' });
    const now = provider.clock.now();
    for (const im of firstPage) {
      const old = Date.parse(im.createdAt) + 730 * 86_400_000 <= now;
      expect(im.state).toBe(old ? 'deprecated' : 'available');
    }
  });

  it('refuses a page token from another listing', async () => {
    const ubuntu = await provider.listImages({ scope: 'public', query: 'ubuntu', pageSize: 10 });
    await expect(provider.listImages({ scope: 'public', query: 'debian', page: ubuntu.next })).rejects.toMatchObject({ kind: 'Invalid', field: 'page' });
    await expect(provider.listImages({ scope: 'own', page: ubuntu.next })).rejects.toMatchObject({ kind: 'Invalid', field: 'page' });
    await expect(provider.listImages({ scope: 'public', page: 'not-a-token' })).rejects.toMatchObject({ kind: 'Invalid', field: 'page' });
  });

  it('cannot tag, delete or capture over public images', async () => {
    const image = firstPage[0];
    await expect(provider.setImageTags(image.id, { Name: 'x' })).rejects.toMatchObject({ kind: 'Unsupported' });
    await expect(provider.deleteImage(image.id)).rejects.toMatchObject({ kind: 'Unsupported' });
  });
});
