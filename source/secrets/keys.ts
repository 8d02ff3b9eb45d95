// Key custody: a private key that a provider created (it gives it out once) or that strata generated is
// written under ~/.ssh (or a directory the user sets) with mode 0600, never over an existing file, and
// never shown: what the user sees is its path and its OpenSSH fingerprint ("SHA256:…"). Where an
// ssh-agent runs, the key can be added to it.
//
// External programs (ssh-keygen, ssh-add) run through execa with their arguments as an array, never a
// shell string, with stdin closed and a timeout. No message or error made here contains key material.
import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { constants, lstatSync, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { sshFingerprint, sshMpint, sshString } from '../core/ssh.js';
import { StrataError } from '../core/errors.js';

type Env = Record<string, string | undefined>;

export type KeyType = 'ed25519' | 'rsa';

export interface SavedKey {
  /** The private key file (mode 0600). */
  path: string;
  /** OpenSSH form: "SHA256:" + unpadded base64. */
  fingerprint: string;
}

export interface GeneratedKeypair extends SavedKey {
  /** The public key file (path + '.pub', mode 0644). */
  publicKeyPath: string;
  /** The OpenSSH public key line ("ssh-ed25519 AAAA… strata <name>"), what a provider imports. */
  publicKey: string;
}

export type AgentResult = { added: true } | { added: false; reason: string };

const NAME_FIELD = 'keypair.name';
const DIR_FIELD = 'keypair.directory';
const KEY_FIELD = 'keypair.privateKey';
const PUBLIC_FIELD = 'keypair.publicKey';
const MAX_NAME_LENGTH = 200;
// C0/C1 controls, DEL, format characters (bidirectional overrides, zero-width), line/paragraph separators.
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** ~/.ssh of the user running strata. */
export function defaultKeyDirectory(env: Env = process.env): string {
  return join(env.HOME || homedir(), '.ssh');
}

/** The directory as given ('~' expanded, made absolute), or ~/.ssh. */
export function resolveKeyDirectory(dir?: string, env: Env = process.env): string {
  if (dir === undefined || dir.trim() === '') return defaultKeyDirectory(env);
  if (UNSAFE_CHARACTERS.test(dir)) throw new StrataError('Invalid', 'The key directory contains control characters.', { field: DIR_FIELD });
  const home = env.HOME || homedir();
  const expanded = dir === '~' ? home : dir.startsWith('~/') ? join(home, dir.slice(2)) : dir;
  return isAbsolute(expanded) ? expanded : resolve(expanded);
}

/**
 * The file a keypair's private key goes to: `<dir>/<name>`. The name is used as the file name, so a name
 * that is not a safe one (a path separator, a leading '.' or '-', '..', a control character, too long) is
 * refused with a sentence.
 */
export function privateKeyPath(dir: string | undefined, name: string): string {
  checkKeyName(name);
  return join(resolveKeyDirectory(dir), name);
}

function checkKeyName(name: string): void {
  const refuse = (why: string) => new StrataError('Invalid', `The keypair name ${why}; it is also the key's file name.`, { field: NAME_FIELD });
  if (typeof name !== 'string' || name.length === 0) throw refuse('is empty');
  if (name.length > MAX_NAME_LENGTH || Buffer.byteLength(name) > MAX_NAME_LENGTH) throw refuse(`is longer than ${MAX_NAME_LENGTH} characters`);
  if (UNSAFE_CHARACTERS.test(name)) throw refuse('contains control or invisible characters');
  if (name.includes('/') || name.includes('\\')) throw refuse('contains a path separator (/ or \\)');
  if (name === '.' || name === '..' || name.includes('..')) throw refuse('contains ".."');
  if (name.startsWith('.')) throw refuse('starts with "." (a hidden file)');
  if (name.startsWith('-')) throw refuse('starts with "-"');
  if (name.trim() !== name) throw refuse('starts or ends with a space');
}

/** Creates the key directory (0700) if missing; refuses one that other users could write to. */
async function ensureKeyDirectory(dir: string): Promise<void> {
  let created: string | undefined;
  try {
    created = await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StrataError('Invalid', `strata cannot create the key directory ${dir}: ${errorText(error)}.`, { field: DIR_FIELD });
  }
  if (created !== undefined) await fsp.chmod(dir, 0o700); // exactly 0700, whatever the umask
  const stats = await fsp.stat(dir);
  if (!stats.isDirectory()) throw new StrataError('Invalid', `${dir} is not a directory; choose a directory for the key.`, { field: DIR_FIELD });
  if ((stats.mode & 0o022) !== 0) {
    throw new StrataError(
      'Invalid',
      `The directory ${dir} can be written by other users (mode ${octal(stats.mode & 0o7777)}), so they could replace the key; ` +
        `run chmod go-w ${dir}, or choose another directory.`,
      { field: DIR_FIELD },
    );
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
    throw new StrataError('Invalid', `The directory ${dir} belongs to another user (uid ${stats.uid}); choose a directory of your own.`, {
      field: DIR_FIELD,
    });
  }
}

const PEM_BLOCK = /^-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----\n[A-Za-z0-9+/=:,\-\n ]+\n-----END \1-----\n?$/;

function conflictFor(path: string): StrataError {
  return new StrataError(
    'Conflict',
    `A file already exists at ${path}; strata never overwrites a key. Choose another keypair name or another directory.`,
    { field: NAME_FIELD },
  );
}

/**
 * Writes a private key (PEM RSA as EC2 returns it, PKCS#8, EC, or OpenSSH) to `<dir>/<name>` with mode
 * 0600: created with O_EXCL (an existing file is never touched), fsync'd, its mode checked after writing.
 * Returns the path and the OpenSSH fingerprint.
 */
export async function savePrivateKey(options: { dir?: string; name: string; pem: string }): Promise<SavedKey> {
  const path = privateKeyPath(options.dir, options.name);
  const dir = resolveKeyDirectory(options.dir);
  const pem = normalisePem(options.pem);
  if (!PEM_BLOCK.test(pem)) {
    throw new StrataError('Invalid', 'What the provider returned is not a PEM or OpenSSH private key; nothing was saved.', { field: KEY_FIELD });
  }
  await ensureKeyDirectory(dir);
  await writeExclusive(path, pem, 0o600);
  await syncDirectory(dir);
  await verifyMode(path, 0o600);

  let fingerprint: string;
  try {
    fingerprint = fingerprintOfPrivateKey(pem);
  } catch {
    // Not a form strata parses (an encrypted PEM, say): ask ssh-keygen, which reads the public half.
    fingerprint = await fingerprintWithSshKeygen(path).catch(() => {
      throw new StrataError(
        'Invalid',
        `The private key was saved to ${path} (mode 0600), but strata could not read it to compute its fingerprint; check it with: ssh-keygen -l -f ${path}`,
        { field: KEY_FIELD },
      );
    });
  }
  return { path, fingerprint };
}

function normalisePem(pem: string): string {
  if (typeof pem !== 'string') return '';
  const text = pem.replace(/\r\n?/g, '\n').trim();
  return text + '\n';
}

/** Creates the file with O_CREAT|O_EXCL (never follows a link, never replaces a file), writes, fsyncs. */
async function writeExclusive(path: string, content: string | Buffer, mode: number): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') throw conflictFor(path);
    throw new StrataError('Invalid', `strata cannot create ${path}: ${errorText(error)}.`, { field: DIR_FIELD });
  }
  let failed = true;
  try {
    await handle.chmod(mode); // the umask can only take bits away; make the mode exact
    await handle.writeFile(content);
    await handle.sync();
    failed = false;
  } catch (error) {
    throw new StrataError('Invalid', `strata could not write ${path}: ${errorText(error)}.`, { field: DIR_FIELD });
  } finally {
    await handle.close();
    // A half-written file is of no use and is in the way of the next attempt.
    if (failed) await fsp.rm(path, { force: true }).catch(() => undefined);
  }
}

