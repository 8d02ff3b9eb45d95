// Key custody for launches: the keypair a launch creates (its private key written once, 0600, never shown)
// and the volume passphrases (one per server, in the secret store, never in the store, a log or the audit
// trail). Each step's result is written to the launch record before the next step, so a launch that stops
// half-way (a crash, a dropped SSH session) takes up what it made instead of making it again:
//
//   keypair     made by the provider (its private key saved) or generated here (ssh-keygen) and imported;
//               an earlier attempt's keypair is recognised by the record, or by its fingerprint at the
//               provider matching the key file strata saved, or (import) by the key files it left.
//   passphrase  one per request, kept under the request's token before the request (so a retry sends the
//               same user data), moved under its server's id once the server is known.
//   forgetting  a server's passphrase is deleted from the secret store when its volumes are gone: the
//               server terminated (every provider strata knows deletes the volumes strata attached with
//               the server: EC2 DeleteOnTermination, libvirt's terminate, the sandbox). A server that is
//               gone without strata having seen it terminated keeps its passphrase, with a sentence: its
//               volumes may outlive it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ProviderDescription } from '../core/capabilities.js';
import { describeError, StrataError } from '../core/errors.js';
import type { LaunchProblem } from '../core/launch.js';
import { sanitize } from '../core/sanitize.js';
import type { Keypair, Server } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';
import type { SecretStore } from '../secrets/keychain.js';
import {
  addToAgent,
  fingerprintOfPrivateKey,
  fingerprintOfPublicKey,
  generateKeypair,
  privateKeyPath,
  resolveKeyDirectory,
  savePrivateKey,
  type AgentResult,
} from '../secrets/keys.js';
import { generatePassphrase, luksAccount } from '../secrets/passphrase.js';
import type { Store } from '../store/db.js';
import type { KeypairStep, LaunchRecord } from '../store/launches.js';
import { withRetry, type RetryOptions, type RetryPolicy } from './retry.js';

type Env = Record<string, string | undefined>;

/** The key file of a keypair made at launch: its path (mode 0600), fingerprint, and how it was made. */
export interface KeyFile {
  path: string;
  fingerprint: string;
  how: 'created' | 'imported';
}

/** The keypair choice of a launch (the form's). */
export type KeypairChoice =
  | { mode: 'none' }
  | { mode: 'existing'; name: string }
  /** Created at launch; the private key goes to `directory` (default: the config's sshKeyDirectory, else ~/.ssh). */
  | { mode: 'create'; name: string; directory?: string };

export interface CustodyDeps {
  provider: ProviderService;
  description: ProviderDescription;
  store: Store;
  providerId: string;
  region: string;
  env: Env;
  /** Where keys go unless the form says otherwise (the config's sshKeyDirectory, else ~/.ssh). */
  keyDirectory?: string;
  retry?: RetryPolicy;
}

/** The secret-store account that holds a request's passphrase before its server has an id. */
export function launchPassphraseAccount(providerId: string, region: string, clientToken: string): string {
  return `luks:${providerId}:${region}:${clientToken}`;
}

// ---- keypairs ---------------------------------------------------------------------------------------------

export class KeyCustody {
  constructor(private readonly deps: CustodyDeps) {}

  private get caps() {
    return this.deps.description.capabilities;
  }

  /** The directory a created key goes to for this choice. */
  keyDirectory(keypair: KeypairChoice): string {
    const chosen = keypair.mode === 'create' ? keypair.directory : undefined;
    return resolveKeyDirectory(chosen || this.deps.keyDirectory, this.deps.env);
  }

  /**
   * Whether the keypair of a launch being resumed was made by an earlier attempt of it: recorded, or at the
   * provider with the very key strata saved, or (import) generated here and not yet imported.
   */
  leftover(keypair: KeypairChoice, atProvider: Keypair[], record: LaunchRecord | undefined): boolean {
    if (keypair.mode !== 'create' || !record) return false;
    if (record.keypair) return true;
    let path: string;
    try {
      path = privateKeyPath(this.keyDirectory(keypair), keypair.name);
    } catch {
      return false;
    }
    const found = atProvider.find((k) => k.name === keypair.name);
    if (found) return existsSync(path) && localFingerprint(path) === found.fingerprint;
    return !this.caps.launch.createKeypair && existsSync(path) && existsSync(`${path}.pub`);
  }

