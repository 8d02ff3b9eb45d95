import { describe, expect, it } from 'vitest';
import { fuzzyFilter, fuzzyScore, splitQuery } from '../../source/core/fuzzy.js';

const names = ['ubuntu-24.04-amd64', 'debian-12-arm64', 'ubuntu-22.04-arm64', 'rocky-9', 'my-ubuntu-build', 'windows-2022'];
const key = (s: string) => s.toLowerCase();

describe('fuzzyFilter', () => {
  it('returns everything in order for an empty query', () => {
    expect(fuzzyFilter(names, key, '').indices).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fuzzyFilter(names, key, '   ').indices).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('matches subsequences, case-insensitively, substring and word starts first', () => {
    const r = fuzzyFilter(names, key, 'UBU');
    expect(r.indices.map((i) => names[i])).toEqual(['ubuntu-24.04-amd64', 'ubuntu-22.04-arm64', 'my-ubuntu-build']);
    const sub = fuzzyFilter(names, key, 'u2a');
    expect(sub.indices.map((i) => names[i])).toContain('ubuntu-24.04-amd64');
  });

  it('needs every space-separated term to match', () => {
    const r = fuzzyFilter(names, key, 'ubuntu arm');
    expect(r.indices.map((i) => names[i])).toEqual(['ubuntu-22.04-arm64']);
  });

  it('finds nothing when nothing matches', () => {
    expect(fuzzyFilter(names, key, 'zzz').indices).toEqual([]);
  });

  it('filters incrementally to the same result as from scratch', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `image-${i % 7 === 0 ? 'ubuntu' : 'debian'}-${i}`);
    let cache = fuzzyFilter(many, key, 'u');
    for (const q of ['ub', 'ubu', 'ubun', 'ubun 1', 'ubun 12']) {
      const inc = fuzzyFilter(many, key, q, cache);
      const scratch = fuzzyFilter(many, key, q);
      expect(inc.indices).toEqual(scratch.indices);
      cache = inc;
    }
    // A shorter query cannot reuse the narrower result.
    const back = fuzzyFilter(many, key, 'ub', cache);
    expect(back.indices).toEqual(fuzzyFilter(many, key, 'ub').indices);
  });

  it('does not reuse a cache built over other items', () => {
    const a = fuzzyFilter(['abc'], key, 'a');
    const b = fuzzyFilter(['abc', 'abd'], key, 'ab', a);
    expect(b.indices).toEqual([0, 1]);
  });

  it('scores', () => {
    expect(fuzzyScore('abc', splitQuery('x'))).toBe(-1);
    expect(fuzzyScore('abc', splitQuery('ab'))).toBeGreaterThan(fuzzyScore('axxb', splitQuery('ab')));
  });
});
