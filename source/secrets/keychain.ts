// Where strata keeps a secret (an encryption passphrase, under an account such as `luks:<serverId>`): the
// system keychain through keytar's API, or, where no keychain answers, a JSON file of mode 0600 whose path
// strata states. Every store says in a sentence where the secret is (describe()).
//
// Rules:
// - The keychain is probed (set, get, delete of a probe entry) with a short timeout: a hung D-Bus must not
//   hang strata. Every keychain call runs in a helper process that is killed when it overruns (see HELPER
//   below for why an in-process timeout cannot work). The reason the keychain was not used is kept and
//   told (describe()).
// - On Linux the keychain is pinned to the Secret Service. Left to its default, @napi-rs/keyring falls
//   back to the kernel keyring (keyutils) when the Secret Service is missing: memory only, gone at reboot.
//   For a LUKS passphrase that would be a lost volume, so strata would rather use (and name) its file.
//   The calls are keytar's (getPassword / setPassword / deletePassword), on the same AsyncEntry that
//   `@napi-rs/keyring/keytar.js` uses, so entries are the ones keytar.js reads and writes.
// - The file is created 0600 in a 0700 directory, written atomically (temp file of mode 0600, fsync,
//   rename, fsync of the directory) under a lock file, and refused when its mode is looser than 0600.
// - No message, error or detail produced here contains a secret, and nothing here prints or logs.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { constants, lstatSync, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDirectory } from './keys.js';
import { StrataError } from '../core/errors.js';
import { processAlive } from '../core/process.js';

export type SecretStoreKind = 'keychain' | 'file';

export interface SecretStore {
  /** Which kind of store holds the secrets. */
  readonly where: SecretStoreKind;
  /** The file, when where === 'file'. */
  readonly path?: string;
  /** Why the file is used instead of the keychain (a sentence), when where === 'file'. */
  readonly reason?: string;
  /** A sentence naming the store, e.g. "the system keychain (Secret Service)" or "the file … (mode 0600), because …". */
  describe(): string;
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  /** True when there was a secret to delete. */
  delete(account: string): Promise<boolean>;
}

type Env = Record<string, string | undefined>;

export interface OpenSecretStoreOptions {
  /** strata's data directory; the fallback file is `${dataDir}/secrets.json`. */
  dataDir: string;
  /** The keychain service name (and the file's section). Default 'strata'. */
  service?: string;
  /** 'keychain' (the default): probe the keychain, fall back to the file. 'file': use the file. */
  prefer?: SecretStoreKind;
  /** Read for STRATA_SECRETS=file|keychain, which overrides `prefer`. Default process.env. */
  env?: Env;
  /** How long the keychain probe may take. Default 2000 ms. */
  probeTimeoutMs?: number;
  /** How long one keychain operation may take once the keychain answered the probe. Default 30000 ms. */
  operationTimeoutMs?: number;
}

export const SECRETS_FILE_NAME = 'secrets.json';
const DEFAULT_SERVICE = 'strata';
const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
// Generous: a desktop keychain may ask the user to unlock it. The helper process keeps strata responsive.
const DEFAULT_OPERATION_TIMEOUT_MS = 30_000;

/** Opens the store strata should use on this host, following STRATA_SECRETS, then `prefer`. */
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<SecretStore> {
  const env = options.env ?? process.env;
  const service = options.service ?? DEFAULT_SERVICE;
  checkName(service, 'The keychain service name', 'secrets.service');
  const filePath = join(options.dataDir, SECRETS_FILE_NAME);
  const probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;

  const forced = env.STRATA_SECRETS?.trim();
  if (forced !== undefined && forced !== '' && forced !== 'file' && forced !== 'keychain') {
    throw new StrataError('Invalid', 'STRATA_SECRETS must be "file" or "keychain" (or unset, to let strata choose).', {
      field: 'STRATA_SECRETS',
    });
  }

  if (forced === 'file' || (!forced && options.prefer === 'file')) {
    const why = forced === 'file' ? 'STRATA_SECRETS=file asks for it' : 'strata was asked to use a file';
    return openFileStore(filePath, service, why);
  }

  const probe = await probeKeychain(service, probeTimeoutMs);
  if (probe.ok) return new KeychainStore(service, operationTimeoutMs);
  if (forced === 'keychain') {
    throw new StrataError(
      'Unsupported',
      `STRATA_SECRETS=keychain asks for the system keychain, but it did not answer: ${probe.reason} ` +
        `Start a Secret Service (for example gnome-keyring) and unlock it, or unset STRATA_SECRETS to let strata use the file ${filePath}.`,
    );
  }
  return openFileStore(filePath, service, `no keychain answered: ${probe.reason}`);
}

