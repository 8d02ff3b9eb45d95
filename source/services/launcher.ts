// The launcher: from the launch form to servers, never twice and never lost (DESIGN.md "Launch and volumes").
//
//   review(request)   reads only: the catalogue, validation (core) plus the checks that need the disk and
//                     the config (user data file, key file, quota), the exact request the provider will
//                     receive, the cloud-init document, and the launch's facts (data; the UI words them).
//   launch(request)   the steps below, in this order, each one's result written down before the next, so a
//                     launch that stops anywhere (a crash, a dropped SSH session, a refusal) is taken up by
//                     the next attempt with the same client token from where it stopped, and never makes
//                     anything twice:
//
//     validating  every problem with its field; nothing is written or sent while one remains.
//     journal     the journal entry and the launch record (the request, how it is sent, the name of the
//                 firewall it will make) BEFORE any change at the provider.
//     keypair     made once (custody.ts): recorded with its key file; an earlier attempt's is taken up.
//     firewall    a new firewall, made once: its name was recorded in the journal step, its id is recorded
//                 now; a firewall of that name that an earlier attempt made (its id recorded, or its
//                 description naming the token, or the very rules asked for) is this launch's own and is
//                 reused, never "exists already".
//     passphrase  one per request, kept in the secret store under the request's token before the request.
//     sending     the journal says 'sent'; then the request(s), retried with the same token while the
//                 provider throttles or does not answer. A launch of several servers is one request per
//                 server under `${token}-1` … `${token}-N`, each idempotent at the provider and each its own
//                 user data (so each server its own volume passphrase, and its own name, name-1 … name-N);
//                 before each request the provider is asked for that token's server, so a retry makes
//                 exactly the missing ones.
//     answered    every server known.
//     recording   the journal done, the servers recorded (group, billing code, price), each passphrase
//                 moved under its server's id.
//
//   reconcile()       on start: every unfinished journal entry is asked of the provider by its token(s):
//                     all servers there -> adopted; some -> partial (a retry makes the missing ones);
//                     none and never sent -> unsent; none but sent -> the user is asked.
//   interrupted()     the same, reading only (a read-only session lists; it never adopts or resumes).
//
// Secrets never reach the store or the audit log: the journal's spec carries the passphrase placeholder,
// the launch record holds the request (names and paths), the audit entries hold names, fingerprints,
// paths and where a secret is kept.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { ProviderDescription } from '../core/capabilities.js';
import { describeError, isRetryable, isStrataError, RefusedWithProblems, StrataError } from '../core/errors.js';
import { dedupeProblems, validateLaunch, type LaunchProblem } from '../core/launch.js';
import { parseCidr } from '../core/network.js';
import { buildCloudConfig, buildUserData, redactUserData } from '../core/userdata.js';
import type { Firewall, FirewallRule, Image, Keypair, LaunchSpec, Product, Server, VolumePlan } from '../core/types.js';
import type { LaunchPreview, ProviderService } from '../providers/provider.js';
import type { SecretStore } from '../secrets/keychain.js';
import { agentAvailable, type AgentResult } from '../secrets/keys.js';
import { generatePassphrase } from '../secrets/passphrase.js';
import type { Store } from '../store/db.js';
import type { JournalEntry } from '../store/journal.js';
import type { LaunchRecord, LaunchSteps } from '../store/launches.js';
import { Billing, type KnownNames, type QuotaFigures } from './billing.js';
import { EMPTY_CONFIG, type StrataConfig } from './config.js';
import { KeyCustody, PassphraseCustody, type KeyFile, type KeypairChoice, type PassphrasePlace, type SweepResult } from './custody.js';
import { refuseIfReadOnly } from './readonly.js';
import { launchRequestProblems, parseLaunchRequest } from './recipes.js';
import { withRetry, type RetryNotice, type RetryOptions, type RetryPolicy } from './retry.js';

export type { LaunchProblem } from '../core/launch.js';
export { launchPassphraseAccount } from './custody.js';
export type { KeypairChoice, KeyFile, KeptPassphrase, SweepResult } from './custody.js';

// ---- the form's request -------------------------------------------------------------------------------

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

/** One request of a launch: its client token and the name of the server(s) it makes. */
export interface LaunchRequestPart {
  /** 1-based. */
  index: number;
  clientToken: string;
  /** The server's name (name-i), or the launch's name where one request makes every server. */
  name: string;
}

/** The facts of a launch, for the review screen to word (ui/panes/launch/words.ts). */
export interface LaunchFacts {
  count: number;
  /** The servers' names, in order: the name itself for one server, name-1 … name-N for several. */
  names: string[];
  /** The requests the launch is sent as: one per server where it has several. */
  requests: LaunchRequestPart[];
  where: { providerId: string; displayName: string; region: string };
  imageId: string;
  image?: Pick<Image, 'id' | 'name' | 'displayName' | 'kind' | 'deprecatedAt' | 'deleteAt'>;
  productId: string;
  product?: Product;
  /** The existing firewalls chosen, with their names where known. */
  firewalls: { id: string; name?: string }[];
  newFirewall?: { name: string; rules: FirewallRule[] };
  keypair: KeypairChoice;
  /** Where a keypair created at launch leaves its private key. */
  keyFile?: { path: string; how: 'created' | 'imported' };
  group?: string;
  billingCode?: string;
  /** Whether group and billing code travel as tags at the provider (else the local store keeps them). */
  tagsAtProvider: boolean;
  volumes?: VolumePlan;
  userDataFile?: string;
  quota?: QuotaFigures;
}