async function verifyMode(path: string, expected: number): Promise<void> {
  const stats = await fsp.lstat(path);
  const mode = stats.mode & 0o7777;
  if (!stats.isFile() || mode !== expected) {
    throw new StrataError(
      'Invalid',
      `The key was written to ${path}, but its mode is ${octal(mode)} instead of ${octal(expected)} (does this filesystem keep file modes?); ` +
        `move it to a directory on a filesystem that does, and run chmod ${expected.toString(8)} on it.`,
      { field: DIR_FIELD },
    );
  }
}

/** Makes a directory's entries durable (after a rename or a new file); a filesystem that refuses is let be. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some filesystems refuse to fsync a directory; the rename or the file is there either way.
  } finally {
    await handle?.close();
  }
}

/**
 * Generates a keypair locally (for a provider that cannot create one but can import a public key):
 * `ssh-keygen -t ed25519 -N '' -C 'strata <name>' -f …` into a private temporary directory beside the
 * target, then linked into place without ever replacing a file. Writes `<name>` (0600) and `<name>.pub`.
 */
export async function generateKeypair(options: { dir?: string; name: string; type?: KeyType }): Promise<GeneratedKeypair> {
  const type = options.type ?? 'ed25519';
  if (type !== 'ed25519' && type !== 'rsa') throw new StrataError('Invalid', `Key type "${String(type)}" is not one strata generates (ed25519, rsa).`, { field: 'keypair.type' });
  const path = privateKeyPath(options.dir, options.name);
  const publicKeyPath = `${path}.pub`;
  const dir = resolveKeyDirectory(options.dir);
  await ensureKeyDirectory(dir);
  for (const target of [path, publicKeyPath]) if (await exists(target)) throw conflictFor(target);

  const work = await fsp.mkdtemp(join(dir, '.strata-keygen-')); // 0700
  try {
    const temp = join(work, 'key');
    const args = ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '4096'] : []), '-N', '', '-C', `strata ${options.name}`, '-f', temp];
    await runTool('ssh-keygen', args, 60_000, 'generate the key');
    await placeExclusive(temp, path, 0o600);
    try {
      await placeExclusive(`${temp}.pub`, publicKeyPath, 0o644);
    } catch (error) {
      await fsp.rm(path, { force: true }); // ours, placed a moment ago: do not leave half a keypair
      throw error;
    }
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
  await syncDirectory(dir);
  await verifyMode(path, 0o600);
  const publicKey = (await fsp.readFile(publicKeyPath, 'utf8')).trim();
  return { path, publicKeyPath, publicKey, fingerprint: fingerprintOfPublicKey(publicKey) };
}

