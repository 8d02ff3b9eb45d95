// The words of a catalogue query: words that match names, and the filter terms a provider turns into
// filters of its own (EC2: `arch:arm64`, `owner:amazon` or an account id, `deprecated`). A filter term is
// no name: the local fuzzy filter skips it (core/fuzzy.ts splitQuery), so the rows a provider found by it
// are not hidden again on screen. A term that looks like one but is not valid (`arch:sparc`) is a word.
import type { Architecture } from './types.js';

export interface CatalogueQuery {
  /** The words that match names, as typed (any order; case is the caller's to fold). */
  words: string[];
  architecture?: Architecture | 'i386';
  /** An owner alias (amazon, aws-marketplace, self) or an account id, lower-cased. */
  owner?: string;
  /** Deprecated images too (EC2 hides them unless asked). */
  includeDeprecated: boolean;
}

const FILTER = /^(arch|owner|deprecated):?(.*)$/i;

/** What a filter term asks for, or undefined when the term is a word. */
function filterOf(term: string): Partial<CatalogueQuery> | undefined {
  const match = FILTER.exec(term);
  if (!match) return undefined;
  const key = match[1].toLowerCase();
  const value = match[2];
  if (key === 'arch' && /^(x86_64|arm64|i386)$/i.test(value)) return { architecture: value.toLowerCase() as CatalogueQuery['architecture'] };
  if (key === 'owner' && /^[a-z0-9-]{1,64}$/i.test(value)) return { owner: value.toLowerCase() };
  if (key === 'deprecated' && /^(|yes|true)$/i.test(value)) return { includeDeprecated: true };
  return undefined;
}

/** True for `arch:arm64`, `owner:099720109477`, `deprecated` (and `deprecated:yes`): a filter, not a word. */
export function isFilterTerm(term: string): boolean {
  return filterOf(term) !== undefined;
}

export function parseCatalogueQuery(query: string): CatalogueQuery {
  const parsed: CatalogueQuery = { words: [], includeDeprecated: false };
  for (const term of query.trim().split(/\s+/).filter(Boolean)) {
    const filter = filterOf(term);
    if (filter) Object.assign(parsed, filter);
    else parsed.words.push(term);
  }
  return parsed;
}
