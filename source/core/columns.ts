// Filters on a list's columns, typed in its filter line beside the words: `source:prod-eu`, `region:eu-*`,
// `phase:failed,stalled`. A term is a column filter when its key names a column the list has (case does not
// matter); its value is matched against the whole cell, case-insensitively, where `*` stands for any text
// and `?` for one character, and a comma gives alternatives. A leading `-` (`-phase:ready`) keeps the rows
// that do NOT match. Every other term is a word, matched fuzzily as the list's filter matches words
// (core/fuzzy.ts); a catalogue's `arch:`/`owner:`/`deprecated` terms (core/query.ts) are words here unless
// the list has such a column.

export interface ColumnTerm {
  key: string;
  /** The alternatives, each a whole-cell pattern. */
  patterns: RegExp[];
  negate: boolean;
  /** The term as typed (for a sentence). */
  text: string;
}

export interface ColumnQuery {
  terms: ColumnTerm[];
  /** What is left for the fuzzy filter: the words, in order. */
  rest: string;
}

const TERM = /^(-?)([a-z][a-z0-9_-]*):(.+)$/i;

function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

/** Splits a filter line into column filters (for the keys given) and the words left for the fuzzy filter. */
export function parseColumnQuery(query: string, keys: readonly string[]): ColumnQuery {
  const known = new Set(keys.map((k) => k.toLowerCase()));
  const terms: ColumnTerm[] = [];
  const words: string[] = [];
  for (const word of query.trim().split(/\s+/).filter(Boolean)) {
    const match = TERM.exec(word);
    const key = match?.[2]!.toLowerCase();
    if (!match || !key || !known.has(key)) {
      words.push(word);
      continue;
    }
    const alternatives = match[3]!.split(',').filter((v) => v !== '');
    if (alternatives.length === 0) {
      words.push(word);
      continue;
    }
    terms.push({ key, patterns: alternatives.map(globToRegExp), negate: match[1] === '-', text: word });
  }
  return { terms, rest: words.join(' ') };
}

/** Whether a row's cells pass every column filter (a cell the row does not have matches nothing). */
export function matchesColumns(terms: readonly ColumnTerm[], cell: (key: string) => string | undefined): boolean {
  for (const term of terms) {
    const value = cell(term.key);
    const hit = value !== undefined && term.patterns.some((p) => p.test(value));
    if (hit === term.negate) return false;
  }
  return true;
}
