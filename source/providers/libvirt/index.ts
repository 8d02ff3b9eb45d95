// The libvirt provider: a KVM/QEMU host through virsh and qemu-img (execa, no native binding).
//
// Images are qcow2 volumes of a storage pool strata manages (created on first use); vendor templates are
// the volumes of a second pool the user designates. A server is a domain whose root disk is a qcow2
// overlay backed by its image — the seed's warning made literal: delete the image and the overlay breaks.
// Keypair, user data and the volume plan reach the guest through a cloud-init NoCloud seed; firewalls are
// nwfilters; strata's launch record (client token, group, billing code, …) lives in the domain's metadata.
//
// strata runs on the libvirt host itself: qemu-img reads and writes the pools' files, and the console log
// is read from the file virtlogd writes. Run it as a user who may (root for qemu:///system, or yourself
// with qemu:///session and pools in your home).
import { closeSync, existsSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Capabilities, NameRules, ProviderDescription } from '../../core/capabilities.js';
import { checkClientToken, checkFirewallRules, checkPublicKey, checkResourceName } from '../../core/checks.js';
import { StrataError, conflict, invalid, notFound, unsupported } from '../../core/errors.js';
import { splitQuery } from '../../core/fuzzy.js';
import { validateLaunch } from '../../core/launch.js';
import { sshFingerprint } from '../../core/ssh.js';
import { hostnameFor } from '../../core/userdata.js';
import {
  SCOPES,
  type CreatedKeypair,
  type Firewall,
  type FirewallRule,
  type Image,
  type Keypair,
  type LaunchSpec,
  type Page,
  type Phase,
  type Product,
  type Scope,
  type Server,
} from '../../core/types.js';
import { inspectImageFile } from '../image-file.js';
import type {
  CaptureOptions,
  ImportImageOptions,
  LaunchPreview,
  LibvirtSize,
  ListImagesOptions,
  ProviderOptions,
  ProviderService,
} from '../provider.js';
import {
  FIREWALL_PREFIX,
  METADATA_KEY,
  METADATA_URI,
  SERVER_FILTER_PREFIX,
  domainXml,
  firewallXml,
  metadataUpdate,
  parseDomain,
  parseFirewallRules,
  serverFilterXml,
  type DomainInfo,
  type LaunchRecord,
} from './domain.js';
import { execaRunner, toStrataError, virshQuote, type RunOptions, type Runner } from './exec.js';
import { writeSeed } from './seed.js';
import { StateFile, type StoredImage } from './state.js';
import { child, parseXml, parseXmlFragments, textAt, type XmlElement } from './xml.js';

export const DEFAULT_URI = 'qemu:///system';
export const URI_ENV = 'STRATA_LIBVIRT_URI';
export const DEFAULT_POOL = 'strata';
export const DEFAULT_VENDOR_POOL = 'strata-vendor';
export const DEFAULT_POOL_DIRECTORY = '/var/lib/libvirt/images/strata';
export const DEFAULT_NETWORK = 'default';
export const REGION = 'local';

/** Sizes when config.yaml names none: small to large, for real cloud images. */
export const DEFAULT_SIZES: Record<string, LibvirtSize> = {
  tiny: { vcpus: 1, memoryMiB: 512, diskGiB: 5 },
  small: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
  medium: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 },
  large: { vcpus: 4, memoryMiB: 8192, diskGiB: 40 },
};

const GIB = 1024 ** 3;
const VOLUME_DEVICES = ['/dev/vdb', '/dev/vdc', '/dev/vdd', '/dev/vde', '/dev/vdf', '/dev/vdg', '/dev/vdh', '/dev/vdi'];
/** How much of a console log is read (its end): enough for the readiness lines and the detail view. */
const CONSOLE_TAIL_BYTES = 64 * 1024;

const VOLUME_NAMES: NameRules = {
  minLength: 1,
  maxLength: 64,
  allowed: 'A-Za-z0-9._-',
  description: 'use letters, digits, dots, underscores and hyphens (1 to 64), not starting with a dot',
  unique: true,
};
const SERVER_NAMES: NameRules = {
  minLength: 1,
  maxLength: 56,
  allowed: 'A-Za-z0-9._-',
  description: 'use letters, digits, dots, underscores and hyphens (1 to 56); several servers get -1, -2, … added',
  unique: true,
};
const RESOURCE_NAMES: NameRules = {
  minLength: 1,
  maxLength: 48,
  allowed: 'A-Za-z0-9._-',
  description: 'use letters, digits, dots, underscores and hyphens (1 to 48)',
  unique: true,
};

export function libvirtCapabilities(withNetwork: boolean): Capabilities {
  return {
    images: {
      tags: false,
      renameNative: false,
      capture: 'optional',
      // The guest is paused while its disk is copied, unless no-reboot is asked for.
      captureInterrupts: 'pause',
      delete: 'optional',
      publicCatalogue: false,
      serverSideSearch: false,
      import: 'optional',
      nameRules: VOLUME_NAMES,
    },
    launch: {
      product: 'required',
      // Firewalls are nwfilters on the server's network interface: without a network there is nothing to filter.
      firewall: withNetwork ? 'optional' : 'none',
      createFirewall: withNetwork,
      keypair: 'optional',
      createKeypair: false,
      importKeypair: true,
      group: 'optional',
      billingCode: 'optional',
      volumes: 'optional',
      maxVolumes: VOLUME_DEVICES.length,
      minVolumeGiB: 1,
      maxVolumeGiB: 16384,
      raidLevels: ['none', '0', '1', '5', '10'],
      volumeDevices: VOLUME_DEVICES,
      filesystems: ['ext4', 'xfs'],
      encryption: true,
      userData: 'optional',
      maxCount: 10,
      nameRules: SERVER_NAMES,
    },
    servers: { consoleOutput: true, terminate: true, expectedReadySeconds: 300 },
  };
}

interface PoolInfo {
  name: string;
  dir: string;
}

interface Host {
  arch: 'x86_64' | 'arm64';
  libvirtArch: string;
  virtType: 'kvm' | 'qemu';
  own: PoolInfo;
  vendor: PoolInfo;
  disks: PoolInfo;
  network?: string;
}

interface Volume {
  pool: PoolInfo;
  name: string;
  path: string;
  format: string;
  capacity: number;
  mtime?: number;
}

interface DomainState {
  state: number;
  reason: number;
}

/** virDomainState and the shut-off reasons, in strata's words. */
const SHUTOFF_REASONS: Record<number, string> = {
  1: 'it was shut down from inside',
  2: 'it was destroyed (powered off)',
  3: 'it crashed',
  5: 'it was saved to disk',
  6: 'it failed to start',
  8: 'libvirt stopped it',
};

const CLOUD_INIT_FINISHED = /Cloud-init v\. \S+ finished at ([^.]+?\d{4}(?: \d\d:\d\d:\d\d)?(?: [+-]\d{4})?)/;
const CLOUD_INIT_RUNNING = /Cloud-init v\. \S+ running '([^']+)' at ([^.]+?\d{4}(?: \d\d:\d\d:\d\d)?(?: [+-]\d{4})?)/;

