import { describe, expect, it } from 'vitest';
import { checkName, nameFromFile, type NameRules } from '../../source/core/capabilities.js';
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

describe('nameFromFile', () => {
  const plain: NameRules = { minLength: 1, maxLength: 63, allowed: 'a-z0-9\\-', description: 'lowercase letters, digits and hyphens', unique: true };
  it('drops the last extension and keeps a name the rules take', () => {
    expect(nameFromFile('debian-12-amd64.qcow2', rules)).toBe('debian-12-amd64');
    expect(nameFromFile('/var/tmp/web base.img', rules)).toBe('web base');
    expect(nameFromFile('noextension', rules)).toBe('noextension');
  });
  it('makes a name acceptable where that is easy', () => {
    expect(nameFromFile('Ubuntu_24.04 (server).IMG', plain)).toBe('ubuntu-24-04-server');
    expect(nameFromFile('a$b.qcow2', rules)).toBe('a-b');
    expect(nameFromFile(`${'x'.repeat(30)}.raw`, rules)).toBe('x'.repeat(20));
  });
  it('gives up where it is not easy', () => {
    expect(nameFromFile('ab.qcow2', rules)).toBeUndefined();
    expect(nameFromFile('$$$.img', plain)).toBeUndefined();
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
