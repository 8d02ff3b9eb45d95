// Deterministic pseudo-randomness: the same seed always gives the same sequence, on every platform.
// Pure (no I/O, no Math.random); used wherever a world must be reproducible from a seed.

/** A 32-bit FNV-1a hash of a string, as an unsigned integer. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes a 32-bit value (the finaliser of murmur3): small input differences spread over every bit. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes any number of parts (joined unambiguously) to an unsigned 32-bit integer. */
export function hashParts(...parts: Array<string | number>): number {
  return mix32(hash32(parts.map(String).join('\u241f')));
}

/** Hashes parts to a number in [0, 1): a stable "dice roll" for a named thing. */
export function unitHash(...parts: Array<string | number>): number {
  return hashParts(...parts) / 0x1_0000_0000;
}

/** Hashes parts to `length` lowercase hex characters (ids that look like a cloud's). */
export function hexHash(length: number, ...parts: Array<string | number>): string {
  let out = '';
  for (let round = 0; out.length < length; round++) {
    out += hashParts(round, ...parts).toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** True with the given probability (0 never, 1 always). */
  chance(probability: number): boolean;
}

/** A small, fast generator (mulberry32) seeded with a 32-bit integer. */
class Mulberry32 implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() needs a non-empty array');
    return items[Math.floor(this.next() * items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

export function createRng(seed: number): Rng {
  return new Mulberry32(seed);
}

/** A generator for item `index` of a family seeded by `base` (cheap: no string hashing per item). */
export function rngAt(base: number, index: number): Rng {
  return new Mulberry32(mix32((base ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0));
}

/** A generator seeded from named parts: `rngFor(seed, 'own', region, 7)`. */
export function rngFor(...parts: Array<string | number>): Rng {
  return createRng(hashParts(...parts));
}