// ---------------------------------------------------------------------------------------------------------
// The keychain

/** The keytar calls strata makes, run in a helper process (see runKeytar). */
type KeytarOp =
  | { op: 'getPassword'; account: string }
  | { op: 'setPassword'; account: string; password: string }
  | { op: 'deletePassword'; account: string };

/** The keychain's name for this platform, as describe() says it. */
export function keychainName(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'the system keychain (macOS Keychain)';
    case 'win32':
      return 'the system keychain (Windows Credential Manager)';
    default:
      return 'the system keychain (Secret Service)';
  }
}

// Why a helper process: @napi-rs/keyring connects to D-Bus synchronously, on the calling thread, when an
// entry is constructed (tried: with a bus that accepts the connection and never answers, `new AsyncEntry`
// never returns, so no timer of the process can fire). A timeout is only real when the keychain call runs
// elsewhere: a short-lived `node` that does keytar's calls (exactly what @napi-rs/keyring/keytar.js
// does: new AsyncEntry(service, account).getPassword() / setPassword() / deletePassword()), with the
// store pinned on Linux, killed (SIGKILL) when it overruns. The secret crosses a pipe (stdin/stdout),
// never the command line. Cost: one node start per call (~0.1 s); strata makes few such calls.
const HELPER = `
const modulePath = process.argv[1];
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  let reply;
  try {
    const { AsyncEntry } = require(modulePath);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const results = [];
    for (const call of request.calls) {
      const entry = new AsyncEntry(request.service, call.account, request.options);
      if (call.op === 'getPassword') results.push(await entry.getPassword());
      else if (call.op === 'setPassword') results.push((await entry.setPassword(call.password)) ?? null);
      else if (call.op === 'deletePassword') results.push(await entry.deletePassword());
      else throw new Error('unknown call');
    }
    reply = { ok: true, results };
  } catch (error) {
    reply = { ok: false, message: String((error && error.message) || error) };
  }
  process.stdout.write(JSON.stringify(reply), () => process.exit(0));
});
`;

class TimeoutError extends Error {}

let keyringModulePath: string | undefined;

function keyringModule(): string {
  keyringModulePath ??= createRequire(import.meta.url).resolve('@napi-rs/keyring');
  return keyringModulePath;
}

/**
 * Runs keytar calls in a helper process with a hard timeout. Resolves with each call's result; rejects
 * with TimeoutError, or with an Error whose message is the keychain's (never containing a secret).
 */
async function runKeytar(service: string, calls: KeytarOp[], timeoutMs: number): Promise<unknown[]> {
  const secrets = calls.flatMap((call) => (call.op === 'setPassword' ? [call.password] : []));
  const scrub = (text: string) => secrets.reduce((out, secret) => redact(out, secret), text);
  let modulePath: string;
  try {
    modulePath = keyringModule();
  } catch (error) {
    throw new Error(`the keychain module @napi-rs/keyring is not installed (${errorText(error)})`);
  }
  // Ignored off Linux; on Linux, no silent fallback to the kernel keyring (see the header of this file).
  const options = { linux: { store: 'secret-service' } };
  const { execa } = await import('execa');
  const result = await execa(process.execPath, ['-e', HELPER, modulePath], {
    input: JSON.stringify({ service, options, calls }),
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    reject: false,
    // Never execa's verbose log (NODE_DEBUG=execa turns it on): it would print the helper's answer, the secret.
    verbose: 'none',
    // Not the TUI's terminal: a keychain that wants to ask something cannot draw over the screen.
    detached: process.platform !== 'win32',
  });
  if (result.timedOut) throw new TimeoutError();
  let reply: { ok?: unknown; results?: unknown; message?: unknown } | undefined;
  try {
    reply = JSON.parse(String(result.stdout ?? ''));
  } catch {
    reply = undefined;
  }
  if (reply?.ok === true && Array.isArray(reply.results) && reply.results.length === calls.length) return reply.results;
  if (reply?.ok === false) throw new Error(oneLine(scrub(String(reply.message)), 300));
  // The helper died without a reply. Its stderr is a Node or native crash message, scrubbed all the same.
  const said = oneLine(scrub(String(result.stderr ?? '')).split('\n').find((line) => line.trim()) ?? '', 200);
  throw new Error(`the keychain helper failed (exit code ${result.exitCode ?? 'none'}${said ? `: ${said}` : ''})`);
}

