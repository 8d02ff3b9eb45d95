// Marks: by id, surviving a filter and a reload; * over a stored copy of 100,000 rows marks positions and
// reads no row; an exact count whatever the mix of ids and positions.
import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../source/core/fuzzy.js';
import type { CatalogueImage } from '../../source/services/catalogue.js';
import { idHash, ImageRows, searchKey, type RowSource } from '../../source/services/rows.js';
import { Marks, type ShownRows } from '../../source/ui/state/marks.js';

function row(i: number): CatalogueImage {
  const id = `ami-${i.toString(16).padStart(17, '0')}`;
  return { id, name: `image-${i}`, shownName: `image-${i}`, nameSource: 'provider', sharedMeta: false, kind: 'public', owner: 'x', owned: false, architecture: 'x86_64', state: 'available', createdAt: '2026-01-01T00:00:00Z', tags: {} };
}

/** A stored copy of n rows (as services/listing.ts gives one), counting the rows read. */
function stored(n: number, copyId = 1): { rows: ImageRows; reads: () => number } {
  let reads = 0;
  const source: RowSource = {
    copyId,
    row(pos) {
      reads++;
      return pos >= 0 && pos < n ? row(pos) : undefined;
    },
  };
  const keys: string[] = [];
  const hashes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    keys.push(searchKey(row(i)));
    hashes[i] = idHash(row(i).id);
  }
  return { rows: ImageRows.stored(source, n, SearchIndex.of(keys), hashes, 21), reads: () => reads };
}

/** Every row shown, or those at some positions (a filter's matches). */
function shown(rows: ImageRows, positions?: number[]): ShownRows {
  return {
    rows,
    count: positions ? positions.length : rows.count,
    at: (k) => rows.at(positions ? positions[k]! : k),
    positionAt: (k) => (positions ? (positions[k] ?? -1) : k),
  };
}

describe('marks', () => {
  it('* over 100,000 stored rows marks them all without reading one; Space and u undo it', () => {
    const { rows, reads } = stored(100_000);
    const all = Marks.NONE.markAll(shown(rows));
    expect(all.count).toBe(100_000);
    expect(reads()).toBe(0);
    expect(all.has(row(77).id, rows, 77)).toBe(true);
    // Space on a row marked by position unmarks that one.
    const one = all.toggle(row(77).id, rows, 77);
    expect(one.count).toBe(99_999);
    expect(one.has(row(77).id, rows, 77)).toBe(false);
    expect(one.has(row(78).id, rows, 78)).toBe(true);
  });

  it('counts a row marked by id and again by * once', () => {
    const { rows } = stored(1000);
    const some = Marks.NONE.toggle(row(5).id, rows, 5).toggle(row(700).id, rows, 700);
    expect(some.count).toBe(2);
    const filtered = some.markAll(shown(rows, [1, 5, 9, 700]));
    expect(filtered.count).toBe(4);
    expect(filtered.markAll(shown(rows, [1, 5, 9, 700])).count).toBe(4);
    expect(filtered.markAll(shown(rows)).count).toBe(1000);
  });

  it('keeps marks by id through a filter, a reload (another copy) and a row that vanished', () => {
    const items = Array.from({ length: 50 }, (_, i) => row(i));
    const rows = ImageRows.of(items);
    const marks = Marks.NONE.markAll(shown(rows, [3, 4, 5]));
    expect([...marks.ids]).toEqual([row(3).id, row(4).id, row(5).id]);
    // Another list without row 4 (deleted elsewhere): the other marks hold, and row 4's id is still marked.
    const reloaded = ImageRows.of(items.filter((_, i) => i !== 4));
    expect(marks.has(row(3).id, reloaded, 3)).toBe(true);
    expect(marks.count).toBe(3);
    // What an action did is unmarked; what failed stays.
    expect([...marks.remove([row(3).id, row(5).id]).ids]).toEqual([row(4).id]);
  });

  it('positions of a replaced copy are stale until turned into ids; then they are marked by id', () => {
    const first = stored(200, 1);
    const marks = Marks.NONE.markAll(shown(first.rows, [10, 20, 30]));
    const second = stored(200, 2);
    expect(marks.staleBlocks(first.rows)).toEqual([]);
    const [block] = marks.staleBlocks(second.rows);
    expect(Marks.positions(block!)).toEqual([10, 20, 30]);
    const resolved = marks.resolved(block!, [10, 20, 30].map((i) => row(i).id));
    expect(resolved.blocks).toEqual([]);
    expect(resolved.count).toBe(3);
    expect(resolved.has(row(20).id, second.rows, 20)).toBe(true);
    // Positions done in the current copy are unmarked by position.
    const again = Marks.NONE.markAll(shown(second.rows, [1, 2]));
    expect(again.remove([], second.rows, [1]).count).toBe(1);
  });

  it('a bulk label over many rows replaces them in one pass (rows and search keys)', () => {
    const { rows } = stored(5000);
    const relabelled = [10, 2000, 4999].map((i) => ({ ...row(i), shownName: `renamed-${i}` }));
    const next = rows.replaceMany(relabelled);
    expect(next.at(2000)?.shownName).toBe('renamed-2000');
    const one = rows.replace(relabelled[0]!).replace(relabelled[1]!).replace(relabelled[2]!);
    expect(next.search.text).toBe(one.search.text);
    expect([...next.search.starts.subarray(0, 5001)]).toEqual([...one.search.starts.subarray(0, 5001)]);
  });
});
