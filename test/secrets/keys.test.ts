// Key custody against the real tools: files and modes checked with stat, fingerprints checked against
// `ssh-keygen -l -f`, generated keys checked with `ssh-keygen -y -f`.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import {
  fingerprintOfPrivateKey,
  fingerprintOfPublicKey,
  generateKeypair,
  privateKeyPath,
  savePrivateKey,
} from '../../source/secrets/keys.js';
import { rejectionOf, thrownBy, useEnv, useTempDirs } from './helpers.js';

const tempDir = useTempDirs('strata-keys-');
const setEnv = useEnv();

/** What EC2 and the sandbox return for a created keypair: PKCS#1 PEM RSA. */
function rsaPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
}

/** `ssh-keygen -l -f <file>` -> "SHA256:…" */
async function sshKeygenFingerprint(path: string): Promise<string> {
  const { stdout } = await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', path]);
  const match = /(SHA256:\S+)/.exec(stdout);
  if (!match) throw new Error(`no fingerprint in: ${stdout}`);
  return match[1];
}

/** An OpenSSH-format private key made by ssh-keygen in a scratch directory. */
async function openSshKey(type: 'ed25519' | 'rsa' | 'ecdsa'): Promise<string> {
  const scratch = tempDir();
  const file = join(scratch, 'k');
  await execa('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'fixture', '-f', file], { stdin: 'ignore' });
  return readFileSync(file, 'utf8');
}

function mode(path: string): number {
  return statSync(path).mode & 0o7777;
}

let home: string;
beforeEach(() => {
  home = tempDir();
  setEnv({ HOME: home });
});

describe('savePrivateKey', () => {
  it('writes a PEM RSA key (as EC2 returns it) to ~/.ssh, creating the directory 0700 and the file 0600', async () => {
    const pem = rsaPem();
    const saved = await savePrivateKey({ name: 'prod-web', pem });

    expect(saved.path).toBe(join(home, '.ssh', 'prod-web'));
    expect(mode(join(home, '.ssh'))).toBe(0o700);
    expect(mode(saved.path)).toBe(0o600);
    expect(readFileSync(saved.path, 'utf8')).toBe(pem);
    expect(saved.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(saved.fingerprint).toBe(await sshKeygenFingerprint(saved.path));
  });

  it('keeps the modes exact under a permissive umask', async () => {
    const old = process.umask(0o000);
    try {
      const dir = join(tempDir(), 'fresh', 'keys');
      const saved = await savePrivateKey({ dir, name: 'k1', pem: rsaPem() });
      expect(mode(dir)).toBe(0o700);
      expect(mode(saved.path)).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it.each(['ed25519', 'rsa', 'ecdsa'] as const)('accepts an OpenSSH %s key and fingerprints it as ssh-keygen does', async (type) => {
    const pem = await openSshKey(type);
    const saved = await savePrivateKey({ dir: join(home, 'keys'), name: `key-${type}`, pem });
    expect(readFileSync(saved.path, 'utf8')).toBe(pem);
    expect(mode(saved.path)).toBe(0o600);
    expect(saved.fingerprint).toBe(await sshKeygenFingerprint(saved.path));
  });

  it('accepts PEM EC and PKCS#8 RSA keys, and CRLF line ends', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'sec1' }) as string;
    const pkcs8 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    for (const [name, pem] of [
      ['ec', ec],
      ['pkcs8', pkcs8],
      ['crlf', rsaPem().replace(/\n/g, '\r\n')],
    ]) {
      const saved = await savePrivateKey({ name, pem });
      expect(saved.fingerprint).toBe(await sshKeygenFingerprint(saved.path));
      expect(readFileSync(saved.path, 'utf8')).not.toContain('\r');
    }
  });

  it('expands ~ in a directory the user sets', async () => {
    const saved = await savePrivateKey({ dir: '~/cloud-keys', name: 'a', pem: rsaPem() });
    expect(saved.path).toBe(join(home, 'cloud-keys', 'a'));
    expect(mode(join(home, 'cloud-keys'))).toBe(0o700);
  });

  it('never overwrites: an existing file is left byte for byte, and the error names it and suggests another name', async () => {
    const dir = join(home, '.ssh');
    mkdirSync(dir, { mode: 0o700 });
    const existing = join(dir, 'prod');
    const precious = 'precious bytes\n\u0000\u00ff';
    writeFileSync(existing, precious, { mode: 0o640 });
    const before = statSync(existing);

    const error = await rejectionOf(savePrivateKey({ name: 'prod', pem: rsaPem() }));
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).kind).toBe('Conflict');
    expect((error as StrataError).field).toBe('keypair.name');
    expect((error as StrataError).message).toContain(existing);
    expect((error as StrataError).message).toMatch(/another keypair name/);

    expect(readFileSync(existing, 'utf8')).toBe(precious);
    const after = statSync(existing);
    expect(after.mode).toBe(before.mode);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it('never writes through a symbolic link at the key path', async () => {
    const dir = join(home, '.ssh');
    mkdirSync(dir, { mode: 0o700 });
    const elsewhere = join(home, 'elsewhere');
    writeFileSync(elsewhere, 'untouched');
    symlinkSync(elsewhere, join(dir, 'linked'));
    const error = await rejectionOf(savePrivateKey({ name: 'linked', pem: rsaPem() }));
    expect((error as StrataError).kind).toBe('Conflict');
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched');
  });

  it('refuses a directory other users can write to, and writes nothing', async () => {
    const dir = join(tempDir(), 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const error = await rejectionOf(savePrivateKey({ dir, name: 'k', pem: rsaPem() }));
    expect((error as StrataError).kind).toBe('Invalid');
    expect((error as StrataError).field).toBe('keypair.directory');
    expect((error as StrataError).message).toContain(dir);
    expect((error as StrataError).message).toContain('0777');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses what is not a private key, and writes nothing', async () => {
    const error = await rejectionOf(savePrivateKey({ name: 'k', pem: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB' }));
    expect((error as StrataError).kind).toBe('Invalid');
    expect(existsSync(join(home, '.ssh', 'k'))).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['dot-dot', '..'],
    ['a parent path', '../outside'],
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['a newline', 'key\nname'],
    ['a bell', 'key\u0007'],
    ['an escape sequence', 'key\u001b[31m'],
    ['a bidi override', '\u202egpj.key'],
    ['a hidden file', '.hidden'],
    ['a leading dash', '-rf'],
    ['a leading space', ' key'],
    ['a long name', 'k'.repeat(201)],
  ])('refuses a keypair name with %s', async (_label, name) => {
    const error = thrownBy(() => privateKeyPath(undefined, name));
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).kind).toBe('Invalid');
    expect((error as StrataError).field).toBe('keypair.name');
    expect((error as StrataError).message).toMatch(/^The keypair name .+\.$/);
    const rejected = await rejectionOf(savePrivateKey({ name, pem: rsaPem() }));
    expect((rejected as StrataError).field).toBe('keypair.name');
    expect(existsSync(join(home, '.ssh'))).toBe(false);
  });

  it('keeps ordinary provider names as they are', () => {
    for (const name of ['prod-web_01', 'team@2024', 'my key', 'a.b.pem', 'Ключ']) {
      expect(privateKeyPath('/keys', name)).toBe(join('/keys', name));
    }
  });
});

describe('generateKeypair', () => {
  it('runs ssh-keygen -t ed25519 and leaves a key pair ssh-keygen accepts (0600 / 0644)', async () => {
    const key = await generateKeypair({ name: 'local-1', type: 'ed25519' });
    expect(key.path).toBe(join(home, '.ssh', 'local-1'));
    expect(key.publicKeyPath).toBe(`${key.path}.pub`);
    expect(mode(join(home, '.ssh'))).toBe(0o700);
    expect(mode(key.path)).toBe(0o600);
    expect(mode(key.publicKeyPath)).toBe(0o644);
    expect(key.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/]+=* strata local-1$/);
    expect(readFileSync(key.publicKeyPath, 'utf8').trim()).toBe(key.publicKey);

    // The private key is one ssh-keygen reads, with no passphrase, and it derives the same public key.
    const { stdout } = await execa('ssh-keygen', ['-y', '-P', '', '-f', key.path], { stdin: 'ignore' });
    expect(stdout.split(' ').slice(0, 2)).toEqual(key.publicKey.split(' ').slice(0, 2));
    expect(key.fingerprint).toBe(await sshKeygenFingerprint(key.path));
    expect(key.fingerprint).toBe(await sshKeygenFingerprint(key.publicKeyPath));
    // No temporary directory is left behind.
    expect(readdirSync(join(home, '.ssh')).sort()).toEqual(['local-1', 'local-1.pub']);
  });

  it('generates RSA on request', async () => {
    const key = await generateKeypair({ name: 'legacy', type: 'rsa' });
    expect(key.publicKey).toMatch(/^ssh-rsa /);
    expect(key.fingerprint).toBe(await sshKeygenFingerprint(key.path));
  });

  it('never overwrites the private key or the .pub file', async () => {
    const dir = join(home, '.ssh');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'taken'), 'old private');
    let error = await rejectionOf(generateKeypair({ name: 'taken' }));
    expect((error as StrataError).kind).toBe('Conflict');
    expect((error as StrataError).message).toContain(join(dir, 'taken'));
    expect(readFileSync(join(dir, 'taken'), 'utf8')).toBe('old private');
    expect(existsSync(join(dir, 'taken.pub'))).toBe(false);

    writeFileSync(join(dir, 'half.pub'), 'old public');
    error = await rejectionOf(generateKeypair({ name: 'half' }));
    expect((error as StrataError).kind).toBe('Conflict');
    expect(readFileSync(join(dir, 'half.pub'), 'utf8')).toBe('old public');
    expect(existsSync(join(dir, 'half'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['half.pub', 'taken']);
  });

  it('refuses a bad name before running anything', async () => {
    const error = await rejectionOf(generateKeypair({ name: '../escape' }));
    expect((error as StrataError).field).toBe('keypair.name');
    expect(existsSync(join(home, '.ssh'))).toBe(false);
  });
});

describe('fingerprints', () => {
  it('fingerprintOfPublicKey equals ssh-keygen -l for each key type', async () => {
    for (const type of ['ed25519', 'rsa', 'ecdsa'] as const) {
      const scratch = tempDir();
      const file = join(scratch, 'k');
      await execa('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'a comment with spaces', '-f', file], { stdin: 'ignore' });
      const line = readFileSync(`${file}.pub`, 'utf8');
      expect(fingerprintOfPublicKey(line)).toBe(await sshKeygenFingerprint(`${file}.pub`));
      expect(fingerprintOfPrivateKey(readFileSync(file, 'utf8'))).toBe(await sshKeygenFingerprint(`${file}.pub`));
    }
  });

  it('refuses what is not one OpenSSH public key', () => {
    const good = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    expect(fingerprintOfPublicKey(good)).toMatch(/^SHA256:/);
    for (const bad of [
      '',
      'hello',
      'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', // type mismatch
      'ssh-ed25519 AAAA', // truncated
      'ssh-ed25519 not*base64',
      `${good}\n${good}`,
      '-----BEGIN OPENSSH PRIVATE KEY-----',
    ]) {
      const error = thrownBy(() => fingerprintOfPublicKey(bad));
      expect((error as StrataError).kind, bad).toBe('Invalid');
      expect((error as StrataError).field).toBe('keypair.publicKey');
    }
  });
});