type ProbeResult = { ok: true } | { ok: false; reason: string };

/**
 * On Linux the Secret Service is reached over the D-Bus session bus: DBUS_SESSION_BUS_ADDRESS, or else the
 * socket $XDG_RUNTIME_DIR/bus of a systemd user session (libdbus looks there; X11 autolaunch is compiled
 * out). Without either, no Secret Service can answer, and that is said plainly (and no helper is started).
 * The native library reads strata's own environment, so this does too.
 */
function noSessionBus(): string | undefined {
  if (process.platform !== 'linux' || process.env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime) {
    try {
      if (lstatSync(join(runtime, 'bus')).isSocket()) return undefined;
    } catch {
      // no bus socket there
    }
  }
  return 'there is no D-Bus session here (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service can answer.';
}

async function probeKeychain(service: string, timeoutMs: number): Promise<ProbeResult> {
  const noBus = noSessionBus();
  if (noBus) return { ok: false, reason: noBus };
  const account = `probe:${randomBytes(6).toString('hex')}`;
  const value = randomBytes(12).toString('base64url');
  try {
    const [, back] = await runKeytar(
      service,
      [
        { op: 'setPassword', account, password: value },
        { op: 'getPassword', account },
        { op: 'deletePassword', account },
      ],
      timeoutMs,
    );
    if (back !== value) return { ok: false, reason: 'the keychain did not give back what was stored in it.' };
    return { ok: true };
  } catch (error) {
    if (error instanceof TimeoutError) {
      return { ok: false, reason: `the keychain did not answer within ${formatSeconds(timeoutMs)} (is it locked, or is D-Bus hung?).` };
    }
    const name = process.platform === 'linux' ? 'the Secret Service' : 'the keychain';
    return { ok: false, reason: `${name} could not be reached (${errorText(error)}).` };
  }
}

class KeychainStore implements SecretStore {
  readonly where = 'keychain' as const;

  constructor(
    private readonly service: string,
    private readonly timeoutMs: number,
  ) {}

  describe(): string {
    return keychainName();
  }

  async get(account: string): Promise<string | undefined> {
    checkName(account, 'The account', 'secrets.account');
    const [value] = await this.call('read the secret for', account, { op: 'getPassword', account });
    return typeof value === 'string' ? value : undefined;
  }

  async set(account: string, secret: string): Promise<void> {
    checkName(account, 'The account', 'secrets.account');
    checkSecret(secret);
    await this.call('store the secret for', account, { op: 'setPassword', account, password: secret });
  }

  async delete(account: string): Promise<boolean> {
    checkName(account, 'The account', 'secrets.account');
    const [deleted] = await this.call('delete the secret for', account, { op: 'deletePassword', account });
    return deleted === true;
  }

