// A deprecation date as a user types it.
import { describe, expect, it } from 'vitest';
import { deprecationWords, parseDeprecation } from '../../source/core/deprecation.js';

const NOW = Date.parse('2026-12-01T12:34:56Z');

describe('parseDeprecation', () => {
  it.each([
    ['2027-03-01', '2027-03-01T00:00:00.000Z'],
    [' 2027-03-01 ', '2027-03-01T00:00:00.000Z'],
    ['+90d', new Date(NOW + 90 * 86_400_000).toISOString()],
    ['+90', new Date(NOW + 90 * 86_400_000).toISOString()],
    ['+2w', new Date(NOW + 14 * 86_400_000).toISOString()],
    ['+36h', new Date(NOW + 36 * 3_600_000).toISOString()],
    ['now', new Date(NOW).toISOString()],
    ['NOW', new Date(NOW).toISOString()],
    // Today's date means now: its first moment is past.
    ['2026-12-01', new Date(NOW).toISOString()],
    ['2027-01-01T08:00Z', '2027-01-01T08:00:00.000Z'],
  ])('%s is %s', (typed, at) => {
    expect(parseDeprecation(typed, NOW)).toEqual({ at });
  });

  it.each(['none', 'None', 'clear', '-'])('%s clears the date', (typed) => {
    expect(parseDeprecation(typed, NOW)).toEqual({ at: null });
  });

  it.each([
    ['', /^Type a day \(YYYY-MM-DD\), \+90d, now, or none\.$/],
    ['2026-11-30', /^2026-11-30 is in the past/],
    ['2027-02-30', /^2027-02-30 is not a day of the calendar/],
    ['+4000d', /more than 10 years ahead/],
    ['2040-01-01', /more than 10 years ahead/],
    ['next tuesday', /^"next tuesday" is not a date/],
    ['2026-01-01T00:00Z', /is in the past/],
  ])('refuses %j with a sentence', (typed, message) => {
    const parsed = parseDeprecation(typed, NOW);
    expect('error' in parsed && parsed.error).toMatch(message);
  });

  it('words a date as a day, with the time only where it is not midnight', () => {
    expect(deprecationWords('2027-03-01T00:00:00.000Z')).toBe('2027-03-01');
    expect(deprecationWords('2027-03-01T14:05:10.000Z')).toBe('2027-03-01 14:05 UTC');
  });
});
