import { describe, expect, it } from 'vitest';
import { fuzzyFilter, fuzzyScore, splitQuery } from '../../source/core/fuzzy.js';

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