  private async call(doing: string, account: string, op: KeytarOp): Promise<unknown[]> {
    try {
      return await runKeytar(this.service, [op], this.timeoutMs);
    } catch (error) {
      const where = keychainName();
      if (error instanceof TimeoutError) {
        throw new StrataError('Transient', `Could not ${doing} ${account}: ${where} did not answer within ${formatSeconds(this.timeoutMs)}.`);
      }
      const detail = errorText(error); // already scrubbed of the secret by runKeytar
      throw new StrataError('Transient', `Could not ${doing} ${account} in ${where}: ${detail}.`, { detail });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The file

interface SecretsDocument {
  version: 1;
  /** service -> account -> secret */
  entries: Record<string, Record<string, string>>;
}

async function openFileStore(path: string, service: string, reason: string): Promise<SecretStore> {
  const store = new FileStore(path, service, reason);
  await store.check();
  return store;
}

class FileStore implements SecretStore {
  readonly where = 'file' as const;

  constructor(
    readonly path: string,
    private readonly service: string,
    readonly reason: string,
  ) {}

  describe(): string {
    return `the file ${this.path} (mode 0600), because ${this.reason}`;
  }

  /** Creates the directory (0700) and refuses a file or directory that others could read or replace. */
  async check(): Promise<void> {
    await ensurePrivateDirectory(dirOf(this.path));
    await this.read();
  }

  async get(account: string): Promise<string | undefined> {
    checkName(account, 'The account', 'secrets.account');
    const document = await this.read();
    return own(document.entries[this.service], account);
  }

  async set(account: string, secret: string): Promise<void> {
    checkName(account, 'The account', 'secrets.account');
    checkSecret(secret);
    await this.update((document) => {
      const section = (document.entries[this.service] ??= {});
      section[account] = secret;
      return true;
    });
  }

  async delete(account: string): Promise<boolean> {
    checkName(account, 'The account', 'secrets.account');
    let deleted = false;
    await this.update((document) => {
      const section = document.entries[this.service];
      if (!section || own(section, account) === undefined) return false;
      delete section[account];
      if (Object.keys(section).length === 0) delete document.entries[this.service];
      deleted = true;
      return true;
    });
    return deleted;
  }

  /** Read, change and write back under the lock, so two strata sessions never lose each other's secrets. */
  private async update(change: (document: SecretsDocument) => boolean): Promise<void> {
    await ensurePrivateDirectory(dirOf(this.path));
    await withLock(`${this.path}.lock`, async () => {
      const document = await this.read();
      if (change(document)) await writeAtomically(this.path, JSON.stringify(document, null, 2) + '\n');
    });
  }

  private async read(): Promise<SecretsDocument> {
    let handle: FileHandle;
    try {
      handle = await fsp.open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return { version: 1, entries: {} };
      if (code === 'ELOOP') {
        throw new StrataError('Invalid', `The secrets file ${this.path} is a symbolic link; strata uses only a regular file there. Remove the link.`, {
          field: 'secrets.file',
        });
      }
      throw new StrataError('Invalid', `strata cannot read the secrets file ${this.path}: ${errorText(error)}.`, { field: 'secrets.file' });
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        throw new StrataError('Invalid', `${this.path} is not a regular file; strata keeps its secrets in a file there.`, { field: 'secrets.file' });
      }
      const mode = stats.mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new StrataError(
          'Invalid',
          `The secrets file ${this.path} has mode ${octal(mode)}, which lets other users read it; ` +
            `strata will not use it until you run: chmod 600 ${this.path}`,
          { field: 'secrets.file' },
        );
      }
      if (typeof process.getuid === 'function' && stats.uid !== process.getuid()) {
        throw new StrataError('Invalid', `The secrets file ${this.path} belongs to another user (uid ${stats.uid}); strata will not use it.`, {
          field: 'secrets.file',
        });
      }
      const text = await handle.readFile('utf8');
      return parseDocument(text, this.path);
    } finally {
      await handle.close();
    }
  }
}

/** Never quotes the text: a parse error message would carry a piece of the file, that is, of a secret. */
function parseDocument(text: string, path: string): SecretsDocument {
  const broken = () =>
    new StrataError(
      'Invalid',
      `The secrets file ${path} is not in strata's format (it may be damaged); strata leaves it as it is. ` +
        `Move it aside to start a new one; it may hold passphrases of encrypted volumes.`,
      { field: 'secrets.file' },
    );
  if (text.trim() === '') return { version: 1, entries: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw broken();
  }
  if (!isRecord(value) || value.version !== 1 || !isRecord(value.entries)) throw broken();
  const entries: Record<string, Record<string, string>> = {};
  for (const [service, section] of Object.entries(value.entries)) {
    if (!isRecord(section)) throw broken();
    const accounts: Record<string, string> = {};
    for (const [account, secret] of Object.entries(section)) {
      if (typeof secret !== 'string') throw broken();
      accounts[account] = secret;
    }
    entries[service] = accounts;
  }
  return { version: 1, entries };
}

/**
 * Replaces the file with new content without a moment where it is half written or readable by others:
 * a temp file created with O_EXCL and mode 0600 beside it, fsync, rename over the file, fsync the directory.
 */
async function writeAtomically(path: string, content: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      await handle.chmod(0o600); // the umask can only take bits away; make sure it is exactly 0600
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, path);
  } catch (error) {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw new StrataError('Transient', `strata could not write the secrets file ${path}: ${errorText(error)}.`, { field: 'secrets.file' });
  }
  await syncDirectory(dirOf(path));
}


