// The libvirt provider's connection to its host: the URI, the settings of config.yaml's libvirt section,
// the one way to run virsh and qemu-img (errors mapped to the contract's kinds), and what is read once
// when strata first connects (the architecture, KVM or emulation, the pools strata uses).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrataError, invalid, notFound, unsupported } from '../../core/errors.js';
import type { LibvirtSize, ProviderOptions } from '../provider.js';
import { ToolFailure, execaRunner, toStrataError, virshQuote, type RunOptions, type Runner } from './exec.js';
import { StateFile } from './state.js';
import { child, parseXml, textAt } from './xml.js';

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

export interface PoolInfo {
  name: string;
  dir: string;
}

export interface Host {
  arch: 'x86_64' | 'arm64';
  libvirtArch: string;
  virtType: 'kvm' | 'qemu';
  own: PoolInfo;
  vendor: PoolInfo;
  disks: PoolInfo;
  network?: string;
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

/** virsh's words for a domain, filter or volume that does not exist (any more). */
export const GONE = {
  domain: /failed to get domain|Domain not found|no domain with matching/i,
  filter: /failed to get nwfilter|Network filter not found|no nwfilter with matching/i,
  volume: /failed to get vol|Storage volume not found|no storage vol with matching/i,
};

export class Connection {
  readonly uri: string;
  /** Where the URI came from, for a sentence that says what to correct. */
  readonly uriFrom?: string;
  readonly state: StateFile;
  private host?: Promise<Host>;

  constructor(
    private readonly options: ProviderOptions,
    private readonly run: Runner = execaRunner,
  ) {
    const env = process.env;
    [this.uri, this.uriFrom] =
      options.libvirtUri !== undefined
        ? [options.libvirtUri, '--libvirt-uri or STRATA_LIBVIRT_URI']
        : env[URI_ENV]
          ? [env[URI_ENV], URI_ENV]
          : env.LIBVIRT_DEFAULT_URI
            ? [env.LIBVIRT_DEFAULT_URI, 'LIBVIRT_DEFAULT_URI']
            : [DEFAULT_URI, undefined];
    this.state = new StateFile(options.home, this.uri);
    if (options.region !== undefined && options.region !== '' && options.region !== REGION) {
      throw invalid(`libvirt has one region, "${REGION}": the host is chosen with --libvirt-uri (now ${this.uri}).`, 'region');
    }
  }

  settings() {
    const s = this.options.libvirt ?? {};
    return {
      pool: s.pool ?? DEFAULT_POOL,
      vendorPool: s.vendorPool ?? DEFAULT_VENDOR_POOL,
      /** The vendor pool is the user's (another than strata-vendor named in config.yaml), not strata's to make. */
      vendorPoolNamed: s.vendorPool !== undefined && s.vendorPool !== DEFAULT_VENDOR_POOL,
      poolDirectory: s.poolDirectory ?? DEFAULT_POOL_DIRECTORY,
      network: s.network ?? DEFAULT_NETWORK,
      sizes: s.sizes && Object.keys(s.sizes).length > 0 ? s.sizes : DEFAULT_SIZES,
    };
  }

  // ---- running the tools ------------------------------------------------------------------------------

  private mapError(error: unknown, doing?: string, uri = this.uri): StrataError {
    const from = uri === this.uri ? this.uriFrom : 'the source\'s uri in config.yaml';
    return toStrataError(error, { uri, ...(from ? { uriFrom: from } : {}), ...(doing ? { doing } : {}) });
  }

  async tool(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
    try {
      return (await this.run(file, args, options)).stdout;
    } catch (error) {
      throw this.mapError(error, options.doing);
    }
  }

  virsh(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return this.tool('virsh', ['-q', '-c', this.uri, ...args], options);
  }

  /**
   * virsh on another connection (the host or daemon of another source, for a copy from it); its failures
   * are told with that URI. Nothing is made there: strata only reads from another source's host.
   */
  async virshAt(uri: string, commands: string[][], options: RunOptions = {}): Promise<string> {
    if (commands.length === 0) return '';
    try {
      return (await this.run('virsh', ['-q', '-c', uri, commands.map((c) => c.map(virshQuote).join(' ')).join(' ; ')], options)).stdout;
    } catch (error) {
      throw this.mapError(error, options.doing, uri);
    }
  }

  /** Several virsh commands in one run (one process for many objects); a failing command does not stop the rest. */
  async virshBatch(commands: string[][], options: RunOptions = {}): Promise<string> {
    if (commands.length === 0) return '';
    return this.virsh([commands.map((c) => c.map(virshQuote).join(' ')).join(' ; ')], options);
  }