export interface Review {
  /** A fresh token proposed for this launch; pass it to launch() (and keep it for a retry). */
  clientToken: string;
  /** Every problem, each with its field; launch() refuses while there is one. */
  problems: LaunchProblem[];
  /** Things worth a second look that do not stop the launch (a vendor template used directly, …). */
  warnings: string[];
  /** The launch as the journal keeps it; its user data holds the passphrase placeholder, never a passphrase. */
  spec: LaunchSpec;
  /** strata's own cloud-init document (volume plan), redacted; absent where strata adds none. */
  cloudInit?: string;
  /** The whole user data as it will be sent (strata's parts, then the user's file), redacted. */
  userData?: string;
  /** The exact request the provider will receive (redacted): the first request where there is one per server. */
  preview?: LaunchPreview;
  /** The requests the launch is sent as (one per server where it has several). */
  requests: LaunchRequestPart[];
  /** The launch's facts (data), for the review screen. */
  facts: LaunchFacts;
  /** The billing code's quota figures, where it has a quota. */
  quota?: QuotaFigures;
  /** Where a keypair created at launch will leave its private key. */
  keyFile?: { path: string; how: 'created' | 'imported' };
}

export const LAUNCH_STEPS = ['validating', 'journal', 'keypair', 'firewall', 'passphrase', 'sending', 'answered', 'recording', 'done'] as const;
export type LaunchStep = (typeof LAUNCH_STEPS)[number];

export interface LaunchProgress {
  step: LaunchStep;
  /** The request a step is about, where a launch is sent as one request per server. */
  request?: { index: number; of: number; name: string };
  /** keypair, firewall: its name. */
  name?: string;
  /** keypair, firewall: the provider made it (its id, or the keypair's fingerprint); it is written down next. */
  made?: string;
  /** sending: the provider and region, as the status line names them. */
  where?: string;
  /** answered, done: how many servers. */
  servers?: number;
  /** While the provider throttles or does not answer: the retry about to be made, and when. */
  retry?: RetryNotice;
  /** @deprecated retry.attempt */
  attempt?: number;
}

export interface LaunchOptions {
  clientToken: string;
  onProgress?: (progress: LaunchProgress) => void;
  /** Every retry of a provider call this launch makes (also reported through onProgress). */
  onRetry?: (notice: RetryNotice) => void;
}

/**
 * How the servers of an outcome came to be: 'launched' now; 'completed' (an earlier attempt made some,
 * this one the rest); 'adopted' (an earlier attempt's request had arrived: every server was there, nothing
 * was sent now); 'found' (the journal had the launch done already).
 */
export type LaunchHow = 'launched' | 'completed' | 'adopted' | 'found';

export interface LaunchOutcome {
  clientToken: string;
  servers: Server[];
  how: LaunchHow;
  /** @deprecated how !== 'launched' for a token seen before; the UI says "adopted" from `how`. */
  resumed: boolean;
  /** The private key of a keypair created at launch: its file (mode 0600) and fingerprint. */
  keyFile?: KeyFile;
  /** Whether an ssh-agent runs (the UI may OFFER to add the key: addKeyToAgent). */
  agent?: { available: boolean };
  /** Where the volume passphrases are kept (never a passphrase): one account per server. */
  passphrase?: PassphrasePlace;
  /** Requests the provider refused after others had made their servers: the launch stands with fewer. */
  refused?: { name: string; reason: string }[];
  /** What went wrong after the servers were started, each a sentence (the launch itself stands). */
  warnings: string[];
}

export type ReconcileItem =
  | { state: 'adopted'; entry: JournalEntry; servers: Server[] }
  /** Some of the servers exist (one request per server; the rest were not sent, or not yet answered): a retry makes the missing ones. */
  | { state: 'partial'; entry: JournalEntry; request?: LaunchRequest; servers: Server[]; missing: number }
  /** Never sent: retrying is safe. */
  | { state: 'unsent'; entry: JournalEntry; request?: LaunchRequest }
  /** Sent, but the provider has no servers for the token: the request may not have arrived. Ask the user. */
  | { state: 'needs-confirmation'; entry: JournalEntry; request?: LaunchRequest };

/** An unfinished launch as interrupted() lists it, reading only: what the provider has for it. */
export interface InterruptedLaunch {
  entry: JournalEntry;
  request?: LaunchRequest;
  /** The servers the provider has for its token(s). */
  servers: Server[];
  /** How many servers the launch asked for. */
  expected: number;
  /** arrived: every server is there (a session that may act adopts it); partial; unsent; sent (none there). */
  state: 'arrived' | 'partial' | 'unsent' | 'sent';
}

/** A launch refused before anything was sent: every problem with its field. */
export class LaunchRefused extends RefusedWithProblems {
  constructor(problems: LaunchProblem[]) {
    super('The launch was not sent', problems);
  }
}

/** What the launch form offers, each list read with the one retry policy. */
export interface LaunchFormOptions {
  products: Product[];
  firewalls: Firewall[];
  keypairs: Keypair[];
  /** Known groups and billing codes (empty where they could not be read: see warnings). */
  known: KnownNames;
  /** Where a keypair created at launch leaves its private key unless the form says otherwise. */
  keyDirectory: string;
  /** What could not be read but does not stop the form (a sentence each). */
  warnings: string[];
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
  /** The one retry policy (retry.ts) unless told otherwise; its onRetry hears every retry. */
  retry?: RetryPolicy;
  /** A read-only session: every change is refused (ReadOnlySession). */
  readOnly?: boolean;
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

interface Prepared {
  problems: LaunchProblem[];
  spec: LaunchSpec;
  cloudInit?: string;
  userData?: string;
  catalogue: Catalogue;
  quota?: QuotaFigures;
  keyFile?: { path: string; how: 'created' | 'imported' };
  userFile?: UserDataFile;
  /** The firewall an earlier attempt of the launch made, where it has one. */
  ownFirewall?: Firewall;
}

/** The client token of request `index` (1-based) of a launch sent as one request per server. */
export function requestToken(clientToken: string, index: number): string {
  return `${clientToken}-${index}`;
}

export class Launcher {
  private readonly deps: LauncherDeps;
  private readonly env: Record<string, string | undefined>;
  private readonly config: StrataConfig;
  private readonly billing: Billing;
  private readonly retryPolicy: RetryPolicy | undefined;
  /** The keypair made at launch. */
  readonly keys: KeyCustody;
  /** The volume passphrases: kept per server, forgotten when the volumes are gone. */
  readonly passphrases: PassphraseCustody;