/** Creates the directory with mode 0700 if missing; refuses one that other users can write to. */
async function ensurePrivateDirectory(dir: string): Promise<void> {
  const created = await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await fsp.chmod(dir, 0o700);
  const stats = await fsp.stat(dir);
  if (!stats.isDirectory()) {
    throw new StrataError('Invalid', `${dir} is not a directory; strata keeps its secrets file there.`, { field: 'secrets.directory' });
  }
  if ((stats.mode & 0o022) !== 0) {
    throw new StrataError(
      'Invalid',
      `The directory ${dir} can be written by other users (mode ${octal(stats.mode & 0o7777)}), so they could replace the secrets file; ` +
        `run: chmod 700 ${dir}`,
      { field: 'secrets.directory' },
    );
  }
}

const LOCK_WAIT_MS = 10_000;
const LOCK_STALE_MS = 30_000;

/** The writes of this process, one at a time per file (other processes are kept out by the lock file). */
const queues = new Map<string, Promise<unknown>>();

/**
 * A lock file (O_EXCL) around a read-modify-write; a lock left by a dead process or older than 30 s is
 * broken. Within one process, writers queue instead of polling the lock file.
 */
function withLock<T>(lockPath: string, run: () => Promise<T>): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => withLockFile(lockPath, run));
  const settled = next.catch(() => undefined);
  queues.set(lockPath, settled);
  void settled.then(() => {
    if (queues.get(lockPath) === settled) queues.delete(lockPath);
  });
  return next;
}

async function withLockFile<T>(lockPath: string, run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let delay = 5;
  for (;;) {
    try {
      const handle = await fsp.open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') {
        throw new StrataError('Transient', `strata could not lock the secrets file (${lockPath}): ${errorText(error)}.`);
      }
      if (await lockIsStale(lockPath)) {
        await fsp.rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new StrataError(
          'Transient',
          `The secrets file is locked by another strata (${lockPath}); try again, or remove the lock file if no strata is running.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 50);
    }
  }
  try {
    return await run();
  } finally {
    await fsp.rm(lockPath, { force: true });
  }
}

async function lockIsStale(lockPath: string): Promise<boolean> {
  try {
    const [stats, text] = await Promise.all([fsp.stat(lockPath), fsp.readFile(lockPath, 'utf8')]);
    const pid = Number.parseInt(text, 10);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) return true;
    return Date.now() - stats.mtimeMs > LOCK_STALE_MS;
  } catch {
    return false; // gone already, or being written: try again
  }
}


// ---------------------------------------------------------------------------------------------------------
// Helpers

const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function checkName(value: string, what: string, field: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || CONTROL.test(value)) {
    throw new StrataError('Invalid', `${what} must be 1 to 256 printable characters.`, { field });
  }
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new StrataError('Invalid', 'There is no secret to store (it is empty).', { field: 'secrets.secret' });
  }
}

function own(record: Record<string, string> | undefined, key: string): string | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dirOf(path: string): string {
  return dirname(path);
}

function octal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** An error's message on one line, without a trailing period (the caller ends the sentence). */
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return oneLine(text, 300).replace(/[.\s]+$/, '') || 'unknown error';
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}
