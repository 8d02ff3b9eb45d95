// Fuzzy filtering for lists of up to a few hundred thousand rows, as you type.
// A query matches when its characters appear in order (case-insensitive, spaces split it into terms that
// must all match). Results are ordered by score: consecutive runs and word starts rank first, then the
// original order. Incremental: a query that extends the previous one filters the previous result only.
// Filter terms of a catalogue query (`arch:arm64`, `owner:…`, `deprecated`) are not matched (splitQuery).
//
// The texts are held in a SearchIndex: every key in one string, each followed by "\n", with a table of
// where each begins. Filtering scans that one string (a search for a term runs over it once, not once per
// row) and allocates no string per row: 100,000 rows cost one string and one Uint32Array, not 100,000.

import { isFilterTerm } from './query.js';

/** Lower-cased search keys in one string ("key\n" after "key\n"), with where each begins. Immutable. */
export class SearchIndex {
  /** Every key followed by "\n". */
  readonly text: string;
  /** starts[i] is where key i begins; starts[count] is the end of the text. May be longer than count + 1. */
  readonly starts: Uint32Array;
  readonly count: number;

  private constructor(text: string, starts: Uint32Array, count: number) {
    this.text = text;
    this.starts = starts;
    this.count = count;
  }

  static readonly EMPTY = new SearchIndex('', new Uint32Array(1), 0);

  /** An index of these keys, lower-cased by the caller (a "\n" inside a key is taken as a space). */
  static of(keys: readonly string[]): SearchIndex {
    return SearchIndex.EMPTY.append(keys);
  }

  /** An index from text as `text` holds it (keys each followed by "\n"), e.g. read back from a store. */
  static fromText(text: string): SearchIndex {
    let count = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
    const starts = new Uint32Array(count + 1);
    let n = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts[++n] = at + 1;
    // A text that does not end with "\n" has a last key without its end: cut it off.
    return new SearchIndex(starts[count] === text.length ? text : text.slice(0, starts[count]), starts, count);
  }

  /** The key at i (allocates; for tests and single lookups, not for filtering). */
  key(i: number): string {
    return this.text.slice(this.starts[i], this.starts[i + 1] - 1);
  }

  /** A new index with more keys after these (this one is unchanged). */
  append(keys: readonly string[] | SearchIndex): SearchIndex {
    const more = keys instanceof SearchIndex ? keys : undefined;
    const added = more ? more.count : (keys as readonly string[]).length;
    if (added === 0) return this;
    const count = this.count + added;
    // The table grows by doubling and is shared with the index it grew from, which reads only its own part.
    let starts = this.starts;
    if (starts.length < count + 1 || this.tailTaken) {
      starts = new Uint32Array(Math.max(count + 1, Math.min(this.starts.length * 2, count * 2 + 1)));
      starts.set(this.starts.subarray(0, this.count + 1));
    }
    let offset = this.starts[this.count];
    let text: string;
    if (more) {
      for (let i = 1; i <= more.count; i++) starts[this.count + i] = offset + more.starts[i];
      text = this.text + more.text;
    } else {
      const list = keys as readonly string[];
      const parts = new Array<string>(list.length);
      for (let i = 0; i < list.length; i++) {
        const key = list[i].includes('\n') ? list[i].replace(/\n/g, ' ') : list[i];
        parts[i] = key;
        offset += key.length + 1;
        starts[this.count + i + 1] = offset;
      }
      // A rope (V8 flattens it once, on the first search): appending a page does not copy what is there.
      text = this.text + parts.join('\n') + '\n';
    }
    const next = new SearchIndex(text, starts, count);
    if (starts === this.starts) this.tailTaken = true;
    return next;
  }

  /**
   * Makes the text one flat string now (an index grown page by page is a rope that the first search would
   * flatten: a few milliseconds for 100,000 keys, better spent when a load ends than on the first key typed).
   */
  flatten(): this {
    this.text.indexOf('\u0000');
    return this;
  }

  /** A new index with key i replaced. */
  replace(i: number, key: string): SearchIndex {
    const clean = key.replace(/\n/g, ' ');
    const from = this.starts[i];
    const to = this.starts[i + 1] - 1;
    const shift = clean.length - (to - from);
    const starts = this.starts.slice(0, this.count + 1);
    for (let k = i + 1; k <= this.count; k++) starts[k] += shift;
    return new SearchIndex(this.text.slice(0, from) + clean + this.text.slice(to), starts, this.count);
  }

  /** A new index with several keys replaced (by position) in one pass: many replace() calls would copy it each time. */
  replaceMany(keys: ReadonlyMap<number, string>): SearchIndex {
    if (keys.size === 0) return this;
    if (keys.size === 1) {
      const [[i, key]] = keys;
      return i >= 0 && i < this.count ? this.replace(i, key) : this;
    }
    const parts: string[] = [];
    const starts = new Uint32Array(this.count + 1);
    let at = 0;
    let offset = 0;
    const order = [...keys.keys()].filter((i) => i >= 0 && i < this.count).sort((a, b) => a - b);
    for (const i of order) {
      // The untouched keys before i, as one piece.
      const from = this.starts[at]!;
      const to = this.starts[i]!;
      if (to > from) parts.push(this.text.slice(from, to));
      for (let k = at; k < i; k++) starts[k + 1] = offset + (this.starts[k + 1]! - from);
      offset += to - from;
      const clean = keys.get(i)!.replace(/\n/g, ' ');
      parts.push(clean, '\n');
      offset += clean.length + 1;
      starts[i + 1] = offset;
      at = i + 1;
    }
    const from = this.starts[at]!;
    const end = this.starts[this.count]!;
    if (end > from) parts.push(this.text.slice(from, end));
    for (let k = at; k < this.count; k++) starts[k + 1] = offset + (this.starts[k + 1]! - from);
    return new SearchIndex(parts.join(''), starts, this.count);
  }

