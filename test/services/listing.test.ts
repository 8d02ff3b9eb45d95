// Stored listings against the real sandbox and the real store: the public catalogue is written page by
// page as it loads, read back by position, shown from the store on the next start (stale-while-
// revalidate), and a load cut short is never taken for a complete copy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fuzzyFilter } from '../../source/core/fuzzy.js';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import type { ProviderService } from '../../source/providers/provider.js';
import { Catalogue, type CatalogueImage } from '../../source/services/catalogue.js';
import { Listings, type LoadStep } from '../../source/services/listing.js';
import { ImageRows, searchKey } from '../../source/services/rows.js';
import { openStore, type Store } from '../../source/store/db.js';

interface Opened {
  provider: ProviderService;
  store: Store;
  catalogue: Catalogue;
  listings: Listings;
}

const homes: string[] = [];
const open: Opened[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.store.close();
    await o.provider.close();
  }
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'strata-listing-'));
  homes.push(home);
  return home;
}

/** A strata start: the sandbox provider and the store of a home, with the catalogue and listings over them. */
async function start(home: string): Promise<Opened> {
  const provider = await createSandboxProvider({ home, region: 'eu-west', sandboxSeed: 11 });
  const store = openStore(home);
  const description = await provider.describe();
  const catalogue = new Catalogue({ provider, store, providerId: 'sandbox', region: description.region, description });
  const listings = new Listings({ store, catalogue, providerId: 'sandbox', region: description.region });
  const opened = { provider, store, catalogue, listings };
  open.push(opened);
  return opened;
}

/** The first n public images as the catalogue lists them (the truth a stored copy must match). */
async function firstPublic(catalogue: Catalogue, n: number): Promise<CatalogueImage[]> {
  const items: CatalogueImage[] = [];
  for await (const page of catalogue.pages('public', { pageSize: 1000, limit: n })) items.push(...page.items);
  return items;
}

async function loadAll(listings: Listings, limit: number, pageSize = 500): Promise<LoadStep[]> {
  const steps: LoadStep[] = [];
  for await (const step of listings.load('public', { limit, pageSize })) steps.push(step);
  return steps;
}

const LIMIT = 2400;

