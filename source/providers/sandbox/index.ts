// The sandbox provider: strata's default, an emulated cloud kept in ${home}/sandbox.db. It implements the
// provider contract the way a real cloud would — ids, validation, paging, idempotent launch, phases over
// time, typed errors — so the services and the UI cannot tell it from one. Its world is deterministic
// from a seed and its simulated clock; two strata processes on the same home share it.
import { createHash, randomBytes } from 'node:crypto';
import type { Capabilities, ProviderDescription } from '../../core/capabilities.js';
import { StrataError, conflict, invalid, notFound, throttled, transient, unsupported } from '../../core/errors.js';
import { hashParts, hexHash, rngFor, unitHash, type Rng } from '../../core/random.js';
import { BILLING_TAG, COPIED_FROM_TAG, GROUP_TAG, LAUNCH_TAG, NAME_TAG, REGIONAL_TAGS, SOURCE_IMAGE_TAG, SOURCE_SERVER_TAG, parseCopiedFrom } from '../../core/tags.js';
import {
  SCOPES,
  type CreatedKeypair,
  type Firewall,
  type FirewallRule,
  type Image,
  type ImageState,
  type Keypair,
  type LaunchSpec,
  type Page,
  type Product,
  type Server,
  type VolumePlan,
} from '../../core/types.js';
import { basename } from 'node:path';
import { gibOf, inspectImageFile } from '../image-file.js';
import type {
  CaptureOptions,
  CopyOptions,
  CopySource,
  ImportImageOptions,
  LaunchPreview,
  ListImagesOptions,
  ProviderOptions,
  ProviderService,
  RowReferences,
} from '../provider.js';
import { shellWord } from '../../core/shell.js';
import { SandboxClock, checkSpeed, type RealNow } from './clock.js';
import { consoleText } from './console.js';
import { EMULATED, readSandboxHosts, type SandboxHost } from './hosts.js';
import { openSandboxDb, transaction, type Db } from './db.js';
import { parseFaults, type Faults } from './faults.js';
import { generateRsaKey, parsePublicKey } from './keys.js';
import { decodePageToken, encodePageToken, matchesTerms, pageSizeOf, queryTerms } from '../paging.js';
import {
  PROFILE_LINES,
  SANDBOX_REGIONS,
  capabilitiesFor,
  findRegion,
  productsFor,
  type SandboxRegion,
} from './profiles.js';
import { PUBLIC_ID_PREFIX, PublicCatalogue, publicImageIndex } from './public.js';
import { isUp, phaseAt, type Fate } from './readiness.js';
import { checkFirewallRules, checkLaunchSpecShape, checkResourceName, checkTags } from './validate.js';
import { VENDOR_ID_PREFIX, findVendorBuild, liveVendorBuilds, vendorBuildToImage } from './vendor.js';
import { seedFirewalls, seedKeypairs, seedOwnImages } from './world.js';

export { SandboxClock } from './clock.js';
export { HOSTILE_IMAGE_NAME } from './world.js';
export { PUBLIC_CATALOGUE_SIZE } from './public.js';
export { SANDBOX_REGIONS, DEFAULT_REGION } from './profiles.js';
export { SANDBOX_DB_FILE } from './db.js';

/** The seed of a world created without --sandbox-seed. */
export const DEFAULT_SEED = 1;

/** A terminated server is still listed (phase 'terminated') for an hour of simulated time, as on EC2. */
const TERMINATED_VISIBLE_MS = 3_600_000;

/** Hooks for tests; the services and the UI never pass these. */
export interface SandboxInternals {
  /** The real clock the simulated one runs from (ms since 1970). */
  realNow?: RealNow;
  /** The seed of the injected faults' dice (tests: the same faults in the same order on every run). */
  faultSeed?: number;
}

interface ImageRow {
  id: string;
  name: string;
  description: string | null;
  architecture: 'x86_64' | 'arm64';
  platform: string | null;
  size_gib: number | null;
  created_ms: number;
  available_ms: number | null;
  failed_reason: string | null;
  source_image_id: string | null;
  source_server_id: string | null;
  tags: string;
  /** Own images: the deprecation date set on it (simulated ms), or null. */
  deprecated_ms?: number | null;
  copy_token?: string | null;
  copied_from?: string | null;
}

interface ServerRow {
  id: string;
  client_token: string;
  idx: number;
  name: string;
  image_id: string;
  product_id: string;
  firewall_ids: string;
  keypair_name: string | null;
  grp: string | null;
  billing_code: string | null;
  volumes: string | null;
  launched_ms: number;
  terminated_ms: number | null;
  fate: Fate;
  private_address: string;
  public_address: string | null;
  tags: string;
}

interface FirewallRow {
  id: string;
  name: string;
  description: string | null;
  rules: string;
}

interface KeypairRow {
  id: string;
  name: string;
  fingerprint: string;
  created_ms: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

const MAX_DESCRIPTION = 255;

function checkImageDescription(description: unknown): void {
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_DESCRIPTION)) {
    throw invalid(`An image description is text of at most ${MAX_DESCRIPTION} characters.`, 'description');
  }
}

const newImageId = () => 'img-' + randomBytes(9).toString('hex').slice(0, 17);

/** A new own image (captured or imported), as recordOwnImage writes it. */
interface NewOwnImage {
  id: string;
  name: string;
  description: string;
  architecture: 'x86_64' | 'arm64';
  platform: string;
  sizeGiB: number;
  /** When it becomes available (simulated ms); now for an image that is ready at once. */
  availableMs: number;
  sourceImageId: string | null;
  sourceServerId: string | null;
  tags: Record<string, string>;
}

/** Public catalogues are shared by providers of one process while any holds them, then collected. */
const catalogues = new Map<string, WeakRef<PublicCatalogue>>();