  /** The table past count was handed to a longer index: appending to this one again must copy it. */
  private tailTaken = false;
}

export interface FuzzyResult {
  /** What was filtered (the caller's list of lower-cased texts, or its index). */
  keys: readonly string[] | SearchIndex;
  query: string;
  /** Indices into keys of the matches, best first. */
  indices: number[];
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || code >= 128;
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

/**
 * Where a needle next occurs in the index's text at or after a position, remembering its last answer:
 * that answer holds for every later question that starts between where that one started and what it
 * found. Asked with positions that grow (rows in order), a search scans the text once, not once per row.
 */
class NextOf {
  private from = -1;
  private found = -2;
  constructor(
    private readonly text: string,
    private readonly needle: string,
  ) {}

  at(from: number): number {
    if (from >= this.from && (this.found === -1 || from <= this.found)) return this.found;
    this.from = from;
    this.found = this.text.indexOf(this.needle, from);
    return this.found;
  }
}

interface Term {
  length: number;
  whole: NextOf;
  /** The term code unit by code unit (scoreTerm reads a term so). */
  chars: NextOf[];
}

/** The same score as scoreTerm for the key [start, end) of the index's text, without slicing it out. */
function scoreIn(text: string, start: number, end: number, term: Term): number {
  const at = term.whole.at(start);
  if (at >= 0 && at + term.length <= end) {
    const wordStart = at === start || !isWordChar(text.charCodeAt(at - 1));
    return 1000 + term.length * 10 + (wordStart ? 200 : 0) - Math.min(at - start, 100);
  }
  let score = 0;
  let prev = start - 2;
  let pos = start - 1;
  const chars = term.chars;
  for (let t = 0; t < chars.length; t++) {
    pos = chars[t].at(pos + 1);
    if (pos < 0 || pos >= end) return -1;
    score += 1;
    if (pos === prev + 1) score += 5;
    if (pos === start || !isWordChar(text.charCodeAt(pos - 1))) score += 8;
    prev = pos;
  }
  return score;
}

const INDEX_BITS = 2 ** 21; // up to two million items; the score goes in the bits above

// Kept between calls (one filter runs at a time), so typing over 100,000 rows does not allocate (and give
// back to the allocator) the best part of a megabyte per key.
let scratch = new Float64Array(0);
let candidateScratch = new Uint32Array(0);

/** Keys given as an array are indexed once per array (a list is replaced, never changed in place). */
const indexes = new WeakMap<readonly string[], SearchIndex>();

function indexOf(keys: readonly string[] | SearchIndex): SearchIndex {
  if (keys instanceof SearchIndex) return keys;
  let index = indexes.get(keys);
  if (!index) {
    index = SearchIndex.of(keys);
    indexes.set(keys, index);
  }
  return index;
}

/**
 * Filters a list by query. keys holds the lower-cased text of each item (an array, computed once per
 * list, or a SearchIndex). Pass the previous result to filter incrementally when the query only grew.
 */
export function fuzzyFilter(keys: readonly string[] | SearchIndex, query: string, previous?: FuzzyResult): FuzzyResult {
  const index = indexOf(keys);
  const terms = splitQuery(query);
  if (terms.length === 0) {
    const indices = new Array<number>(index.count);
    for (let i = 0; i < index.count; i++) indices[i] = i;
    return { keys, query, indices };
  }
  // A query that only grew matches a subset of what the previous one matched: filter that subset.
  const reuse = previous !== undefined && previous.keys === keys && narrows(splitQuery(previous.query), terms);
  // Rows are visited in their order (so each search runs forward over the text); the order of the result
  // comes from the sort below, so it is the same whichever order they were scored in.
  let candidates: Uint32Array | undefined;
  if (reuse) {
    const before = previous!.indices;
    if (candidateScratch.length < before.length) candidateScratch = new Uint32Array(before.length);
    candidates = candidateScratch.subarray(0, before.length);
    for (let k = 0; k < before.length; k++) candidates[k] = before[k];
    candidates.sort();
  }
  const total = candidates ? candidates.length : index.count;
  const { text, starts } = index;
  // Each term has searches of its own (a search shared by two terms would start again for each row).
  const prepared: Term[] = terms.map((term) => {
      const chars = new Map<string, NextOf>();
      return {
        length: term.length,
        whole: new NextOf(text, term),
        chars: Array.from({ length: term.length }, (_, t) => {
          let next = chars.get(term[t]);
          if (!next) chars.set(term[t], (next = new NextOf(text, term[t])));
          return next;
        }),
      };
  });
  // Score and index packed in one number: a numeric sort of a typed array orders by score, then by the
  // original order, several times faster than sorting objects (100,000 rows as you type).
  if (scratch.length < total) scratch = new Float64Array(total);
  const packed = scratch;
  let n = 0;
  for (let k = 0; k < total; k++) {
    const i = candidates ? candidates[k] : k;
    const start = starts[i];
    const end = starts[i + 1] - 1;
    let score = 0;
    for (let t = 0; t < prepared.length; t++) {
      const s = scoreIn(text, start, end, prepared[t]);
      if (s < 0) {
        score = -1;
        break;
      }
      score += s;
    }
    if (score >= 0) packed[n++] = score * INDEX_BITS + (INDEX_BITS - 1 - i);
  }
  const matches = packed.subarray(0, n).sort();
  const indices = new Array<number>(n);
  for (let k = 0; k < n; k++) indices[k] = INDEX_BITS - 1 - (matches[n - 1 - k] % INDEX_BITS);
  return { keys, query, indices };
}