/** Moves a file to a name that must not exist: link() (atomic, fails on EEXIST), else an O_EXCL copy. */
async function placeExclusive(from: string, to: string, mode: number): Promise<void> {
  try {
    await fsp.link(from, to);
    await fsp.chmod(to, mode);
    return;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') throw conflictFor(to);
    // A filesystem without hard links: copy with O_EXCL instead.
  }
  await writeExclusive(to, await fsp.readFile(from), mode);
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// ssh-agent

/** Whether an ssh-agent is reachable: SSH_AUTH_SOCK is set and names a socket that exists. */
export function agentAvailable(env: Env = process.env): boolean {
  return agentProblem(env) === undefined;
}

function agentProblem(env: Env): string | undefined {
  const sock = env.SSH_AUTH_SOCK;
  if (!sock) return 'No ssh-agent runs here (SSH_AUTH_SOCK is not set).';
  try {
    if (!lstatSync(sock).isSocket()) return `SSH_AUTH_SOCK names ${oneLine(sock, 200)}, which is not a socket.`;
  } catch {
    return `SSH_AUTH_SOCK names ${oneLine(sock, 200)}, which does not exist (the agent may have stopped).`;
  }
  return undefined;
}

/**
 * Adds a private key to the running ssh-agent (`ssh-add <path>`), detached from the terminal so it can
 * never prompt over the TUI, with a timeout. Never throws: a problem is returned as a sentence.
 */
export async function addToAgent(
  path: string,
  env: Env = process.env,
  options: { timeoutMs?: number; lifetimeSeconds?: number } = {},
): Promise<AgentResult> {
  const problem = agentProblem(env);
  if (problem) return { added: false, reason: problem };
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    const args = [...(options.lifetimeSeconds ? ['-t', String(Math.floor(options.lifetimeSeconds))] : []), '--', path];
    const { execa } = await import('execa');
    const result = await execa('ssh-add', args, {
      // The caller's environment over strata's own (PATH and the rest), the agent's socket from the caller.
      env: { ...stringEnv(env), SSH_AUTH_SOCK: env.SSH_AUTH_SOCK, SSH_ASKPASS_REQUIRE: 'never' },
      ...QUIET,
      timeout: timeoutMs,
      reject: false,
    });
    if (result.exitCode === 0 && !result.failed) return { added: true };
    if (result.timedOut) return { added: false, reason: `ssh-add did not finish within ${timeoutMs / 1000} s; the key was not added to the agent.` };
    const code = (result as { code?: string }).code;
    if (code === 'ENOENT') return { added: false, reason: 'ssh-add is not installed (openssh-client); the key was not added to the agent.' };
    const said = firstLine(String(result.stderr ?? '')) || `it exited with code ${result.exitCode ?? 'unknown'}`;
    return { added: false, reason: `ssh-add could not add the key: ${said}.` };
  } catch (error) {
    return { added: false, reason: `ssh-add could not be run: ${errorText(error)}.` };
  }
}

function stringEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Fingerprints

const fingerprintOfBlob = sshFingerprint;

