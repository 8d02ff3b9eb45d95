// Every file strata writes is the owner's only (0600), whatever the umask and whatever the mode of the
// directory it is written in: the store and its -wal/-shm, the sandbox's world (which holds user data with
// volume passphrases) and its -wal/-shm, the log, recipes, the secrets file, private keys. Files an older
// strata left readable by others are narrowed when they are opened again.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { openSecretStore } from '../../source/secrets/keychain.js';
import { savePrivateKey } from '../../source/secrets/keys.js';
import { createLogger } from '../../source/services/log.js';
import { Recipes } from '../../source/services/recipes.js';
import { openStore } from '../../source/store/db.js';

const dirs: string[] = [];
let umask: number;

beforeEach(() => {
  umask = process.umask(0); // the loosest umask there is: every bit strata does not clear itself shows
});

afterEach(() => {
  process.umask(umask);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory anyone may read and enter (0755), as a shared home or /srv might be. */
function openDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-modes-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  return dir;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

function modes(dir: string, prefix: string): Record<string, number> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .map((f) => [f, modeOf(join(dir, f))]),
  );
}

describe('files strata writes, under umask 000 in a 0755 directory', () => {
  it('the sandbox’s world, its WAL and shared memory: 0600', async () => {
    const dir = openDirectory();
    const provider = await SandboxProvider.open({ home: dir, region: 'eu-west', sandboxSeed: 7 });
    try {
      const image = (await provider.listImages({ scope: 'own', pageSize: 500 })).items.find((i) => i.state === 'available' && i.architecture === 'x86_64')!;
      await provider.launch({ name: 'app', imageId: image.id, productId: 'sb.small', firewallIds: [], count: 1, userData: 'holds a passphrase' }, 'tok');
      expect(modes(dir, 'sandbox.db')).toEqual({ 'sandbox.db': 0o600, 'sandbox.db-wal': 0o600, 'sandbox.db-shm': 0o600 });
    } finally {
      await provider.close();
    }
  });

  it('a world an older strata left 0644 is narrowed to 0600 when it is opened again', async () => {
    const dir = openDirectory();
    const first = await SandboxProvider.open({ home: dir, region: 'eu-west', sandboxSeed: 7 });
    await first.close();
    for (const f of readdirSync(dir).filter((f) => f.startsWith('sandbox.db'))) chmodSync(join(dir, f), 0o644);
    const again = await SandboxProvider.open({ home: dir, region: 'eu-west' });
    try {
      await again.listServers();
      for (const [file, mode] of Object.entries(modes(dir, 'sandbox.db'))) expect(mode, file).toBe(0o600);
    } finally {
      await again.close();
    }
  });

  it('the store, its WAL and shared memory: 0600, and narrowed where they were looser', () => {
    const dir = openDirectory();
    const store = openStore(dir);
    store.audit.append({ provider: 'p', region: 'r', action: 'a', target: 't' });
    expect(modes(dir, 'strata.db')).toEqual({ 'strata.db': 0o600, 'strata.db-wal': 0o600, 'strata.db-shm': 0o600 });
    store.close();

    const older = openDirectory();
    const db = new DatabaseSync(join(older, 'strata.db')); // as a strata that did not set the mode left it
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x)');
    db.close();
    expect(modeOf(join(older, 'strata.db'))).toBe(0o644);
    openStore(older).close();
    expect(modeOf(join(older, 'strata.db'))).toBe(0o600);
  });

  it('the log: 0600, and narrowed where it was looser', () => {
    const dir = openDirectory();
    const file = join(dir, 'strata.log');
    createLogger(file).log('info', 'start');
    expect(modeOf(file)).toBe(0o600);
    writeFileSync(join(dir, 'old.log'), '{}\n', { mode: 0o644 });
    createLogger(join(dir, 'old.log')).log('info', 'start');
    expect(modeOf(join(dir, 'old.log'))).toBe(0o600);
  });

  it('recipes, the secrets file, private keys: 0600', async () => {
    const dir = openDirectory();
    const recipe = new Recipes(dir).save('web', {
      name: 'web',
      imageId: 'img-1',
      productId: 'sb.small',
      count: 1,
      firewallIds: [],
      keypair: { mode: 'none' },
    });
    expect(modeOf(recipe.path)).toBe(0o600);

    const data = join(dir, 'data');
    mkdirSync(data, { mode: 0o700 });
    const secrets = await openSecretStore({ dataDir: data, prefer: 'file', env: {} });
    await secrets.set('luks:srv-1', 'a-passphrase-of-some-length-0123456789');
    expect(modeOf(secrets.path!)).toBe(0o600);

    const keys = join(dir, 'keys');
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const saved = await savePrivateKey({ dir: keys, name: 'k', pem });
    expect(modeOf(saved.path)).toBe(0o600);
    expect(modeOf(keys)).toBe(0o700);
  });
});
