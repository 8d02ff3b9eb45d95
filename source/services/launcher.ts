// The launcher: from the launch form to servers, never twice (DESIGN.md "Launch and volumes").
//
//   review(request)   reads only: the catalogue, validation (core) plus the checks that need the disk
//                     and the config (user data file, key file, quota), the exact request the provider
//                     will receive, the cloud-init document, a summary. Nothing is sent.
//   launch(request)   validates again (nothing is sent while a problem remains), writes the journal
//                     entry and the launch record with the client token BEFORE any change at the
//                     provider, then: keypair (created by the provider and saved 0600, or generated here
//                     with ssh-keygen and imported), passphrase (generated, kept in the secret store under
//                     the token before the request, under each server's id after), the request itself
//                     (retried with the same token while throttled or transient), and the outcome.
//   reconcile()       on start: every unfinished journal entry is asked of the provider by its token:
//                     servers exist → adopted; none and never sent → unsent; none but sent → the user is
//                     asked (retry with the same token, or abandon).
//
// Secrets never reach the store or the audit log: the journal's spec carries the passphrase placeholder,
// the launch record holds the request (names and paths), the audit entries hold names, fingerprints,
// paths and where a secret is kept.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ProviderDescription } from '../core/capabilities.js';
import { describeError, isRetryable, RefusedWithProblems, StrataError } from '../core/errors.js';
import { validateLaunch, type LaunchProblem, dedupeProblems } from '../core/launch.js';
import { buildCloudConfig, buildUserData, redactUserData } from '../core/userdata.js';
import type { Firewall, FirewallRule, Image, Keypair, LaunchSpec, Product, Server, VolumePlan } from '../core/types.js';
import type { LaunchPreview, ProviderService } from '../providers/provider.js';
import type { SecretStore } from '../secrets/keychain.js';
import {
  addToAgent,
  agentAvailable,
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
import type { JournalEntry } from '../store/journal.js';
import type { KeypairStep, LaunchRecord } from '../store/launches.js';
import { Billing, money, monthlyCost, type QuotaFigures } from './billing.js';
import { EMPTY_CONFIG, type StrataConfig } from './config.js';
import { withRetry } from './retry.js';
import { launchRequestProblems, parseLaunchRequest } from './recipes.js';

export type { LaunchProblem } from '../core/launch.js';

// ---- the form's request -------------------------------------------------------------------------------

export type KeypairChoice =
  | { mode: 'none' }
  | { mode: 'existing'; name: string }
  /** Created at launch; the private key goes to `directory` (default: the config's sshKeyDirectory, else ~/.ssh). */
  | { mode: 'create'; name: string; directory?: string };

/** What the launch form produces: plain data, no secrets (a recipe is this, saved as YAML). */
export interface LaunchRequest {
  name: string;
  imageId: string;
  productId: string;
  count: number;
  firewallIds: string[];
  newFirewall?: { name: string; rules: FirewallRule[] };
  keypair: KeypairChoice;
  group?: string;
  billingCode?: string;
  volumes?: VolumePlan;
  /** A file whose content is appended after strata's own cloud-init parts. */
  userDataFile?: string;
}

/** The most user data a launch can carry (EC2's limit; cloud-init's practical one). */
export const MAX_USER_DATA_BYTES = 16 * 1024;

// ---- what the launcher gives back ---------------------------------------------------------------------

export interface Review {
  /** A fresh token proposed for this launch; pass it to launch() (and keep it for a retry). */
  clientToken: string;
  /** Every problem, each with its field; launch() refuses while there is one. */
  problems: LaunchProblem[];
  /** Things worth a second look that do not stop the launch (a vendor template used directly, …). */
  warnings: string[];
  /** The spec that will be sent; its user data holds the passphrase placeholder, never a passphrase. */
  spec: LaunchSpec;
  /** strata's own cloud-init document (volume plan), redacted; absent where strata adds none. */
  cloudInit?: string;
  /** The whole user data as it will be sent (strata's parts, then the user's file), redacted. */
  userData?: string;
  /** The exact request the provider will receive (redacted), and its own CLI's command where it has one. */
  preview?: LaunchPreview;
  /** One line per part of the launch, for the review screen. */
  summary: string[];
  /** The billing code's quota figures, where it has a quota. */
  quota?: QuotaFigures;
  /** Where a keypair created at launch will leave its private key. */
  keyFile?: { path: string; how: 'created' | 'imported' };
}

export type LaunchStep =
  | 'validating'
  | 'journal'
  | 'keypair'
  | 'passphrase'
  | 'sending'
  | 'answered'
  | 'recording'
  | 'done';

export interface LaunchProgress {
  step: LaunchStep;
  /** One sentence for a status line. */
  message: string;
  /** While the provider throttles: the attempt about to be made. */
  attempt?: number;
}

export interface LaunchOptions {
  clientToken: string;
  onProgress?: (progress: LaunchProgress) => void;
}

export interface LaunchOutcome {
  clientToken: string;
  servers: Server[];
  /** The launch had been made before (a retry, or servers found by their token): nothing new was started. */
  resumed: boolean;
  /** The private key of a keypair created at launch: its file (mode 0600) and fingerprint. */
  keyFile?: { path: string; fingerprint: string; how: 'created' | 'imported' };
  /** Whether an ssh-agent runs (the UI may OFFER to add the key: addKeyToAgent). */
  agent?: { available: boolean };
  /** Where the volume passphrase is kept (never the passphrase). */
  passphrase?: { where: 'keychain' | 'file'; path?: string; describe: string; accounts: string[] };
  /** What went wrong after the servers were started, each a sentence (the launch itself stands). */
  warnings: string[];
}

export type ReconcileItem =
  | { state: 'adopted'; entry: JournalEntry; servers: Server[] }
  /** Never sent: retrying is safe. */
  | { state: 'unsent'; entry: JournalEntry; request?: LaunchRequest }
  /** Sent, but the provider has no servers for the token: the request may not have arrived. Ask the user. */
  | { state: 'needs-confirmation'; entry: JournalEntry; request?: LaunchRequest };

/** A launch refused before anything was sent: every problem with its field. */
export class LaunchRefused extends RefusedWithProblems {
  constructor(problems: LaunchProblem[]) {
    super('The launch was not sent', problems);
  }
}

export interface LauncherDeps {
  provider: ProviderService;
  description: ProviderDescription;
  store: Store;
  /** Opened when first needed (the keychain probe takes time): only launches that encrypt need it. */
  secrets: () => Promise<SecretStore>;
  providerId: string;
  region: string;
  env?: Record<string, string | undefined>;
  config?: StrataConfig;
  /** Where keys created at launch go unless the form says otherwise (default: config, else ~/.ssh). */
  sshDir?: string;
  now?: () => Date;
  /** Throttled or transient provider calls: attempts and the first delay (doubling, at most 5 s). */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** The secret-store account that holds a launch's passphrase before its servers have ids. */
export function launchPassphraseAccount(providerId: string, region: string, clientToken: string): string {
  return `luks:${providerId}:${region}:${clientToken}`;
}

interface Catalogue {
  products: Product[];
  firewalls: Firewall[];
  keypairs: Keypair[];
  image?: Image;
  imageProblem?: string;
}

interface UserDataFile {
  text: string;
  sha256: string;
}

export class Launcher {
  private readonly deps: LauncherDeps;
  private readonly env: Record<string, string | undefined>;
  private readonly config: StrataConfig;
  private readonly billing: Billing;
  private secretStore?: Promise<SecretStore>;

  constructor(deps: LauncherDeps) {
    this.deps = deps;
    this.env = deps.env ?? process.env;
    this.config = deps.config ?? EMPTY_CONFIG;
    this.billing = new Billing({
      provider: deps.provider,
      description: deps.description,
      store: deps.store,
      providerId: deps.providerId,
      region: deps.region,
      config: this.config,
      retry: deps.retry,
    });
  }

  private get caps() {
    return this.deps.description.capabilities;
  }

  /** Group and billing code travel as tags at the provider; else they live in the local store. */
  get tagsAtProvider(): boolean {
    return this.billing.tagsAtProvider;
  }

  /** The groups and billing codes the form offers. */
  known() {
    return this.billing.known();
  }

  /** The directory a created key goes to for this request. */
  keyDirectory(request: Pick<LaunchRequest, 'keypair'>): string {
    const chosen = request.keypair.mode === 'create' ? request.keypair.directory : undefined;
    return resolveKeyDirectory(chosen || this.config.sshKeyDirectory || this.deps.sshDir, this.env);
  }

  // ---- review --------------------------------------------------------------------------------------------

  /** Everything the review step shows. Reads only: nothing is sent to the provider but reads. */
  async review(request: LaunchRequest): Promise<Review> {
    const clientToken = newClientToken();
    const { problems, spec, cloudInit, userData, catalogue, quota, keyFile } = await this.prepare(request, {});
    let preview: LaunchPreview | undefined;
    try {
      preview = await this.deps.provider.previewLaunch(spec, clientToken);
    } catch {
      preview = undefined; // the summary and the document still stand
    }
    return {
      clientToken,
      problems,
      warnings: this.warnings(request, catalogue),
      spec,
      ...(cloudInit !== undefined ? { cloudInit } : {}),
      ...(userData !== undefined ? { userData } : {}),
      ...(preview ? { preview } : {}),
      summary: this.summary(request, catalogue, quota, keyFile),
      ...(quota ? { quota } : {}),
      ...(keyFile ? { keyFile } : {}),
    };
  }

  /**
   * Validation and the redacted spec. `resume` relaxes what an earlier attempt of the same launch
   * legitimately left behind (its keypair, its key file).
   */
  private async prepare(
    input: LaunchRequest,
    resume: { record?: LaunchRecord },
  ): Promise<{
    problems: LaunchProblem[];
    spec: LaunchSpec;
    cloudInit?: string;
    userData?: string;
    catalogue: Catalogue;
    quota?: QuotaFigures;
    keyFile?: { path: string; how: 'created' | 'imported' };
    userFile?: UserDataFile;
  }> {
    const problems: LaunchProblem[] = [];
    // A form that is not even the shape of a request cannot be checked further.
    const shape = launchRequestProblems(input);
    if (shape.length > 0) throw new LaunchRefused(shape);
    const request = parseLaunchRequest(input, 'The launch form');
    const catalogue = await this.catalogue(request.imageId);
    const createName = request.keypair.mode === 'create' ? request.keypair.name : undefined;
    // Resuming: a keypair an earlier attempt of this very launch made is not "taken".
    const madeBefore = resume.record !== undefined && createName !== undefined && this.keypairLeftover(request, catalogue, resume.record);
    const stillToCreate = createName !== undefined && !catalogue.keypairs.some((k) => k.name === createName);

    // The user's file first: its content is part of the user data that validation measures.
    const userFile = this.readUserDataFile(request, problems);

    // A throwaway passphrase of the real length stands in, so the size checked is the size sent.
    const standIn = request.volumes?.encrypt && this.caps.launch.encryption ? generatePassphrase() : undefined;
    const built = this.buildUserData(request, standIn, userFile?.text, false);
    const spec = this.specFor(request, built.redacted);

    for (const problem of validateLaunch(this.specFor(request, built.full), this.caps, {
      products: catalogue.products,
      firewalls: catalogue.firewalls,
      keypairs: catalogue.keypairs,
      ...(catalogue.image ? { image: catalogue.image } : {}),
      ...(createName !== undefined && (stillToCreate || !madeBefore) ? { keypairToCreate: createName } : {}),
    })) {
      // The spec's fields, as the form calls them.
      if (madeBefore && problem.field === 'keypairName') continue;
      problems.push({ field: formField(problem.field, request), message: problem.message });
    }
    if (catalogue.imageProblem && !problems.some((p) => p.field === 'imageId')) {
      problems.push({ field: 'imageId', message: catalogue.imageProblem });
    }

    let keyFile: { path: string; how: 'created' | 'imported' } | undefined;
    if (request.keypair.mode === 'create') {
      keyFile = this.checkKeyFile(request, catalogue, problems, madeBefore);
    }
    if (request.volumes?.encrypt && !this.caps.launch.encryption && !problems.some((p) => p.field.startsWith('volumes.encrypt'))) {
      problems.push({ field: 'volumes.encrypt', message: `${this.where()} cannot encrypt volumes.` });
    }

    let quota: QuotaFigures | undefined;
    // A launch being resumed may already count against the quota (its servers may exist): not checked again.
    if (!resume.record) {
      const check = await this.billing.check(request, { products: catalogue.products });
      quota = check.quota;
      problems.push(...check.problems);
    }
    return {
      problems: dedupeProblems(problems),
      spec,
      ...(built.cloudInitRedacted !== undefined ? { cloudInit: built.cloudInitRedacted } : {}),
      ...(built.redacted !== undefined ? { userData: built.redacted } : {}),
      catalogue,
      ...(quota ? { quota } : {}),
      ...(keyFile ? { keyFile } : {}),
      ...(userFile ? { userFile } : {}),
    };
  }

  private async catalogue(imageId: string): Promise<Catalogue> {
    const p = this.deps.provider;
    const [products, firewalls, keypairs] = await Promise.all([
      this.withRetry(() => p.listProducts()),
      this.withRetry(() => p.listFirewalls()),
      this.withRetry(() => p.listKeypairs()),
    ]);
    const out: Catalogue = { products, firewalls, keypairs };
    if (imageId) {
      try {
        out.image = await this.withRetry(() => p.getImage(imageId));
      } catch (error) {
        if (error instanceof StrataError && (error.kind === 'NotFound' || error.kind === 'Invalid')) {
          out.imageProblem = describeError(error);
        } else {
          throw error;
        }
      }
    }
    return out;
  }

  private readUserDataFile(request: LaunchRequest, problems: LaunchProblem[]): UserDataFile | undefined {
    const path = request.userDataFile;
    if (path === undefined || path === '') return undefined;
    const field = 'userDataFile';
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) {
        problems.push({ field, message: `The user data file ${path} is not a regular file.` });
        return undefined;
      }
      size = st.size;
    } catch (error) {
      const code = (error as { code?: string }).code;
      problems.push({
        field,
        message:
          code === 'ENOENT' || code === 'ENOTDIR'
            ? `The user data file ${path} does not exist.`
            : `The user data file ${path} cannot be read (${code ?? 'unknown error'}).`,
      });
      return undefined;
    }
    if (size > MAX_USER_DATA_BYTES) {
      problems.push({ field, message: `The user data file ${path} is ${kib(size)}; user data can be at most 16 KiB.` });
      return undefined;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      problems.push({ field, message: `The user data file ${path} cannot be read (${(error as { code?: string }).code ?? 'unknown error'}).` });
      return undefined;
    }
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes) || text.includes('\u0000')) {
      problems.push({ field, message: `The user data file ${path} is not text (UTF-8); cloud-init reads text.` });
      return undefined;
    }
    return { text, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /** strata's cloud-init (volume plan) and the user's part; `passphrase` is real at launch, a stand-in in review. */
  private buildUserData(
    request: LaunchRequest,
    passphrase: string | undefined,
    userText: string | undefined,
    strict: boolean,
  ): { full?: string; redacted?: string; cloudInitRedacted?: string } {
    if (!request.volumes && userText === undefined) return {};
    let cloudConfig: string | undefined;
    if (request.volumes) {
      try {
        cloudConfig = buildCloudConfig({
          volumes: { plan: request.volumes, devices: this.caps.launch.volumeDevices.slice(0, Math.max(0, request.volumes.count)) },
          ...(passphrase !== undefined ? { passphrase } : {}),
        });
      } catch (error) {
        // Review: an invalid plan, which validation reports at its field. Launch: never send without it.
        if (strict) throw error;
        cloudConfig = undefined;
      }
    }
    const full = cloudConfig !== undefined ? buildUserData({ cloudConfig, ...(userText !== undefined ? { userData: userText } : {}) }) : userText;
    const redact = (text: string | undefined) => (text === undefined ? undefined : passphrase ? redactUserData(text, passphrase) : text);
    return { full, redacted: redact(full), cloudInitRedacted: redact(cloudConfig) };
  }

  private specFor(request: LaunchRequest, userData: string | undefined): LaunchSpec {
    const spec: LaunchSpec = {
      name: request.name,
      imageId: request.imageId,
      productId: request.productId,
      firewallIds: [...request.firewallIds],
      count: request.count,
    };
    if (request.newFirewall) spec.newFirewall = { name: request.newFirewall.name, rules: request.newFirewall.rules.map((r) => ({ ...r })) };
    if (request.keypair.mode !== 'none') spec.keypairName = request.keypair.name;
    if (request.group) spec.group = request.group;
    if (request.billingCode) spec.billingCode = request.billingCode;
    if (request.volumes) spec.volumes = { ...request.volumes };
    if (userData !== undefined) spec.userData = userData;
    return spec;
  }

  /**
   * Whether the keypair of a launch being resumed was made by an earlier attempt of it: recorded, or at the
   * provider with the very key strata saved, or (import) generated here and not yet imported.
   */
  private keypairLeftover(request: LaunchRequest, catalogue: Catalogue, record: LaunchRecord): boolean {
    if (request.keypair.mode !== 'create') return false;
    if (record.keypair) return true;
    const name = request.keypair.name;
    let path: string;
    try {
      path = privateKeyPath(this.keyDirectory(request), name);
    } catch {
      return false;
    }
    const atProvider = catalogue.keypairs.find((k) => k.name === name);
    if (atProvider) return existsSync(path) && localFingerprint(path) === atProvider.fingerprint;
    return !this.caps.launch.createKeypair && existsSync(path) && existsSync(`${path}.pub`);
  }

  /** A keypair to create: the provider can make or import one, the name is free there, the key file is not on disk. */
  private checkKeyFile(
    request: LaunchRequest,
    catalogue: Catalogue,
    problems: LaunchProblem[],
    madeBefore: boolean,
  ): { path: string; how: 'created' | 'imported' } | undefined {
    if (request.keypair.mode !== 'create') return undefined;
    const name = request.keypair.name;
    const how = this.caps.launch.createKeypair ? 'created' : 'imported';
    if (!this.caps.launch.createKeypair && !this.caps.launch.importKeypair) {
      problems.push({ field: 'keypair', message: `${this.where()} can neither create nor import keypairs; choose an existing one.` });
      return undefined;
    }
    const chosenDir = request.keypair.directory;
    if (chosenDir) {
      const dir = resolveKeyDirectory(chosenDir, this.env);
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
      path = privateKeyPath(this.keyDirectory(request), name);
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

  private warnings(request: LaunchRequest, catalogue: Catalogue): string[] {
    const out: string[] = [];
    const image = catalogue.image;
    if (image?.kind === 'vendor') {
      out.push(
        `${image.name} is a vendor template: start a server from it, capture your own image, and launch from that (the vendor may deprecate and delete it).`,
      );
    }
    if (image?.deprecatedAt) out.push(`${image.name} was deprecated on ${image.deprecatedAt.slice(0, 10)}.`);
    if (image?.deleteAt) out.push(`${image.name} will be deleted by its vendor on ${image.deleteAt.slice(0, 10)}.`);
    if (request.keypair.mode === 'none' && this.caps.launch.keypair !== 'none') {
      out.push('No keypair: nobody can log in over SSH unless the image or the user data provides a way.');
    }
    return out;
  }

  private summary(
    request: LaunchRequest,
    catalogue: Catalogue,
    quota: QuotaFigures | undefined,
    keyFile: { path: string; how: 'created' | 'imported' } | undefined,
  ): string[] {
    const lines: string[] = [];
    const n = request.count;
    const names = n > 1 ? `${request.name}-1 … ${request.name}-${n}` : request.name;
    const image = catalogue.image;
    lines.push(
      `Launch ${n === 1 ? '1 server' : `${n} servers`} (${names}) from ${image ? `${image.displayName ?? image.name} (${image.id})` : request.imageId} in ${this.deps.description.displayName} ${this.deps.region}.`,
    );
    const product = catalogue.products.find((p) => p.id === request.productId);
    if (product) {
      const price =
        product.hourlyPrice !== undefined
          ? `, ${product.hourlyPrice} an hour (${money(monthlyCost(product.hourlyPrice), '').trim()} a month each)`
          : '';
      lines.push(
        `Size ${product.id}: ${product.vcpus} vCPU, ${gib(product.memoryMiB / 1024)} memory, ${product.storageGiB} GiB storage${price}.`,
      );
    } else {
      lines.push(`Size ${request.productId}.`);
    }
    const fws = request.firewallIds.map((id) => {
      const fw = catalogue.firewalls.find((f) => f.id === id);
      return fw ? `${fw.name} (${id})` : id;
    });
    if (request.newFirewall) fws.push(`new firewall "${request.newFirewall.name}" with ${plural(request.newFirewall.rules.length, 'rule')}`);
    lines.push(`Firewalls: ${fws.length ? fws.join(', ') : 'none'}.`);
    switch (request.keypair.mode) {
      case 'none':
        lines.push('Keypair: none.');
        break;
      case 'existing':
        lines.push(`Keypair: ${request.keypair.name} (existing).`);
        break;
      case 'create':
        lines.push(
          keyFile?.how === 'imported'
            ? `Keypair: "${request.keypair.name}", generated here with ssh-keygen (ed25519) and imported; the private key goes to ${keyFile.path} (mode 0600).`
            : `Keypair: "${request.keypair.name}", created by the provider at launch; the private key goes to ${keyFile?.path ?? 'the key directory'} (mode 0600).`,
        );
    }
    if (request.group || request.billingCode) {
      const where = this.tagsAtProvider ? 'as tags at the provider' : 'in the local store (this provider holds no tags)';
      const parts = [request.group ? `group ${request.group}` : '', request.billingCode ? `billing code ${request.billingCode}` : ''].filter(Boolean);
      lines.push(`${capitalise(parts.join(', '))}, kept ${where}.`);
    }
    if (request.volumes) {
      const v = request.volumes;
      lines.push(
        `Volumes: ${v.count} x ${v.sizeGiB} GiB, ${v.raid === 'none' ? 'no RAID' : `RAID ${v.raid}`}, ${v.filesystem} at ${v.mountPoint}` +
          (v.encrypt ? ', encrypted (LUKS; a passphrase is generated and kept in the keychain, or a 0600 file, under each server\'s id).' : '.'),
      );
    }
    if (request.userDataFile) lines.push(`User data: ${request.userDataFile}, appended after strata's own cloud-init parts.`);
    if (quota?.servers) {
      const s = quota.servers;
      lines.push(`Billing code ${quota.code}: ${s.current + s.adding} of ${s.max} servers after this launch.`);
    }
    if (quota?.monthlyCost) {
      const c = quota.monthlyCost;
      lines.push(`Billing code ${quota.code}: ${money(c.current + c.adding, c.currency)} of ${money(c.max, c.currency)} a month after this launch.`);
    }
    return lines;
  }

  // ---- launch --------------------------------------------------------------------------------------------

  /**
   * Launches, at most once per client token. A token seen before resumes that launch (the request must be
   * the same); a finished one returns its servers. Refuses with LaunchRefused (nothing sent) while the
   * request has a problem.
   */
  async launch(input: LaunchRequest, options: LaunchOptions): Promise<LaunchOutcome> {
    const token = options.clientToken;
    const progress = (step: LaunchStep, message: string, attempt?: number) =>
      options.onProgress?.({ step, message, ...(attempt !== undefined ? { attempt } : {}) });
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(token)) {
      throw new StrataError('Invalid', 'A launch needs a client token of 1 to 64 printable characters (review proposes one).', { field: 'clientToken' });
    }
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const records = this.deps.store.launches();
    const existing = journal.get(token);
    let record = existing ? records.get(token) : undefined;

    if (existing) {
      if (existing.state === 'failed') {
        throw new StrataError(
          'Conflict',
          `The launch with token ${token} ended (${existing.error ?? 'failed'}); start it again from the form, which proposes a new token.`,
        );
      }
      if (record && !sameRequest(record.request, input)) {
        throw new StrataError('Conflict', `Token ${token} belongs to another launch (${existing.spec.name}); a new launch needs a new token.`);
      }
      if (existing.state === 'done') return this.finished(existing, record, input);
      if (existing.state === 'sent') {
        // The request may have arrived: if it did, its servers exist and nothing is sent again.
        const found = await this.withRetry(() => this.deps.provider.serversByToken(token));
        if (found.length > 0) return this.complete(token, found, input, { resumed: true, adopted: true, progress });
      }
    }

    progress('validating', 'Checking the launch.');
    const prepared = await this.prepare(input, { record });
    if (prepared.problems.length > 0) throw new LaunchRefused(prepared.problems);
    const request = parseLaunchRequest(input, 'The launch form');
    if (record?.userDataSha256 !== undefined && record.userDataSha256 !== prepared.userFile?.sha256) {
      throw new StrataError(
        'Conflict',
        `The user data file ${request.userDataFile ?? ''} changed since this launch was started; a retry must send the same request. Abandon it and launch again.`,
        { field: 'userDataFile' },
      );
    }

    // The journal entry and the launch record, before anything changes at the provider.
    if (!existing) {
      progress('journal', 'Writing the launch to the journal.');
      const product = prepared.catalogue.products.find((p) => p.id === request.productId);
      this.deps.store.transaction(() => {
        journal.begin(token, prepared.spec);
        record = records.create({
          clientToken: token,
          provider: this.deps.providerId,
          region: this.deps.region,
          request: stripUndefined(request),
          ...(prepared.userFile ? { userDataSha256: prepared.userFile.sha256 } : {}),
          ...(request.group ? { group: request.group } : {}),
          ...(request.billingCode ? { billingCode: request.billingCode } : {}),
          productId: request.productId,
          ...(product?.hourlyPrice !== undefined ? { hourlyPrice: product.hourlyPrice } : {}),
          tagsAtProvider: this.tagsAtProvider,
        });
        this.audit('launch.requested', token, {
          name: request.name,
          count: request.count,
          imageId: request.imageId,
          productId: request.productId,
          firewallIds: request.firewallIds,
          ...(request.newFirewall ? { newFirewall: { name: request.newFirewall.name, rules: request.newFirewall.rules.length } } : {}),
          keypair: request.keypair.mode === 'none' ? 'none' : `${request.keypair.mode}: ${request.keypair.name}`,
          ...(request.group ? { group: request.group } : {}),
          ...(request.billingCode ? { billingCode: request.billingCode } : {}),
          ...(request.volumes ? { volumes: request.volumes } : {}),
          ...(request.userDataFile ? { userDataFile: request.userDataFile } : {}),
          where: this.tagsAtProvider ? 'tags' : 'local store',
        });
      });
    } else if (!record) {
      throw new StrataError('Conflict', `The journal entry of token ${token} has no launch record; abandon it and launch again.`);
    }

    // The keypair, once.
    let keyFile: LaunchOutcome['keyFile'];
    if (request.keypair.mode === 'create') {
      progress('keypair', `Making the keypair "${request.keypair.name}".`);
      keyFile = await this.ensureKeypair(token, request, record!);
    }

    // The passphrase, kept before the request (a retry then sends the very same user data).
    let passphrase: string | undefined;
    if (request.volumes?.encrypt) {
      progress('passphrase', 'Generating the volume passphrase and putting it in the secret store.');
      passphrase = (await this.ensurePassphrase(token, record!)).passphrase;
    }

    const built = this.buildUserData(request, passphrase, prepared.userFile?.text, true);
    const spec = this.specFor(request, built.full);

    journal.markSent(token);
    progress('sending', `Sending the launch to ${this.deps.description.displayName} ${this.deps.region}.`);
    let servers: Server[];
    try {
      servers = await this.withRetry(
        () => this.deps.provider.launch(spec, token),
        (attempt) => progress('sending', `The provider is throttling; trying again with the same token (attempt ${attempt}).`, attempt),
      );
    } catch (error) {
      if (isRetryable(error) && error instanceof StrataError) {
        // The answer was lost or never came: the request may have arrived. Left 'sent' for reconcile.
        throw new StrataError(
          error.kind,
          `The launch may or may not have reached the provider (${describeError(error)}). It stays in the journal; retry it (same token, never a second launch) or let strata check at the next start.`,
          { cause: error },
        );
      }
      const reason = describeError(error);
      this.deps.store.transaction(() => {
        journal.markFailed(token, reason);
        this.audit('launch.failed', token, { name: request.name, reason });
      });
      throw error;
    }
    progress('answered', `The provider started ${plural(servers.length, 'server')}.`);
    return this.complete(token, servers, request, { resumed: existing !== undefined, adopted: false, progress, keyFile });
  }

  /** Offers what the UI asks for after a launch: the key in the running ssh-agent. */
  addKeyToAgent(path: string): Promise<AgentResult> {
    return addToAgent(path, this.env);
  }

  private async ensureKeypair(token: string, request: LaunchRequest, record: LaunchRecord): Promise<NonNullable<LaunchOutcome['keyFile']>> {
    if (request.keypair.mode !== 'create') throw new Error('unreachable');
    const name = request.keypair.name;
    const dir = this.keyDirectory(request);
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
    const atProvider = (await this.withRetry(() => this.deps.provider.listKeypairs())).find((k) => k.name === name);
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
      const created = await this.withRetry(() => this.deps.provider.createKeypair(name));
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
      const imported = await this.withRetry(() => this.deps.provider.importKeypair(name, publicKey));
      step = { name, fingerprint: imported.fingerprint ?? fingerprintOfPublicKey(publicKey), how: 'imported', path: keyPath };
    }
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

  private secrets(): Promise<SecretStore> {
    this.secretStore ??= this.deps.secrets().catch((error: unknown) => {
      this.secretStore = undefined;
      throw error;
    });
    return this.secretStore;
  }

  private async ensurePassphrase(token: string, record: LaunchRecord): Promise<{ store: SecretStore; account: string; passphrase: string }> {
    const store = await this.secrets();
    const account = launchPassphraseAccount(this.deps.providerId, this.deps.region, token);
    const existing = await store.get(account);
    if (existing) return { store, account, passphrase: existing };
    if (record.passphrase) {
      throw new StrataError(
        'Conflict',
        `The passphrase of this launch was kept in ${record.passphrase.path ?? record.passphrase.where} under ${account}, and it is no longer there; abandon this launch and start again.`,
      );
    }
    const passphrase = generatePassphrase();
    await store.set(account, passphrase);
    this.deps.store.transaction(() => {
      this.deps.store.launches().notePassphrase(token, { where: store.where, ...(store.path ? { path: store.path } : {}), accounts: [account] });
      this.audit('passphrase.stored', account, { where: store.describe(), ...(store.path ? { file: store.path } : {}), account, launch: token });
    });
    return { store, account, passphrase };
  }

  /** The servers are known: the journal, the local records, the audit log, the passphrase under each server. */
  private async complete(
    token: string,
    servers: Server[],
    input: LaunchRequest,
    options: { resumed: boolean; adopted: boolean; progress?: (step: LaunchStep, message: string) => void; keyFile?: LaunchOutcome['keyFile'] },
  ): Promise<LaunchOutcome> {
    options.progress?.('recording', 'Recording the servers.');
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const records = this.deps.store.launches();
    const ids = servers.map((s) => s.id);
    const request = input;
    const warnings: string[] = [];
    this.deps.store.transaction(() => {
      const before = journal.get(token);
      if (before?.state !== 'done') journal.markDone(token, ids);
      if (records.get(token)) records.addServers(token, ids);
      if (before?.state !== 'done') {
        if (request.newFirewall) {
          const newId = servers[0]?.firewallIds.find((id) => !request.firewallIds.includes(id));
          this.audit('firewall.created', newId ?? request.newFirewall.name, {
            name: request.newFirewall.name,
            rules: request.newFirewall.rules.length,
            ...(newId ? { id: newId } : {}),
            launch: token,
          });
        }
        this.audit(options.adopted ? 'launch.adopted' : 'launch.done', token, {
          name: request.name,
          serverIds: ids,
          ...(request.group ? { group: request.group } : {}),
          ...(request.billingCode ? { billingCode: request.billingCode } : {}),
          where: this.tagsAtProvider ? 'tags' : 'local store',
        });
      }
    });

    let passphrase: LaunchOutcome['passphrase'];
    const record = records.get(token);
    if (record?.passphrase) {
      try {
        passphrase = await this.passphrasePerServer(token, record, ids);
      } catch (error) {
        warnings.push(
          `The servers run, but their volume passphrase could not be copied to each server's entry: ${describeError(error)} It is still kept under ${launchPassphraseAccount(this.deps.providerId, this.deps.region, token)}.`,
        );
      }
    }
    const keyFile =
      options.keyFile ??
      (record?.keypair?.path ? { path: record.keypair.path, fingerprint: record.keypair.fingerprint, how: record.keypair.how } : undefined);
    options.progress?.('done', `Launched ${plural(servers.length, 'server')}.`);
    return {
      clientToken: token,
      servers,
      resumed: options.resumed,
      ...(keyFile ? { keyFile, agent: { available: agentAvailable(this.env) } } : {}),
      ...(passphrase ? { passphrase } : {}),
      warnings,
    };
  }

  private async passphrasePerServer(token: string, record: LaunchRecord, ids: string[]): Promise<NonNullable<LaunchOutcome['passphrase']>> {
    const store = await this.secrets();
    const account = launchPassphraseAccount(this.deps.providerId, this.deps.region, token);
    const accounts = ids.map(luksAccount);
    const already = record.passphrase!.accounts;
    if (!accounts.every((a) => already.includes(a))) {
      const value = await store.get(account);
      if (!value) throw new StrataError('NotFound', `the passphrase is not under ${account} in ${store.describe()}.`);
      for (const a of accounts) await store.set(a, value);
      this.deps.store.transaction(() => {
        this.deps.store.launches().notePassphrase(token, {
          where: store.where,
          ...(store.path ? { path: store.path } : {}),
          accounts: [...new Set([...already, ...accounts])],
        });
        this.audit('passphrase.stored', token, { where: store.describe(), ...(store.path ? { file: store.path } : {}), accounts, launch: token });
      });
    }
    return { where: store.where, ...(store.path ? { path: store.path } : {}), describe: store.describe(), accounts };
  }

  /** A launch found done in the journal: its servers, as the provider lists them now. */
  private async finished(entry: JournalEntry, record: LaunchRecord | undefined, input: LaunchRequest): Promise<LaunchOutcome> {
    const servers = entry.serverIds.length
      ? await this.withRetry(() => this.deps.provider.listServers(entry.serverIds))
      : await this.withRetry(() => this.deps.provider.serversByToken(entry.clientToken));
    return this.complete(entry.clientToken, servers, input, { resumed: true, adopted: false });
  }

  // ---- reconcile -----------------------------------------------------------------------------------------

  /** On start: every unfinished launch of this provider and region, asked of the provider by its token. */
  async reconcile(): Promise<ReconcileItem[]> {
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const items: ReconcileItem[] = [];
    for (const entry of journal.unfinished()) {
      const servers = await this.withRetry(() => this.deps.provider.serversByToken(entry.clientToken));
      const request = this.storedRequest(entry.clientToken);
      if (servers.length > 0) {
        await this.complete(entry.clientToken, servers, request ?? requestFromSpec(entry.spec), { resumed: true, adopted: true });
        items.push({ state: 'adopted', entry: journal.get(entry.clientToken)!, servers });
      } else {
        items.push({ state: entry.state === 'pending' ? 'unsent' : 'needs-confirmation', entry, ...(request ? { request } : {}) });
      }
    }
    return items;
  }

  /** Re-runs an unfinished launch with its own token and its stored request (idempotent at the provider). */
  async retry(token: string, options: Omit<LaunchOptions, 'clientToken'> = {}): Promise<LaunchOutcome> {
    const request = this.storedRequest(token);
    if (!request) throw new StrataError('NotFound', `No launch with token ${token} is in the journal of ${this.where()}.`);
    return this.launch(request, { ...options, clientToken: token });
  }

  /**
   * Gives up an unfinished launch (the user said so): marked failed in the journal, audit-logged. Where
   * the provider has servers for its token after all, they are adopted instead.
   */
  async abandon(token: string): Promise<{ state: 'abandoned' } | { state: 'adopted'; servers: Server[] }> {
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const entry = journal.get(token);
    if (!entry) throw new StrataError('NotFound', `No launch with token ${token} is in the journal of ${this.where()}.`);
    if (entry.state === 'done' || entry.state === 'failed') {
      throw new StrataError('Conflict', `The launch with token ${token} is already ${entry.state}.`);
    }
    const servers = await this.withRetry(() => this.deps.provider.serversByToken(token));
    if (servers.length > 0) {
      await this.complete(token, servers, this.storedRequest(token) ?? requestFromSpec(entry.spec), { resumed: true, adopted: true });
      return { state: 'adopted', servers };
    }
    this.deps.store.transaction(() => {
      journal.markFailed(token, 'abandoned by the user');
      this.audit('launch.abandoned', token, { name: entry.spec.name, state: entry.state });
    });
    return { state: 'abandoned' };
  }

  private storedRequest(token: string): LaunchRequest | undefined {
    const record = this.deps.store.launches().get(token);
    if (!record) return undefined;
    try {
      return parseLaunchRequest(record.request, `The stored request of launch ${token}`);
    } catch {
      return undefined;
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------------------

  private withRetry<T>(call: () => Promise<T>, onRetry?: (attempt: number) => void): Promise<T> {
    return withRetry(call, this.deps.retry, { onRetry });
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    this.deps.store.audit.append({ provider: this.deps.providerId, region: this.deps.region, action, target, detail });
  }

  private where(): string {
    return `${this.deps.description.displayName} ${this.deps.region}`;
  }
}

/** A field of the spec (core's validation) as the form names it. */
function formField(field: string, request: LaunchRequest): string {
  if (field === 'keypairName') return request.keypair.mode === 'none' ? 'keypair' : 'keypair.name';
  if (field === 'userData') return 'userDataFile';
  return field;
}

/** A fresh client token (a UUID: 36 printable characters, within every provider's limit). */
export function newClientToken(): string {
  return randomUUID();
}

function localFingerprint(path: string): string | undefined {
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

/** For a journal entry without a record (written by an older strata): the request its spec implies. */
function requestFromSpec(spec: LaunchSpec): LaunchRequest {
  return {
    name: spec.name,
    imageId: spec.imageId,
    productId: spec.productId,
    count: spec.count,
    firewallIds: spec.firewallIds ?? [],
    ...(spec.newFirewall ? { newFirewall: spec.newFirewall } : {}),
    keypair: spec.keypairName ? { mode: 'existing', name: spec.keypairName } : { mode: 'none' },
    ...(spec.group ? { group: spec.group } : {}),
    ...(spec.billingCode ? { billingCode: spec.billingCode } : {}),
    ...(spec.volumes ? { volumes: spec.volumes } : {}),
  };
}

function sameRequest(stored: unknown, input: LaunchRequest): boolean {
  return canonical(stored) === canonical(stripUndefined(input));
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A copy without undefined fields (what JSON would keep): journal entries and recipes compare equal. */
export function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}


function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function gib(n: number): string {
  return `${Number.isInteger(n) ? n : n.toFixed(1)} GiB`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
