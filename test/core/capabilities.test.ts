import { describe, expect, it } from 'vitest';
import { checkName, type NameRules } from '../../source/core/capabilities.js';
import { describeError, isRetryable, StrataError, throttled } from '../../source/core/errors.js';

const rules: NameRules = { minLength: 3, maxLength: 20, allowed: 'A-Za-z0-9._ -', description: 'letters, digits, dot, underscore, space and hyphen', unique: true };

describe('checkName', () => {
  it('accepts a good name', () => expect(checkName('web server 1', rules)).toBeUndefined());
  it('refuses short, long and padded names with the reason', () => {
    expect(checkName('ab', rules)).toMatch(/at least 3 characters \(it has 2\)/);
    expect(checkName('x'.repeat(21), rules)).toMatch(/at most 20 characters \(it has 21\)/);
    expect(checkName(' abc', rules)).toMatch(/start or end with a space/);
    expect(checkName('', { ...rules, minLength: 1 })).toMatch(/cannot be empty/);
  });
  it('names the character that is not allowed, visibly', () => {
    expect(checkName('a$(rm -rf /)', rules)).toMatch(/"\$" is not allowed in a name: letters, digits/);
    expect(checkName('abc\ndef', rules)).toMatch(/U\+000A is not allowed/);
    expect(checkName('abc\u001b[2J', rules)).toMatch(/U\+001B is not allowed/);
  });
});

describe('errors', () => {
  it('knows what is retryable', () => {
    expect(isRetryable(throttled('slow down'))).toBe(true);
    expect(isRetryable(new StrataError('NotFound', 'gone'))).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
  it('says what failed in a sentence', () => {
    expect(describeError(new StrataError('NotFound', 'Image img-1 does not exist.'), 'Renaming')).toBe('Renaming failed: Image img-1 does not exist.');
    expect(describeError(new Error('boom'))).toBe('boom');
  });
});