describe('stored listings', () => {
  it('writes the pages as they arrive; the rows read back by position are the catalogue rows', async () => {
    const { catalogue, listings, store } = await start(newHome());
    const steps = await loadAll(listings, LIMIT);
    // Pages of 500: 500, 1000, ... then the capped last one.
    expect(steps.map((s) => s.rows.count)).toEqual([500, 1000, 1500, 2000, 2400]);
    expect(steps.map((s) => s.complete)).toEqual([false, false, false, false, true]);
    expect(steps.at(-1)).toMatchObject({ capped: true, total: 100_000 });
    // A copy is there from the first page on, complete only with the last.
    const copy = store.listings().get(steps[0].rows.copyId!)!;
    expect(copy).toMatchObject({ state: 'complete', rows: LIMIT, total: 100_000, capped: true });

    const truth = await firstPublic(catalogue, LIMIT);
    const rows = steps.at(-1)!.rows;
    for (const i of [0, 1, 15, 16, 499, 500, 1234, 2399]) expect(rows.at(i)).toEqual(truth[i]);
    expect(rows.at(LIMIT)).toBeUndefined();
    expect(rows.items).toBeUndefined();
    expect(rows.indexOf(truth[1777].id)).toBe(1777);
    expect(rows.idWidth).toBe(Math.max(8, ...truth.map((t) => t.id.length)));
    // The filter runs on the stored search keys: the same matches as over the catalogue's own rows.
    const query = truth[42].name.split(/[-/ ]/)[0];
    expect(fuzzyFilter(rows.search, query).indices).toEqual(fuzzyFilter(truth.map(searchKey), query).indices);
  });

  it('never takes a load cut short for a complete copy, and deletes it later', async () => {
    const home = newHome();
    const first = await start(home);
    const abort = new AbortController();
    const seen: LoadStep[] = [];
    for await (const step of first.listings.load('public', { limit: LIMIT, pageSize: 500, signal: abort.signal })) {
      seen.push(step);
      if (seen.length === 2) abort.abort();
    }
    expect(seen).toHaveLength(2);
    expect(seen.at(-1)!.complete).toBe(false);
    const cut = first.store.listings().get(seen[0].rows.copyId!)!;
    expect(cut).toMatchObject({ state: 'loading', rows: 1000 });
    expect(await first.listings.stored('public')).toBeUndefined();

    // The next start: no stored copy to show; a complete load prunes the one cut short.
    const second = await start(home);
    expect(await second.listings.stored('public')).toBeUndefined();
    await loadAll(second.listings, LIMIT);
    expect(second.store.listings().get(cut.id)).toBeUndefined();
    expect((await second.listings.stored('public'))?.rows.count).toBe(LIMIT);
  });

  it('a warm start shows the stored copy, then a new load replaces it; names saved since are in the new one', async () => {
    const home = newHome();
    const first = await start(home);
    const loaded = (await loadAll(first.listings, LIMIT)).at(-1)!.rows;
    const before = loaded.at(7)!;

    const second = await start(home);
    const stored = (await second.listings.stored('public'))!;
    expect(stored).toMatchObject({ total: 100_000, capped: true });
    expect(Date.now() - stored.storedAt).toBeLessThan(60_000);
    expect(stored.rows.count).toBe(LIMIT);
    expect(stored.rows.copyId).toBe(loaded.copyId);
    expect(stored.rows.at(7)).toEqual(before);
    expect(stored.rows.search.text).toBe(loaded.search.text);

    // A rename while the stored copy is shown: on screen at once, and written into the copy.
    const renamed = await second.catalogue.rename(stored.rows.at(7)!, 'golden jammy');
    const shown = stored.rows.replace(renamed);
    expect(shown.at(7)?.shownName).toBe('golden jammy');
    expect(fuzzyFilter(shown.search, 'golden jammy').indices).toEqual([7]);
    second.listings.persist(shown, renamed);

    // Revalidation: a new copy, complete, with the name (the catalogue merged it from the store).
    const fresh = (await loadAll(second.listings, LIMIT)).at(-1)!.rows;
    expect(fresh.copyId).not.toBe(stored.rows.copyId);
    expect(fresh.at(7)?.shownName).toBe('golden jammy');

    // The start after that shows the newest copy.
    const third = await start(home);
    const latest = (await third.listings.stored('public'))!;
    expect(latest.rows.copyId).toBe(fresh.copyId);
    expect(latest.rows.at(7)?.shownName).toBe('golden jammy');
  });

  it('keeps a rename in the stored copy, for the next start', async () => {
    const home = newHome();
    const first = await start(home);
    const rows = (await loadAll(first.listings, 1000)).at(-1)!.rows;
    const renamed = await first.catalogue.rename(rows.at(3)!, 'kept across starts');
    first.listings.persist(rows.replace(renamed), renamed);
    const next = (await (await start(home)).listings.stored('public'))!;
    expect(next.rows.at(3)?.shownName).toBe('kept across starts');
    expect(fuzzyFilter(next.rows.search, 'kept across').indices).toEqual([3]);
  });

  it('stops writing when the store is closed under it (a quit), without an error', async () => {
    const { listings, store } = await start(newHome());
    const steps: LoadStep[] = [];
    for await (const step of listings.load('public', { limit: LIMIT, pageSize: 500 })) {
      steps.push(step);
      if (steps.length === 1) store.close();
    }
    expect(steps).toHaveLength(1);
  });
});

describe('rows held in memory', () => {
  const image = (id: string, name: string): CatalogueImage => ({
    id, name, shownName: name, nameSource: 'provider', kind: 'own', owner: 'me', architecture: 'x86_64',
    state: 'available', createdAt: '2026-11-01T00:00:00Z', owned: true, tags: {}, sharedMeta: true,
  });

  it('counts, reads by position and by id, merges without duplicates and replaces', () => {
    const rows = ImageRows.of([image('img-1', 'web'), image('img-22222222222', 'db')]);
    expect(rows.count).toBe(2);
    expect(rows.items?.map((i) => i.id)).toEqual(['img-1', 'img-22222222222']);
    expect(rows.idWidth).toBe(15);
    expect(rows.find('img-22222222222')?.name).toBe('db');
    expect(rows.indexOf('img-3')).toBe(-1);
    const merged = rows.merge([image('img-1', 'web again'), image('img-3', 'cache'), image('img-3', 'twice')]);
    expect(merged.items?.map((i) => i.shownName)).toEqual(['web', 'db', 'cache']);
    expect(rows.merge([image('img-1', 'x')])).toBe(rows);
    const replaced = merged.replace({ ...image('img-3', 'cache'), shownName: 'hot cache' });
    expect(replaced.at(2)?.shownName).toBe('hot cache');
    expect(fuzzyFilter(replaced.search, 'hot').indices).toEqual([2]);
    expect(merged.replace(image('img-9', 'nowhere'))).toBe(merged);
  });
});
