// Secrets never reach the screen, a log or an error. Every failure path below is driven with a known
// secret, and everything a caller could show or log (message, detail, cause, inspect output, what was
// written to stdout/stderr/console meanwhile) is searched for it.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { openSecretStore } from '../../source/secrets/keychain.js';
import { addToAgent, fingerprintOfPublicKey, savePrivateKey } from '../../source/secrets/keys.js';
import { generatePassphrase } from '../../source/secrets/passphrase.js';
import { everythingAbout, rejectionOf, thrownBy, useEnv, useTempDirs } from './helpers.js';

const tempDir = useTempDirs('strata-no-leak-');
const setEnv = useEnv();
let printed: string[];

beforeEach(() => {
  setEnv({ HOME: tempDir(), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/strata-test-bus' });
  printed = [];
  const capture = (...args: unknown[]) => {
    printed.push(args.map(String).join(' '));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) vi.spyOn(console, method).mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The parts of a private key that are secret: every base64 line of its body. */
function secretLinesOf(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length > 16 && !line.startsWith('-----'));
}

/** Any 8 consecutive characters of a secret count as the secret (JSON.parse quotes 10, for one). */
function windowsOf(secret: string): string[] {
  const windows: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) windows.push(secret.slice(i, i + 8));
  return windows.length ? windows : [secret];
}

function expectNoSecret(text: string, secrets: string[]): void {
  const windows = secrets.flatMap(windowsOf);
  for (const w of windows) expect(text.includes(w), `a piece of a secret appeared in: ${text.slice(0, 300)}`).toBe(false);
  for (const line of printed) for (const w of windows) expect(line.includes(w), 'a secret was printed').toBe(false);
}

function rsaPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
}

it('key custody: conflict, bad directory, bad name, not a key, unreadable key', async () => {
  const pem = rsaPem();
  const secrets = secretLinesOf(pem);
  const dir = join(tempDir(), 'keys');
  await savePrivateKey({ dir, name: 'taken', pem: rsaPem() });

  const failures: unknown[] = [];
  failures.push(await rejectionOf(savePrivateKey({ dir, name: 'taken', pem }))); // conflict
  const open = join(tempDir(), 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  failures.push(await rejectionOf(savePrivateKey({ dir: open, name: 'k', pem }))); // directory
  failures.push(await rejectionOf(savePrivateKey({ dir, name: '../k', pem }))); // name
  failures.push(await rejectionOf(savePrivateKey({ dir, name: 'k2', pem: `not a key but ${secrets[3]}` }))); // not a key
  // A PEM-looking block whose body is secret but not a key: saved (a provider's key is never dropped),
  // then neither node nor ssh-keygen can read it.
  const garbage = `-----BEGIN RSA PRIVATE KEY-----\n${secrets.slice(0, 5).join('\n')}\n-----END RSA PRIVATE KEY-----\n`;
  failures.push(await rejectionOf(savePrivateKey({ dir, name: 'garbage', pem: garbage })));
  failures.push(thrownBy(() => fingerprintOfPublicKey(pem)));
  failures.push(thrownBy(() => fingerprintOfPublicKey(`ssh-rsa ${secrets[2]}`)));

  expect(failures).toHaveLength(7);
  for (const failure of failures) expectNoSecret(everythingAbout(failure), secrets);
  expect(readdirSync(open)).toEqual([]);
});

it('ssh-add failures: the reason names the file, never its content', async () => {
  const pem = rsaPem();
  const secrets = secretLinesOf(pem);
  const file = join(tempDir(), 'broken');
  writeFileSync(file, pem.replace('MII', 'XXX'), { mode: 0o600 }); // damaged: ssh-add cannot load it
  const results = [
    await addToAgent(file, {}),
    await addToAgent(file, { SSH_AUTH_SOCK: file }), // not a socket
  ];
  for (const result of results) expectNoSecret(JSON.stringify(result), secrets);
});

it('the secrets file: loose mode, damaged file, bad account, forced keychain', async () => {
  const passphrase = generatePassphrase();
  const dataDir = tempDir();
  const path = join(dataDir, 'secrets.json');
  const store = await openSecretStore({ dataDir, env: { STRATA_SECRETS: 'file' } });
  await store.set('luks:srv-1', passphrase);
  expect(readFileSync(path, 'utf8')).toContain(passphrase); // the file does hold it (mode 0600)

  const failures: unknown[] = [];
  chmodSync(path, 0o644);
  failures.push(await rejectionOf(store.get('luks:srv-1')));
  failures.push(await rejectionOf(store.set('luks:srv-2', passphrase)));
  failures.push(await rejectionOf(openSecretStore({ dataDir, env: { STRATA_SECRETS: 'file' } })));
  chmodSync(path, 0o600);
  // Damaged: JSON.parse's own message would quote the text around the error, that is, the passphrase
  // (`Unexpected token 'A', "…AbCdEfGhIj"... is not valid JSON` for a value that lost its quotes).
  writeFileSync(path, `{"version":1,"entries":{"strata":{"luks:srv-1":"${passphrase}"}}`, { mode: 0o600 });
  failures.push(await rejectionOf(store.get('luks:srv-1')));
  writeFileSync(path, `{"version":1,"entries":{"strata":{"luks:srv-1":${passphrase}}}}`, { mode: 0o600 });
  failures.push(await rejectionOf(store.set('luks:srv-3', passphrase)));
  failures.push(await rejectionOf(store.set('luks:\u0007', passphrase)));
  failures.push(await rejectionOf(openSecretStore({ dataDir: tempDir(), env: { STRATA_SECRETS: 'keychain' } })));
  failures.push(await rejectionOf(openSecretStore({ dataDir: tempDir(), env: { STRATA_SECRETS: passphrase } })));

  expect(failures).toHaveLength(8);
  for (const failure of failures) expectNoSecret(everythingAbout(failure), [passphrase]);
  expectNoSecret(store.describe(), [passphrase]);
});

it('NODE_DEBUG=execa (execa\'s verbose log) shows nothing of a secret or of the programs run', async () => {
  const fixture = fileURLToPath(new URL('./fixtures/debug-env.ts', import.meta.url));
  const secret = generatePassphrase();
  const result = await execa(process.execPath, ['--import', 'tsx', fixture, join(tempDir(), 'data'), join(tempDir(), 'keys'), secret], {
    env: { NODE_DEBUG: 'execa' },
    reject: false,
    timeout: 60_000,
  });
  // The secret went through whatever store answered here (the keychain inside scripts/with-keyring.sh).
  expect(result.stdout).toMatch(/^(keychain|file) same$/);
  expect(result.stderr).toBe('');
  expectNoSecret(`${result.stdout}\n${result.stderr}`, [secret]);
});

it('nothing in source/secrets prints or logs', () => {
  const dir = fileURLToPath(new URL('../../source/secrets/', import.meta.url));
  for (const file of readdirSync(dir)) {
    // The keychain helper (a child process) answers strata through its stdout pipe: not a screen, not a log.
    const text = readFileSync(join(dir, file), 'utf8').replace(/const HELPER = `[\s\S]*?`;/, '');
    expect(text, file).not.toMatch(/\bconsole\.|process\.(stdout|stderr)\.write|\bdebuglog\b/);
  }
});