/** The phase a running guest has reached, read from its serial console. */
export function consolePhase(text: string): { phase: Phase; at?: string } {
  const finished = CLOUD_INIT_FINISHED.exec(text);
  if (finished) return { phase: 'ready', at: finished[1] };
  let last: RegExpExecArray | null = null;
  const running = new RegExp(CLOUD_INIT_RUNNING.source, 'g');
  for (let m = running.exec(text); m; m = running.exec(text)) last = m;
  if (last) return { phase: 'initializing', at: last[2] };
  return { phase: text.trim() === '' ? 'booting' : 'running' };
}

function encodeToken(token: { s: Scope; q: string; o: number }): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeOffset(page: string | undefined, scope: Scope, query: string): number {
  if (page === undefined || page === '') return 0;
  try {
    const token = JSON.parse(Buffer.from(page, 'base64url').toString('utf8')) as { s: Scope; q: string; o: number };
    if (token.s === scope && token.q === query && Number.isInteger(token.o) && token.o >= 0) return token.o;
  } catch {
    // fall through
  }
  throw invalid('This page token belongs to another list or search; start again from the first page.', 'page');
}

function matchesQuery(image: Image, query: string): boolean {
  const text = `${image.name}\n${image.id}\n${image.description ?? ''}`.toLowerCase();
  return splitQuery(query).every((term) => text.includes(term));
}


function checkVolumeName(what: string, name: unknown, field = 'name'): string {
  const checked = checkResourceName(what, name, VOLUME_NAMES, field);
  if (checked.startsWith('.')) throw invalid(`The ${what} name is refused: it cannot start with a dot (such files are hidden).`, field);
  return checked;
}

/**
 * Whether QEMU, which libvirt runs as its own user (libvirt-qemu, qemu), may open /dev/kvm: libvirt lists
 * KVM wherever the device exists, also where only root may open it (a container without the udev rule
 * that gives it to the kvm group). Where this cannot tell, a start that fails on KVM says so (see launch).
 */
function kvmOpenToQemu(): boolean {
  try {
    const mode = statSync('/dev/kvm').mode;
    return (mode & 0o060) === 0o060 || (mode & 0o006) === 0o006;
  } catch {
    return false;
  }
}

/** Reads at most the last `bytes` of a file; undefined where it does not exist. */
function readTail(path: string, bytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = statSync(path).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A guest's "Tue, 01 Dec 2026 16:39:02 +0000", kept only where it falls between two bounds. */
function guestTime(text: string | undefined, notBefore: number, notAfter: number): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= notBefore && ms <= notAfter ? ms : undefined;
}

export class LibvirtProvider implements ProviderService {
  readonly uri: string;
  private readonly state: StateFile;
  private host?: Promise<Host>;
  /** Parsed domain XML by uuid: strata's launch record does not change but for its failure. */
  private readonly domainCache = new Map<string, DomainInfo>();
  /** When this provider first saw each server in its phase (libvirt keeps no history of phases). */
  private readonly phaseSeen = new Map<string, { phase: Phase; since: string }>();
  /** Running servers whose guest agent answered (ready without cloud-init on the console). */
  private readonly agentReady = new Set<string>();
  /** What each server's console log showed, by its size then. */
  private readonly consoleCache = new Map<string, { size: number; seen: { phase: Phase; at?: string } }>();
  /** Servers paused for a capture: shown in the phase they were in, not as stalled. */
  private readonly capturing = new Set<string>();

