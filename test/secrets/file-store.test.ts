// The file fallback of the secret store, and the choice between keychain and file. These tests point
// DBUS_SESSION_BUS_ADDRESS at a socket that does not exist, so no keychain answers even when the suite
// runs inside scripts/with-keyring.sh.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { openSecretStore } from '../../source/secrets/keychain.js';
import { generatePassphrase } from '../../source/secrets/passphrase.js';
import { rejectionOf, useEnv, useTempDirs } from './helpers.js';

const tempDir = useTempDirs('strata-file-store-');
const setEnv = useEnv();
const FILE = { STRATA_SECRETS: 'file' };

beforeEach(() => {
  setEnv({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/strata-test-bus' });
});

function mode(path: string): number {
  return statSync(path).mode & 0o7777;
}

describe('the secrets file (STRATA_SECRETS=file)', () => {
  it('creates the directory 0700 and the file 0600, and round-trips a secret', async () => {
    const dataDir = join(tempDir(), 'data', 'strata');
    const store = await openSecretStore({ dataDir, env: FILE });
    expect(store.where).toBe('file');
    expect(store.path).toBe(join(dataDir, 'secrets.json'));
    expect(mode(dataDir)).toBe(0o700);
    expect(existsSync(store.path!)).toBe(false); // nothing written until there is a secret

    const secret = generatePassphrase();
    await store.set('luks:srv-1', secret);
    expect(mode(store.path!)).toBe(0o600);
    expect(await store.get('luks:srv-1')).toBe(secret);
    expect(await store.get('luks:srv-2')).toBeUndefined();

    // Another session (a new store on the same file) sees it.
    const again = await openSecretStore({ dataDir, env: FILE });
    expect(await again.get('luks:srv-1')).toBe(secret);
    expect(JSON.parse(readFileSync(store.path!, 'utf8'))).toEqual({ version: 1, entries: { strata: { 'luks:srv-1': secret } } });
  });

  it('deletes: true when there was a secret, false after; other secrets stay', async () => {
    const store = await openSecretStore({ dataDir: tempDir(), env: FILE });
    await store.set('luks:a', 'secret-a');
    await store.set('luks:b', 'secret-b');
    expect(await store.delete('luks:a')).toBe(true);
    expect(await store.delete('luks:a')).toBe(false);
    expect(await store.get('luks:a')).toBeUndefined();
    expect(await store.get('luks:b')).toBe('secret-b');
    expect(readFileSync(store.path!, 'utf8')).not.toContain('secret-a');
    expect(mode(store.path!)).toBe(0o600);
  });

  it('keeps accounts apart per service, and an account named like an Object property is just an account', async () => {
    const dataDir = tempDir();
    const a = await openSecretStore({ dataDir, env: FILE });
    const b = await openSecretStore({ dataDir, env: FILE, service: 'strata-test' });
    await a.set('luks:x', 'one');
    await b.set('luks:x', 'two');
    expect(await a.get('luks:x')).toBe('one');
    expect(await b.get('luks:x')).toBe('two');
    expect(await a.get('constructor')).toBeUndefined();
    expect(await a.get('__proto__')).toBeUndefined();
  });

  it('describe() states the file and why it is used', async () => {
    const dataDir = tempDir();
    const forced = await openSecretStore({ dataDir, env: FILE });
    expect(forced.describe()).toBe(`the file ${join(dataDir, 'secrets.json')} (mode 0600), because STRATA_SECRETS=file asks for it`);
    const preferred = await openSecretStore({ dataDir, env: {}, prefer: 'file' });
    expect(preferred.describe()).toBe(`the file ${join(dataDir, 'secrets.json')} (mode 0600), because strata was asked to use a file`);
  });

  it('writes atomically with 0600 even under umask 0, and leaves no temporary or lock file', async () => {
    const old = process.umask(0o000);
    try {
      const dataDir = join(tempDir(), 'fresh');
      const store = await openSecretStore({ dataDir, env: FILE });
      for (let i = 0; i < 5; i++) await store.set(`luks:${i}`, `s${i}`);
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(store.path!)).toBe(0o600);
      expect(readdirSync(dataDir)).toEqual(['secrets.json']);
    } finally {
      process.umask(old);
    }
  });

  it('loses no secret when two sessions write at once (the lock)', async () => {
    const dataDir = tempDir();
    const one = await openSecretStore({ dataDir, env: FILE });
    const two = await openSecretStore({ dataDir, env: FILE });
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).set(`luks:srv-${i}`, `secret-${i}`)));
    for (let i = 0; i < 30; i++) expect(await one.get(`luks:srv-${i}`)).toBe(`secret-${i}`);
    expect(readdirSync(dataDir)).toEqual(['secrets.json']);
  });

  it('loses no secret when two processes write at once', async () => {
    const dataDir = tempDir();
    const writer = fileURLToPath(new URL('./fixtures/secret-writer.ts', import.meta.url));
    const count = 40;
    const children = ['one', 'two'].map((name) =>
      execa(process.execPath, ['--import', 'tsx', writer, dataDir, name, String(count)], { timeout: 60_000, buffer: true }),
    );
    // Both have opened the file: start them together, so their writes overlap.
    await Promise.all(
      children.map(
        (child) => new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve())),
      ),
    );
    for (const child of children) child.stdin!.write('go\n');
    const results = await Promise.all(children);
    expect(results.map((r) => r.stdout)).toEqual(['ready\ndone', 'ready\ndone']);
    const store = await openSecretStore({ dataDir, env: FILE });
    for (const name of ['one', 'two']) for (let i = 0; i < count; i++) expect(await store.get(`luks:${name}-${i}`)).toBe(`secret-${name}-${i}`);
    expect(mode(join(dataDir, 'secrets.json'))).toBe(0o600);
    expect(readdirSync(dataDir)).toEqual(['secrets.json']);
  });

  it('breaks a lock left by a process that is gone', async () => {
    const dataDir = tempDir();
    const store = await openSecretStore({ dataDir, env: FILE });
    writeFileSync(join(dataDir, 'secrets.json.lock'), '999999999'); // no such pid
    await store.set('luks:a', 'x');
    expect(await store.get('luks:a')).toBe('x');
  });

  it('refuses a file whose mode is looser than 0600, naming it and the chmod that fixes it', async () => {
    const dataDir = tempDir();
    const store = await openSecretStore({ dataDir, env: FILE });
    await store.set('luks:a', 'x');
    const path = join(dataDir, 'secrets.json');
    for (const loose of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(path, loose);
      const expected = `The secrets file ${path} has mode 0${loose.toString(8)}, which lets other users read it; strata will not use it until you run: chmod 600 ${path}`;
      const onOpen = await rejectionOf(openSecretStore({ dataDir, env: FILE }));
      expect(onOpen).toBeInstanceOf(StrataError);
      expect((onOpen as StrataError).message).toBe(expected);
      // A store already open refuses too, for reads and writes.
      expect(((await rejectionOf(store.get('luks:a'))) as Error).message).toBe(expected);
      expect(((await rejectionOf(store.set('luks:b', 'y'))) as Error).message).toBe(expected);
    }
    chmodSync(path, 0o600);
    expect(await store.get('luks:a')).toBe('x');
    // A stricter mode is fine.
    chmodSync(path, 0o400);
    expect(await store.get('luks:a')).toBe('x');
  });

  it('refuses a symbolic link in place of the file', async () => {
    const dataDir = tempDir();
    const target = join(tempDir(), 'elsewhere.json');
    writeFileSync(target, '{"version":1,"entries":{}}', { mode: 0o600 });
    symlinkSync(target, join(dataDir, 'secrets.json'));
    const error = await rejectionOf(openSecretStore({ dataDir, env: FILE }));
    expect((error as Error).message).toMatch(/is a symbolic link/);
  });

  it('refuses a directory other users can write to', async () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o777);
    const error = await rejectionOf(openSecretStore({ dataDir, env: FILE }));
    expect((error as Error).message).toBe(
      `The directory ${dataDir} can be written by other users (mode 0777), so they could replace the secrets file; run: chmod 700 ${dataDir}`,
    );
  });

  it('refuses a damaged file and leaves it as it is', async () => {
    const dataDir = tempDir();
    const path = join(dataDir, 'secrets.json');
    writeFileSync(path, '{"version":1,"entries":{"strata":{"luks:a":"half', { mode: 0o600 });
    const error = await rejectionOf(openSecretStore({ dataDir, env: FILE }));
    expect((error as Error).message).toMatch(/is not in strata's format/);
    expect(readFileSync(path, 'utf8')).toBe('{"version":1,"entries":{"strata":{"luks:a":"half');
  });

  it('refuses empty secrets and unprintable accounts', async () => {
    const store = await openSecretStore({ dataDir: tempDir(), env: FILE });
    expect(((await rejectionOf(store.set('luks:a', ''))) as StrataError).kind).toBe('Invalid');
    expect(((await rejectionOf(store.set('luks:\n', 'x'))) as StrataError).kind).toBe('Invalid');
    expect(((await rejectionOf(store.get(''))) as StrataError).kind).toBe('Invalid');
  });
});

