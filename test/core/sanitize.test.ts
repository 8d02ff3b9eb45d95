import fc from 'fast-check';
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

describe('sanitize: printable ASCII takes a shortcut that changes nothing', () => {
  // The two replacements, as sanitize applies them to any other string.
  const full = (s: string, max: number) => {
    // eslint-disable-next-line no-control-regex
    const escapes = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)|\u001b[ -/]*[0-~]?/g;
    // eslint-disable-next-line no-control-regex
    const controls = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\ufeff]/g;
    let out = s.length > max * 4 ? s.slice(0, max * 4) : s;
    out = out.replace(escapes, '').replace(controls, '\ufffd');
    return out.length > max ? out.slice(0, max - 1) + '…' : out;
  };
  it('gives what the full replacements give, for any string (printable, control characters, escapes, bidi)', () => {
    const chars = fc.constantFrom('a', 'Z', ' ', '~', '[', ']', '\\', '\u001b', '\u0007', '\u009b', '\u009c', '\u0090', '\n', '\t', '\u007f', '\u202e', '\u200b', 'é', '漢', '😀', '0', ';');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 40 }).map((a) => a.join('')), fc.integer({ min: 1, max: 50 }), (s, max) => {
        expect(sanitize(s, max)).toBe(full(s, max));
      }),
      { numRuns: 2000 },
    );
  });
});