  constructor(
    private readonly options: ProviderOptions,
    private readonly run: Runner = execaRunner,
  ) {
    this.uri = options.libvirtUri ?? process.env[URI_ENV] ?? process.env.LIBVIRT_DEFAULT_URI ?? DEFAULT_URI;
    this.state = new StateFile(options.home, this.uri);
    if (options.region !== undefined && options.region !== '' && options.region !== REGION) {
      throw invalid(`libvirt has one region, "${REGION}": the host is chosen with --libvirt-uri (now ${this.uri}).`, 'region');
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------------------

  private async tool(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
    try {
      return (await this.run(file, args, options)).stdout;
    } catch (error) {
      throw toStrataError(error, { uri: this.uri, doing: options.doing });
    }
  }

  private virsh(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return this.tool('virsh', ['-q', '-c', this.uri, ...args], options);
  }

  /** Several virsh commands in one run (one process for many objects); a failing command does not stop the rest. */
  private async virshBatch(commands: string[][], options: RunOptions = {}): Promise<string> {
    if (commands.length === 0) return '';
    return this.virsh([commands.map((c) => c.map(virshQuote).join(' ')).join(' ; ')], options);
  }

  private settings() {
    const s = this.options.libvirt ?? {};
    return {
      pool: s.pool ?? DEFAULT_POOL,
      vendorPool: s.vendorPool ?? DEFAULT_VENDOR_POOL,
      poolDirectory: s.poolDirectory ?? DEFAULT_POOL_DIRECTORY,
      network: s.network ?? DEFAULT_NETWORK,
      sizes: s.sizes && Object.keys(s.sizes).length > 0 ? s.sizes : DEFAULT_SIZES,
    };
  }

  /** Connects, reads the host, and makes the pools strata uses where they are missing; once. */
  private ready(): Promise<Host> {
    this.host ??= this.connect().catch((error: unknown) => {
      this.host = undefined;
      throw error;
    });
    return this.host;
  }

  private async connect(): Promise<Host> {
    const s = this.settings();
    const caps = parseXml(await this.virsh(['capabilities'], { doing: `connecting to libvirt at ${this.uri}` }));
    const libvirtArch = textAt(caps, 'host/cpu/arch') ?? 'x86_64';
    const guests = caps.children.filter((c) => c.name === 'guest' && child(c, 'arch')?.attrs.name === libvirtArch);
    const types = guests.flatMap((g) => child(g, 'arch')?.children.filter((c) => c.name === 'domain').map((d) => d.attrs.type) ?? []);
    if (types.length === 0) {
      throw unsupported(`libvirt at ${this.uri} cannot run ${libvirtArch} guests: install its QEMU driver and qemu-system (Debian: libvirt-daemon-driver-qemu qemu-system-x86).`);
    }
    const forced = process.env.STRATA_LIBVIRT_VIRT_TYPE;
    const kvm = types.includes('kvm') && !this.state.read().kvmUnusable && kvmOpenToQemu();
    const virtType: 'kvm' | 'qemu' = forced === 'qemu' || forced === 'kvm' ? forced : kvm ? 'kvm' : 'qemu';
    const own = await this.ensurePool(s.pool, join(s.poolDirectory, s.pool));
    const vendor = await this.ensurePool(s.vendorPool, join(s.poolDirectory, s.vendorPool));
    const disks = await this.ensurePool(`${s.pool}-servers`, join(s.poolDirectory, `${s.pool}-servers`));
    return {
      arch: libvirtArch === 'aarch64' ? 'arm64' : 'x86_64',
      libvirtArch,
      virtType,
      own,
      vendor,
      disks,
      ...(s.network !== 'none' ? { network: s.network } : {}),
    };
  }

  /** A directory pool: made (define, build, start, autostart) where it is missing, started where it is not. */
  private async ensurePool(name: string, dir: string): Promise<PoolInfo> {
    let xml: string;
    try {
      xml = await this.virsh(['pool-dumpxml', name]);
    } catch (error) {
      if (!(error instanceof StrataError && error.kind === 'NotFound')) throw error;
      const doing = `creating the storage pool ${name}`;
      await this.virsh(['pool-define-as', name, 'dir', '--target', dir], { doing });
      await this.virsh(['pool-build', name], { doing });
      await this.virsh(['pool-autostart', name], { doing });
      xml = await this.virsh(['pool-dumpxml', name], { doing });
    }
    const info = await this.virsh(['pool-info', name]);
    if (!/^State:\s+running/m.test(info)) await this.virsh(['pool-start', name], { doing: `starting the storage pool ${name}` });
    const path = textAt(parseXml(xml), 'target/path');
    if (!path) throw unsupported(`The storage pool ${name} has no directory; strata uses directory pools (type dir).`);
    return { name, dir: path };
  }

  // ---- description ------------------------------------------------------------------------------------

  async describe(): Promise<ProviderDescription> {
    const host = await this.ready();
    const engine = host.virtType === 'kvm' ? 'KVM' : 'QEMU emulation (no KVM: slow)';
    return {
      id: 'libvirt',
      displayName: 'libvirt (KVM/QEMU)',
      region: REGION,
      regions: [{ id: REGION, name: this.uri }],
      profile: `${engine} at ${this.uri}; own images in pool ${host.own.name}, templates in pool ${host.vendor.name}; servers are overlays backed by their image`,
      capabilities: libvirtCapabilities(host.network !== undefined),
    };
  }

  // ---- images -----------------------------------------------------------------------------------------

  /** Every disk-image volume of a pool (refreshed first: files may have been added by hand). */
  private async volumes(pool: PoolInfo, doing: string): Promise<Volume[]> {
    const listing = await this.virshBatch([['pool-refresh', pool.name], ['vol-list', pool.name]], { doing });
    const names: string[] = [];
    for (const raw of listing.split('\n')) {
      const line = raw.trim();
      if (line === '' || /^Pool .* refreshed$/.test(line)) continue;
      const marker = ` ${pool.dir}/`;
      let at = line.lastIndexOf(marker);
      while (at > 0) {
        const name = line.slice(0, at).trim();
        if (line.slice(at + 1) === `${pool.dir}/${name}`) {
          names.push(name);
          break;
        }
        at = line.lastIndexOf(marker, at - 1);
      }
    }
    const wanted = names.filter((n) => !n.startsWith('.') && !n.includes("'") && !/[\x00-\x1f]/.test(n));
    const xml = await this.virshBatch(wanted.map((n) => ['vol-dumpxml', '--pool', pool.name, n]), { doing });
    const volumes: Volume[] = [];
    for (const element of parseXmlFragments(xml)) {
      const volume = this.volumeFrom(pool, element);
      if (volume) volumes.push(volume);
    }
    return volumes;
  }

  private volumeFrom(pool: PoolInfo, element: XmlElement): Volume | undefined {
    const name = textAt(element, 'name');
    const path = textAt(element, 'target/path');
    const format = child(element, 'target/format')?.attrs.type ?? 'raw';
    if (!name || !path || (format !== 'qcow2' && format !== 'raw')) return undefined;
    const mtime = Number(textAt(element, 'target/timestamps/mtime'));
    return { pool, name, path, format, capacity: Number(textAt(element, 'capacity') ?? 0), ...(Number.isFinite(mtime) ? { mtime } : {}) };
  }

  private imageFrom(volume: Volume, host: Host, storedImages: Record<string, StoredImage>): Image {
    const own = volume.pool.name === host.own.name;
    const id = `${volume.pool.name}/${volume.name}`;
    const stored = storedImages[id];
    const createdAt = stored?.createdAt ?? new Date(Math.round((volume.mtime ?? 0) * 1000)).toISOString();
    return {
      id,
      name: volume.name,
      kind: own ? 'own' : 'vendor',
      owner: own ? 'self' : volume.pool.name,
      architecture: host.arch,
      state: 'available',
      createdAt,
      sizeGiB: Math.max(1, Math.ceil(volume.capacity / GIB)),
      platform: volume.format,
      owned: own,
      tags: {},
      description: stored?.description ?? (own ? `${volume.format} volume in pool ${volume.pool.name}` : `vendor template in pool ${volume.pool.name}`),
      ...(stored?.sourceImageId ? { sourceImageId: stored.sourceImageId } : {}),
      ...(stored?.sourceServerId ? { sourceServerId: stored.sourceServerId } : {}),
    };
  }

  async listImages(options: ListImagesOptions): Promise<Page<Image>> {
    const scope = options?.scope;
    if (!SCOPES.includes(scope)) throw invalid(`Unknown image scope "${String(scope)}"; use own, vendor or public.`, 'scope');
    const query = (options.query ?? '').trim();
    const offset = decodeOffset(options.page, scope, query);
    if (scope === 'public') return { items: [], total: 0 };
    const host = await this.ready();
    const pool = scope === 'own' ? host.own : host.vendor;
    const stored = this.state.read().images;
    const all = (await this.volumes(pool, 'listing images'))
      .map((v) => this.imageFrom(v, host, stored))
      .filter((image) => query === '' || matchesQuery(image, query))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name));
    const pageSize = Math.min(5000, Math.max(1, Math.floor(Number(options.pageSize ?? 100)) || 100));
    const items = all.slice(offset, offset + pageSize);
    const end = offset + items.length;
    return { items, total: all.length, ...(end < all.length ? { next: encodeToken({ s: scope, q: query, o: end }) } : {}) };
  }

  /** The file of an image id (pool/volume) on this host; an id of no known pool is taken as the own pool's. */
  private pathOf(host: Host, imageId: string): string {
    const slash = imageId.indexOf('/');
    const pool = [host.own, host.vendor].find((p) => p.name === imageId.slice(0, slash)) ?? host.own;
    return join(pool.dir, imageId.slice(slash + 1));
  }

  /** An image id is pool/volume, of the own pool or the vendor pool. */
  private async locate(id: unknown, field = 'imageId'): Promise<{ host: Host; pool: PoolInfo; name: string }> {
    if (typeof id !== 'string' || id === '') throw invalid('An image id is needed.', field);
    const host = await this.ready();
    const slash = id.indexOf('/');
    const poolName = slash > 0 ? id.slice(0, slash) : '';
    const name = id.slice(slash + 1);
    const pool = [host.own, host.vendor].find((p) => p.name === poolName);
    if (!pool || name === '' || name.includes('/')) {
      throw notFound(`Image ${id} does not exist: images here are named pool/volume, in pool ${host.own.name} or ${host.vendor.name}.`);
    }
    return { host, pool, name };
  }