  constructor(deps: LauncherDeps) {
    this.deps = deps;
    this.env = deps.env ?? process.env;
    this.config = deps.config ?? EMPTY_CONFIG;
    this.retryPolicy = deps.retry;
    this.billing = new Billing({
      provider: deps.provider,
      description: deps.description,
      store: deps.store,
      providerId: deps.providerId,
      region: deps.region,
      config: this.config,
      ...(deps.retry ? { retry: deps.retry } : {}),
    });
    const custody = {
      provider: deps.provider,
      description: deps.description,
      store: deps.store,
      providerId: deps.providerId,
      region: deps.region,
      env: this.env,
      ...(this.config.sshKeyDirectory || deps.sshDir ? { keyDirectory: this.config.sshKeyDirectory || deps.sshDir } : {}),
      ...(deps.retry ? { retry: deps.retry } : {}),
    };
    this.keys = new KeyCustody(custody);
    this.passphrases = new PassphraseCustody({ ...custody, secrets: deps.secrets });
  }

  private get caps() {
    return this.deps.description.capabilities;
  }

  /** Group and billing code travel as tags at the provider; else they live in the local store. */
  get tagsAtProvider(): boolean {
    return this.billing.tagsAtProvider;
  }

  /** The groups and billing codes the form offers. */
  known(options: RetryOptions = {}) {
    return this.billing.known(undefined, options);
  }

  /** The directory a created key goes to for this request. */
  keyDirectory(request: Pick<LaunchRequest, 'keypair'>): string {
    return this.keys.keyDirectory(request.keypair);
  }

  /**
   * What the launch form offers: sizes, firewalls, keypairs (each read with the one retry policy; a list
   * that still cannot be read fails the form with the provider's sentence), and the known groups and
   * billing codes (where they cannot be read, empty, with a warning).
   */
  async formOptions(options: RetryOptions = {}): Promise<LaunchFormOptions> {
    const p = this.deps.provider;
    const warnings: string[] = [];
    const [products, firewalls, keypairs, known] = await Promise.all([
      this.withRetry(() => p.listProducts(), { ...options, operation: 'listing sizes' }),
      this.withRetry(() => p.listFirewalls(), { ...options, operation: 'listing firewalls' }),
      this.withRetry(() => p.listKeypairs(), { ...options, operation: 'listing keypairs' }),
      this.billing.known(undefined, options).catch((error: unknown) => {
        warnings.push(`The groups and billing codes on servers could not be read: ${describeError(error)}`);
        return this.billing.known([]);
      }),
    ]);
    return { products, firewalls, keypairs, known, keyDirectory: this.keys.keyDirectory({ mode: 'create', name: 'x' }), warnings };
  }

  // ---- review --------------------------------------------------------------------------------------------

  /** Everything the review step shows. Reads only: nothing is sent to the provider but reads. */
  async review(request: LaunchRequest, options: RetryOptions = {}): Promise<Review> {
    const clientToken = newClientToken();
    const prepared = await this.prepare(request, {}, options);
    const requests = this.requestsOf(request, clientToken, request.count > 1 ? 'per-server' : 'one');
    let preview: LaunchPreview | undefined;
    try {
      const first = requests[0]!;
      const spec = requests.length > 1 ? { ...prepared.spec, name: first.name, count: 1 } : prepared.spec;
      preview = await this.deps.provider.previewLaunch(spec, first.clientToken);
    } catch {
      preview = undefined; // the facts and the document still stand
    }
    const facts = this.facts(request, prepared, requests);
    return {
      clientToken,
      problems: prepared.problems,
      warnings: this.warnings(request, prepared.catalogue),
      spec: prepared.spec,
      ...(prepared.cloudInit !== undefined ? { cloudInit: prepared.cloudInit } : {}),
      ...(prepared.userData !== undefined ? { userData: prepared.userData } : {}),
      ...(preview ? { preview } : {}),
      requests,
      facts,
      ...(prepared.quota ? { quota: prepared.quota } : {}),
      ...(prepared.keyFile ? { keyFile: prepared.keyFile } : {}),
    };
  }

  private facts(request: LaunchRequest, prepared: Prepared, requests: LaunchRequestPart[]): LaunchFacts {
    const { catalogue } = prepared;
    const image = catalogue.image;
    const product = catalogue.products.find((p) => p.id === request.productId);
    return {
      count: request.count,
      names: serverNames(request.name, request.count),
      requests,
      where: { providerId: this.deps.providerId, displayName: this.deps.description.displayName, region: this.deps.region },
      imageId: request.imageId,
      ...(image
        ? {
            image: {
              id: image.id,
              name: image.name,
              kind: image.kind,
              ...(image.displayName !== undefined ? { displayName: image.displayName } : {}),
              ...(image.deprecatedAt !== undefined ? { deprecatedAt: image.deprecatedAt } : {}),
              ...(image.deleteAt !== undefined ? { deleteAt: image.deleteAt } : {}),
            },
          }
        : {}),
      productId: request.productId,
      ...(product ? { product } : {}),
      firewalls: request.firewallIds.map((id) => {
        const fw = catalogue.firewalls.find((f) => f.id === id);
        return fw ? { id, name: fw.name } : { id };
      }),
      ...(request.newFirewall ? { newFirewall: request.newFirewall } : {}),
      keypair: request.keypair,
      ...(prepared.keyFile ? { keyFile: prepared.keyFile } : {}),
      ...(request.group ? { group: request.group } : {}),
      ...(request.billingCode ? { billingCode: request.billingCode } : {}),
      tagsAtProvider: this.tagsAtProvider,
      ...(request.volumes ? { volumes: request.volumes } : {}),
      ...(request.userDataFile ? { userDataFile: request.userDataFile } : {}),
      ...(prepared.quota ? { quota: prepared.quota } : {}),
    };
  }

