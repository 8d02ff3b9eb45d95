import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { generatePassphrase, luksAccount, PASSPHRASE_BYTES, PASSPHRASE_PATTERN } from '../../source/secrets/passphrase.js';

describe('generatePassphrase', () => {
  it('is 44 characters of URL-safe base64 from at least 32 random bytes', () => {
    expect(PASSPHRASE_BYTES).toBeGreaterThanOrEqual(33);
    for (let i = 0; i < 2_000; i++) {
      const passphrase = generatePassphrase();
      expect(passphrase).toMatch(PASSPHRASE_PATTERN);
      expect(passphrase).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(passphrase, 'base64url')).toHaveLength(PASSPHRASE_BYTES);
    }
  });

  it('never repeats and uses the whole alphabet', () => {
    const seen = new Set<string>();
    const characters = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const passphrase = generatePassphrase();
      seen.add(passphrase);
      for (const c of passphrase) characters.add(c);
    }
    expect(seen.size).toBe(2_000);
    expect(characters.size).toBe(64);
  });

  it('needs no shell quoting (bash printf %q leaves it as it is)', async () => {
    const samples = Array.from({ length: 50 }, generatePassphrase);
    const { stdout } = await execa('bash', ['-c', 'for p in "$@"; do printf "%q\\n" "$p"; done', 'quote', ...samples]);
    expect(stdout.split('\n')).toEqual(samples);
  });
});

it('luksAccount names a server passphrase', () => {
  expect(luksAccount('i-0abc')).toBe('luks:i-0abc');
});
