import { describe, expect, it } from 'vitest';
import { needsSanitising, sanitize, sanitizeRecord } from '../../source/core/sanitize.js';

describe('sanitize', () => {
  const hostile: [string, string][] = [
    ['OSC title change with BEL', 'evil\u001b]0;pwned\u0007-image'],
    ['OSC with ST', 'a\u001b]2;title\u001b\\b'],
    ['clear screen CSI', 'x\u001b[2Jy'],
    ['SGR colour', '\u001b[31mred\u001b[0m'],
    ['cursor movement', 'a\u001b[10;10Hb'],
    ['8-bit CSI', 'a\u009b2Jb'],
    ['DCS', 'a\u001bPq#0;1;2\u001b\\b'],
    ['bare ESC', 'a\u001bcb'],
    ['unterminated OSC', 'a\u001b]0;never ends'],
  ];
  for (const [what, text] of hostile) {
    it(`removes ${what}`, () => {
      const out = sanitize(text);
      expect(out).not.toMatch(/[\u001b\u0007\u009b\u009c\u0090]/);
      expect(needsSanitising(text)).toBe(true);
    });
  }

  it('keeps the visible text of a hostile name', () => {
    expect(sanitize('evil\u001b]0;pwned\u0007-image\u001b[2J')).toBe('evil-image');
    expect(sanitize('\u001b[31mred\u001b[0m')).toBe('red');
  });

  it('shows control characters and newlines as a visible replacement, so they cannot hide', () => {
    expect(sanitize('a\nb')).toBe('a\ufffdb');
    expect(sanitize('tab\there')).toBe('tab\ufffdhere');
    expect(sanitize('rtl\u202eevil')).toBe('rtl\ufffdevil');
  });

  it('leaves ordinary and non-Latin text alone', () => {
    for (const ok of ['ubuntu-24.04-amd64-20261115', 'Ünïcödé ✓ 日本語', 'name (copy) [1] @team/x']) {
      expect(sanitize(ok)).toBe(ok);
      expect(needsSanitising(ok)).toBe(false);
    }
  });

  it('cuts long strings with an ellipsis', () => {
    const out = sanitize('x'.repeat(1000), 10);
    expect(out).toHaveLength(10);
    expect(out.endsWith('…')).toBe(true);
  });

  it('handles non-strings', () => {
    expect(sanitize(undefined)).toBe('');
    expect(sanitize(null)).toBe('');
    expect(sanitize(42)).toBe('42');
  });

  it('sanitises keys and values of records', () => {
    expect(sanitizeRecord({ 'k\u001b[1m': 'v\u0007' })).toEqual({ k: 'v\ufffd' });
  });
});
