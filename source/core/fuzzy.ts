// Fuzzy filtering for lists of up to a few hundred thousand rows, as you type.
// A query matches when its characters appear in order (case-insensitive, spaces split it into terms that
// must all match). Results are ordered by score: consecutive runs and word starts rank first, then the
// original order. Incremental: a query that extends the previous one filters the previous result only.

export interface FuzzyCache<T> {
  items: readonly T[];
  query: string;
  /** Indices into items of the matches, best first. */
  indices: number[];
}

function scoreTerm(text: string, term: string): number {
  // Fast path: a substring match scores highest, more so at a word start.
  const at = text.indexOf(term);
  if (at >= 0) {
    const wordStart = at === 0 || !isWordChar(text.charCodeAt(at - 1));
    return 1000 + term.length * 10 + (wordStart ? 200 : 0) - Math.min(at, 100);
  }
  // Subsequence match with bonuses for consecutive characters and word starts.
  let score = 0;
  let ti = 0;
  let prev = -2;
  for (let i = 0; i < text.length && ti < term.length; i++) {
    if (text.charCodeAt(i) === term.charCodeAt(ti)) {
      score += 1;
      if (i === prev + 1) score += 5;
      if (i === 0 || !isWordChar(text.charCodeAt(i - 1))) score += 8;
      prev = i;
      ti++;
    }
  }
  return ti === term.length ? score : -1;
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || code >= 128;
}

export function splitQuery(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Score of one lower-cased text against the terms; -1 when it does not match. */
export function fuzzyScore(lowerText: string, terms: readonly string[]): number {
  let total = 0;
  for (const term of terms) {
    const s = scoreTerm(lowerText, term);
    if (s < 0) return -1;
    total += s;
  }
  return total;
}

/**
 * Filters items by query. keyOf must return the lower-cased text to match (cache it: it runs per item).
 * Pass the previous result as cache to filter incrementally when the query only grew.
 */
export function fuzzyFilter<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  query: string,
  cache?: FuzzyCache<T>,
): FuzzyCache<T> {
  const terms = splitQuery(query);
  if (terms.length === 0) {
    const indices = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) indices[i] = i;
    return { items, query, indices };
  }
  // A query that only grew matches a subset of what the previous one matched: filter that subset.
  const reuse =
    cache !== undefined &&
    cache.items === items &&
    splitQuery(cache.query).length > 0 &&
    query.toLowerCase().startsWith(cache.query.toLowerCase());
  const candidates = reuse ? cache!.indices : undefined;
  const scored: { i: number; s: number }[] = [];
  if (candidates) {
    for (const i of candidates) {
      const s = fuzzyScore(keyOf(items[i]), terms);
      if (s >= 0) scored.push({ i, s });
    }
  } else {
    for (let i = 0; i < items.length; i++) {
      const s = fuzzyScore(keyOf(items[i]), terms);
      if (s >= 0) scored.push({ i, s });
    }
  }
  scored.sort((a, b) => b.s - a.s || a.i - b.i);
  const indices = new Array<number>(scored.length);
  for (let k = 0; k < scored.length; k++) indices[k] = scored[k].i;
  return { items, query, indices };
}