  /**
   * Reads of the things a listing just named, in one virsh run. On a busy host one of them may go away
   * between the listing and the read (another session deleted it): it is left out, and the rest of the
   * read stands. `gone` is virsh's words for such a thing; any other error fails the read as usual.
   */
  async readEach(commands: string[][], gone: RegExp, options: RunOptions = {}): Promise<string> {
    if (commands.length === 0) return '';
    // virsh's status is its last command's: a last echo keeps it 0, and stderr says what failed.
    const line = [...commands, ['echo']].map((c) => c.map(virshQuote).join(' ')).join(' ; ');
    let result: { stdout: string; stderr: string };
    try {
      result = await this.run('virsh', ['-q', '-c', this.uri, line], options);
    } catch (error) {
      throw this.mapError(error, options.doing);
    }
    const errors = result.stderr.split('\n').filter((l) => /^\s*error:/.test(l));
    if (errors.some((l) => !gone.test(l))) throw this.mapError(new ToolFailure('virsh', result.stderr, 1, 'exit'), options.doing);
    return result.stdout;
  }

  /** virsh *-define FILE: the XML goes through a private temporary file. */
  async defineFromFile(command: string[], xml: string, doing: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'strata-libvirt-'));
    try {
      const file = join(dir, 'definition.xml');
      writeFileSync(file, xml, { mode: 0o600 });
      return await this.virsh([...command, file], { doing });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The runner with this provider's error mapping, for helpers that take a Runner. */
  runOrMap(doing: string): Runner {
    return async (file, args, options) => {
      try {
        return await this.run(file, args, { doing, ...options });
      } catch (error) {
        throw this.mapError(error, options?.doing ?? doing);
      }
    };
  }

  // ---- the host ---------------------------------------------------------------------------------------

  /** Connects, reads the host, and makes the pools strata uses where they are missing; once. */
  ready(): Promise<Host> {
    this.host ??= this.connect().catch((error: unknown) => {
      this.host = undefined;
      throw error;
    });
    return this.host;
  }

  /** Remembers that QEMU cannot use KVM here: this host runs guests under emulation, from now on. */
  kvmUnusable(host: Host): void {
    host.virtType = 'qemu';
    this.state.update((st) => {
      st.kvmUnusable = true;
    });
  }

  private async connect(): Promise<Host> {
    const s = this.settings();
    const caps = parseXml(await this.virsh(['capabilities'], { doing: 'connecting to libvirt' }));
    const libvirtArch = textAt(caps, 'host/cpu/arch') ?? 'x86_64';
    const guests = caps.children.filter((c) => c.name === 'guest' && child(c, 'arch')?.attrs.name === libvirtArch);
    const types = guests.flatMap((g) => child(g, 'arch')?.children.filter((c) => c.name === 'domain').map((d) => d.attrs.type) ?? []);
    if (types.length === 0) {
      throw unsupported(`libvirt at ${this.uri} cannot run ${libvirtArch} guests: install its QEMU driver and qemu-system (Debian: libvirt-daemon-driver-qemu qemu-system-x86).`);
    }
    const forced = process.env.STRATA_LIBVIRT_VIRT_TYPE;
    const kvm = types.includes('kvm') && !this.state.read().kvmUnusable && kvmOpenToQemu();
    const virtType: 'kvm' | 'qemu' = forced === 'qemu' || forced === 'kvm' ? forced : kvm ? 'kvm' : 'qemu';
    // strata makes its own pools where they are missing, and the vendor pool only where it is its own
    // (strata-vendor, where config.yaml names no other) or the user said to make it: a vendor pool named in
    // config.yaml that does not exist is a wrong name or a pool not made yet, and a new empty pool would
    // hide that.
    const vendorDir = join(s.poolDirectory, s.vendorPool);
    const vendor = await this.ensurePool(s.vendorPool, vendorDir, !s.vendorPoolNamed || this.options.libvirtCreateVendorPool === true, () =>
      new StrataError(
        'NotFound',
        `The vendor pool "${s.vendorPool}" (libvirt.vendorPool in config.yaml) does not exist at ${this.uri}: correct the name, or create it ` +
          `(virsh -c ${this.uri} pool-define-as ${s.vendorPool} dir --target ${vendorDir}; then pool-build, pool-start and pool-autostart it).`,
        { field: 'libvirt.vendorPool' },
      ),
    );
    const own = await this.ensurePool(s.pool, join(s.poolDirectory, s.pool));
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

  /**
   * A directory pool, started where it is not. Where it is missing it is made (define, build, start,
   * autostart) when `create`, else `missing` says so.
   */
  private async ensurePool(name: string, dir: string, create = true, missing?: () => StrataError): Promise<PoolInfo> {
    let xml: string;
    try {
      xml = await this.virsh(['pool-dumpxml', name]);
    } catch (error) {
      if (!(error instanceof StrataError && error.kind === 'NotFound')) throw error;
      if (!create) throw missing?.() ?? notFound(`The storage pool ${name} does not exist at ${this.uri}.`);
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
}