  /**
   * Validation and the redacted spec. `resume` relaxes what an earlier attempt of the same launch
   * legitimately left behind (its keypair and key file, its firewall).
   */
  private async prepare(input: LaunchRequest, resume: { record?: LaunchRecord; entry?: JournalEntry }, options: RetryOptions): Promise<Prepared> {
    const problems: LaunchProblem[] = [];
    // A form that is not even the shape of a request cannot be checked further.
    const shape = launchRequestProblems(input);
    if (shape.length > 0) throw new LaunchRefused(shape);
    const request = parseLaunchRequest(input, 'The launch form');
    const catalogue = await this.catalogue(request.imageId, options);
    const createName = request.keypair.mode === 'create' ? request.keypair.name : undefined;
    // Resuming: a keypair or firewall an earlier attempt of this very launch made is not "taken".
    const madeBefore = createName !== undefined && this.keys.leftover(request.keypair, catalogue.keypairs, resume.record);
    const stillToCreate = createName !== undefined && !catalogue.keypairs.some((k) => k.name === createName);
    const ownFirewall = this.ownFirewall(request, catalogue.firewalls, resume.record, resume.entry);

    // The user's file first: its content is part of the user data that validation measures.
    const userFile = this.readUserDataFile(request, problems);

    // A throwaway passphrase of the real length stands in, so the size checked is the size sent.
    const standIn = request.volumes?.encrypt && this.caps.launch.encryption ? generatePassphrase() : undefined;
    const built = this.buildUserData(request, standIn, userFile?.text, false);
    const spec = this.specFor(request, built.redacted);

    for (const problem of validateLaunch(this.specFor(request, built.full), this.caps, {
      products: catalogue.products,
      firewalls: ownFirewall ? catalogue.firewalls.filter((f) => f.id !== ownFirewall.id) : catalogue.firewalls,
      keypairs: catalogue.keypairs,
      ...(catalogue.image ? { image: catalogue.image } : {}),
      ...(createName !== undefined && (stillToCreate || !madeBefore) ? { keypairToCreate: createName } : {}),
    })) {
      if (madeBefore && problem.field === 'keypairName') continue;
      // The spec's fields, as the form calls them.
      problems.push({ field: formField(problem.field, request), message: problem.message });
    }
    if (catalogue.imageProblem && !problems.some((p) => p.field === 'imageId')) {
      problems.push({ field: 'imageId', message: catalogue.imageProblem });
    }

    const keyFile = this.keys.check(request.keypair, problems, madeBefore);
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
      ...(ownFirewall ? { ownFirewall } : {}),
    };
  }

