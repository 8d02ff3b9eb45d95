// Fuzzy filtering for lists of up to a few hundred thousand rows, as you type.
// A query matches when its characters appear in order (case-insensitive, spaces split it into terms that
// must all match). Results are ordered by score: consecutive runs and word starts rank first, then the
// original order. Incremental: a query that extends the previous one filters the previous result only.
// Filter terms of a catalogue query (`arch:arm64`, `owner:…`, `deprecated`) are not matched (splitQuery).
import { isFilterTerm } from './query.js';

export interface FuzzyResult {
  /** The lower-cased texts that were matched (one per item of the caller's list). */
  keys: readonly string[];
  query: string;
  /** Indices into keys of the matches, best first. */
  indices: number[];
}

function scoreTerm(text: string, term: string): number {
  // Fast path: a substring match scores highest, more so at a word start.
  const at = text.indexOf(term);
  if (at >= 0) {
    const wordStart = at === 0 || !isWordChar(text.charCodeAt(at - 1));
    return 1000 + term.length * 10 + (wordStart ? 200 : 0) - Math.min(at, 100);
  }
  // Subsequence match (greedy, each character found with indexOf), with bonuses for consecutive
  // characters and word starts.
  let score = 0;
  let prev = -2;
  let pos = -1;
  for (let t = 0; t < term.length; t++) {
    pos = text.indexOf(term[t], pos + 1);
    if (pos < 0) return -1;
    score += 1;
    if (pos === prev + 1) score += 5;
    if (pos === 0 || !isWordChar(text.charCodeAt(pos - 1))) score += 8;
    prev = pos;
  }
  return score;
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || code >= 128;
}

/**
 * The terms of a query that must match, lower-cased. Filter terms (`arch:arm64`, `owner:…`, `deprecated`:
 * core/query.ts) are not names: a provider turned them into filters of its own, so they do not count here.
 */
export function splitQuery(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter((term) => term !== '' && !isFilterTerm(term));
}

/**
 * Whether every row the previous terms matched is all a search for these terms can match: each earlier
 * term is still there, at its place, at most longer. (A query that only grew as text can lose a term:
 * "arch:arm6" is a word, "arch:arm64" a filter.)
 */
function narrows(previous: readonly string[], terms: readonly string[]): boolean {
  return previous.length > 0 && previous.length <= terms.length && previous.every((term, i) => terms[i]!.startsWith(term));
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

const INDEX_BITS = 2 ** 21; // up to two million items; the score goes in the bits above

/**
 * Filters a list by query. keys holds the lower-cased text of each item (compute it once per list).
 * Pass the previous result to filter incrementally when the query only grew.
 */
export function fuzzyFilter(keys: readonly string[], query: string, previous?: FuzzyResult): FuzzyResult {
  const terms = splitQuery(query);
  if (terms.length === 0) {
    const indices = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) indices[i] = i;
    return { keys, query, indices };
  }
  // A query that only grew matches a subset of what the previous one matched: filter that subset.
  const reuse = previous !== undefined && previous.keys === keys && narrows(splitQuery(previous.query), terms);
  const candidates = reuse ? previous!.indices : undefined;
  const total = candidates ? candidates.length : keys.length;
  // Score and index packed in one number: a numeric sort of a typed array orders by score, then by the
  // original order, several times faster than sorting objects (100,000 rows as you type).
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
  return { keys, query, indices };
}