  private async volume(pool: PoolInfo, name: string, doing: string): Promise<Volume | undefined> {
    let xml: string;
    try {
      xml = await this.virshBatch([['pool-refresh', pool.name], ['vol-dumpxml', '--pool', pool.name, name]], { doing });
    } catch (error) {
      if (error instanceof StrataError && error.kind === 'NotFound') return undefined;
      throw error;
    }
    const element = parseXmlFragments(xml)[0];
    return element ? this.volumeFrom(pool, element) : undefined;
  }

  async getImage(id: string): Promise<Image> {
    const { host, pool, name } = await this.locate(id);
    const volume = await this.volume(pool, name, `reading image ${id}`);
    if (!volume) throw notFound(`Image ${id} does not exist in pool ${pool.name}.`);
    return this.imageFrom(volume, host, this.state.read().images);
  }

  async setImageTags(id: string): Promise<Image> {
    await this.getImage(id);
    throw unsupported('libvirt volumes hold no tags; strata keeps names and labels of these images in its own store.');
  }

  /** A new file in a pool, written under a hidden name first and renamed when whole. */
  private async writeVolume(pool: PoolInfo, name: string, write: (partial: string) => Promise<void>): Promise<string> {
    const final = join(pool.dir, name);
    const partial = join(pool.dir, `.${name}.${process.pid}.partial`);
    try {
      await write(partial);
      if (existsSync(final)) throw invalid(`An image named "${name}" appeared in pool ${pool.name} meanwhile; choose another name.`, 'name');
      renameSync(partial, final);
    } finally {
      rmSync(partial, { force: true });
    }
    await this.virsh(['pool-refresh', pool.name], { doing: `refreshing pool ${pool.name}` });
    return final;
  }

  private async refuseTakenName(pool: PoolInfo, name: string): Promise<void> {
    if ((await this.volume(pool, name, 'checking the image name')) || existsSync(join(pool.dir, name))) {
      throw invalid(`An image named "${name}" already exists in pool ${pool.name}; image names are unique in a pool.`, 'name');
    }
  }

  async importImage(options: ImportImageOptions): Promise<Image> {
    const name = checkVolumeName('image', options?.name);
    const { path } = await inspectImageFile(options.path);
    const host = await this.ready();
    await this.refuseTakenName(host.own, name);
    const info = await this.imageInfo(path, `reading ${path}`, 'path');
    if (info['backing-filename']) {
      throw invalid(`${path} is an overlay backed by ${String(info['backing-filename'])}; import a standalone image (qemu-img convert flattens it).`, 'path');
    }
    const format = String(info.format ?? 'raw');
    await this.writeVolume(host.own, name, (partial) =>
      this.tool('qemu-img', ['convert', '-q', '-f', format, '-O', 'qcow2', path, partial], { doing: `importing ${basename(path)}`, timeoutMs: 60 * 60_000 }).then(() => undefined),
    );
    const id = `${host.own.name}/${name}`;
    this.state.update((s) => {
      s.images[id] = { createdAt: new Date().toISOString(), description: options.description ?? `Imported from ${basename(path)}` };
    });
    return this.getImage(id);
  }

  /** qemu-img info as JSON; with the chain, a missing backing file fails here ("Could not open backing file"). */
  private async imageInfo(path: string, doing: string, field?: string, chain = false): Promise<Record<string, unknown>> {
    let out: string;
    try {
      out = await this.tool('qemu-img', ['info', '-U', '--output=json', ...(chain ? ['--backing-chain'] : []), path], { doing });
    } catch (error) {
      if (error instanceof StrataError && error.kind === 'Invalid' && field) throw new StrataError('Invalid', error.message, { field, detail: error.detail });
      throw error;
    }
    const parsed = JSON.parse(out) as Record<string, unknown> | Record<string, unknown>[];
    return Array.isArray(parsed) ? parsed[0]! : parsed;
  }

  async captureImage(serverId: string, options: CaptureOptions): Promise<Image> {
    const name = checkVolumeName('image', options?.name);
    const host = await this.ready();
    const domain = await this.domainById(serverId);
    await this.refuseTakenName(host.own, name);
    const root = domain.record?.files[0] ?? domain.disks[0]?.path;
    if (!root) throw invalid(`Server ${domain.name} has no disk to capture.`, 'serverId');
    await this.imageInfo(root, `checking the disk of ${domain.name}`, undefined, true);
    const state = (await this.listing()).states.get(domain.name);
    const active = state !== undefined && (state.state === 1 || state.state === 2);
    // Not no-reboot: the guest is paused while its disk is copied (qemu flushes it on pause), then resumed.
    // No-reboot: copied while it runs, as a crash would leave it.
    const pause = active && !options.noReboot;
    const doing = `capturing ${domain.name}`;
    if (pause) {
      this.capturing.add(domain.uuid);
      await this.virsh(['suspend', domain.uuid], { doing });
    }
    try {
      await this.writeVolume(host.own, name, (partial) =>
        this.tool('qemu-img', ['convert', '-q', '-U', '-O', 'qcow2', root, partial], { doing, timeoutMs: 60 * 60_000 }).then(() => undefined),
      );
    } finally {
      if (pause) {
        await this.virsh(['resume', domain.uuid], { doing: `resuming ${domain.name}` }).finally(() => this.capturing.delete(domain.uuid));
      }
    }
    const id = `${host.own.name}/${name}`;
    this.state.update((s) => {
      s.images[id] = {
        createdAt: new Date().toISOString(),
        sourceImageId: domain.record?.imageId,
        sourceServerId: domain.uuid,
        description: options.description ?? `Captured by strata from ${domain.name}`,
      };
    });
    return this.getImage(id);
  }

  async deleteImage(id: string): Promise<void> {
    const { host, pool, name } = await this.locate(id);
    if (pool.name !== host.own.name) {
      throw unsupported(`Image ${id} is a vendor template in pool ${pool.name}; strata deletes only own images (pool ${host.own.name}).`);
    }
    const volume = await this.volume(pool, name, `reading image ${id}`);
    if (!volume) throw notFound(`Image ${id} does not exist in pool ${pool.name}.`);
    const dependants = (await this.domains()).filter((d) => d.record?.imagePath === volume.path || d.disks.some((k) => k.backing === volume.path));
    if (dependants.length > 0) {
      const names = dependants.map((d) => d.name);
      throw conflict(
        `Image ${name} cannot be deleted: the disk${names.length === 1 ? ' of server' : 's of servers'} ${names.join(', ')} ${names.length === 1 ? 'is an overlay' : 'are overlays'} backed by it, and deleting it would break ${names.length === 1 ? 'it' : 'them'}. Terminate ${names.length === 1 ? 'it' : 'them'}, or capture ${names.length === 1 ? 'it' : 'them'} to an image of ${names.length === 1 ? 'its' : 'their'} own, first.`,
      );
    }
    await this.virsh(['vol-delete', '--pool', pool.name, name], { doing: `deleting image ${id}` });
    this.state.update((s) => {
      delete s.images[id];
    });
  }