describe('choosing the store', () => {
  it('falls back to the file when no keychain answers, and says why', async () => {
    const dataDir = tempDir();
    const started = Date.now();
    const store = await openSecretStore({ dataDir, env: {} });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(store.where).toBe('file');
    expect(store.reason).toMatch(/^no keychain answered: /);
    expect(store.describe()).toMatch(new RegExp(`^the file ${join(dataDir, 'secrets.json')} \\(mode 0600\\), because no keychain answered: .+\\.$`));
    if (process.platform === 'linux') expect(store.describe()).toContain('/nonexistent/strata-test-bus');
    await store.set('luks:a', 'x');
    expect(mode(join(dataDir, 'secrets.json'))).toBe(0o600);
  });

  it.runIf(process.platform === 'linux')('without any D-Bus session, says so plainly and quickly', async () => {
    setEnv({ DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: tempDir() });
    const started = Date.now();
    const store = await openSecretStore({ dataDir: tempDir(), env: {} });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(store.reason).toBe('no keychain answered: there is no D-Bus session here (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service can answer.');
  });

  it('STRATA_SECRETS=keychain without a keychain is a clear error, and writes no file', async () => {
    const dataDir = tempDir();
    const error = await rejectionOf(openSecretStore({ dataDir, env: { STRATA_SECRETS: 'keychain' } }));
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).kind).toBe('Unsupported');
    expect((error as StrataError).message).toMatch(/^STRATA_SECRETS=keychain asks for the system keychain, but it did not answer: /);
    expect((error as StrataError).message).toContain(join(dataDir, 'secrets.json'));
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('STRATA_SECRETS overrides prefer, and a bad value is refused', async () => {
    const dataDir = tempDir();
    expect((await openSecretStore({ dataDir, env: FILE, prefer: 'keychain' })).where).toBe('file');
    const error = await rejectionOf(openSecretStore({ dataDir, env: { STRATA_SECRETS: 'vault' } }));
    expect((error as StrataError).kind).toBe('Invalid');
    expect((error as StrataError).field).toBe('STRATA_SECRETS');
  });

  it('reads STRATA_SECRETS from process.env when no env is given', async () => {
    setEnv({ STRATA_SECRETS: 'file' });
    const store = await openSecretStore({ dataDir: tempDir() });
    expect(store.where).toBe('file');
    expect(store.reason).toBe('STRATA_SECRETS=file asks for it');
  });

  it('an existing data directory keeps its mode (0755 is not writable by others)', async () => {
    const dataDir = join(tempDir(), 'd');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const store = await openSecretStore({ dataDir, env: FILE });
    await store.set('luks:a', 'x');
    expect(mode(dataDir)).toBe(0o755);
    expect(mode(store.path!)).toBe(0o600);
  });
});
