import { describe, expect, it } from 'vitest';
import { fuzzyFilter, fuzzyScore, SearchIndex, splitQuery } from '../../source/core/fuzzy.js';
import { createRng, type Rng } from '../../source/core/random.js';

const names = ['ubuntu-24.04-amd64', 'debian-12-arm64', 'ubuntu-22.04-arm64', 'rocky-9', 'my-ubuntu-build', 'windows-2022'];
const keys = names.map((s) => s.toLowerCase());

describe('fuzzyFilter', () => {
  it('returns everything in order for an empty query', () => {
    expect(fuzzyFilter(keys, '').indices).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fuzzyFilter(keys, '   ').indices).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('matches subsequences, case-insensitively, substring and word starts first', () => {
    const r = fuzzyFilter(keys, 'UBU');
    expect(r.indices.map((i) => names[i])).toEqual(['ubuntu-24.04-amd64', 'ubuntu-22.04-arm64', 'my-ubuntu-build']);
    const sub = fuzzyFilter(keys, 'u2a');
    expect(sub.indices.map((i) => names[i])).toContain('ubuntu-24.04-amd64');
  });

  it('needs every space-separated term to match', () => {
    const r = fuzzyFilter(keys, 'ubuntu arm');
    expect(r.indices.map((i) => names[i])).toEqual(['ubuntu-22.04-arm64']);
  });

  it('finds nothing when nothing matches', () => {
    expect(fuzzyFilter(keys, 'zzz').indices).toEqual([]);
  });

  it('filters incrementally to the same result as from scratch', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `image-${i % 7 === 0 ? 'ubuntu' : 'debian'}-${i}`);
    let cache = fuzzyFilter(many, 'u');
    for (const q of ['ub', 'ubu', 'ubun', 'ubun 1', 'ubun 12']) {
      const inc = fuzzyFilter(many, q, cache);
      const scratch = fuzzyFilter(many, q);
      expect(inc.indices).toEqual(scratch.indices);
      cache = inc;
    }
    // A shorter query cannot reuse the narrower result.
    const back = fuzzyFilter(many, 'ub', cache);
    expect(back.indices).toEqual(fuzzyFilter(many, 'ub').indices);
  });

  it('does not reuse a cache built over other items', () => {
    const a = fuzzyFilter(['abc'], 'a');
    const b = fuzzyFilter(['abc', 'abd'], 'ab', a);
    expect(b.indices).toEqual([0, 1]);
  });

  it('orders equal scores by the original order, also past 65,536 rows', () => {
    const big = Array.from({ length: 70_000 }, (_, i) => (i % 3 === 0 ? `x-${i}` : `y-${i}`));
    const r = fuzzyFilter(big, 'x');
    expect(r.indices.length).toBe(Math.ceil(70_000 / 3));
    // Every match scores the same (x at the start): they keep their original order.
    for (let k = 1; k < r.indices.length; k++) expect(r.indices[k]).toBeGreaterThan(r.indices[k - 1]);
  });

  it('scores', () => {
    expect(fuzzyScore('abc', splitQuery('x'))).toBe(-1);
    expect(fuzzyScore('abc', splitQuery('ab'))).toBeGreaterThan(fuzzyScore('axxb', splitQuery('ab')));
  });
});

// The filter as it was before the search index (per-row strings, one indexOf per row): the reference the
// index-based filter must agree with, result for result.
const INDEX_BITS = 2 ** 21;
function referenceFilter(keys: readonly string[], query: string, previous?: { query: string; indices: number[] }): number[] {
  const terms = splitQuery(query);
  if (terms.length === 0) return keys.map((_, i) => i);
  const reuse = previous !== undefined && splitQuery(previous.query).length > 0 && query.toLowerCase().startsWith(previous.query.toLowerCase());
  const candidates = reuse ? previous.indices : undefined;
  const total = candidates ? candidates.length : keys.length;
  const packed = new Float64Array(total);
  let n = 0;
  for (let k = 0; k < total; k++) {
    const i = candidates ? candidates[k] : k;
    const s = fuzzyScore(keys[i], terms);
    if (s >= 0) packed[n++] = s * INDEX_BITS + (INDEX_BITS - 1 - i);
  }
  const matches = packed.subarray(0, n).sort();
  const indices = new Array<number>(n);
  for (let k = 0; k < n; k++) indices[k] = INDEX_BITS - 1 - (matches[n - 1 - k] % INDEX_BITS);
  return indices;
}