  private async catalogue(imageId: string, options: RetryOptions): Promise<Catalogue> {
    const p = this.deps.provider;
    const [products, firewalls, keypairs] = await Promise.all([
      this.withRetry(() => p.listProducts(), { ...options, operation: 'listing sizes' }),
      this.withRetry(() => p.listFirewalls(), { ...options, operation: 'listing firewalls' }),
      this.withRetry(() => p.listKeypairs(), { ...options, operation: 'listing keypairs' }),
    ]);
    const out: Catalogue = { products, firewalls, keypairs };
    if (imageId) {
      try {
        out.image = await this.withRetry(() => p.getImage(imageId), { ...options, operation: 'reading the image' });
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

  /** The requests a launch is sent as: one per server under derived tokens, or one for all. */
  private requestsOf(request: Pick<LaunchRequest, 'name' | 'count'>, token: string, mode: LaunchSteps['requests']): LaunchRequestPart[] {
    if (mode === 'one') return [{ index: 1, clientToken: token, name: request.name }];
    return serverNames(request.name, request.count).map((name, i) => ({ index: i + 1, clientToken: requestToken(token, i + 1), name }));
  }

  // ---- launch --------------------------------------------------------------------------------------------

  /**
   * Launches, at most once per client token. A token seen before takes up that launch where it stopped (the
   * request must be the same); a finished one returns its servers. Refuses with LaunchRefused (nothing
   * sent) while the request has a problem, and with ReadOnlySession in a read-only session.
   */
  async launch(input: LaunchRequest, options: LaunchOptions): Promise<LaunchOutcome> {
    refuseIfReadOnly(this.deps.readOnly, 'launch servers');
    const token = options.clientToken;
    let current: LaunchStep = 'validating';
    const progress = (step: LaunchStep, extra: Omit<LaunchProgress, 'step'> = {}) => {
      current = step;
      options.onProgress?.({ step, ...extra });
    };
    let part: LaunchProgress['request'];
    const retry: RetryOptions = {
      onRetry: (notice) => {
        options.onRetry?.(notice);
        progress(current, { retry: notice, attempt: notice.attempt, ...(part ? { request: part } : {}) });
      },
    };
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
      if (existing.state === 'done') return this.finished(existing, input, retry);
      if (existing.state === 'sent') {
        // The request(s) may have arrived: if every server exists, nothing is sent again.
        const found = await this.serversOf(existing, record, retry);
        if (found.complete) return this.complete(token, found.servers, input, { how: 'adopted', progress, parts: found.parts });
      }
    }

    progress('validating');
    const prepared = await this.prepare(input, { ...(record ? { record } : {}), ...(existing ? { entry: existing } : {}) }, retry);
    if (prepared.problems.length > 0) throw new LaunchRefused(prepared.problems);
    const request = parseLaunchRequest(input, 'The launch form');
    if (record?.userDataSha256 !== undefined && record.userDataSha256 !== prepared.userFile?.sha256) {
      throw new StrataError(
        'Conflict',
        `The user data file ${request.userDataFile ?? ''} changed since this launch was started; a retry must send the same request. Abandon it and launch again.`,
        { field: 'userDataFile' },
      );
    }
    // How it is sent: one request per server for several (each its own user data, name and token); a
    // launch an older strata recorded keeps the one request it was made as.
    const mode: LaunchSteps['requests'] = existing ? (record?.steps?.requests ?? 'one') : request.count > 1 ? 'per-server' : 'one';
    if (mode === 'per-server' && requestToken(token, request.count).length > 64) {
      throw new StrataError('Invalid', `A launch of several servers needs a client token of at most ${63 - String(request.count).length} characters (each server's request adds -N to it).`, {
        field: 'clientToken',
      });
    }

    // journal: the entry and the launch record, before anything changes at the provider.
    if (!existing) {
      progress('journal');
      const product = prepared.catalogue.products.find((p) => p.id === request.productId);
      const steps: LaunchSteps = { requests: mode, ...(request.newFirewall ? { firewall: { name: request.newFirewall.name } } : {}) };
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
          steps,
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
          requests: mode === 'per-server' ? request.count : 1,
          where: this.tagsAtProvider ? 'tags' : 'local store',
        });
      });
    } else if (!record) {
      throw new StrataError('Conflict', `The journal entry of token ${token} has no launch record; abandon it and launch again.`);
    }

    // keypair: once.
    let keyFile: KeyFile | undefined;
    if (request.keypair.mode === 'create') {
      progress('keypair', { name: request.keypair.name });
      const name = request.keypair.name;
      keyFile = await this.keys.ensure(token, request.keypair, record!, retry, (made) => progress('keypair', { name, made }));
    }

    // firewall: once (a launch an older strata recorded leaves it to the provider, in the request).
    const extraFirewall: string[] = [];
    if (request.newFirewall && record!.steps?.firewall) {
      progress('firewall', { name: request.newFirewall.name });
      extraFirewall.push(await this.ensureFirewall(token, request, retry, (made) => progress('firewall', { name: request.newFirewall!.name, made })));
    } else if (request.newFirewall && prepared.ownFirewall) {
      // An older strata's launch whose request made the firewall before it was cut: that one is used.
      extraFirewall.push(prepared.ownFirewall.id);
    }

    // passphrase: one per request, kept before the request (a retry then sends the very same user data).
    const parts = this.requestsOf(request, token, mode);
    const passphrases = new Map<number, string>();
    if (request.volumes?.encrypt) {
      for (const p of parts) {
        part = parts.length > 1 ? { index: p.index, of: parts.length, name: p.name } : undefined;
        progress('passphrase', part ? { request: part } : {});
        passphrases.set(p.index, await this.passphrases.ensure(token, p.clientToken, this.deps.store.launches().get(token)!));
      }
    }

    const specFor = (p: LaunchRequestPart): LaunchSpec => {
      const built = this.buildUserData(request, passphrases.get(p.index), prepared.userFile?.text, true);
      const spec = this.specFor(request, built.full);
      if (extraFirewall.length > 0) {
        spec.firewallIds = [...spec.firewallIds, ...extraFirewall];
        delete spec.newFirewall;
      }
      if (mode === 'per-server') {
        spec.name = p.name;
        spec.count = 1;
      }
      return spec;
    };

    // sending: the journal says so first; then each request that has no server yet.
    journal.markSent(token);
    const where = `${this.deps.description.displayName} ${this.deps.region}`;
    if (mode === 'one') {
      part = undefined;
      progress('sending', { where });
      const servers = await this.send(specFor(parts[0]!), token, token, request, retry);
      progress('answered', { servers: servers.length });
      return this.complete(token, servers, request, { how: 'launched', progress, ...(keyFile ? { keyFile } : {}) });
    }

    const made = new Map<number, Server>();
    const recorded = this.deps.store.launches().get(token)?.steps?.parts ?? {};
    let before = 0;
    const refused: { name: string; reason: string }[] = [];
    for (const p of parts) {
      part = { index: p.index, of: parts.length, name: p.name };
      // Made by an earlier attempt (recorded, or at the provider under its token): not sent again.
      const found = recorded[String(p.index)] !== undefined ? [] : await this.withRetry(() => this.deps.provider.serversByToken(p.clientToken), { ...retry, operation: 'looking up a launch' });
      if (recorded[String(p.index)] !== undefined || found.length > 0) {
        before++;
        if (found[0]) {
          made.set(p.index, found[0]);
          this.notePart(token, p.index, found[0].id);
        }
        continue;
      }
      progress('sending', { where, request: part });
      try {
        const servers = await this.send(specFor(p), token, p.clientToken, request, retry, made.size + before > 0);
        // The server exists at the provider; it is written down next (a strata that stops here finds it by its token).
        progress('answered', { servers: servers.length, request: part });
        if (servers[0]) {
          made.set(p.index, servers[0]);
          this.notePart(token, p.index, servers[0].id);
        }
      } catch (error) {
        // A refusal after other servers were made: the launch stands with those, the rest is said.
        if (error instanceof PartRefused) {
          refused.push({ name: p.name, reason: error.message });
          break;
        }
        throw error;
      }
    }
    part = undefined;
    // Servers recorded by an earlier attempt, as the provider lists them now.
    const missing = Object.entries(this.deps.store.launches().get(token)?.steps?.parts ?? {}).filter(([i]) => !made.has(Number(i)));
    if (missing.length > 0) {
      const listed = await this.withRetry(() => this.deps.provider.listServers(missing.map(([, id]) => id)), { ...retry, operation: 'listing servers' });
      for (const [i, id] of missing) {
        const server = listed.find((s) => s.id === id);
        if (server) made.set(Number(i), server);
      }
    }
    const servers = [...made.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
    return this.complete(token, servers, request, {
      how: before === 0 ? 'launched' : made.size === before ? 'adopted' : 'completed',
      progress,
      parts: new Map([...made.entries()].map(([i, s]) => [i, s])),
      ...(keyFile ? { keyFile } : {}),
      ...(refused.length > 0 ? { refused } : {}),
    });
  }

  /**
   * One request to the provider, retried with the same token while it throttles or does not answer. A
   * lost answer that outlasts the retries leaves the launch 'sent' (reconcile asks); a refusal marks it
   * failed, or, where other servers of the launch exist already (`partial`), is a PartRefused.
   */
  private async send(spec: LaunchSpec, token: string, requestToken: string, request: LaunchRequest, retry: RetryOptions, partial = false): Promise<Server[]> {
    try {
      return await this.withRetry(() => this.deps.provider.launch(spec, requestToken), { ...retry, operation: 'launching' });
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
      if (partial) throw new PartRefused(reason);
      const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
      this.deps.store.transaction(() => {
        journal.markFailed(token, reason);
        this.audit('launch.failed', token, { name: request.name, reason });
      });
      throw error;
    }
  }

  private notePart(token: string, index: number, serverId: string): void {
    const launches = this.deps.store.launches();
    this.deps.store.transaction(() => {
      const steps = launches.get(token)?.steps ?? { requests: 'per-server' };
      if (steps.parts?.[String(index)] === serverId) return;
      launches.noteSteps(token, { ...steps, parts: { ...(steps.parts ?? {}), [String(index)]: serverId } });
      launches.addServers(token, [serverId]);
    });
  }

  /**
   * The launch's new firewall, made once. Its name was recorded in the journal step; a firewall of that
   * name made by an earlier attempt (its id recorded, its description naming the token, or exactly the
   * rules asked for) is taken up; one that is someone else's is a Conflict at the field.
   */
  private async ensureFirewall(token: string, request: LaunchRequest, retry: RetryOptions, onMade?: (id: string) => void): Promise<string> {
    const launches = this.deps.store.launches();
    const wanted = request.newFirewall!;
    const steps = launches.get(token)!.steps!;
    const list = () => this.withRetry(() => this.deps.provider.listFirewalls(), { ...retry, operation: 'listing firewalls' });
    let firewalls = await list();
    if (steps.firewall?.id && firewalls.some((f) => f.id === steps.firewall!.id)) return steps.firewall.id;
    const adopt = (fw: Firewall, how: 'created' | 'adopted'): string => {
      this.deps.store.transaction(() => {
        launches.noteSteps(token, { ...launches.get(token)!.steps!, firewall: { name: wanted.name, id: fw.id } });
        this.audit('firewall.created', fw.id, {
          name: wanted.name,
          rules: wanted.rules.length,
          id: fw.id,
          launch: token,
          ...(how === 'adopted' ? { how: 'made by an earlier attempt of this launch, taken up' } : {}),
        });
      });
      return fw.id;
    };
    const mine = (fw: Firewall | undefined) => fw !== undefined && isOwnFirewall(fw, token, wanted.rules);
    let found = firewalls.find((f) => f.name === wanted.name);
    if (found) {
      if (mine(found)) return adopt(found, 'adopted');
      throw new StrataError('Conflict', `A firewall named "${wanted.name}" exists, and it is not the one this launch made; abandon this launch and give the new firewall another name.`, {
        field: 'newFirewall.name',
      });
    }
    let created: Firewall;
    try {
      created = await this.withRetry(() => this.deps.provider.createFirewall(wanted.name, wanted.rules, firewallDescription(token)), {
        ...retry,
        operation: 'creating the firewall',
      });
    } catch (error) {
      // A lost answer then a retry: "exists" is this launch's own firewall.
      if (!isStrataError(error) || error.kind !== 'Conflict') throw error;
      firewalls = await list();
      found = firewalls.find((f) => f.name === wanted.name);
      if (mine(found)) return adopt(found!, 'adopted');
      throw error;
    }
    onMade?.(created.id);
    return adopt(created, 'created');
  }

  /** The firewall of this name that an earlier attempt of the launch made, where there is one. */
  private ownFirewall(request: LaunchRequest, firewalls: Firewall[], record: LaunchRecord | undefined, entry: JournalEntry | undefined): Firewall | undefined {
    if (!request.newFirewall || !record) return undefined;
    const fw = firewalls.find((f) => f.name === request.newFirewall!.name);
    if (!fw) return undefined;
    const step = record.steps?.firewall;
    if (step?.id !== undefined) return step.id === fw.id ? fw : undefined;
    if (step) return isOwnFirewall(fw, record.clientToken, request.newFirewall.rules) ? fw : undefined;
    // Recorded by an older strata: the provider made the firewall within the request that was sent.
    if (!record.steps && entry?.state === 'sent') return sameRules(fw.rules, request.newFirewall.rules) ? fw : undefined;
    return undefined;
  }

  /** Offers what the UI asks for after a launch: the key in the running ssh-agent. */
  addKeyToAgent(path: string): Promise<AgentResult> {
    return this.keys.addToAgent(path);
  }

  /** The servers of a launch at the provider: by its token, or by each request's token. */
  private async serversOf(
    entry: JournalEntry,
    record: LaunchRecord | undefined,
    retry: RetryOptions,
  ): Promise<{ servers: Server[]; complete: boolean; parts?: Map<number, Server> }> {
    const token = entry.clientToken;
    const lookUp = (t: string) => this.withRetry(() => this.deps.provider.serversByToken(t), { ...retry, operation: 'looking up a launch' });
    if (record?.steps?.requests !== 'per-server') {
      const servers = await lookUp(token);
      return { servers, complete: servers.length > 0 };
    }
    const parts = new Map<number, Server>();
    for (let i = 1; i <= entry.spec.count; i++) {
      const found = await lookUp(requestToken(token, i));
      if (found[0]) parts.set(i, found[0]);
    }
    const servers = [...parts.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
    return { servers, complete: parts.size === entry.spec.count, parts };
  }

  /** The servers are known: the journal, the local records, the audit log, the passphrase under each server. */
  private async complete(
    token: string,
    servers: Server[],
    request: LaunchRequest,
    options: {
      how: LaunchHow;
      progress?: (step: LaunchStep, extra?: Omit<LaunchProgress, 'step' | 'message'>) => void;
      keyFile?: KeyFile;
      parts?: Map<number, Server>;
      refused?: { name: string; reason: string }[];
    },
  ): Promise<LaunchOutcome> {
    options.progress?.('recording');
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const records = this.deps.store.launches();
    const ids = servers.map((s) => s.id);
    const warnings: string[] = [];
    for (const r of options.refused ?? []) warnings.push(`The provider refused the server ${r.name}: ${r.reason}`);
    // The servers first (and which request made each), then their passphrases under their ids, then the
    // journal: a strata that stops in between finds the launch unfinished and adopts it again.
    let record = records.get(token);
    if (record) {
      this.deps.store.transaction(() => {
        if (options.parts && record!.steps?.requests === 'per-server') {
          const parts = Object.fromEntries([...options.parts.entries()].map(([i, s]) => [String(i), s.id]));
          records.noteSteps(token, { ...record!.steps, parts: { ...(record!.steps.parts ?? {}), ...parts } });
        }
        records.addServers(token, ids);
      });
      record = records.get(token);
    }

    let passphrase: PassphrasePlace | undefined;
    if (record?.passphrase && servers.length > 0) {
      try {
        passphrase = await this.passphrasesPerServer(token, record, servers);
      } catch (error) {
        warnings.push(`The servers run, but their volume passphrases could not be moved to each server's entry: ${describeError(error)} They are still kept under the launch's token.`);
      }
    }

    this.deps.store.transaction(() => {
      const before = journal.get(token);
      if (before?.state === 'done') return;
      journal.markDone(token, ids);
      if (request.newFirewall && !record?.steps?.firewall) {
        // An older strata's launch: the provider made the firewall within the request.
        const newId = servers[0]?.firewallIds.find((id) => !request.firewallIds.includes(id));
        this.audit('firewall.created', newId ?? request.newFirewall.name, {
          name: request.newFirewall.name,
          rules: request.newFirewall.rules.length,
          ...(newId ? { id: newId } : {}),
          launch: token,
        });
      }
      this.audit(options.how === 'adopted' ? 'launch.adopted' : 'launch.done', token, {
        name: request.name,
        serverIds: ids,
        how: options.how,
        ...(request.group ? { group: request.group } : {}),
        ...(request.billingCode ? { billingCode: request.billingCode } : {}),
        ...(options.refused?.length ? { refused: options.refused } : {}),
        where: this.tagsAtProvider ? 'tags' : 'local store',
      });
    });

    const keyFile =
      options.keyFile ??
      (record?.keypair?.path ? { path: record.keypair.path, fingerprint: record.keypair.fingerprint, how: record.keypair.how } : undefined);
    options.progress?.('done', { servers: servers.length });
    return {
      clientToken: token,
      servers,
      how: options.how,
      resumed: options.how !== 'launched',
      ...(keyFile ? { keyFile, agent: { available: agentAvailable(this.env) } } : {}),
      ...(passphrase ? { passphrase } : {}),
      ...(options.refused?.length ? { refused: options.refused } : {}),
      warnings,
    };
  }

  /** Each server's passphrase under its id: per request where it was one per server, else the launch's for all. */
  private async passphrasesPerServer(token: string, record: LaunchRecord, servers: Server[]): Promise<PassphrasePlace> {
    if (record.steps?.requests === 'per-server') {
      const byId = new Map(Object.entries(record.steps.parts ?? {}).map(([i, id]) => [id, Number(i)]));
      let place: PassphrasePlace | undefined;
      const accounts: string[] = [];
      for (const server of servers) {
        const index = byId.get(server.id) ?? Number(/-(\d+)$/.exec(server.clientToken ?? '')?.[1]);
        if (!Number.isInteger(index) || index < 1) throw new StrataError('NotFound', `strata cannot tell which request made server ${server.id}.`);
        place = await this.passphrases.keepForServers(token, requestToken(token, index), [server.id]);
        accounts.push(...place.accounts);
      }
      if (!place) throw new StrataError('NotFound', 'no server to keep a passphrase for.');
      return { ...place, accounts };
    }
    return this.passphrases.keepForServers(token, token, servers.map((s) => s.id));
  }

  /** A launch found done in the journal: its servers, as the provider lists them now. */
  private async finished(entry: JournalEntry, input: LaunchRequest, retry: RetryOptions): Promise<LaunchOutcome> {
    const order = (id: string) => entry.serverIds.indexOf(id);
    const servers = entry.serverIds.length
      ? (await this.withRetry(() => this.deps.provider.listServers(entry.serverIds), { ...retry, operation: 'listing servers' })).sort(
          (a, b) => order(a.id) - order(b.id),
        )
      : await this.withRetry(() => this.deps.provider.serversByToken(entry.clientToken), { ...retry, operation: 'looking up a launch' });
    return this.complete(entry.clientToken, servers, input, { how: 'found' });
  }

  // ---- reconcile -----------------------------------------------------------------------------------------

  /**
   * Every unfinished launch of this provider and region, with what the provider has for it. Reads only:
   * a read-only session lists interrupted launches with this and never takes them up.
   */
  async interrupted(options: RetryOptions = {}): Promise<InterruptedLaunch[]> {
    return (await this.scan(options)).map(({ parts: _parts, ...item }) => item);
  }

  private async scan(options: RetryOptions): Promise<(InterruptedLaunch & { parts?: Map<number, Server> })[]> {
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const out: (InterruptedLaunch & { parts?: Map<number, Server> })[] = [];
    for (const entry of journal.unfinished()) {
      const record = this.deps.store.launches().get(entry.clientToken);
      const found = await this.serversOf(entry, record, options);
      const request = this.storedRequest(entry.clientToken);
      out.push({
        entry,
        ...(request ? { request } : {}),
        servers: found.servers,
        expected: entry.spec.count,
        state: found.complete ? 'arrived' : found.servers.length > 0 ? 'partial' : entry.state === 'pending' ? 'unsent' : 'sent',
        ...(found.parts ? { parts: found.parts } : {}),
      });
    }
    return out;
  }

  /** On start: every unfinished launch of this provider and region, asked of the provider by its token(s). */
  async reconcile(options: RetryOptions = {}): Promise<ReconcileItem[]> {
    refuseIfReadOnly(this.deps.readOnly, 'take up interrupted launches');
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const items: ReconcileItem[] = [];
    for (const item of await this.scan(options)) {
      const { entry, request } = item;
      if (item.state === 'arrived') {
        await this.complete(entry.clientToken, item.servers, request ?? requestFromSpec(entry.spec), { how: 'adopted', ...(item.parts ? { parts: item.parts } : {}) });
        items.push({ state: 'adopted', entry: journal.get(entry.clientToken)!, servers: item.servers });
      } else if (item.state === 'partial') {
        items.push({ state: 'partial', entry, ...(request ? { request } : {}), servers: item.servers, missing: item.expected - item.servers.length });
      } else {
        items.push({ state: item.state === 'unsent' ? 'unsent' : 'needs-confirmation', entry, ...(request ? { request } : {}) });
      }
    }
    return items;
  }

  /** Re-runs an unfinished launch with its own token and its stored request (idempotent at the provider). */
  async retry(token: string, options: Omit<LaunchOptions, 'clientToken'> = {}): Promise<LaunchOutcome> {
    refuseIfReadOnly(this.deps.readOnly, 'retry launches');
    const request = this.storedRequest(token);
    if (!request) throw new StrataError('NotFound', `No launch with token ${token} is in the journal of ${this.where()}.`);
    return this.launch(request, { ...options, clientToken: token });
  }

  /**
   * Gives up an unfinished launch (the user said so): marked failed in the journal, audit-logged. Where
   * the provider has servers for it after all, they are adopted instead (a partial launch: those it has).
   */
  async abandon(token: string, options: RetryOptions = {}): Promise<{ state: 'abandoned' } | { state: 'adopted'; servers: Server[] }> {
    refuseIfReadOnly(this.deps.readOnly, 'abandon launches');
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    const entry = journal.get(token);
    if (!entry) throw new StrataError('NotFound', `No launch with token ${token} is in the journal of ${this.where()}.`);
    if (entry.state === 'done' || entry.state === 'failed') {
      throw new StrataError('Conflict', `The launch with token ${token} is already ${entry.state}.`);
    }
    const record = this.deps.store.launches().get(token);
    const found = await this.serversOf(entry, record, options);
    if (found.servers.length > 0) {
      await this.complete(token, found.servers, this.storedRequest(token) ?? requestFromSpec(entry.spec), {
        how: 'adopted',
        ...(found.parts ? { parts: found.parts } : {}),
      });
      return { state: 'adopted', servers: found.servers };
    }
    this.deps.store.transaction(() => {
      journal.markFailed(token, 'abandoned by the user');
      this.audit('launch.abandoned', token, { name: entry.spec.name, state: entry.state });
    });
    return { state: 'abandoned' };
  }

  /**
   * The volume passphrases whose volumes are gone are deleted from the secret store (see custody.ts);
   * `listing` is the watcher's list of every server of the region, else the provider is asked. Refused in
   * a read-only session.
   */
  sweepPassphrases(listing?: Server[]): Promise<SweepResult> {
    refuseIfReadOnly(this.deps.readOnly, 'delete passphrases');
    return this.passphrases.sweep(listing);
  }

  /** Deletes a server's passphrase at the user's word (its volumes are gone). */
  forgetPassphrase(serverId: string): Promise<boolean> {
    refuseIfReadOnly(this.deps.readOnly, 'delete passphrases');
    return this.passphrases.forget(serverId);
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

  private withRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
    return withRetry(call, this.retryPolicy, options);
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    this.deps.store.audit.append({ provider: this.deps.providerId, region: this.deps.region, action, target, detail });
  }

  private where(): string {
    return `${this.deps.description.displayName} ${this.deps.region}`;
  }
}