  // ---- launch catalogue -------------------------------------------------------------------------------

  async listProducts(): Promise<Product[]> {
    const host = await this.ready();
    return Object.entries(this.settings().sizes)
      .map(([id, size]) => ({
        id,
        name: `${id} (${size.vcpus} vCPU, ${size.memoryMiB >= 1024 ? `${size.memoryMiB / 1024} GiB` : `${size.memoryMiB} MiB`}, ${size.diskGiB} GiB disk)`,
        vcpus: size.vcpus,
        memoryMiB: size.memoryMiB,
        storageGiB: size.diskGiB,
        architecture: host.arch,
      }))
      .sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || a.id.localeCompare(b.id));
  }

  async listFirewalls(): Promise<Firewall[]> {
    await this.ready();
    const listing = await this.virsh(['nwfilter-list'], { doing: 'listing firewalls' });
    const names = listing
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[1])
      .filter((n): n is string => typeof n === 'string' && n.startsWith(FIREWALL_PREFIX));
    const xml = await this.virshBatch(names.map((n) => ['nwfilter-dumpxml', n]), { doing: 'listing firewalls' });
    return parseXmlFragments(xml)
      .map((filter) => ({ id: filter.attrs.name!, name: filter.attrs.name!.slice(FIREWALL_PREFIX.length), rules: parseFirewallRules(filter) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createFirewall(name: string, rules: FirewallRule[]): Promise<Firewall> {
    checkResourceName('firewall', name, RESOURCE_NAMES);
    const checked = checkFirewallRules(rules, { maxRules: 60, holder: 'A firewall' });
    const host = await this.ready();
    if (!host.network) {
      throw unsupported('Servers here have no network (libvirt.network is none in config.yaml), so there is nothing for a firewall to filter.');
    }
    const id = `${FIREWALL_PREFIX}${name}`;
    if ((await this.listFirewalls()).some((f) => f.id === id)) throw conflict(`A firewall named "${name}" already exists on this host.`);
    await this.defineFromFile(['nwfilter-define'], firewallXml(id, checked), `creating firewall ${name}`);
    return { id, name, rules: checked };
  }

  /** virsh *-define FILE: the XML goes through a private temporary file. */
  private async defineFromFile(command: string[], xml: string, doing: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'strata-libvirt-'));
    try {
      const file = join(dir, 'definition.xml');
      writeFileSync(file, xml, { mode: 0o600 });
      return await this.virsh([...command, file], { doing });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async listKeypairs(): Promise<Keypair[]> {
    return this.state
      .read()
      .keypairs.map((k) => ({ id: k.name, name: k.name, fingerprint: k.fingerprint, createdAt: k.createdAt }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createKeypair(): Promise<CreatedKeypair> {
    throw unsupported('libvirt has no keypairs of its own: strata makes one with ssh-keygen and imports its public half.');
  }

  async importKeypair(name: string, publicKey: string): Promise<Keypair> {
    checkResourceName('keypair', name, RESOURCE_NAMES);
    const line = checkPublicKey(publicKey, 'strata (for cloud-init)');
    const fingerprint = sshFingerprint(Buffer.from(line.split(/\s+/)[1]!, 'base64'));
    const createdAt = new Date().toISOString();
    return this.state.update((s) => {
      if (s.keypairs.some((k) => k.name === name)) throw conflict(`A keypair named "${name}" already exists.`);
      s.keypairs.push({ name, publicKey: line, fingerprint, createdAt });
      return { id: name, name, fingerprint, createdAt };
    });
  }

  // ---- servers ----------------------------------------------------------------------------------------

  /** uuid -> name of every domain, and the state of each, in one run of virsh. */
  private async listing(): Promise<{ names: Map<string, string>; states: Map<string, DomainState> }> {
    const out = await this.virshBatch([['list', '--all', '--uuid', '--name'], ['domstats', '--state', '--raw']], { doing: 'listing servers' });
    const names = new Map<string, string>();
    const states = new Map<string, DomainState>();
    let current: string | undefined;
    for (const raw of out.split('\n')) {
      const line = raw.trim();
      const listed = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s+(.+)$/.exec(line);
      if (listed) {
        names.set(listed[1]!, listed[2]!);
        continue;
      }
      const domain = /^Domain: '(.*)'$/.exec(line);
      if (domain) {
        current = domain[1];
        states.set(current!, { state: 0, reason: 0 });
        continue;
      }
      const stat = /^state\.(state|reason)=(\d+)$/.exec(line);
      if (stat && current !== undefined) states.get(current)![stat[1] as 'state' | 'reason'] = Number(stat[2]);
    }
    return { names, states };
  }

  /** Every domain (strata's have a launch record), its XML read once and cached. */
  private async domains(listing?: Awaited<ReturnType<LibvirtProvider['listing']>>): Promise<DomainInfo[]> {
    await this.ready();
    const { names } = listing ?? (await this.listing());
    const unknown = [...names.keys()].filter((uuid) => !this.domainCache.has(uuid));
    if (unknown.length > 0) {
      const xml = await this.virshBatch(unknown.map((uuid) => ['dumpxml', '--inactive', uuid]), { doing: 'reading servers' });
      for (const element of parseXmlFragments(xml)) {
        const info = parseDomain(element);
        if (info.uuid) this.domainCache.set(info.uuid, info);
      }
    }
    for (const uuid of [...this.domainCache.keys()]) if (!names.has(uuid)) this.domainCache.delete(uuid);
    return [...names.keys()].map((uuid) => this.domainCache.get(uuid)).filter((d): d is DomainInfo => d !== undefined);
  }

  private async domainById(id: unknown): Promise<DomainInfo> {
    if (typeof id !== 'string' || id === '') throw invalid('A server id is needed.', 'serverId');
    const found = (await this.domains()).find((d) => d.uuid === id && d.record);
    if (!found) throw notFound(`Server ${id} does not exist on this host (${this.uri}).`);
    return found;
  }

  private since(id: string, phase: Phase, proposed: number, launchedMs: number, nowMs: number): string {
    const seen = this.phaseSeen.get(id);
    if (seen && seen.phase === phase) return seen.since;
    const since = new Date(Math.min(nowMs, Math.max(launchedMs, proposed))).toISOString();
    this.phaseSeen.set(id, { phase, since });
    return since;
  }

  /**
   * The phase a running guest's console shows. A log that has not grown is not read again, and once
   * cloud-init has said it finished, the guest stays ready while it runs (later output cannot push that
   * line out of the tail strata reads). A log that shrank is a new boot.
   */
  private consoleSeen(domain: DomainInfo): { phase: Phase; at?: string } {
    const path = domain.consoleLog;
    if (!path) return { phase: 'booting' };
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return { phase: 'booting' };
    }
    const last = this.consoleCache.get(domain.uuid);
    if (last && last.size === size) return last.seen;
    let seen = consolePhase(readTail(path, CONSOLE_TAIL_BYTES) ?? '');
    if (last && size > last.size && last.seen.phase === 'ready' && seen.phase !== 'ready') seen = last.seen;
    this.consoleCache.set(domain.uuid, { size, seen });
    return seen;
  }

  private toServer(domain: DomainInfo, state: DomainState | undefined): Server {
    const record = domain.record!;
    const nowMs = Date.now();
    const launchedMs = Date.parse(record.launchedAt);
    let phase: Phase;
    let at: number = nowMs;
    let failureReason: string | undefined;
    const backingGone = !existsSync(record.imagePath);
    const gone = `Its image ${record.imageId} is gone: the backing file ${record.imagePath} of its disk no longer exists, so it cannot start again.`;
    const fromConsole = () => {
      const seen = this.consoleSeen(domain);
      phase = seen.phase;
      at = guestTime(seen.at, launchedMs, nowMs) ?? nowMs;
    };
    const s = state?.state ?? 0;
    // What the console showed belongs to one run of the guest.
    if (s !== 1 && s !== 2 && s !== 3 && s !== 4) this.consoleCache.delete(domain.uuid);
    if (s === 1 || s === 2 || s === 4) {
      fromConsole();
      if (s === 4) failureReason = 'It is shutting down.';
    } else if (s === 3 && this.capturing.has(domain.uuid)) {
      fromConsole();
    } else if (s === 3 || s === 7) {
      phase = 'stalled';
      failureReason = s === 3 ? 'It is paused (virsh resume to go on).' : 'The guest suspended itself.';
    } else if (s === 5 || s === 6) {
      phase = 'failed';
      failureReason = record.failure ?? (backingGone ? gone : `It is shut off: ${SHUTOFF_REASONS[state!.reason] ?? 'it is not running'}.`);
      if (record.failure === undefined && state!.reason === 0 && Date.now() - launchedMs < 60_000) phase = 'pending';
    } else {
      phase = 'pending';
      at = launchedMs;
    }
    if (backingGone && failureReason === undefined) failureReason = gone;
    return {
      id: domain.uuid,
      name: domain.name,
      imageId: record.imageId,
      productId: record.productId,
      phase: phase!,
      phaseSince: this.since(domain.uuid, phase!, at, launchedMs, nowMs),
      launchedAt: record.launchedAt,
      observedAt: new Date(nowMs).toISOString(),
      clientToken: record.token,
      firewallIds: record.firewallIds,
      tags: {},
      ...(record.keypairName ? { keypairName: record.keypairName } : {}),
      ...(record.group ? { group: record.group } : {}),
      ...(record.billingCode ? { billingCode: record.billingCode } : {}),
      ...(record.volumes ? { volumes: record.volumes } : {}),
      ...(failureReason ? { failureReason } : {}),
      ...(backingGone ? { imageGone: true } : {}),
    };
  }

  async listServers(ids?: string[]): Promise<Server[]> {
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) throw invalid('Server ids must be a list of ids.', 'ids');
    if (ids !== undefined && ids.length === 0) return [];
    const listing = await this.listing();
    const wanted = ids === undefined ? undefined : new Set(ids);
    const domains = (await this.domains(listing)).filter((d) => d.record && (!wanted || wanted.has(d.uuid)));
    const servers = await this.serversOf(domains, listing);
    if (ids === undefined) return servers.sort((a, b) => b.launchedAt.localeCompare(a.launchedAt));
    const terminated = this.state.read().terminated;
    const byId = new Map(servers.map((s) => [s.id, s]));
    return [...new Set(ids)].map((id) => byId.get(id) ?? terminated[id]).filter((s): s is Server => s !== undefined);
  }

  async serversByToken(clientToken: string): Promise<Server[]> {
    checkClientToken(clientToken);
    const listing = await this.listing();
    const domains = (await this.domains(listing)).filter((d) => d.record?.token === clientToken).sort((a, b) => a.record!.index - b.record!.index);
    return this.serversOf(domains, listing);
  }

  /**
   * The servers of these domains. A running guest whose console shows no cloud-init at all (an image
   * without it, or one that does not print to the serial port) is ready when its QEMU guest agent
   * answers: one more virsh run for all such servers together, none when there are none.
   */
  private async serversOf(domains: DomainInfo[], listing: Awaited<ReturnType<LibvirtProvider['listing']>>): Promise<Server[]> {
    const servers = domains.map((d) => this.toServer(d, listing.states.get(d.name)));
    const running = (s: Server) => [1, 2].includes(listing.states.get(s.name)?.state ?? 0);
    for (const server of servers) if (!running(server)) this.agentReady.delete(server.id);
    const quiet = servers.filter((s) => running(s) && (s.phase === 'booting' || s.phase === 'running'));
    const unknown = quiet.filter((s) => !this.agentReady.has(s.id));
    if (unknown.length > 0) {
      const out = await this.virshBatch(
        unknown.flatMap((s) => [
          ['echo', `<<strata-agent ${s.id}>>`],
          ['qemu-agent-command', '--timeout', '2', s.id, '{"execute":"guest-ping"}'],
        ]).concat([['echo', '<<strata-agent end>>']]), // virsh's status is its last command's: this one succeeds
        { doing: 'asking guest agents' },
      ).catch(() => '');
      for (const [, id, answer] of out.matchAll(/<<strata-agent ([0-9a-f-]+)>>\s*([^<]*)/g)) {
        if (/"return"/.test(answer!)) this.agentReady.add(id!);
      }
    }
    const nowMs = Date.now();
    return servers.map((s) =>
      quiet.includes(s) && this.agentReady.has(s.id)
        ? { ...s, phase: 'ready' as const, phaseSince: this.since(s.id, 'ready', nowMs, Date.parse(s.launchedAt), nowMs) }
        : s,
    );
  }

  private serverNames(spec: LaunchSpec): string[] {
    return Array.from({ length: spec.count }, (_, i) => (spec.count > 1 ? `${spec.name}-${i + 1}` : spec.name));
  }

  /** Everything a launch checks before it makes anything; the problems, or what it needs to go on. */
  private async prepare(spec: LaunchSpec, clientToken: string) {
    const host = await this.ready();
    const [products, firewalls, keypairs, image] = await Promise.all([
      this.listProducts(),
      host.network ? this.listFirewalls() : Promise.resolve([]),
      this.listKeypairs(),
      typeof spec.imageId === 'string' && spec.imageId !== ''
        ? this.getImage(spec.imageId).catch((error: unknown) => {
            if (error instanceof StrataError && error.kind === 'NotFound') return null;
            throw error;
          })
        : Promise.resolve(undefined),
    ]);
    if (image === null) throw invalid(`Image ${spec.imageId} does not exist; choose another.`, 'imageId');
    const caps = libvirtCapabilities(host.network !== undefined);
    const problems = validateLaunch(spec, caps, { products, firewalls, keypairs, ...(image ? { image } : {}) });
    if (problems.length > 0) throw invalid(problems[0]!.message, problems[0]!.field);
    const listing = await this.listing();
    const names = listing.names;
    const domains = await this.domains(listing);
    const mine = new Set(domains.filter((d) => d.record?.token === clientToken).map((d) => d.name));
    const taken = this.serverNames(spec).filter((n) => [...names.values()].includes(n) && !mine.has(n));
    if (taken.length > 0) {
      throw invalid(`A server named ${taken.join(', ')} already exists on this host; choose another name.`, 'name');
    }
    if (host.network) {
      const info = await this.virsh(['net-info', host.network], { doing: `checking the network ${host.network}` }).catch((error: unknown) => {
        throw invalid(`The libvirt network "${host.network}" cannot be used (${(error as Error).message}); set libvirt.network in config.yaml to another, or to none.`, 'network');
      });
      if (!/^Active:\s+yes/m.test(info)) {
        throw invalid(`The libvirt network "${host.network}" is not active: start it (virsh net-start ${host.network}), or set libvirt.network in config.yaml to another network or to none.`, 'network');
      }
    }
    const product = products.find((p) => p.id === spec.productId)!;
    return { host, image: image!, product, firewalls };
  }

  async previewLaunch(spec: LaunchSpec, clientToken: string): Promise<LaunchPreview> {
    const host = await this.ready();
    const names = this.serverNames({ ...spec, count: Math.max(1, Math.min(spec.count || 1, 10)) });
    const size = this.settings().sizes[spec.productId];
    const imagePath = spec.imageId ? this.pathOf(host, spec.imageId) : '';
    const files = this.filesFor(host, names[0]!, spec.volumes?.count ?? 0);
    const xml = domainXml({
      name: names[0]!,
      virtType: host.virtType,
      arch: host.libvirtArch,
      vcpus: size?.vcpus ?? 1,
      memoryMiB: size?.memoryMiB ?? 512,
      disks: [
        { path: files.root, format: 'qcow2' },
        ...files.volumes.map((path) => ({ path, format: 'qcow2' as const })),
        { path: files.seed, format: 'raw' as const, readonly: true },
      ],
      ...(host.network ? { network: host.network } : {}),
      consoleLog: files.log,
      record: this.record(spec, clientToken, 0, names[0]!, imagePath, files, []),
    });
    let check: LaunchPreview['check'];
    try {
      const { image } = await this.prepare(spec, clientToken);
      const chain = await this.imageInfo(this.pathOf(host, image.id), 'checking the image', undefined, true)
        .then(() => undefined)
        .catch((error: unknown) => (error as Error).message);
      check = chain
        ? { allowed: false, sentence: chain }
        : { allowed: true, sentence: `libvirt at ${this.uri} has the image${host.network ? ', the size and an active network' : ' and the size'}; the names are free.` };
    } catch (error) {
      check = { allowed: false, sentence: (error as Error).message };
    }
    return {
      request: { servers: names, domainXml: xml.trimEnd().split('\n'), rootDisk: `qcow2 overlay backed by ${imagePath}`, seed: 'NoCloud (vfat, CIDATA): meta-data and user-data' },
      cli: `qemu-img create -f qcow2 -F qcow2 -b ${imagePath} ${files.root} ${size?.diskGiB ?? 10}G && virsh -c ${this.uri} define ${names[0]}.xml && virsh -c ${this.uri} start ${names[0]}`,
      check,
    };
  }

  private filesFor(host: Host, name: string, volumes: number) {
    const at = (suffix: string) => join(host.disks.dir, `${name}.${suffix}`);
    return {
      root: at('root.qcow2'),
      volumes: Array.from({ length: volumes }, (_, i) => at(`vol${i + 1}.qcow2`)),
      seed: at('seed.img'),
      log: at('console.log'),
    };
  }

  private record(spec: LaunchSpec, token: string, index: number, name: string, imagePath: string, files: ReturnType<LibvirtProvider['filesFor']>, firewallIds: string[]): LaunchRecord {
    return {
      token,
      index,
      name,
      imageId: spec.imageId,
      imagePath,
      productId: spec.productId,
      firewallIds,
      ...(spec.keypairName ? { keypairName: spec.keypairName } : {}),
      ...(spec.group ? { group: spec.group } : {}),
      ...(spec.billingCode ? { billingCode: spec.billingCode } : {}),
      ...(spec.volumes && spec.volumes.count > 0 ? { volumes: spec.volumes } : {}),
      launchedAt: new Date().toISOString(),
      files: [files.root, ...files.volumes, files.seed, files.log],
    };
  }

  async launch(spec: LaunchSpec, clientToken: string): Promise<Server[]> {
    checkClientToken(clientToken);
    if (spec === null || typeof spec !== 'object') throw invalid('A launch needs a specification.', 'spec');
    // A launch that already happened (a retry after a lost answer) is answered, not repeated; one cut short
    // is completed: the servers it made are kept, the missing ones made.
    const previous = await this.serversByToken(clientToken);
    if (previous.length >= (Number.isInteger(spec.count) ? spec.count : 1) && previous.length > 0) return previous;
    const { host, image, product } = await this.prepare(spec, clientToken);
    const imagePath = this.pathOf(host, image.id);
    try {
      await this.imageInfo(imagePath, `checking image ${image.id}`, undefined, true);
    } catch (error) {
      throw invalid(`Image ${image.id} cannot be used: ${(error as Error).message}`, 'imageId');
    }
    const firewallIds = [...spec.firewallIds];
    if (spec.newFirewall && host.network) {
      const id = `${FIREWALL_PREFIX}${spec.newFirewall.name}`;
      const existing = (await this.listFirewalls()).find((f) => f.id === id);
      if (!existing) await this.createFirewall(spec.newFirewall.name, spec.newFirewall.rules);
      firewallIds.push(id);
    }
    const publicKeys = spec.keypairName ? this.state.read().keypairs.filter((k) => k.name === spec.keypairName).map((k) => k.publicKey) : [];
    const done = new Set(previous.map((s) => s.name));
    const names = this.serverNames(spec);
    for (const [index, name] of names.entries()) {
      if (done.has(name)) continue;
      await this.createServer({ host, spec, clientToken, index, name, imagePath, imageGiB: image.sizeGiB ?? 1, product, firewallIds, publicKeys });
    }
    return this.serversByToken(clientToken);
  }

  private async createServer(p: {
    host: Host;
    spec: LaunchSpec;
    clientToken: string;
    index: number;
    name: string;
    imagePath: string;
    imageGiB: number;
    product: Product;
    firewallIds: string[];
    publicKeys: string[];
  }): Promise<void> {
    const { host, spec, name } = p;
    const files = this.filesFor(host, name, spec.volumes?.count ?? 0);
    const record = this.record(spec, p.clientToken, p.index, name, p.imagePath, files, p.firewallIds);
    const doing = `launching ${name}`;
    // No domain has this name (checked): files of that name are what an interrupted attempt left.
    for (const file of record.files) rmSync(file, { force: true });
    const filter = host.network && p.firewallIds.length > 0 ? `${SERVER_FILTER_PREFIX}${name}` : undefined;
    const xml = (virtType: 'kvm' | 'qemu', uuid?: string) => domainXml({
      name,
      ...(uuid ? { uuid } : {}),
      virtType,
      arch: host.libvirtArch,
      vcpus: p.product.vcpus,
      memoryMiB: p.product.memoryMiB,
      disks: [
        { path: files.root, format: 'qcow2' },
        ...files.volumes.map((path) => ({ path, format: 'qcow2' as const })),
        { path: files.seed, format: 'raw', readonly: true },
      ],
      ...(host.network ? { network: host.network } : {}),
      ...(filter ? { filter } : {}),
      consoleLog: files.log,
      record,
    });
    try {
      const diskGiB = Math.max(p.product.storageGiB, p.imageGiB);
      await this.tool('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', p.imagePath, files.root, `${diskGiB}G`], { doing });
      for (const volume of files.volumes) {
        await this.tool('qemu-img', ['create', '-q', '-f', 'qcow2', volume, `${spec.volumes!.sizeGiB}G`], { doing });
      }
      await writeSeed(this.runOrMap(doing), files.seed, {
        instanceId: `${name}-${p.clientToken}`.slice(0, 120),
        hostname: hostnameFor(name) ?? 'strata',
        publicKeys: p.publicKeys,
        ...(spec.userData ? { userData: spec.userData } : {}),
      });
      if (filter) {
        record.filter = filter;
        await this.defineFromFile(['nwfilter-define'], serverFilterXml(filter, p.firewallIds), doing);
      }
      await this.defineFromFile(['define'], xml(host.virtType), doing);
    } catch (error) {
      for (const file of record.files) rmSync(file, { force: true });
      if (filter) await this.virsh(['nwfilter-undefine', filter]).catch(() => undefined);
      throw error;
    }
    await this.virsh(['pool-refresh', host.disks.name]).catch(() => undefined);
    try {
      try {
        await this.virsh(['start', name], { doing: `starting ${name}` });
      } catch (error) {
        // libvirt lists KVM wherever /dev/kvm exists, also where its QEMU may not open it (a container):
        // then this host runs guests under emulation, from this server on.
        if (!(host.virtType === 'kvm' && /initiali[sz]e kvm|access KVM kernel module/i.test((error as StrataError).detail ?? ''))) throw error;
        host.virtType = 'qemu';
        this.state.update((st) => {
          st.kvmUnusable = true;
        });
        const uuid = (await this.virsh(['domuuid', name], { doing })).trim();
        await this.defineFromFile(['define'], xml('qemu', uuid), doing);
        await this.virsh(['start', name], { doing: `starting ${name}` });
      }
    } catch (error) {
      // The server exists and stays, failed, with the reason in strata's words (a retry of the launch
      // does not make it again); a gone image says so instead of libvirt's raw error.
      let reason = (error as Error).message;
      try {
        await this.imageInfo(files.root, `starting ${name}`, undefined, true);
      } catch (chain) {
        if (chain instanceof StrataError && chain.kind === 'NotFound') {
          reason = `It cannot start: its image ${spec.imageId} is gone (the backing file ${p.imagePath} of its disk no longer exists).`;
        }
      }
      record.failure = reason;
      await this.virsh(['metadata', name, METADATA_URI, '--key', METADATA_KEY, '--set', metadataUpdate(record), '--config']).catch(() => undefined);
      for (const [uuid, info] of this.domainCache) if (info.name === name) this.domainCache.delete(uuid);
    }
  }

  /** The runner with this provider's error mapping, for helpers that take a Runner. */
  private runOrMap(doing: string): Runner {
    return async (file, args, options) => {
      try {
        return await this.run(file, args, { doing, ...options });
      } catch (error) {
        throw toStrataError(error, { uri: this.uri, doing: options?.doing ?? doing });
      }
    };
  }

  async terminate(id: string): Promise<void> {
    const domain = await this.domainById(id);
    const listing = await this.listing();
    const last = this.toServer(domain, listing.states.get(domain.name));
    const doing = `terminating ${domain.name}`;
    const state = listing.states.get(domain.name)?.state ?? 5;
    if (state !== 5) {
      await this.virsh(['destroy', domain.uuid], { doing }).catch((error: unknown) => {
        // Already stopped between the listing and now is fine; anything else is not.
        if (!(error instanceof StrataError && /not running/i.test(error.detail ?? ''))) throw error;
      });
    }
    await this.virsh(['undefine', domain.uuid, '--nvram'], { doing }).catch(async (error: unknown) => {
      if (error instanceof StrataError && /nvram/i.test(error.detail ?? '')) return this.virsh(['undefine', domain.uuid], { doing });
      throw error;
    });
    for (const file of domain.record?.files ?? []) rmSync(file, { force: true });
    if (domain.record?.filter) await this.virsh(['nwfilter-undefine', domain.record.filter]).catch(() => undefined);
    this.domainCache.delete(domain.uuid);
    this.phaseSeen.delete(domain.uuid);
    this.consoleCache.delete(domain.uuid);
    this.agentReady.delete(domain.uuid);
    const host = await this.ready();
    await this.virsh(['pool-refresh', host.disks.name]).catch(() => undefined);
    const now = new Date().toISOString();
    this.state.update((s) => {
      s.terminated[domain.uuid] = { ...last, phase: 'terminated', phaseSince: now, observedAt: now };
      delete s.terminated[domain.uuid]!.failureReason;
    });
  }

  async consoleOutput(id: string): Promise<string> {
    const domain = await this.domainById(id);
    if (!domain.consoleLog) return '';
    try {
      // A serial console ends its lines with CR LF.
      return (readTail(domain.consoleLog, 64 * 1024) ?? '').replace(/\r\n?/g, '\n');
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new StrataError(
        code === 'EACCES' ? 'AuthFailed' : 'Transient',
        `strata cannot read the console log ${domain.consoleLog} (${code === 'EACCES' ? 'permission denied: run strata as a user who may read it' : code ?? 'unknown error'}).`,
      );
    }
  }

  async close(): Promise<void> {
    // Nothing is held open: every call is its own virsh or qemu-img.
  }
}

export async function createLibvirtProvider(options: ProviderOptions, run?: Runner): Promise<ProviderService> {
  return new LibvirtProvider(options, run);
}
