// Servers on a libvirt host: domains whose root disk is a qcow2 overlay backed by their image, with
// strata's launch record (client token, group, billing code, …) in the domain's metadata. Launch (made
// once per client token, completed where it was cut short), the listing (one virsh run for every server),
// readiness (the domain's state, then the guest's console or its agent), capture, terminate.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkClientToken } from '../../core/checks.js';
import { StrataError, invalid, notFound } from '../../core/errors.js';
import { validateLaunch } from '../../core/launch.js';
import { hostnameFor } from '../../core/userdata.js';
import type { Firewall, Image, Keypair, LaunchSpec, Phase, Product, Server } from '../../core/types.js';
import type { CaptureOptions, LaunchPreview } from '../provider.js';
import { libvirtCapabilities } from './capabilities.js';
import { GONE, type Connection, type Host } from './connection.js';
import { Consoles, guestTime } from './console.js';
import {
  FIREWALL_PREFIX,
  METADATA_KEY,
  METADATA_URI,
  SERVER_FILTER_PREFIX,
  domainXml,
  metadataUpdate,
  parseDomain,
  serverFilterXml,
  type DomainInfo,
  type LaunchRecord,
  parseLeases,
} from './domain.js';
import type { Firewalls } from './firewalls.js';
import { checkVolumeName, type Images } from './images.js';
import { publicKeysOf } from './keypairs.js';
import { writeSeed } from './seed.js';
import { parseXmlFragments } from './xml.js';

interface DomainState {
  state: number;
  reason: number;
}

