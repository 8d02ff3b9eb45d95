// Stored copies of a listing (migration 5): written page by page, complete only with their last page,
// read back by position; copies no longer wanted (older ones, loads that stopped) are deleted in steps.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../source/store/db.js';
import { ListingCopies, type ListingPage } from '../../source/store/listings.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

function page(first: number, count: number): ListingPage {
  const keys = Array.from({ length: count }, (_, i) => `image ${first + i}`);
  return {
    first,
    count,
    keys: count ? keys.join('\n') + '\n' : '',
    idHashes: new Uint8Array(count * 4),
    idWidth: 10 + (first % 3),
    blocks: Array.from({ length: Math.ceil(count / 4) }, (_, b) => ({
      first: first + b * 4,
      count: Math.min(4, count - b * 4),
      data: new TextEncoder().encode(`rows ${first + b * 4}`),
    })),
  };
}

/** A pid that is not running on this host (a process that ran and ended). */
function deadPid(): number {
  return spawnSync('true').pid!;
}

function copies(store: Store): ListingCopies {
  return store.listings();
}

describe('stored listings', () => {
  it('writes pages in order and is complete only with its last page', () => {
    const store = openStore(tempDir());
    const c = copies(store);
    const copy = c.begin('sandbox', 'eu-west', 'public');
    expect(copy).toMatchObject({ state: 'loading', rows: 0, capped: false });
    c.appendPage(copy.id, page(0, 10));
    // A loading copy is not a listing.
    expect(c.latest('sandbox', 'eu-west', 'public')).toBeUndefined();
    expect(() => c.appendPage(copy.id, page(5, 10))).toThrow(/must start at row 10/);
    const done = c.appendPage(copy.id, page(10, 6), { total: 16, capped: false });
    expect(done).toMatchObject({ state: 'complete', rows: 16, total: 16, idWidth: 11 });
    expect(c.latest('sandbox', 'eu-west', 'public')?.id).toBe(copy.id);
    expect(c.latest('sandbox', 'us-east', 'public')).toBeUndefined();
    // A complete copy takes no more pages.
    expect(() => c.appendPage(copy.id, page(16, 1))).toThrow(/not being loaded/);

    expect(c.indexPages(copy.id).map((p) => [p.first, p.count])).toEqual([
      [0, 10],
      [10, 6],
    ]);
    expect(c.indexPages(copy.id, 1, 5).map((p) => p.first)).toEqual([10]);
    const block = c.block(copy.id, 13)!;
    expect(block).toMatchObject({ first: 10, count: 4 });
    expect(new TextDecoder().decode(block.data)).toBe('rows 10');
    expect(c.block(copy.id, 16)).toBeUndefined();
    store.close();
  });

  it('keeps a page that failed half-way out entirely (one transaction per page)', () => {
    const store = openStore(tempDir());
    const c = copies(store);
    const copy = c.begin('sandbox', 'eu-west', 'public');
    const bad = page(0, 8);
    // The second block collides with the first: the insert fails after the page's first rows were written.
    bad.blocks[1] = { ...bad.blocks[1], first: 0 };
    expect(() => c.appendPage(copy.id, bad)).toThrow();
    expect(c.get(copy.id)?.rows).toBe(0);
    expect(c.indexPages(copy.id)).toEqual([]);
    expect(c.block(copy.id, 0)).toBeUndefined();
    store.close();
  });

  it('rewrites a row (a rename) in its block and in the search keys', () => {
    const store = openStore(tempDir());
    const c = copies(store);
    const copy = c.begin('sandbox', 'eu-west', 'public');
    c.appendPage(copy.id, page(0, 8), { total: 8, capped: false });
    expect(c.rewrite(copy.id, { first: 4, count: 4, data: new TextEncoder().encode('renamed') }, { pos: 5, key: 'web server\nimg-5' })).toBe(true);
    expect(new TextDecoder().decode(c.block(copy.id, 5)!.data)).toBe('renamed');
    expect(c.indexPages(copy.id)[0]!.keys.split('\n')[5]).toBe('web server img-5');
    expect(c.rewrite(copy.id, { first: 40, count: 4, data: new Uint8Array(1) }, { pos: 41, key: 'x' })).toBe(false);
    store.close();
  });

  it('deletes what is no longer wanted, a step at a time: older copies and loads that stopped', () => {
    const store = openStore(tempDir());
    const c = copies(store);
    const place = ['sandbox', 'eu-west', 'public'] as const;
    const complete = () => {
      const copy = c.begin(...place);
      c.appendPage(copy.id, page(0, 50), { total: 50, capped: false });
      return copy.id;
    };
    const oldest = complete();
    const older = complete();
    const newest = complete();
    // A load of a process that is gone (crashed, killed), one let go, one still running (this process).
    const gone = new ListingCopies((store as unknown as { db: never }).db, () => new Date(), (fn) => store.transaction(fn), {
      pid: deadPid(),
      host: hostname(),
    }).begin(...place).id;
    const letGo = c.begin(...place).id;
    c.appendPage(letGo, page(0, 20));
    c.abandon(letGo);
    const running = c.begin(...place).id;
    // Another region's copy is not this listing's business.
    const elsewhere = c.begin('sandbox', 'us-east', 'public').id;

    let steps = 0;
    while (c.pruneStep(...place, 2)) steps++;
    expect(steps).toBeGreaterThan(1);
    for (const id of [oldest, gone, letGo]) expect(c.get(id), `copy ${id}`).toBeUndefined();
    for (const id of [older, newest, running, elsewhere]) expect(c.get(id), `copy ${id}`).toBeDefined();
    expect(c.block(oldest, 0)).toBeUndefined();
    expect(c.indexPages(letGo)).toEqual([]);
    expect(c.latest(...place)?.id).toBe(newest);
    store.close();
  });
});