function sharedCatalogue(seed: number, region: string): PublicCatalogue {
  const key = `${seed}:${region}`;
  let catalogue = catalogues.get(key)?.deref();
  if (!catalogue) {
    catalogue = new PublicCatalogue(seed, region);
    catalogues.set(key, new WeakRef(catalogue));
  }
  return catalogue;
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw invalid(`The sandbox seed must be a whole number from 0 to 4294967295; got ${seed}.`, 'sandboxSeed');
  }
  return seed;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class SandboxProvider implements ProviderService {
  /** The simulated clock (shared through the database by every provider on this home). */
  readonly clock: SandboxClock;
  private closed = false;
  private catalogue?: PublicCatalogue;
  private readonly faultRng: Rng;
  private readonly caps: Capabilities;
  private readonly products: Product[];
  /** --sandbox-latency: how long a launch's answer takes to come back (ms). */
  latencyMs = 0;
  /** Servers given a real host for tests of ssh (STRATA_SANDBOX_SSH_HOSTS), by name. */
  hosts = new Map<string, SandboxHost>();

  private constructor(
    private readonly db: Db,
    readonly region: SandboxRegion,
    readonly seed: number,
    readonly faults: Faults,
    realNow: RealNow,
    faultSeed?: number,
  ) {
    this.clock = new SandboxClock(db, realNow);
    this.caps = capabilitiesFor(region.profile);
    this.products = productsFor(region.profile);
    this.faultRng = faultSeed !== undefined ? rngFor(faultSeed, 'faults') : rngFor(seed, 'faults', region.id, process.pid, realNow());
  }

  /** Simulated seconds per real second: the effective speed, kept in the world (--sandbox-speed persists). */
  timeScale(): number {
    return this.clock.speed();
  }

  /** Opens (and on first use creates) the sandbox world below options.home. */
  static async open(options: ProviderOptions, internals: SandboxInternals = {}): Promise<SandboxProvider> {
    const realNow = internals.realNow ?? Date.now;
    const region = findRegion(options.region);
    const faults = parseFaults(options.sandboxFaults);
    if (options.sandboxSpeed !== undefined) checkSpeed(options.sandboxSpeed);
    if (options.sandboxSeed !== undefined) checkSeed(options.sandboxSeed);
    if (typeof options.home !== 'string' || options.home === '') throw invalid('The sandbox needs a home directory.', 'home');
    const db = openSandboxDb(options.home);
    try {
      const seed = SandboxProvider.ensureWorld(db, options, realNow);
      const provider = new SandboxProvider(db, region, seed, faults, realNow, internals.faultSeed);
      provider.hosts = readSandboxHosts();
      if (options.sandboxSpeed !== undefined) provider.clock.setSpeed(options.sandboxSpeed);
      if (options.sandboxLatencyMs !== undefined) {
        if (!(Number.isFinite(options.sandboxLatencyMs) && options.sandboxLatencyMs >= 0 && options.sandboxLatencyMs <= 600_000)) {
          throw invalid('The sandbox latency is a number of milliseconds from 0 to 600000.', 'sandboxLatencyMs');
        }
        provider.latencyMs = options.sandboxLatencyMs;
      }
      return provider;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Creates the world on first use (simulated time starts at real now); returns its seed. */
  private static ensureWorld(db: Db, options: ProviderOptions, realNow: RealNow): number {
    const read = () => db.prepare('SELECT seed FROM world WHERE id = 1').get() as { seed: number } | undefined;
    const existing = read() ?? transaction(db, () => {
      const again = read();
      if (again) return again;
      const seed = options.sandboxSeed ?? DEFAULT_SEED;
      const epoch = Math.floor(realNow());
      db.prepare('INSERT INTO world (id, seed, epoch_ms) VALUES (1, ?, ?)').run(seed, epoch);
      db.prepare('INSERT INTO clock (id, real_anchor_ms, sim_anchor_ms, speed) VALUES (1, ?, ?, ?)').run(
        epoch,
        epoch,
        options.sandboxSpeed ?? 1,
      );
      SandboxProvider.seedWorld(db, seed, epoch);
      return { seed };
    });
    if (options.sandboxSeed !== undefined && options.sandboxSeed !== existing.seed) {
      throw invalid(
        `The sandbox in ${options.home} was created with seed ${existing.seed}, not ${options.sandboxSeed}; ` +
          'use another --home for another world, or leave out --sandbox-seed.',
        'sandboxSeed',
      );
    }
    return existing.seed;
  }

  private static seedWorld(db: Db, seed: number, epoch: number): void {
    const insertImage = db.prepare(
      `INSERT INTO images (region, id, name, description, architecture, platform, size_gib, created_ms, available_ms,
         failed_reason, source_image_id, source_server_id, tags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    );
    const insertFirewall = db.prepare(
      'INSERT INTO firewalls (region, id, name, description, rules, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertKeypair = db.prepare(
      'INSERT INTO keypairs (region, id, name, key_type, public_key, fingerprint, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const region of SANDBOX_REGIONS) {
      for (const im of seedOwnImages(seed, region, epoch)) {
        insertImage.run(region.id, im.id, im.name, im.description, im.architecture, im.platform, im.sizeGiB, im.createdMs,
          im.availableMs, im.failedReason, im.sourceImageId, JSON.stringify(im.tags));
      }
      for (const fw of seedFirewalls(seed, region)) {
        insertFirewall.run(region.id, fw.id, fw.name, fw.description, JSON.stringify(fw.rules), epoch - 400 * 86_400_000);
      }
      for (const kp of seedKeypairs(seed, region)) {
        insertKeypair.run(region.id, kp.id, kp.name, kp.type, kp.publicKey, kp.fingerprint, epoch - 300 * 86_400_000);
      }
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------------------

  /** Every call starts here: refuses calls after close, and plays the injected throttling and timeouts. */
  private enter(operation: string, options: { timeoutAfter?: boolean } = {}): void {
    if (this.closed) throw new StrataError('Invalid', `The sandbox provider was closed; ${operation} needs it open.`);
    if (this.faults.throttle > 0 && this.faultRng.chance(this.faults.throttle)) {
      throw throttled(`Sandbox ${this.region.id} is throttling requests (${operation}): rate exceeded.`);
    }
    if (!options.timeoutAfter) this.maybeTimeout(operation);
  }

  private maybeTimeout(operation: string): void {
    if (this.faults.timeout > 0 && this.faultRng.chance(this.faults.timeout)) {
      throw transient(`Sandbox ${this.region.id} did not answer in time (${operation}); the request may be retried.`);
    }
  }

  private where(): string {
    return `sandbox region ${this.region.id}`;
  }

  private get expectedReadyMs(): number {
    return this.caps.servers.expectedReadySeconds * 1000;
  }

  // ---- description ------------------------------------------------------------------------------------

  async describe(): Promise<ProviderDescription> {
    if (this.closed) throw new StrataError('Invalid', 'The sandbox provider was closed.');
    return {
      id: 'sandbox',
      displayName: 'Sandbox cloud',
      region: this.region.id,
      regions: SANDBOX_REGIONS.map((r) => ({ id: r.id, name: r.name })),
      profile: PROFILE_LINES[this.region.profile],
      capabilities: capabilitiesFor(this.region.profile),
    };
  }

  // ---- images -----------------------------------------------------------------------------------------

  private ownImage(row: ImageRow, now: number): Image {
    const tags = JSON.parse(row.tags) as Record<string, string>;
    const deprecatedMs = row.deprecated_ms ?? null;
    const state: ImageState = row.failed_reason
      ? 'failed'
      : row.available_ms === null || row.available_ms > now
        ? 'pending'
        : deprecatedMs !== null && deprecatedMs <= now
          ? 'deprecated'
          : 'available';
    const image: Image = {
      id: row.id,
      name: row.name,
      kind: 'own',
      owner: 'self',
      architecture: row.architecture,
      state,
      createdAt: iso(row.created_ms),
      owned: true,
      tags,
    };
    if (tags[NAME_TAG] !== undefined) image.displayName = tags[NAME_TAG];
    if (row.description !== null) image.description = row.description;
    if (row.source_image_id !== null) image.sourceImageId = row.source_image_id;
    if (row.source_server_id !== null) image.sourceServerId = row.source_server_id;
    const copiedFrom = parseCopiedFrom(row.copied_from ?? undefined);
    if (copiedFrom) image.copiedFrom = copiedFrom;
    if (row.platform !== null) image.platform = row.platform;
    if (row.size_gib !== null) {
      image.sizeGiB = row.size_gib;
      // What it takes up: the sandbox keeps an image as one disk of its size.
      image.storageGiB = row.size_gib;
    }
    if (deprecatedMs !== null) image.deprecatedAt = iso(deprecatedMs);
    return image;
  }

  private ownRow(id: string): ImageRow | undefined {
    return this.db.prepare('SELECT * FROM images WHERE region = ? AND id = ?').get(this.region.id, id) as ImageRow | undefined;
  }

  private publicCatalogue(): PublicCatalogue {
    this.catalogue ??= sharedCatalogue(this.seed, this.region.id);
    return this.catalogue;
  }

  async listImages(options: ListImagesOptions): Promise<Page<Image>> {
    this.enter('listing images');
    const scope = options?.scope;
    if (!SCOPES.includes(scope)) throw invalid(`Unknown image scope "${String(scope)}"; use own, vendor or public.`, 'scope');
    const terms = queryTerms(options.query);
    const size = pageSizeOf(options.pageSize);
    const offset = decodePageToken(options.page, scope, terms);
    const now = this.clock.now();

    let items: Image[];
    let total: number;
    if (scope === 'public') {
      const catalogue = this.publicCatalogue();
      // The first search builds the catalogue's index in slices: other work (the user's keys) goes on.
      if (terms.length > 0) await catalogue.prepareSearch();
      const matches = catalogue.search(terms);
      total = matches ? matches.length : catalogue.count;
      items = [];
      // Generating a page of 1,000 takes a few milliseconds: a cloud's answer does not hold its caller, so
      // the event loop runs between slices of it.
      let slice = performance.now();
      for (let i = offset; i < Math.min(offset + size, total); i++) {
        items.push(catalogue.image(matches ? matches[i] : i, now));
        if (i % 64 === 63 && performance.now() - slice > 6) {
          await new Promise((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
      }
    } else {
      const all =
        scope === 'own'
          ? (this.db
              .prepare('SELECT * FROM images WHERE region = ? ORDER BY created_ms DESC, id')
              .all(this.region.id) as unknown as ImageRow[])
              .map((row) => this.ownImage(row, now))
              .filter((im) => matchesTerms(`${im.name}\n${im.displayName ?? ''}\n${im.id}`, terms))
          : liveVendorBuilds(this.seed, this.region.id, now)
              .filter((b) => matchesTerms(`${b.name}\n${b.id}`, terms))
              .map((b) => vendorBuildToImage(b, now));
      total = all.length;
      items = all.slice(offset, offset + size);
    }
    const end = offset + items.length;
    return { items, total, ...(end < total ? { next: encodePageToken(scope, terms, end) } : {}) };
  }

  /** Finds any image (own, vendor, public) or throws NotFound with what is known about it. */
  private resolveImage(id: string, now: number): Image {
    if (typeof id !== 'string' || id === '') throw invalid('An image id is needed.', 'imageId');
    if (id.startsWith(VENDOR_ID_PREFIX)) {
      const found = findVendorBuild(this.seed, this.region.id, id, now);
      if (found.found === 'live') return vendorBuildToImage(found.build, now);
      if (found.found === 'deleted') {
        throw notFound(
          `Vendor template ${id} (${found.build.name}) was deleted by its vendor on ${iso(found.build.deleteMs!).slice(0, 10)}; it no longer exists in ${this.where()}.`,
        );
      }
    } else if (id.startsWith(PUBLIC_ID_PREFIX)) {
      const index = publicImageIndex(this.seed, this.region.id, id);
      if (index !== undefined) return this.publicCatalogue().image(index, now);
    } else {
      const row = this.ownRow(id);
      if (row) return this.ownImage(row, now);
    }
    throw notFound(`Image ${id} does not exist in ${this.where()}.`);
  }

  async getImage(id: string): Promise<Image> {
    this.enter('reading an image');
    return this.resolveImage(id, this.clock.now());
  }

  async setImageTags(id: string, tags: Record<string, string | null>): Promise<Image> {
    this.enter('tagging an image');
    if (!this.caps.images.tags) {
      throw unsupported(
        `Images in ${this.where()} cannot hold tags (its profile is ${PROFILE_LINES[this.region.profile]}); keep names and labels in strata's own store.`,
      );
    }
    if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) throw invalid('Tags must be a set of key: value pairs.', 'tags');
    for (const [key, value] of Object.entries(tags)) {
      if (value !== null && typeof value !== 'string') throw invalid(`The value of tag "${key}" must be text (or null to remove it).`, 'tags');
    }
    const now = this.clock.now();
    return transaction(this.db, () => {
      const row = this.ownRow(id);
      if (!row) {
        const image = this.resolveImage(id, now); // NotFound when it does not exist at all
        throw unsupported(`Image ${image.id} belongs to ${image.owner}; only your own images can hold tags in ${this.where()}.`);
      }
      const merged = JSON.parse(row.tags) as Record<string, string>;
      for (const [key, value] of Object.entries(tags)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      checkTags(merged);
      this.db.prepare('UPDATE images SET tags = ? WHERE region = ? AND id = ?').run(JSON.stringify(merged), this.region.id, id);
      return this.ownImage({ ...row, tags: JSON.stringify(merged) }, now);
    });
  }

  /**
   * Sets or clears an own image's deprecation date (rich profile), as EC2's EnableImageDeprecation does: a
   * date at most 10 years ahead, rounded to the minute; a moment already past (a slow answer) is now.
   */
  async setImageDeprecation(id: string, at: string | null): Promise<Image> {
    this.enter('deprecating an image');
    if (this.caps.images.deprecate === undefined || this.caps.images.deprecate === 'none') {
      throw unsupported(`Images in ${this.where()} take no deprecation date (its profile is ${PROFILE_LINES[this.region.profile]}).`);
    }
    const now = this.clock.now();
    let ms: number | null = null;
    if (at !== null) {
      const parsed = typeof at === 'string' ? Date.parse(at) : Number.NaN;
      if (!Number.isFinite(parsed)) throw invalid('A deprecation date is an ISO 8601 date and time (or null to clear it).', 'deprecateAt');
      if (parsed - now > 3652 * 86_400_000) throw invalid('A deprecation date can be at most 10 years ahead.', 'deprecateAt');
      ms = parsed <= now ? now : Math.max(now, Math.round(parsed / 60_000) * 60_000);
    }
    return transaction(this.db, () => {
      const row = this.ownRow(id);
      if (!row) {
        const image = this.resolveImage(id, now); // NotFound when it does not exist at all
        throw unsupported(`Image ${image.id} belongs to ${image.owner}; only your own images take a deprecation date in ${this.where()}.`);
      }
      this.db.prepare('UPDATE images SET deprecated_ms = ? WHERE region = ? AND id = ?').run(ms, this.region.id, id);
      return this.ownImage({ ...row, deprecated_ms: ms }, now);
    });
  }

  async captureImage(serverId: string, options: CaptureOptions): Promise<Image> {
    this.enter('capturing an image');
    const rules = this.caps.images.nameRules;
    const name = checkResourceName('image', options?.name, rules);
    checkImageDescription(options.description);
    const now = this.clock.now();
    return transaction(this.db, () => {
      const row = this.serverRow(serverId, now);
      const { phase } = phaseAt(this.seed, this.life(row), now, this.expectedReadyMs);
      if (!isUp(phase)) {
        throw invalid(
          `Server ${row.name} (${row.id}) is ${phase}; an image can be captured only from a running server.`,
          'serverId',
        );
      }
      this.refuseTakenName(name);
      const product = this.products.find((p) => p.id === row.product_id);
      let source: Image | undefined;
      try {
        source = this.resolveImage(row.image_id, now);
      } catch {
        source = undefined; // the source may have been deleted since the launch
      }
      const id = newImageId();
      return this.recordOwnImage(
        {
          id,
          name,
          description: options.description ?? `Captured from server ${row.name} (${row.id})`,
          architecture: source?.architecture ?? product?.architecture ?? 'x86_64',
          platform: source?.platform ?? 'linux',
          sizeGiB: product?.storageGiB ?? source?.sizeGiB ?? 8,
          availableMs: now + 45_000 + Math.floor(unitHash(this.seed, 'capture', id) * 30_000),
          sourceImageId: row.image_id,
          sourceServerId: row.id,
          tags: this.caps.images.tags ? { [SOURCE_IMAGE_TAG]: row.image_id, [SOURCE_SERVER_TAG]: row.id } : {},
        },
        now,
      );
    });
  }

  /** Refuses a name one of the region's own images has (image names are unique here); in a transaction. */
  private refuseTakenName(name: string): void {
    if (this.db.prepare('SELECT 1 FROM images WHERE region = ? AND name = ?').get(this.region.id, name)) {
      throw invalid(`An image named "${name}" already exists in ${this.where()}; image names are unique here.`, 'name');
    }
  }

  /** Writes a new own image of this region (captured or imported) and returns it; runs inside a transaction. */
  private recordOwnImage(image: NewOwnImage, now: number): Image {
    this.db
      .prepare(
        `INSERT INTO images (region, id, name, description, architecture, platform, size_gib, created_ms, available_ms,
           failed_reason, source_image_id, source_server_id, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
      )
      .run(
        this.region.id,
        image.id,
        image.name,
        image.description,
        image.architecture,
        image.platform,
        image.sizeGiB,
        now,
        image.availableMs,
        image.sourceImageId,
        image.sourceServerId,
        JSON.stringify(image.tags),
      );
    return this.ownImage(this.ownRow(image.id)!, now);
  }

  async importImage(options: ImportImageOptions): Promise<Image> {
    this.enter('importing an image');
    if (this.caps.images.import === 'none') {
      const rich = SANDBOX_REGIONS.filter((r) => capabilitiesFor(r.profile).images.import !== 'none').map((r) => r.id);
      throw unsupported(
        `Images cannot be imported in ${this.where()}: its ${this.region.profile} profile has no image import; use ${rich.join(' or ')}.`,
      );
    }
    const name = checkResourceName('image', options?.name, this.caps.images.nameRules);
    checkImageDescription(options.description);
    // A taken name is refused before the file is read; recorded under the lock, it is checked again.
    this.refuseTakenName(name);
    const file = await inspectImageFile(options.path);
    const now = this.clock.now();
    return transaction(this.db, () => {
      this.refuseTakenName(name);
      return this.recordOwnImage(
        {
          id: newImageId(),
          name,
          description: options.description ?? `Imported from ${basename(file.path)}`.slice(0, MAX_DESCRIPTION),
          architecture: 'x86_64',
          platform: 'linux',
          sizeGiB: gibOf(file.bytes),
          availableMs: now,
          sourceImageId: null,
          sourceServerId: null,
          tags: {},
        },
        now,
      );
    });
  }

  /**
   * Copies an own image of another sandbox region into this one (one world: every region is in this
   * home's database). The copy keeps the name, description, architecture, size and tags (but for those
   * naming things of the other region; none where this region's images hold no tags), says where it came
   * from, and is pending for a while, as a capture is. Idempotent per client token; a timeout fault loses
   * the answer after the copy was made, as a real network would.
   */
  async copyImage(source: CopySource, options: CopyOptions): Promise<Image> {
    this.enter('copying an image', { timeoutAfter: true });
    if (source === null || typeof source !== 'object') throw invalid('A copy needs the image to copy.', 'source');
    const from = findRegion(source.region);
    if (from.id === this.region.id) throw invalid(`Image ${source.imageId} is in ${this.where()} already; a copy goes to another region.`, 'region');
    const token = options?.clientToken;
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(token)) {
      throw invalid('The client token must be 1 to 64 printable ASCII characters without spaces.', 'clientToken');
    }
    const name = checkResourceName('image', options.name, this.caps.images.nameRules);
    checkImageDescription(options.description);
    const now = this.clock.now();
    const image = transaction(this.db, () => {
      const done = this.db.prepare('SELECT * FROM images WHERE region = ? AND copy_token = ?').get(this.region.id, token) as ImageRow | undefined;
      if (done) {
        if (done.copied_from !== `${from.id}/${source.imageId}`) {
          throw conflict(`Client token ${token} was already used for another copy in ${this.where()}; a new copy needs a new token.`);
        }
        return this.ownImage(done, now);
      }
      const row = this.db.prepare('SELECT * FROM images WHERE region = ? AND id = ?').get(from.id, source.imageId) as ImageRow | undefined;
      if (!row) {
        if (source.imageId.startsWith(VENDOR_ID_PREFIX) || source.imageId.startsWith(PUBLIC_ID_PREFIX)) {
          throw unsupported(`Image ${source.imageId} is not yours: only your own images are copied; launch from the template of ${this.where()} instead.`);
        }
        throw notFound(`Image ${source.imageId} does not exist in sandbox region ${from.id}.`);
      }
      const original = this.ownImage(row, now);
      if (original.state !== 'available') {
        throw invalid(`Image ${original.id} is ${original.state}; an image is copied once it is available.`, 'imageId');
      }
      this.refuseTakenName(name);
      const tags: Record<string, string> = {};
      if (this.caps.images.tags) {
        for (const [key, value] of Object.entries(JSON.parse(row.tags) as Record<string, string>)) if (!REGIONAL_TAGS.includes(key)) tags[key] = value;
        tags[COPIED_FROM_TAG] = `${from.id}/${row.id}`;
      }
      const id = newImageId();
      this.db
        .prepare(
          `INSERT INTO images (region, id, name, description, architecture, platform, size_gib, created_ms, available_ms,
             failed_reason, source_image_id, source_server_id, tags, copy_token, copied_from)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?)`,
        )
        .run(
          this.region.id,
          id,
          name,
          (options.description ?? row.description ?? `Copied from ${row.id} in ${from.id}`).slice(0, MAX_DESCRIPTION),
          row.architecture,
          row.platform,
          row.size_gib,
          now,
          // A copy crosses regions: a minute or two of simulated time, more for a larger image.
          now + 60_000 + (row.size_gib ?? 8) * 1_500 + Math.floor(unitHash(this.seed, 'copy', id) * 30_000),
          JSON.stringify(tags),
          token,
          `${from.id}/${row.id}`,
        );
      return this.ownImage(this.ownRow(id)!, now);
    });
    this.maybeTimeout('copying an image');
    return image;
  }

  async deleteImage(id: string): Promise<void> {
    this.enter('deleting an image');
    const now = this.clock.now();
    transaction(this.db, () => {
      const result = this.db.prepare('DELETE FROM images WHERE region = ? AND id = ?').run(this.region.id, id);
      if (result.changes > 0) return;
      const image = this.resolveImage(id, now); // NotFound when it does not exist at all
      throw unsupported(`Image ${image.id} belongs to ${image.owner}; only your own images can be deleted in ${this.where()}.`);
    });
  }

  // ---- launch catalogue -------------------------------------------------------------------------------

  async listProducts(): Promise<Product[]> {
    this.enter('listing sizes');
    return structuredClone(this.products);
  }

  private firewall(row: FirewallRow): Firewall {
    const fw: Firewall = { id: row.id, name: row.name, rules: JSON.parse(row.rules) as FirewallRule[] };
    if (row.description !== null) fw.description = row.description;
    // Made at a launch (this provider's own launch, or strata's launcher, whose description names strata).
    if (row.description !== null && /^Created (by strata|at launch of )/.test(row.description)) fw.madeByStrata = true;
    return fw;
  }

  async listFirewalls(): Promise<Firewall[]> {
    this.enter('listing firewalls');
    const rows = this.db.prepare('SELECT * FROM firewalls WHERE region = ? ORDER BY name').all(this.region.id) as unknown as FirewallRow[];
    return rows.map((r) => this.firewall(r));
  }

  /** Validates and inserts a firewall; must run inside a transaction. */
  private insertFirewall(name: string, rules: FirewallRule[], description: string | undefined, fieldPrefix = ''): Firewall {
    const id = 'sg-' + randomBytes(9).toString('hex').slice(0, 17);
    if (this.db.prepare('SELECT 1 FROM firewalls WHERE region = ? AND name = ?').get(this.region.id, name)) {
      const message = `A firewall named "${name}" already exists in ${this.where()}.`;
      throw fieldPrefix ? invalid(message, `${fieldPrefix}name`) : conflict(message);
    }
    this.db
      .prepare('INSERT INTO firewalls (region, id, name, description, rules, created_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.region.id, id, name, description ?? null, JSON.stringify(rules), this.clock.now());
    const made = description !== undefined && /^Created (by strata|at launch of )/.test(description);
    return { id, name, rules, ...(description !== undefined ? { description } : {}), ...(made ? { madeByStrata: true } : {}) };
  }

  async createFirewall(name: string, rules: FirewallRule[], description?: string): Promise<Firewall> {
    this.enter('creating a firewall');
    if (!this.caps.launch.createFirewall) {
      throw unsupported(`Firewalls cannot be created in ${this.where()}; choose one of the existing ones.`);
    }
    checkResourceName('firewall', name, this.caps.launch.nameRules);
    const checked = checkFirewallRules(rules);
    if (description !== undefined && (typeof description !== 'string' || description.length > 255)) {
      throw invalid('A firewall description is text of at most 255 characters.', 'description');
    }
    return transaction(this.db, () => this.insertFirewall(name, checked, description));
  }

  async deleteFirewall(id: string): Promise<void> {
    this.enter('deleting a firewall');
    if (typeof id !== 'string' || id === '') throw invalid('A firewall id is needed.', 'id');
    transaction(this.db, () => {
      const row = this.db.prepare('SELECT * FROM firewalls WHERE region = ? AND id = ?').get(this.region.id, id) as FirewallRow | undefined;
      if (!row) throw notFound(`Firewall ${id} does not exist in ${this.where()}.`);
      if (row.name === 'default') throw invalid(`The default firewall of ${this.where()} cannot be deleted, as on a real cloud.`, 'id');
      const users = (this.db
        .prepare('SELECT s.name FROM servers s, json_each(s.firewall_ids) f WHERE s.region = ? AND s.terminated_ms IS NULL AND f.value = ? ORDER BY s.name')
        .all(this.region.id, id) as { name: string }[]).map((r) => r.name);
      if (users.length > 0) {
        throw conflict(`Firewall ${row.name} cannot be deleted: server${users.length === 1 ? '' : 's'} ${users.join(', ')} ${users.length === 1 ? 'uses' : 'use'} it. Terminate ${users.length === 1 ? 'it' : 'them'} first.`);
      }
      this.db.prepare('DELETE FROM firewalls WHERE region = ? AND id = ?').run(this.region.id, id);
    });
  }

  private keypair(row: KeypairRow): Keypair {
    return { id: row.id, name: row.name, fingerprint: row.fingerprint, createdAt: iso(row.created_ms) };
  }

  async listKeypairs(): Promise<Keypair[]> {
    this.enter('listing keypairs');
    const rows = this.db
      .prepare('SELECT id, name, fingerprint, created_ms FROM keypairs WHERE region = ? ORDER BY name')
      .all(this.region.id) as unknown as KeypairRow[];
    return rows.map((r) => this.keypair(r));
  }

  private keypairExists(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM keypairs WHERE region = ? AND name = ?').get(this.region.id, name) !== undefined;
  }

  private insertKeypair(name: string, type: string, publicKey: string, fingerprint: string): Keypair {
    const row: KeypairRow = { id: 'key-' + randomBytes(9).toString('hex').slice(0, 17), name, fingerprint, created_ms: this.clock.now() };
    return transaction(this.db, () => {
      if (this.keypairExists(name)) throw conflict(`A keypair named "${name}" already exists in ${this.where()}.`);
      this.db
        .prepare('INSERT INTO keypairs (region, id, name, key_type, public_key, fingerprint, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(this.region.id, row.id, name, type, publicKey, fingerprint, row.created_ms);
      return this.keypair(row);
    });
  }

  async createKeypair(name: string): Promise<CreatedKeypair> {
    this.enter('creating a keypair');
    if (!this.caps.launch.createKeypair) {
      throw unsupported(`Keypairs cannot be created in ${this.where()}; import a public key instead.`);
    }
    checkResourceName('keypair', name, this.caps.launch.nameRules);
    // Refuse a taken name before spending time on a key; insertKeypair checks again under the lock.
    if (this.keypairExists(name)) throw conflict(`A keypair named "${name}" already exists in ${this.where()}.`);
    const key = await generateRsaKey(name);
    const keypair = this.insertKeypair(name, key.type, key.publicKey, key.fingerprint);
    return { ...keypair, privateKeyPem: key.privateKeyPem };
  }

  async importKeypair(name: string, publicKey: string): Promise<Keypair> {
    this.enter('importing a keypair');
    if (!this.caps.launch.importKeypair) throw unsupported(`Keypairs cannot be imported in ${this.where()}.`);
    checkResourceName('keypair', name, this.caps.launch.nameRules);
    if (typeof publicKey !== 'string') throw invalid('The public key must be text (one OpenSSH line).', 'publicKey');
    const parsed = parsePublicKey(publicKey);
    return this.insertKeypair(name, parsed.type, parsed.line, parsed.fingerprint);
  }

  // ---- servers ----------------------------------------------------------------------------------------

  private life(row: ServerRow) {
    return { id: row.id, launchedMs: row.launched_ms, terminatedMs: row.terminated_ms, fate: row.fate };
  }

  private server(row: ServerRow, now: number): Server {
    const state = phaseAt(this.seed, this.life(row), now, this.expectedReadyMs);
    const server: Server = {
      id: row.id,
      name: row.name,
      imageId: row.image_id,
      productId: row.product_id,
      phase: state.phase,
      phaseSince: iso(state.since),
      launchedAt: iso(row.launched_ms),
      observedAt: iso(now),
      clientToken: row.client_token,
      firewallIds: JSON.parse(row.firewall_ids) as string[],
      privateAddress: row.private_address,
      tags: JSON.parse(row.tags) as Record<string, string>,
    };
    if (row.keypair_name !== null) server.keypairName = row.keypair_name;
    if (row.grp !== null) server.group = row.grp;
    if (row.billing_code !== null) server.billingCode = row.billing_code;
    if (row.volumes !== null) server.volumes = JSON.parse(row.volumes) as VolumePlan;
    if (row.public_address !== null && isUp(state.phase)) server.publicAddress = row.public_address;
    if (state.failureReason) server.failureReason = state.failureReason;
    const host = this.hosts.get(row.name);
    if (host && isUp(state.phase)) server.publicAddress = host.address;
    else if (!host) server.unreachable = EMULATED;
    return server;
  }

  private visible(row: ServerRow, now: number): boolean {
    return row.terminated_ms === null || now - row.terminated_ms < TERMINATED_VISIBLE_MS;
  }

  private serverRow(id: string, now: number): ServerRow {
    if (typeof id !== 'string' || id === '') throw invalid('A server id is needed.', 'serverId');
    const row = this.db.prepare('SELECT * FROM servers WHERE region = ? AND id = ?').get(this.region.id, id) as ServerRow | undefined;
    if (!row || !this.visible(row, now)) throw notFound(`Server ${id} does not exist in ${this.where()}.`);
    return row;
  }

  async launch(spec: LaunchSpec, clientToken: string): Promise<Server[]> {
    this.enter('launching servers', { timeoutAfter: true });
    if (typeof clientToken !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(clientToken)) {
      throw invalid('The client token must be 1 to 64 printable ASCII characters without spaces.', 'clientToken');
    }
    const caps = this.caps.launch;
    checkLaunchSpecShape(spec, caps);
    const specHash = createHash('sha256').update(canonicalJson(spec)).digest('hex');
    const now = this.clock.now();

    const servers = transaction(this.db, () => {
      const previous = this.db
        .prepare('SELECT spec_hash FROM launches WHERE region = ? AND client_token = ?')
        .get(this.region.id, clientToken) as { spec_hash: string } | undefined;
      if (previous) {
        if (previous.spec_hash !== specHash) {
          throw conflict(`Client token ${clientToken} was already used for a different launch in ${this.where()}; a new launch needs a new token.`);
        }
        return this.serversOfToken(clientToken, now);
      }
      this.insertLaunch(spec, clientToken, specHash, now);
      return this.serversOfToken(clientToken, now);
    });
    // The answer is on its way back: the servers exist, the caller does not know it yet (--sandbox-latency).
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    // A simulated timeout after the work was done: the response is lost, the servers exist.
    this.maybeTimeout('launching servers');
    return servers;
  }

  /** The sandbox's CLI is strata's own: `strata image show` / `strata server show` in this region. No web console. */
  references(kind: 'image' | 'server', id: string): RowReferences {
    return { cli: `strata ${kind} show ${shellWord(id)} --provider sandbox --region ${this.region.id}` };
  }

  async previewLaunch(spec: LaunchSpec, clientToken: string): Promise<LaunchPreview> {
    // The sandbox's API is this contract: the request is the spec and the token, as launch() receives them.
    return { request: { action: 'launch', region: this.region.id, clientToken, spec } };
  }

  async serversByToken(clientToken: string): Promise<Server[]> {
    this.enter('looking up a launch');
    return this.serversOfToken(clientToken, this.clock.now());
  }

  private serversOfToken(clientToken: string, now: number): Server[] {
    const rows = this.db
      .prepare('SELECT * FROM servers WHERE region = ? AND client_token = ? ORDER BY idx')
      .all(this.region.id, clientToken) as unknown as ServerRow[];
    return rows.map((r) => this.server(r, now));
  }

  /** Checks what needs a lookup and creates the servers; runs inside the launch transaction. */
  private insertLaunch(spec: LaunchSpec, clientToken: string, specHash: string, now: number): void {
    const caps = this.caps.launch;
    let image: Image;
    try {
      image = this.resolveImage(spec.imageId, now);
    } catch (error) {
      if (error instanceof StrataError && error.kind === 'NotFound') throw invalid(error.message, 'imageId');
      throw error;
    }
    if (image.state === 'pending') throw invalid(`Image ${image.id} is still being created; launch from it once it is available.`, 'imageId');
    if (image.state === 'failed') throw invalid(`Image ${image.id} failed to be created and cannot be launched.`, 'imageId');
    const product = this.products.find((p) => p.id === spec.productId);
    if (!product) {
      throw invalid(`Size "${spec.productId}" does not exist in ${this.where()}; sizes here: ${this.products.map((p) => p.id).join(', ')}.`, 'productId');
    }
    if (product.architecture !== image.architecture) {
      throw invalid(`Image ${image.id} is built for ${image.architecture} but size ${product.id} is ${product.architecture}; choose a matching size.`, 'productId');
    }
    const firewallIds = [...new Set(spec.firewallIds)];
    for (const id of firewallIds) {
      if (!this.db.prepare('SELECT 1 FROM firewalls WHERE region = ? AND id = ?').get(this.region.id, id)) {
        throw invalid(`Firewall ${id} does not exist in ${this.where()}.`, 'firewallIds');
      }
    }
    // An empty optional field (as a form may send it) means "none".
    const keypairName = spec.keypairName || undefined;
    const group = spec.group || undefined;
    const billingCode = spec.billingCode || undefined;
    if (keypairName !== undefined && !this.keypairExists(keypairName)) {
      throw invalid(`Keypair "${keypairName}" does not exist in ${this.where()}.`, 'keypairName');
    }
    if (spec.newFirewall) {
      if (!caps.createFirewall) throw invalid(`Firewalls cannot be created in ${this.where()}; choose an existing one.`, 'newFirewall');
      checkResourceName('firewall', spec.newFirewall.name, caps.nameRules, 'newFirewall.name');
      const rules = checkFirewallRules(spec.newFirewall.rules, 'newFirewall.rules');
      firewallIds.push(this.insertFirewall(spec.newFirewall.name, rules, `Created at launch of ${spec.name}`, 'newFirewall.').id);
    }

    this.db
      .prepare('INSERT INTO launches (region, client_token, spec_hash, created_ms) VALUES (?, ?, ?, ?)')
      .run(this.region.id, clientToken, specHash, now);
    const insert = this.db.prepare(
      `INSERT INTO servers (region, id, client_token, idx, name, image_id, product_id, firewall_ids, keypair_name, grp,
         billing_code, volumes, user_data, launched_ms, terminated_ms, fate, private_address, public_address, tags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
    );
    const regionIndex = SANDBOX_REGIONS.indexOf(this.region);
    for (let i = 0; i < spec.count; i++) {
      const id = 'srv-' + hexHash(17, this.seed, this.region.id, 'server', clientToken, i);
      const name = spec.count > 1 ? `${spec.name}-${i + 1}` : spec.name;
      // What the injected faults make of this server is decided now, from its id, and kept with it.
      const fate: Fate =
        unitHash(this.seed, id, 'fail') < this.faults.fail ? 'fail' : unitHash(this.seed, id, 'stall') < this.faults.stall ? 'stall' : 'ok';
      const h = hashParts(this.seed, id, 'address');
      const privateAddress = `10.${10 + regionIndex}.${(h >>> 8) & 0xff}.${1 + (h & 0xfd)}`;
      const publicAddress = `198.${18 + ((h >>> 24) & 1)}.${(h >>> 16) & 0xff}.${1 + ((h >>> 8) & 0xfd)}`;
      const tags: Record<string, string> = {};
      if (this.caps.images.tags) {
        tags[NAME_TAG] = name;
        tags[LAUNCH_TAG] = clientToken;
        tags[SOURCE_IMAGE_TAG] = image.id;
        if (group) tags[GROUP_TAG] = group;
        if (billingCode) tags[BILLING_TAG] = billingCode;
      }
      insert.run(
        this.region.id,
        id,
        clientToken,
        i,
        name,
        image.id,
        product.id,
        JSON.stringify(firewallIds),
        keypairName ?? null,
        group ?? null,
        billingCode ?? null,
        spec.volumes ? JSON.stringify(spec.volumes) : null,
        spec.userData ?? null,
        now,
        fate,
        privateAddress,
        publicAddress,
        JSON.stringify(tags),
      );
    }
  }

  async listServers(ids?: string[]): Promise<Server[]> {
    this.enter('listing servers');
    const now = this.clock.now();
    let rows: ServerRow[];
    if (ids === undefined) {
      rows = this.db
        .prepare('SELECT * FROM servers WHERE region = ? ORDER BY launched_ms DESC, client_token, idx')
        .all(this.region.id) as unknown as ServerRow[];
    } else {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw invalid('Server ids must be a list of ids.', 'ids');
      if (ids.length === 0) return [];
      rows = this.db
        .prepare(
          `SELECT * FROM servers WHERE region = ? AND id IN (SELECT value FROM json_each(?))
           ORDER BY launched_ms DESC, client_token, idx`,
        )
        .all(this.region.id, JSON.stringify([...new Set(ids)])) as unknown as ServerRow[];
    }
    // The provider's word that a server's image is gone (deleted by its vendor or by you), as libvirt's
    // missing backing file is: looked up once per image of the listing.
    const gone = new Map<string, boolean>();
    const isGone = (imageId: string) => {
      let g = gone.get(imageId);
      if (g === undefined) {
        g = this.imageGoneAt(imageId, now);
        gone.set(imageId, g);
      }
      return g;
    };
    return rows
      .filter((r) => this.visible(r, now))
      .map((r) => {
        const server = this.server(r, now);
        if (server.phase !== 'terminated' && isGone(r.image_id)) server.imageGone = true;
        return server;
      });
  }

  /** Whether an image a server stands on no longer exists (a template deleted by its vendor, an own image deleted). */
  private imageGoneAt(id: string, now: number): boolean {
    if (id.startsWith(VENDOR_ID_PREFIX)) return findVendorBuild(this.seed, this.region.id, id, now).found === 'deleted';
    if (id.startsWith(PUBLIC_ID_PREFIX)) return publicImageIndex(this.seed, this.region.id, id) === undefined;
    return this.ownRow(id) === undefined;
  }

  async terminate(id: string): Promise<void> {
    this.enter('terminating a server');
    const now = this.clock.now();
    transaction(this.db, () => {
      const row = this.serverRow(id, now);
      if (row.terminated_ms !== null) return; // terminating twice is not an error, as on a real cloud
      this.db.prepare('UPDATE servers SET terminated_ms = ? WHERE region = ? AND id = ?').run(now, this.region.id, id);
    });
  }

  async consoleOutput(id: string): Promise<string> {
    this.enter('reading a console');
    const now = this.clock.now();
    const row = this.serverRow(id, now);
    const product = this.products.find((p) => p.id === row.product_id);
    let imageName = row.image_id;
    try {
      imageName = this.resolveImage(row.image_id, now).name;
    } catch {
      // the image may be gone since the launch; the console keeps booting what it booted
    }
    return consoleText(
      this.seed,
      {
        id: row.id,
        name: row.name,
        imageName,
        launchedMs: row.launched_ms,
        terminatedMs: row.terminated_ms,
        fate: row.fate,
        volumes: row.volumes ? (JSON.parse(row.volumes) as VolumePlan) : undefined,
        privateAddress: row.private_address,
        vcpus: product?.vcpus ?? 1,
        memoryMiB: product?.memoryMiB ?? 1024,
        architecture: product?.architecture ?? 'x86_64',
        ...(this.hosts.has(row.name) ? { host: this.hosts.get(row.name)! } : {}),
      },
      now,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.catalogue = undefined;
    this.db.close();
  }
}

export async function createSandboxProvider(options: ProviderOptions): Promise<ProviderService> {
  const delay = options.sandboxDelayMs;
  if (delay !== undefined && !(Number.isInteger(delay) && delay >= 0 && delay <= 600_000)) {
    throw invalid('The sandbox delay is a whole number of milliseconds from 0 to 600000.', 'sandboxDelayMs');
  }
  const provider = await SandboxProvider.open(options);
  return delay ? delayed(provider, delay) : provider;
}

/** The provider with every answer coming back `ms` late (the call itself is made at once, as on a slow link). */
function delayed(provider: SandboxProvider, ms: number): ProviderService {
  return new Proxy(provider, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (key === 'close' || key === 'timeScale') return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        const answer = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        answer.catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, ms));
        return answer;
      };
    },
  }) as unknown as ProviderService;
}