describe('SearchIndex', () => {
  it('holds keys in one string and gives each back', () => {
    const index = SearchIndex.of(['ubuntu 22.04 img-1', 'debian\nimg-2', '']);
    expect(index.count).toBe(3);
    expect(index.text).toBe('ubuntu 22.04 img-1\ndebian img-2\n\n');
    expect([0, 1, 2].map((i) => index.key(i))).toEqual(['ubuntu 22.04 img-1', 'debian img-2', '']);
    expect(SearchIndex.fromText(index.text).text).toBe(index.text);
    expect(SearchIndex.fromText('a\nb\nc-without-end').count).toBe(2);
  });

  it('appends without changing the index it grew from, also when two grow from one', () => {
    const a = SearchIndex.of(['one', 'two']);
    const b = a.append(['three']);
    const c = a.append(['other', 'more']);
    const d = b.append(SearchIndex.of(['four']));
    expect([a, b, c, d].map((x) => Array.from({ length: x.count }, (_, i) => x.key(i)))).toEqual([
      ['one', 'two'],
      ['one', 'two', 'three'],
      ['one', 'two', 'other', 'more'],
      ['one', 'two', 'three', 'four'],
    ]);
  });

  it('replaces one key in a new index', () => {
    const a = SearchIndex.of(['alpha', 'beta', 'gamma']);
    const b = a.replace(1, 'a much longer beta');
    expect(Array.from({ length: 3 }, (_, i) => b.key(i))).toEqual(['alpha', 'a much longer beta', 'gamma']);
    expect(a.key(1)).toBe('beta');
    expect(fuzzyFilter(b, 'longer').indices).toEqual([1]);
  });
});

describe('fuzzyFilter on a SearchIndex, against the per-row filter', () => {
  const WORDS = ['ubuntu', 'debian', 'arm64', 'amd64', 'x86_64', 'server', 'minimal', '22.04', '24.04', 'web', 'db', 'img-p-1f', 'Zz', 'ü', 'q'];
  const CHARS = 'abcdeimnprstuz0123456789.-_ ü';

  function randomKey(rng: Rng): string {
    const parts = Array.from({ length: rng.int(1, 6) }, () =>
      rng.chance(0.7) ? rng.pick(WORDS) : Array.from({ length: rng.int(1, 6) }, () => rng.pick([...CHARS])).join(''),
    );
    return parts.join(rng.pick([' ', '-', '/', '_', ''])).toLowerCase();
  }

  function randomQuery(rng: Rng, keys: string[]): string {
    const kind = rng.int(0, 3);
    if (kind === 0 && keys.length) {
      const key = rng.pick(keys);
      const from = rng.int(0, key.length);
      return key.slice(from, from + rng.int(1, 8));
    }
    if (kind === 1 && keys.length) {
      // A subsequence of a key: letters of it, in order, with gaps.
      return [...rng.pick(keys)].filter(() => rng.chance(0.3)).join('');
    }
    if (kind === 2) return `${rng.pick(WORDS)} ${rng.pick(WORDS).slice(0, rng.int(1, 4))}`;
    return Array.from({ length: rng.int(1, 4) }, () => rng.pick([...CHARS])).join('');
  }

  it('finds the same rows in the same order, from scratch and while a query is typed', () => {
    // Sized for a busy 2-core machine: a few hundred lists of up to 400 rows.
    const rng = createRng(20_261_206);
    for (let round = 0; round < 300; round++) {
      const keys = Array.from({ length: rng.int(0, 400) }, () => randomKey(rng));
      const index = SearchIndex.of(keys);
      const query = randomQuery(rng, keys);
      expect(fuzzyFilter(index, query).indices, `"${query}" over ${keys.length} keys (round ${round})`).toEqual(referenceFilter(keys, query));
      // Typed a character at a time, each step narrowing the one before.
      let result = fuzzyFilter(index, '');
      let reference: number[] | undefined;
      let previous = '';
      for (let end = 1; end <= query.length; end++) {
        const typed = query.slice(0, end);
        result = fuzzyFilter(index, typed, result);
        reference = referenceFilter(keys, typed, previous ? { query: previous, indices: reference! } : undefined);
        expect(result.indices, `"${typed}" typed (round ${round})`).toEqual(reference);
        previous = typed;
      }
    }
  });

  it('finds the same rows as the per-row filter over a list grown page by page', () => {
    const rng = createRng(7);
    const keys: string[] = [];
    let index = SearchIndex.EMPTY;
    for (let page = 0; page < 20; page++) {
      const more = Array.from({ length: rng.int(0, 100) }, () => randomKey(rng));
      keys.push(...more);
      index = index.append(more);
      for (const query of [randomQuery(rng, keys), 'ubuntu 22', 'a', 'zz q']) {
        expect(fuzzyFilter(index, query).indices, `"${query}" after page ${page}`).toEqual(referenceFilter(keys, query));
      }
    }
  });
});