  /** A keypair to create: the provider can make or import one, the directory exists, the key file is not on disk. */
  check(keypair: KeypairChoice, problems: LaunchProblem[], madeBefore: boolean): { path: string; how: 'created' | 'imported' } | undefined {
    if (keypair.mode !== 'create') return undefined;
    const how = this.caps.launch.createKeypair ? 'created' : 'imported';
    if (!this.caps.launch.createKeypair && !this.caps.launch.importKeypair) {
      problems.push({ field: 'keypair', message: `${this.where()} can neither create nor import keypairs; choose an existing one.` });
      return undefined;
    }
    if (keypair.directory) {
      let dir: string;
      try {
        dir = resolveKeyDirectory(keypair.directory, this.deps.env);
      } catch (error) {
        problems.push({ field: 'keypair.directory', message: describeError(error) });
        return undefined;
      }
      if (!existsSync(dir)) {
        problems.push({ field: 'keypair.directory', message: `The key directory ${dir} does not exist.` });
        return undefined;
      }
      if (!statSync(dir).isDirectory()) {
        problems.push({ field: 'keypair.directory', message: `${dir} is not a directory.` });
        return undefined;
      }
    }
    let path: string;
    try {
      path = privateKeyPath(this.keyDirectory(keypair), keypair.name);
    } catch (error) {
      problems.push({ field: 'keypair.name', message: describeError(error) });
      return undefined;
    }
    if (!madeBefore) {
      // (A name taken at the provider is core's validation's to say.)
      for (const file of how === 'imported' ? [path, `${path}.pub`] : [path]) {
        if (existsSync(file)) {
          problems.push({ field: 'keypair.name', message: `A file already exists at ${file}; strata never overwrites a key. Choose another name or directory.` });
        }
      }
    }
    return { path, how };
  }

  /**
   * The launch's keypair, made once: what the record says was made, or what an earlier attempt left (at the
   * provider with strata's key file, or generated here and not yet imported), or made now. Recorded (with
   * its audit entry) before the launch goes on.
   */
  async ensure(token: string, keypair: KeypairChoice, record: LaunchRecord, options: RetryOptions = {}, onMade?: (fingerprint: string) => void): Promise<KeyFile> {
    if (keypair.mode !== 'create') throw new Error('unreachable: only a keypair made at launch has custody');
    const name = keypair.name;
    const dir = this.keyDirectory(keypair);
    const path = privateKeyPath(dir, name);
    const records = this.deps.store.launches();
    if (record.keypair) {
      if (!existsSync(record.keypair.path ?? path)) {
        throw new StrataError(
          'Conflict',
          `The keypair "${name}" was made for this launch, but its private key is no longer at ${record.keypair.path ?? path}; the key is lost. Abandon this launch and start again with a new keypair name.`,
          { field: 'keypair.name' },
        );
      }
      return { path: record.keypair.path ?? path, fingerprint: record.keypair.fingerprint, how: record.keypair.how };
    }
    // An earlier attempt may have made it and stopped before writing it down.
    const atProvider = (await this.withRetry(() => this.deps.provider.listKeypairs(), options, 'listing keypairs')).find((k) => k.name === name);
    let step: KeypairStep;
    if (atProvider) {
      const local = existsSync(path) ? localFingerprint(path) : undefined;
      if (local === undefined || local !== atProvider.fingerprint) {
        throw new StrataError(
          'Conflict',
          local === undefined
            ? `The keypair "${name}" exists at the provider, but its private key is not at ${path}: it was lost. Choose a new keypair name.`
            : `The keypair "${name}" exists at the provider with another key than the one at ${path}. Choose a new keypair name.`,
          { field: 'keypair.name' },
        );
      }
      step = { name, fingerprint: atProvider.fingerprint, how: this.caps.launch.createKeypair ? 'created' : 'imported', path };
    } else if (this.caps.launch.createKeypair) {
      const created = await this.withRetry(() => this.deps.provider.createKeypair(name), options, 'creating the keypair');
      const saved = await savePrivateKey({ dir, name, pem: created.privateKeyPem });
      step = { name, fingerprint: created.fingerprint, how: 'created', path: saved.path };
    } else {
      // Generated here; a key left by an interrupted attempt of this launch is imported as it is.
      const publicPath = `${path}.pub`;
      let publicKey: string;
      let keyPath = path;
      if (existsSync(path) && existsSync(publicPath)) {
        publicKey = readFileSync(publicPath, 'utf8').trim();
      } else {
        const generated = await generateKeypair({ dir, name, type: 'ed25519' });
        publicKey = generated.publicKey;
        keyPath = generated.path;
      }
      const imported = await this.withRetry(() => this.deps.provider.importKeypair(name, publicKey), options, 'importing the keypair');
      step = { name, fingerprint: imported.fingerprint ?? fingerprintOfPublicKey(publicKey), how: 'imported', path: keyPath };
    }
    if (!atProvider) onMade?.(step.fingerprint);
    this.deps.store.transaction(() => {
      records.noteKeypair(token, step);
      this.audit(step.how === 'created' ? 'keypair.created' : 'keypair.imported', name, {
        name,
        fingerprint: step.fingerprint,
        path: step.path,
        how: step.how === 'created' ? 'created by the provider, private key saved with mode 0600' : 'generated with ssh-keygen, public half imported',
        launch: token,
      });
    });
    return { path: step.path!, fingerprint: step.fingerprint, how: step.how };
  }

