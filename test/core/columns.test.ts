// Column filters in a filter line: key:value on the columns a list has (globs, alternatives, negation);
// everything else stays a word for the fuzzy filter.
import { describe, expect, it } from 'vitest';
import { matchesColumns, parseColumnQuery } from '../../source/core/columns.js';

const KEYS = ['source', 'region', 'phase', 'kind'];
const row = (cells: Record<string, string>) => (key: string) => cells[key];

describe('column filters', () => {
  it('takes key:value terms on known columns, leaves the rest as words', () => {
    const q = parseColumnQuery('web source:prod-eu region:eu-* arch:arm64 api', KEYS);
    expect(q.terms.map((t) => t.key)).toEqual(['source', 'region']);
    expect(q.rest).toBe('web arch:arm64 api');
  });

  it('matches the whole cell, case-insensitively, with * and ? and alternatives', () => {
    const { terms } = parseColumnQuery('region:EU-* phase:failed,stalled', KEYS);
    expect(matchesColumns(terms, row({ region: 'eu-west-1', phase: 'failed' }))).toBe(true);
    expect(matchesColumns(terms, row({ region: 'eu-west-1', phase: 'stalled' }))).toBe(true);
    expect(matchesColumns(terms, row({ region: 'us-east-1', phase: 'failed' }))).toBe(false);
    expect(matchesColumns(terms, row({ region: 'eu-west-1', phase: 'ready' }))).toBe(false);
    expect(matchesColumns(parseColumnQuery('source:prod', KEYS).terms, row({ source: 'prod-eu' }))).toBe(false);
    expect(matchesColumns(parseColumnQuery('region:eu-west-?', KEYS).terms, row({ region: 'eu-west-2' }))).toBe(true);
  });

  it('a leading minus keeps the rows that do not match; a row without the cell matches nothing', () => {
    const { terms } = parseColumnQuery('-phase:ready', KEYS);
    expect(matchesColumns(terms, row({ phase: 'booting' }))).toBe(true);
    expect(matchesColumns(terms, row({ phase: 'ready' }))).toBe(false);
    expect(matchesColumns(parseColumnQuery('phase:ready', KEYS).terms, row({ kind: 'image' }))).toBe(false);
    expect(matchesColumns(terms, row({ kind: 'image' }))).toBe(true);
  });

  it('regular-expression characters in a value are plain text', () => {
    expect(matchesColumns(parseColumnQuery('source:a.b', KEYS).terms, row({ source: 'axb' }))).toBe(false);
    expect(matchesColumns(parseColumnQuery('source:a.b', KEYS).terms, row({ source: 'a.b' }))).toBe(true);
  });
});