class BlobReader {
  private offset = 0;
  constructor(private readonly blob: Buffer) {}
  string(): Buffer {
    const length = this.uint32();
    if (this.offset + length > this.blob.length) throw new Error('truncated');
    const out = this.blob.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  uint32(): number {
    if (this.offset + 4 > this.blob.length) throw new Error('truncated');
    const value = this.blob.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  bytes(n: number): Buffer {
    if (this.offset + n > this.blob.length) throw new Error('truncated');
    const out = this.blob.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

const EC_CURVES: Record<string, string> = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' };

/** The OpenSSH wire blob of a public key given as a JWK (RSA, Ed25519, ECDSA). */
function blobOfJwk(jwk: JsonWebKey): Buffer {
  const b = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');
  if (jwk.kty === 'RSA') return Buffer.concat([sshString('ssh-rsa'), sshMpint(b(jwk.e)), sshMpint(b(jwk.n))]);
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return Buffer.concat([sshString('ssh-ed25519'), sshString(b(jwk.x))]);
  if (jwk.kty === 'EC' && jwk.crv && EC_CURVES[jwk.crv]) {
    const curve = EC_CURVES[jwk.crv];
    const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
    return Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]);
  }
  throw new Error('unsupported key type');
}

/**
 * The OpenSSH fingerprint of a private key, computed here: an OpenSSH key carries its public blob in the
 * clear; a PEM key (PKCS#1, PKCS#8, SEC1) is parsed by node's crypto. Throws for anything else.
 */
export function fingerprintOfPrivateKey(pem: string): string {
  const text = normalisePem(pem);
  if (text.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')) {
    const body = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
    const data = Buffer.from(body, 'base64');
    const magic = Buffer.from('openssh-key-v1\0');
    if (!data.subarray(0, magic.length).equals(magic)) throw new Error('not an OpenSSH key');
    const reader = new BlobReader(data);
    reader.bytes(magic.length);
    reader.string(); // cipher
    reader.string(); // kdf
    reader.string(); // kdf options
    if (reader.uint32() < 1) throw new Error('no key');
    const blob = reader.string();
    new BlobReader(blob).string(); // a key blob starts with its type
    return fingerprintOfBlob(blob);
  }
  const key = createPrivateKey({ key: text, format: 'pem' });
  return fingerprintOfBlob(blobOfJwk(createPublicKey(key).export({ format: 'jwk' })));
}

/** The OpenSSH fingerprint ("SHA256:…") of a public key line ("ssh-ed25519 AAAA… comment"). */
export function fingerprintOfPublicKey(line: string): string {
  const refuse = (why: string) => new StrataError('Invalid', `That is not an OpenSSH public key: ${why}.`, { field: PUBLIC_FIELD });
  if (typeof line !== 'string') throw refuse('it is not text');
  const text = line.trim();
  if (text.includes('PRIVATE KEY')) throw refuse('it is a private key; give the public key (the .pub file)');
  if (/[\r\n]/.test(text)) throw refuse('it is more than one line');
  const [type, data] = text.split(/\s+/);
  if (!type || !data) throw refuse('it needs a key type and the base64 key');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw refuse('the key is not base64');
  const blob = Buffer.from(data, 'base64');
  let inner: string;
  try {
    inner = new BlobReader(blob).string().toString('latin1');
  } catch {
    throw refuse('the key is truncated');
  }
  if (inner !== type) throw refuse(`the key says it is ${oneLine(inner, 40)}, the line says ${oneLine(type, 40)}`);
  return fingerprintOfBlob(blob);
}

/**
 * `ssh-keygen -y -f <path>` derives the public key from the private key itself (unlike `-l`, which may
 * read a `<path>.pub` lying beside it), then the fingerprint is computed here.
 */
async function fingerprintWithSshKeygen(path: string): Promise<string> {
  const stdout = await runTool('ssh-keygen', ['-y', '-f', path], 15_000, 'read the key');
  const line = stdout.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return fingerprintOfPublicKey(line);
}

/**
 * How every program is run from here: stdin closed; on POSIX without a controlling terminal (detached:
 * its own session), so no passphrase prompt can ever appear over the TUI; and never execa's verbose
 * logging, which NODE_DEBUG=execa would otherwise turn on for every call (it prints what a program says).
 */
const QUIET = { stdin: 'ignore', detached: process.platform !== 'win32', verbose: 'none' } as const;

/** Runs a program (arguments as an array, stdin closed, a timeout); a failure is a StrataError sentence. */
async function runTool(file: string, args: string[], timeoutMs: number, doing: string): Promise<string> {
  const { execa } = await import('execa');
  const result = await execa(file, args, { ...QUIET, timeout: timeoutMs, reject: false });
  if (!result.failed) return String(result.stdout ?? '');
  const code = (result as { code?: string }).code;
  if (code === 'ENOENT') throw new StrataError('Unsupported', `${file} is not installed (openssh-client); strata needs it to ${doing}.`);
  if (result.timedOut) throw new StrataError('Transient', `${file} did not finish within ${timeoutMs / 1000} s while trying to ${doing}.`);
  const said = firstLine(String(result.stderr ?? ''));
  throw new StrataError('Invalid', `${file} could not ${doing}${said ? `: ${said}` : ''}.`, { detail: oneLine(String(result.stderr ?? ''), 500) });
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function octal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return oneLine(text, 300).replace(/[.\s]+$/, '') || 'unknown error';
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return oneLine(line, 300).replace(/[.\s]+$/, '');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}