  /** Offers what the UI asks for after a launch: the key in the running ssh-agent. */
  addToAgent(path: string): Promise<AgentResult> {
    return addToAgent(path, this.deps.env);
  }

  private withRetry<T>(call: () => Promise<T>, options: RetryOptions, operation: string): Promise<T> {
    return withRetry(call, this.deps.retry, { ...options, operation });
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    this.deps.store.audit.append({ provider: this.deps.providerId, region: this.deps.region, action, target, detail });
  }

  private where(): string {
    return `${this.deps.description.displayName} ${this.deps.region}`;
  }
}

export function localFingerprint(path: string): string | undefined {
  try {
    return fingerprintOfPrivateKey(readFileSync(path, 'utf8'));
  } catch {
    try {
      return fingerprintOfPublicKey(readFileSync(`${path}.pub`, 'utf8'));
    } catch {
      return undefined;
    }
  }
}

// ---- passphrases ------------------------------------------------------------------------------------------

/** Where a passphrase is kept (never the passphrase). */
export interface PassphrasePlace {
  where: 'keychain' | 'file';
  path?: string;
  /** A sentence naming the store. */
  describe: string;
  accounts: string[];
}

/** A server's passphrase that stays in the secret store although the server is gone, and why. */
export interface KeptPassphrase {
  serverId: string;
  account: string;
  /** The launch that made the server. */
  clientToken: string;
  /** One sentence for the screen: where it is kept and why it stays. */
  sentence: string;
}

export interface SweepResult {
  /** Servers whose passphrase was deleted now (their volumes are gone with them). */
  deleted: string[];
  /** Servers gone whose passphrase stays, each with a sentence. */
  kept: KeptPassphrase[];
}

export interface PassphraseCustodyDeps {
  provider: ProviderService;
  store: Store;
  providerId: string;
  region: string;
  /** Opened when first needed (the keychain probe takes time). */
  secrets: () => Promise<SecretStore>;
  retry?: RetryPolicy;
}

export class PassphraseCustody {
  private secretStore?: Promise<SecretStore>;

  constructor(private readonly deps: PassphraseCustodyDeps) {}

  /** The secret store (opened once; a failure is not kept, so the next call tries again). */
  secrets(): Promise<SecretStore> {
    this.secretStore ??= this.deps.secrets().catch((error: unknown) => {
      this.secretStore = undefined;
      throw error;
    });
    return this.secretStore;
  }

  /** The account a request's passphrase is kept under until its server is known. */
  requestAccount(requestToken: string): string {
    return launchPassphraseAccount(this.deps.providerId, this.deps.region, requestToken);
  }

  /**
   * The passphrase of one request (a server, or every server of an older launch sent as one request):
   * kept under the request's account BEFORE the request, so a retry sends the very same user data. A
   * passphrase kept by an earlier attempt is taken up; one recorded but gone is a Conflict (the launch
   * cannot be sent as it was).
   */
  async ensure(launchToken: string, requestToken: string, record: LaunchRecord): Promise<string> {
    const store = await this.secrets();
    const account = this.requestAccount(requestToken);
    const existing = await store.get(account);
    if (existing) return existing;
    if (record.passphrase?.accounts.includes(account)) {
      throw new StrataError(
        'Conflict',
        `The passphrase of this launch was kept in ${record.passphrase.path ?? record.passphrase.where} under ${account}, and it is no longer there; abandon this launch and start again.`,
      );
    }
    const passphrase = generatePassphrase();
    await store.set(account, passphrase);
    this.deps.store.transaction(() => {
      const current = this.deps.store.launches().get(launchToken);
      const accounts = [...new Set([...(current?.passphrase?.accounts ?? []), account])];
      this.deps.store.launches().notePassphrase(launchToken, { where: store.where, ...(store.path ? { path: store.path } : {}), accounts });
      this.audit('passphrase.stored', account, { where: store.describe(), ...(store.path ? { file: store.path } : {}), account, launch: launchToken });
    });
    return passphrase;
  }