/** A request of a per-server launch refused after others made their servers. */
class PartRefused extends Error {}

/** The names of a launch's servers: the name for one, name-1 … name-N for several (as every provider names them). */
export function serverNames(name: string, count: number): string[] {
  const n = Math.max(1, Math.floor(count) || 1);
  return n === 1 ? [name] : Array.from({ length: n }, (_, i) => `${name}-${i + 1}`);
}

/** The description a firewall made at launch carries: it names the launch's token, so a retry knows it. */
export function firewallDescription(token: string): string {
  return `Created by strata at launch ${token}`;
}

/** Whether a firewall of the launch's name is the one an earlier attempt of the launch made. */
function isOwnFirewall(fw: Firewall, token: string, rules: FirewallRule[]): boolean {
  return (fw.description !== undefined && fw.description.includes(firewallDescription(token))) || sameRules(fw.rules, rules);
}

/** The same rules, whatever their order and however the provider writes a CIDR block. */
function sameRules(a: FirewallRule[], b: FirewallRule[]): boolean {
  const key = (r: FirewallRule) => {
    const cidr = typeof r.source === 'string' ? parseCidr(r.source) : undefined;
    return `${r.protocol} ${r.fromPort} ${r.toPort} ${cidr?.ok ? cidr.value.text : r.source}`;
  };
  const left = [...new Set(a.map(key))].sort();
  const right = [...new Set(b.map(key))].sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** A field of the spec (core's validation) as the form names it. */
function formField(field: string, request: LaunchRequest): string {
  if (field === 'keypairName') return request.keypair.mode === 'none' ? 'keypair' : 'keypair.name';
  if (field === 'userData') return 'userDataFile';
  return field;
}

/** A fresh client token (a UUID: 36 printable characters, within every provider's limit, with room for -N). */
export function newClientToken(): string {
  return randomUUID();
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

/** A value as a string that is the same for equal values (keys sorted, undefined left out): requests compare by it. */
export function canonical(value: unknown): string {
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

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
