// Catalogue queries: the filter terms a provider turns into filters of its own (arch:, owner:, deprecated)
// are not names, so the local fuzzy filter does not hide again what the provider found by them.
import { describe, expect, it } from 'vitest';
import { fuzzyFilter, splitQuery, type FuzzyResult } from '../../source/core/fuzzy.js';
import { isFilterTerm, parseCatalogueQuery } from '../../source/core/query.js';

describe('parseCatalogueQuery', () => {
  it('splits the README example into words and filters', () => {
    expect(parseCatalogueQuery('ubuntu 24.04 arch:arm64 owner:099720109477')).toEqual({
      words: ['ubuntu', '24.04'],
      architecture: 'arm64',
      owner: '099720109477',
      includeDeprecated: false,
    });
    expect(parseCatalogueQuery('  Deprecated  debian ARCH:X86_64 owner:Amazon ')).toEqual({
      words: ['debian'],
      architecture: 'x86_64',
      owner: 'amazon',
      includeDeprecated: true,
    });
  });

  it('keeps what only looks like a filter as a word', () => {
    for (const word of ['arch:sparc', 'arch:', 'owner:', 'owner:$(x)', 'deprecatedness', 'deprecated:no', 'archive', 'arch']) {
      expect(isFilterTerm(word), word).toBe(false);
    }
    for (const term of ['arch:arm64', 'arch:i386', 'owner:self', 'owner:aws-marketplace', 'deprecated', 'deprecated:yes', 'DEPRECATED']) {
      expect(isFilterTerm(term), term).toBe(true);
    }
  });
});

describe('the local filter and filter terms', () => {
  const names = [
    'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20240701 ami-0a1',
    '24.04 minimal, built on ubuntu ami-0a2',
    'debian-12-arm64-20240702 ami-0a3',
  ].map((n) => n.toLowerCase());

  it('does not count arch:, owner: and deprecated against the names (the provider filtered by them)', () => {
    expect(splitQuery('ubuntu 24.04 arch:arm64 owner:099720109477 deprecated')).toEqual(['ubuntu', '24.04']);
    // The README's own example: both Ubuntu 24.04 images, whatever the order of the words in the name.
    expect(fuzzyFilter(names, 'ubuntu 24.04 arch:arm64 owner:099720109477').indices.sort()).toEqual([0, 1]);
    expect(fuzzyFilter(names, '24.04 ubuntu deprecated').indices.sort()).toEqual([0, 1]);
    // Only filters: every row (the provider's answer is the whole story).
    expect(fuzzyFilter(names, 'arch:arm64').indices).toHaveLength(3);
  });

  it('filters as you type exactly as it filters from scratch, also when a word becomes a filter', () => {
    const query = 'ubuntu arch:arm64 24.04 deprecated owner:amazon';
    let previous: FuzzyResult | undefined;
    for (let i = 1; i <= query.length; i++) {
      const typed = query.slice(0, i);
      const incremental = fuzzyFilter(names, typed, previous);
      expect(incremental.indices, JSON.stringify(typed)).toEqual(fuzzyFilter(names, typed).indices);
      previous = incremental;
    }
  });
});