  /**
   * The request's passphrase, now under each of its servers' ids (`luks:<serverId>`), recorded per server;
   * the request's own account is then deleted. Repeatable: a copy made before a crash is made again.
   */
  async keepForServers(launchToken: string, requestToken: string, serverIds: string[]): Promise<PassphrasePlace> {
    const store = await this.secrets();
    const from = this.requestAccount(requestToken);
    const accounts = serverIds.map(luksAccount);
    const record = this.deps.store.launches().get(launchToken);
    const known = this.deps.store.launches().servers(this.deps.providerId, this.deps.region);
    const done = serverIds.every((id) => known.get(id)?.passphraseAccount === luksAccount(id));
    if (!done) {
      const value = await store.get(from);
      if (!value) {
        // Moved before, and the record not yet written? Every server has it already: only the record is missing.
        const have = await Promise.all(accounts.map((a) => store.get(a)));
        if (have.some((v) => !v)) throw new StrataError('NotFound', `the passphrase is not under ${from} in ${store.describe()}.`);
      } else {
        for (const a of accounts) await store.set(a, value);
      }
      this.deps.store.transaction(() => {
        const launches = this.deps.store.launches();
        for (const id of serverIds) launches.notePassphraseAccount(this.deps.providerId, this.deps.region, id, luksAccount(id));
        const kept = (record?.passphrase?.accounts ?? []).filter((a) => a !== from);
        launches.notePassphrase(launchToken, {
          where: store.where,
          ...(store.path ? { path: store.path } : {}),
          accounts: [...new Set([...kept, ...accounts])],
        });
        this.audit('passphrase.stored', launchToken, { where: store.describe(), ...(store.path ? { file: store.path } : {}), accounts, launch: launchToken });
      });
    }
    // Under the servers' ids now: the request's own copy goes.
    if (await store.get(from)) await store.delete(from);
    return { where: store.where, ...(store.path ? { path: store.path } : {}), describe: store.describe(), accounts };
  }

  /**
   * Deletes the passphrases whose volumes are gone: a server listed as terminated, or one strata terminated
   * that is no longer listed. `listing` is the provider's list of every server of the region (the
   * watcher's poll); without it the provider is asked (one call for every server concerned). A server gone
   * from the listing that strata did not terminate keeps its passphrase, with a sentence.
   */
  async sweep(listing?: Server[]): Promise<SweepResult> {
    const launches = this.deps.store.launches();
    const kept = launches.keptPassphrases(this.deps.providerId, this.deps.region);
    if (kept.length === 0) return { deleted: [], kept: [] };
    const servers = listing ?? (await withRetry(() => this.deps.provider.listServers(kept.map((k) => k.serverId)), this.deps.retry, { operation: 'listing servers' }));
    const byId = new Map(servers.map((s) => [s.id, s]));
    const deleted: string[] = [];
    const stays: KeptPassphrase[] = [];
    for (const record of kept) {
      const server = byId.get(record.serverId);
      const terminated = server?.phase === 'terminated' || (server === undefined && record.terminatedAt !== undefined);
      if (terminated) {
        await this.delete(record.serverId, record.passphraseAccount!, server ? 'the server is terminated; its volumes were deleted with it' : 'strata terminated the server; its volumes were deleted with it');
        deleted.push(record.serverId);
      } else if (server === undefined) {
        const store = await this.secrets();
        stays.push({
          serverId: record.serverId,
          account: record.passphraseAccount!,
          clientToken: record.clientToken,
          sentence: `The volume passphrase of server ${sanitize(record.serverId, 64)} stays in ${store.describe()} under ${record.passphraseAccount}: the server is gone, but strata did not see it terminated, so its volumes may outlive it. Forget the passphrase once they are deleted.`,
        });
      }
    }
    return { deleted, kept: stays };
  }

  /** Deletes a server's passphrase at the user's word (its volumes are gone); audit-logged. */
  async forget(serverId: string): Promise<boolean> {
    const record = this.deps.store.launches().servers(this.deps.providerId, this.deps.region).get(serverId);
    if (!record?.passphraseAccount || record.passphraseDeletedAt) return false;
    await this.delete(serverId, record.passphraseAccount, 'the user said its volumes are gone');
    return true;
  }

  private async delete(serverId: string, account: string, why: string): Promise<void> {
    const store = await this.secrets();
    await store.delete(account);
    this.deps.store.transaction(() => {
      this.deps.store.launches().notePassphraseDeleted(this.deps.providerId, this.deps.region, serverId);
      this.audit('passphrase.deleted', account, { serverId, account, where: store.describe(), why });
    });
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    this.deps.store.audit.append({ provider: this.deps.providerId, region: this.deps.region, action, target, detail });
  }
}
