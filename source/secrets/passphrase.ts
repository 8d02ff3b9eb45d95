// Encryption passphrases (LUKS) that strata generates at launch and keeps in the secret store. Never
// shown, logged or put in the audit trail; the cloud-init document receives it through the provider's
// user data only.
import { randomBytes } from 'node:crypto';

/** 33 random bytes: 264 bits, more than the 256 asked for even after the first-character rule below. */
export const PASSPHRASE_BYTES = 33;

/** What a generated passphrase looks like: URL-safe base64 without padding, starting with a letter or digit. */
export const PASSPHRASE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{43}$/;

/**
 * A new passphrase from the system's CSPRNG: 44 characters of URL-safe base64 (A-Z a-z 0-9 _ -), so it
 * needs no quoting in a shell, YAML or crypttab, and it never starts with '-' or '_' (so no program can
 * take it for an option). Rejecting 2 of 64 first characters costs 0.05 of its 264 bits.
 */
export function generatePassphrase(): string {
  for (;;) {
    const passphrase = randomBytes(PASSPHRASE_BYTES).toString('base64url');
    if (PASSPHRASE_PATTERN.test(passphrase)) return passphrase;
  }
}

/** The secret-store account of a server's volume passphrase. */
export function luksAccount(serverId: string): string {
  return `luks:${serverId}`;
}
