// The keychain against a real Secret Service (gnome-keyring): run the suite through
// scripts/with-keyring.sh. Where no Secret Service answers, these tests are skipped with a visible line,
// unless STRATA_REQUIRE_KEYCHAIN=1, which makes that a failure (CI sets it).
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { openSecretStore, type SecretStore } from '../../source/secrets/keychain.js';
import { generatePassphrase, luksAccount } from '../../source/secrets/passphrase.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs('strata-keychain-');
const required = process.env.STRATA_REQUIRE_KEYCHAIN === '1';

/** Whether a Secret Service answers here, and if not, why (decided before the tests are declared). */
async function detect(): Promise<{ available: true } | { available: false; reason: string }> {
  if (process.platform !== 'linux') return { available: false, reason: `this test drives the Linux Secret Service (platform is ${process.platform})` };
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return { available: false, reason: 'DBUS_SESSION_BUS_ADDRESS is not set' };
  const store = await openSecretStore({ dataDir: tempDir(), prefer: 'keychain', env: {} });
  if (store.where !== 'keychain') return { available: false, reason: store.describe() };
  const tool = await execa('secret-tool', ['lookup', 'service', 'strata-presence-check', 'username', 'none'], { reject: false, stdin: 'ignore' });
  if ((tool as { code?: string }).code === 'ENOENT') return { available: false, reason: 'secret-tool (libsecret-tools) is not installed' };
  return { available: true };
}

const found = await detect();
const SERVICE = 'strata';

/** What the keyring itself holds for strata's account, read with libsecret's own tool. */
async function lookup(account: string): Promise<string | undefined> {
  // keyring-rs (under @napi-rs/keyring) stores the account in the "username" attribute.
  const result = await execa('secret-tool', ['lookup', 'service', SERVICE, 'username', account], { reject: false, stdin: 'ignore' });
  return result.exitCode === 0 ? result.stdout : undefined;
}

if (!found.available) {
  const line = `[strata] real Secret Service tests ${required ? 'REQUIRED but' : 'SKIPPED:'} no Secret Service answered: ${found.reason}. Run them with scripts/with-keyring.sh.`;
  if (required) {
    it('a real Secret Service answers (STRATA_REQUIRE_KEYCHAIN=1)', () => {
      throw new Error(line);
    });
  } else {
    console.log(line);
    it.skip('the real Secret Service (skipped: none answered here)', () => undefined);
  }
} else {
  describe('the real Secret Service (gnome-keyring)', () => {
    const accounts: string[] = [];
    afterEach(async () => {
      // Leave nothing in the keyring, whatever happened.
      for (const account of accounts.splice(0)) {
        await execa('secret-tool', ['clear', 'service', SERVICE, 'username', account], { reject: false, stdin: 'ignore' });
      }
    });
    const newAccount = () => {
      const account = luksAccount(`srv-test-${randomBytes(4).toString('hex')}`);
      accounts.push(account);
      return account;
    };

    it('is chosen, and said to be the keychain; no file is written', async () => {
      const dataDir = tempDir();
      const store: SecretStore = await openSecretStore({ dataDir, prefer: 'keychain', env: {} });
      expect(store.where).toBe('keychain');
      expect(store.path).toBeUndefined();
      expect(store.describe()).toBe('the system keychain (Secret Service)');
      const account = newAccount();
      await store.set(account, generatePassphrase());
      expect(readdirSync(dataDir)).toEqual([]);
    });

    it('set / get / delete a passphrase, and the keyring really holds it (secret-tool)', async () => {
      const store = await openSecretStore({ dataDir: tempDir(), prefer: 'keychain', env: {} });
      const account = newAccount();
      const passphrase = generatePassphrase();

      expect(await store.get(account)).toBeUndefined();
      await store.set(account, passphrase);
      expect(await store.get(account)).toBe(passphrase);
      expect(await lookup(account)).toBe(passphrase);

      const replaced = generatePassphrase();
      await store.set(account, replaced);
      expect(await store.get(account)).toBe(replaced);
      expect(await lookup(account)).toBe(replaced);

      expect(await store.delete(account)).toBe(true);
      expect(await store.get(account)).toBeUndefined();
      expect(await lookup(account)).toBeUndefined();
      expect(await store.delete(account)).toBe(false);
    });

    it('reads what keytar.js wrote and the other way round (the same entries)', async () => {
      const keytar = (await import('@napi-rs/keyring/keytar.js')).default;
      const store = await openSecretStore({ dataDir: tempDir(), env: { STRATA_SECRETS: 'keychain' } });
      const account = newAccount();
      await keytar.setPassword(SERVICE, account, 'written-by-keytar');
      expect(await store.get(account)).toBe('written-by-keytar');
      await store.set(account, 'written-by-strata');
      expect(await keytar.getPassword(SERVICE, account)).toBe('written-by-strata');
      expect(await store.delete(account)).toBe(true);
      expect(await keytar.getPassword(SERVICE, account)).toBeNull();
    });

    it('leaves no probe entries behind', async () => {
      await openSecretStore({ dataDir: tempDir(), env: {} });
      const result = await execa('secret-tool', ['search', '--all', 'service', SERVICE], { reject: false, stdin: 'ignore' });
      expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/username = probe:/);
    });
  });
}