/** uuid -> name of every domain, and the state of each by name. */
export interface Listing {
  names: Map<string, string>;
  states: Map<string, DomainState>;
  /** Which listing of this provider it is (a later one has a larger number). */
  seq: number;
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

/**
 * Whether a file is gone: it does not exist. One strata may not look at (a directory it may not enter) is
 * not gone.
 */
function fileGone(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

export interface ServersDeps {
  images: Images;
  firewalls: Firewalls;
  products: () => Promise<Product[]>;
  keypairs: () => Promise<Keypair[]>;
}

export class Servers {
  /** Parsed domain XML by uuid: strata's launch record does not change but for its failure. */
  private readonly domainCache = new Map<string, DomainInfo>();
  /** The listing each cached domain was read after: an older listing cannot tell that it went away. */
  private readonly cachedAfter = new Map<string, number>();
  private listings = 0;
  /** When this provider first saw each server in its phase (libvirt keeps no history of phases). */
  private readonly phaseSeen = new Map<string, { phase: Phase; since: string }>();
  /** Running servers whose guest agent answered (ready without cloud-init on the console). */
  private readonly agentReady = new Set<string>();
  private readonly consoles = new Consoles();
  /** Servers paused for a capture: shown in the phase they were in, not as stalled. */
  private readonly capturing = new Set<string>();

  constructor(
    private readonly conn: Connection,
    private readonly deps: ServersDeps,
  ) {}

  // ---- the listing ------------------------------------------------------------------------------------

  /** uuid -> name of every domain, and the state of each, in one run of virsh. */
  async listing(): Promise<Listing> {
    const seq = ++this.listings;
    const out = await this.conn.virshBatch([['list', '--all', '--uuid', '--name'], ['domstats', '--state', '--raw']], { doing: 'listing servers' });
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
    return { names, states, seq };
  }

  /**
   * Every domain (strata's have a launch record), its XML read once and cached. One undefined between the
   * listing and the read (a busy host) is left out; a server this provider knew that is no longer there is
   * remembered as terminated.
   */
  async domains(listing?: Listing): Promise<DomainInfo[]> {
    await this.conn.ready();
    const { names, seq } = listing ?? (await this.listing());
    const unknown = [...names.keys()].filter((uuid) => !this.domainCache.has(uuid));
    if (unknown.length > 0) {
      const xml = await this.conn.readEach(unknown.map((uuid) => ['dumpxml', '--inactive', uuid]), GONE.domain, { doing: 'reading servers' });
      for (const element of parseXmlFragments(xml)) {
        const info = parseDomain(element);
        if (!info.uuid) continue;
        this.domainCache.set(info.uuid, info);
        this.cachedAfter.set(info.uuid, Math.max(seq, this.cachedAfter.get(info.uuid) ?? 0));
      }
    }
    // Gone is what a listing made after the domain was read no longer has.
    const vanished = [...this.domainCache.values()].filter((d) => !names.has(d.uuid) && (this.cachedAfter.get(d.uuid) ?? 0) <= seq);
    for (const domain of vanished) this.wentAway(domain);
    return [...names.keys()].map((uuid) => this.domainCache.get(uuid)).filter((d): d is DomainInfo => d !== undefined);
  }

  /** A domain undefined behind this provider's back (by hand, by another strata): its server is terminated. */
  private wentAway(domain: DomainInfo): void {
    this.uncache(domain.uuid);
    if (domain.record) {
      const last = this.toServer(domain, undefined);
      if (!(domain.uuid in this.conn.state.read().terminated)) this.remember(last);
    }
    this.forget(domain.uuid);
  }

  private uncache(uuid: string): void {
    this.domainCache.delete(uuid);
    this.cachedAfter.delete(uuid);
  }

  private forget(uuid: string): void {
    this.phaseSeen.delete(uuid);
    this.consoles.forget(uuid);
    this.agentReady.delete(uuid);
  }

  /** The last view of a server that is gone, as terminated: what a caller asking for it by id is told. */
  private remember(last: Server): void {
    const now = new Date().toISOString();
    this.conn.state.update((s) => {
      const view: Server = { ...last, phase: 'terminated', phaseSince: now, observedAt: now };
      delete view.failureReason;
      delete view.imageGone;
      s.terminated[last.id] = view;
    });
  }

  async domainById(id: unknown): Promise<DomainInfo> {
    if (typeof id !== 'string' || id === '') throw invalid('A server id is needed.', 'serverId');
    const found = (await this.domains()).find((d) => d.uuid === id && d.record);
    if (!found) throw notFound(`Server ${id} does not exist on this host (${this.conn.uri}).`);
    return found;
  }

  private since(id: string, phase: Phase, proposed: number, launchedMs: number, nowMs: number): string {
    const seen = this.phaseSeen.get(id);
    if (seen && seen.phase === phase) return seen.since;
    const since = new Date(Math.min(nowMs, Math.max(launchedMs, proposed))).toISOString();
    this.phaseSeen.set(id, { phase, since });
    return since;
  }

  private toServer(domain: DomainInfo, state: DomainState | undefined): Server {
    const record = domain.record!;
    const nowMs = Date.now();
    const launchedMs = Date.parse(record.launchedAt);
    let phase: Phase;
    let at: number = nowMs;
    let failureReason: string | undefined;
    const backingGone = fileGone(record.imagePath);
    const gone = `Its image ${record.imageId} is gone: the backing file ${record.imagePath} of its disk no longer exists, so it cannot start again.`;
    const fromConsole = () => {
      const seen = this.consoles.seen(domain);
      phase = seen.phase;
      at = guestTime(seen.at, launchedMs, nowMs) ?? nowMs;
    };
    const s = state?.state ?? 0;
    // What the console showed belongs to one run of the guest.
    if (s !== 1 && s !== 2 && s !== 3 && s !== 4) this.consoles.forget(domain.uuid);
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
    const terminated = this.conn.state.read().terminated;
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
  private async serversOf(domains: DomainInfo[], listing: Listing): Promise<Server[]> {
    const servers = domains.map((d) => this.toServer(d, listing.states.get(d.name)));
    const running = (s: Server) => [1, 2].includes(listing.states.get(s.name)?.state ?? 0);
    for (const server of servers) if (!running(server)) this.agentReady.delete(server.id);
    const quiet = servers.filter((s) => running(s) && (s.phase === 'booting' || s.phase === 'running'));
    const unknown = quiet.filter((s) => !this.agentReady.has(s.id));
    if (unknown.length > 0) {
      const out = await this.conn.virshBatch(
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
    const leases = await this.leases(domains.filter((d) => [1, 2].includes(listing.states.get(d.name)?.state ?? 0)));
    return servers.map((s, i) => {
      const lease = domains[i]!.interfaces?.map((n) => leases.get(n.mac)).find((a) => a !== undefined);
      const withLease = lease ? { ...s, privateAddress: lease } : s;
      return quiet.includes(s) && this.agentReady.has(s.id)
        ? { ...withLease, phase: 'ready' as const, phaseSince: this.since(s.id, 'ready', nowMs, Date.parse(s.launchedAt), nowMs) }
        : withLease;
    });
  }

  /**
   * The DHCP leases of the networks running servers join (their address: what s connects to), by MAC: one
   * virsh run for every such network, none where no running server has a network. A network that cannot
   * be read gives no addresses (the servers are listed without one), never an error.
   */
  private async leases(running: DomainInfo[]): Promise<Map<string, string>> {
    const networks = [...new Set(running.flatMap((d) => d.interfaces?.map((i) => i.network) ?? []))];
    if (networks.length === 0) return new Map();
    const out = await this.conn.virshBatch([...networks.map((n) => ['net-dhcp-leases', n]), ['echo']], { doing: 'reading DHCP leases' }).catch(() => '');
    return parseLeases(out);
  }

  // ---- launch -----------------------------------------------------------------------------------------

  private serverNames(spec: LaunchSpec): string[] {
    return Array.from({ length: spec.count }, (_, i) => (spec.count > 1 ? `${spec.name}-${i + 1}` : spec.name));
  }

  /** Everything a launch checks before it makes anything; the problems, or what it needs to go on. */
  private async prepare(spec: LaunchSpec, clientToken: string): Promise<{ host: Host; image: Image; product: Product; firewalls: Firewall[] }> {
    const host = await this.conn.ready();
    const [products, firewalls, keypairs, image] = await Promise.all([
      this.deps.products(),
      host.network ? this.deps.firewalls.listFirewalls() : Promise.resolve([]),
      this.deps.keypairs(),
      typeof spec.imageId === 'string' && spec.imageId !== ''
        ? this.deps.images.getImage(spec.imageId).catch((error: unknown) => {
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
      const info = await this.conn.virsh(['net-info', host.network], { doing: `checking the network ${host.network}` }).catch((error: unknown) => {
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
    const host = await this.conn.ready();
    const names = this.serverNames({ ...spec, count: Math.max(1, Math.min(spec.count || 1, 10)) });
    const size = this.conn.settings().sizes[spec.productId];
    const imagePath = spec.imageId ? this.deps.images.pathOf(host, spec.imageId) : '';
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
      const chain = await this.deps.images
        .imageInfo(this.deps.images.pathOf(host, image.id), 'checking the image', undefined, true)
        .then(() => undefined)
        .catch((error: unknown) => (error as Error).message);
      check = chain
        ? { allowed: false, sentence: chain }
        : { allowed: true, sentence: `libvirt at ${this.conn.uri} has the image${host.network ? ', the size and an active network' : ' and the size'}; the names are free.` };
    } catch (error) {
      check = { allowed: false, sentence: (error as Error).message };
    }
    return {
      request: { servers: names, domainXml: xml.trimEnd().split('\n'), rootDisk: `qcow2 overlay backed by ${imagePath}`, seed: 'NoCloud (vfat, CIDATA): meta-data and user-data' },
      cli: `qemu-img create -f qcow2 -F qcow2 -b ${imagePath} ${files.root} ${size?.diskGiB ?? 10}G && virsh -c ${this.conn.uri} define ${names[0]}.xml && virsh -c ${this.conn.uri} start ${names[0]}`,
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

  private record(spec: LaunchSpec, token: string, index: number, name: string, imagePath: string, files: ReturnType<Servers['filesFor']>, firewallIds: string[]): LaunchRecord {
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
    const imagePath = this.deps.images.pathOf(host, image.id);
    try {
      await this.deps.images.imageInfo(imagePath, `checking image ${image.id}`, undefined, true);
    } catch (error) {
      throw invalid(`Image ${image.id} cannot be used: ${(error as Error).message}`, 'imageId');
    }
    const firewallIds = [...spec.firewallIds];
    if (spec.newFirewall && host.network) {
      const id = `${FIREWALL_PREFIX}${spec.newFirewall.name}`;
      const existing = (await this.deps.firewalls.listFirewalls()).find((f) => f.id === id);
      if (!existing) await this.deps.firewalls.createFirewall(spec.newFirewall.name, spec.newFirewall.rules);
      firewallIds.push(id);
    }
    const publicKeys = publicKeysOf(this.conn.state, spec.keypairName);
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
    const xml = (virtType: 'kvm' | 'qemu', uuid?: string) =>
      domainXml({
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
      await this.conn.tool('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', p.imagePath, files.root, `${diskGiB}G`], { doing });
      for (const volume of files.volumes) {
        await this.conn.tool('qemu-img', ['create', '-q', '-f', 'qcow2', volume, `${spec.volumes!.sizeGiB}G`], { doing });
      }
      await writeSeed(this.conn.runOrMap(doing), files.seed, {
        instanceId: `${name}-${p.clientToken}`.slice(0, 120),
        hostname: hostnameFor(name) ?? 'strata',
        publicKeys: p.publicKeys,
        ...(spec.userData ? { userData: spec.userData } : {}),
      });
      if (filter) {
        record.filter = filter;
        await this.conn.defineFromFile(['nwfilter-define'], serverFilterXml(filter, p.firewallIds), doing);
      }
      await this.conn.defineFromFile(['define'], xml(host.virtType), doing);
    } catch (error) {
      for (const file of record.files) rmSync(file, { force: true });
      if (filter) await this.conn.virsh(['nwfilter-undefine', filter]).catch(() => undefined);
      throw error;
    }
    await this.conn.virsh(['pool-refresh', host.disks.name]).catch(() => undefined);
    try {
      try {
        await this.conn.virsh(['start', name], { doing: `starting ${name}` });
      } catch (error) {
        // libvirt lists KVM wherever /dev/kvm exists, also where its QEMU may not open it (a container):
        // then this host runs guests under emulation, from this server on.
        if (!(host.virtType === 'kvm' && /initiali[sz]e kvm|access KVM kernel module/i.test((error as StrataError).detail ?? ''))) throw error;
        this.conn.kvmUnusable(host);
        const uuid = (await this.conn.virsh(['domuuid', name], { doing })).trim();
        await this.conn.defineFromFile(['define'], xml('qemu', uuid), doing);
        await this.conn.virsh(['start', name], { doing: `starting ${name}` });
      }
    } catch (error) {
      // The server exists and stays, failed, with the reason in strata's words (a retry of the launch
      // does not make it again); a gone image says so instead of libvirt's raw error.
      let reason = (error as Error).message;
      try {
        await this.deps.images.imageInfo(files.root, `starting ${name}`, undefined, true);
      } catch (chain) {
        if (chain instanceof StrataError && chain.kind === 'NotFound') {
          reason = `It cannot start: its image ${spec.imageId} is gone (the backing file ${p.imagePath} of its disk no longer exists).`;
        }
      }
      record.failure = reason;
      await this.conn.virsh(['metadata', name, METADATA_URI, '--key', METADATA_KEY, '--set', metadataUpdate(record), '--config']).catch(() => undefined);
      for (const [uuid, info] of this.domainCache) if (info.name === name) this.uncache(uuid);
    }
  }

  // ---- capture, terminate, console --------------------------------------------------------------------

  /** Flattens a server's overlay into a new standalone image in the own pool. */
  async captureImage(serverId: string, options: CaptureOptions): Promise<Image> {
    const images = this.deps.images;
    const name = checkVolumeName('image', options?.name);
    const host = await this.conn.ready();
    const domain = await this.domainById(serverId);
    await images.refuseTakenName(host.own, name);
    const root = domain.record?.files[0] ?? domain.disks[0]?.path;
    if (!root) throw invalid(`Server ${domain.name} has no disk to capture.`, 'serverId');
    await images.imageInfo(root, `checking the disk of ${domain.name}`, undefined, true);
    const state = (await this.listing()).states.get(domain.name);
    const active = state !== undefined && (state.state === 1 || state.state === 2);
    // Not no-reboot: the guest is paused while its disk is copied (qemu flushes it on pause), then resumed.
    // No-reboot: copied while it runs, as a crash would leave it.
    const pause = active && !options.noReboot;
    const doing = `capturing ${domain.name}`;
    if (pause) {
      this.capturing.add(domain.uuid);
      await this.conn.virsh(['suspend', domain.uuid], { doing });
    }
    try {
      await images.writeVolume(host.own, name, (partial) =>
        this.conn.tool('qemu-img', ['convert', '-q', '-U', '-O', 'qcow2', root, partial], { doing, timeoutMs: 60 * 60_000 }).then(() => undefined),
      );
    } finally {
      if (pause) {
        await this.conn.virsh(['resume', domain.uuid], { doing: `resuming ${domain.name}` }).finally(() => this.capturing.delete(domain.uuid));
      }
    }
    const id = `${host.own.name}/${name}`;
    this.conn.state.update((s) => {
      s.images[id] = {
        createdAt: new Date().toISOString(),
        sourceImageId: domain.record?.imageId,
        sourceServerId: domain.uuid,
        description: options.description ?? `Captured by strata from ${domain.name}`,
      };
    });
    return images.getImage(id);
  }

  async terminate(id: string): Promise<void> {
    const domain = await this.domainById(id);
    const listing = await this.listing();
    const last = this.toServer(domain, listing.states.get(domain.name));
    const doing = `terminating ${domain.name}`;
    const state = listing.states.get(domain.name)?.state ?? 5;
    if (state !== 5) {
      await this.conn.virsh(['destroy', domain.uuid], { doing }).catch((error: unknown) => {
        // Already stopped between the listing and now is fine; anything else is not.
        if (!(error instanceof StrataError && /not running/i.test(error.detail ?? ''))) throw error;
      });
    }
    await this.conn.virsh(['undefine', domain.uuid, '--nvram'], { doing }).catch(async (error: unknown) => {
      if (error instanceof StrataError && /nvram/i.test(error.detail ?? '')) return this.conn.virsh(['undefine', domain.uuid], { doing });
      throw error;
    });
    for (const file of domain.record?.files ?? []) rmSync(file, { force: true });
    if (domain.record?.filter) await this.conn.virsh(['nwfilter-undefine', domain.record.filter]).catch(() => undefined);
    this.uncache(domain.uuid);
    this.forget(domain.uuid);
    const host = await this.conn.ready();
    await this.conn.virsh(['pool-refresh', host.disks.name]).catch(() => undefined);
    this.remember(last);
  }

  async consoleOutput(id: string): Promise<string> {
    return this.consoles.output(await this.domainById(id));
  }
}
