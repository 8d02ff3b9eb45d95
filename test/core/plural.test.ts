import { describe, expect, it } from 'vitest';
import { plural } from '../../source/core/sentence.js';

describe('plural', () => {
  it('agrees with the number, with a plural of its own where given, and groups thousands', () => {
    expect(plural(1, 'image')).toBe('1 image');
    expect(plural(0, 'image')).toBe('0 images');
    expect(plural(2, 'family', 'families')).toBe('2 families');
    expect(plural(100000, 'image')).toBe('100,000 images');
  });
});
