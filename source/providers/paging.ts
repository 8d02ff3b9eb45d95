// Provider-side search and paging, as a cloud's list calls do it, for the providers that list from what
// they hold (the sandbox, libvirt): a query is whitespace-separated terms that must all appear
// (case-insensitively) in the text searched; a page token is opaque to the caller and bound to the listing
// it came from (scope and query).
import { invalid } from '../core/errors.js';
import { hash32 } from '../core/random.js';
import type { Scope } from '../core/types.js';

export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 5000;

export function queryTerms(query: string | undefined): string[] {
  if (query === undefined) return [];
  if (typeof query !== 'string') throw invalid('A search query must be text.', 'query');
  return query.toLowerCase().split(/\s+/).filter((t) => t.length > 0);
}

export function matchesTerms(haystack: string, terms: string[]): boolean {
  if (terms.length === 0) return true;
  const lower = haystack.toLowerCase();
  return terms.every((t) => lower.includes(t));
}

/** The page size asked for, at most MAX_PAGE_SIZE; `fallback` where none was asked for. */
export function pageSizeOf(requested: number | undefined, fallback = DEFAULT_PAGE_SIZE): number {
  if (requested === undefined) return fallback;
  if (!Number.isInteger(requested) || requested < 1) {
    throw invalid(`The page size must be a whole number of at least 1; got ${requested}.`, 'pageSize');
  }
  return Math.min(requested, MAX_PAGE_SIZE);
}

interface Token {
  v: 1;
  s: Scope;
  q: number;
  o: number;
}

export function encodePageToken(scope: Scope, terms: string[], offset: number): string {
  const token: Token = { v: 1, s: scope, q: hash32(terms.join(' ')), o: offset };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

/** The offset a token stands for; Invalid when it is malformed or belongs to another listing. */
export function decodePageToken(page: string | undefined, scope: Scope, terms: string[]): number {
  if (page === undefined || page === '') return 0;
  let token: Partial<Token> | undefined;
  try {
    token = JSON.parse(Buffer.from(page, 'base64url').toString('utf8')) as Partial<Token>;
  } catch {
    token = undefined;
  }
  if (!token || token.v !== 1 || !Number.isInteger(token.o) || token.o! < 0) {
    throw invalid('The page token is not one this provider gave; start again from the first page.', 'page');
  }
  if (token.s !== scope || token.q !== hash32(terms.join(' '))) {
    throw invalid('The page token belongs to another listing (scope or query changed); start again from the first page.', 'page');
  }
  return token.o!;
}
