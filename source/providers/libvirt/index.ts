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
//
// This file wires the parts behind the one contract: connection.ts (the URI, the tools, the pools),
// capabilities.ts (describe, sizes), images.ts, copy.ts (copies from another source's pool or host),
// firewalls.ts, keypairs.ts and servers.ts (launch, the listing, readiness, capture, terminate, console).
import type { ProviderDescription } from '../../core/capabilities.js';
import type { CreatedKeypair, Firewall, FirewallRule, Image, Keypair, LaunchSpec, Page, Product, Server } from '../../core/types.js';
import type { CaptureOptions, CopyOptions, CopySource, ImportImageOptions, LaunchPreview, ListImagesOptions, ProviderOptions, ProviderService, RowReferences } from '../provider.js';
import { shellWord } from '../../core/shell.js';
import { describeHost, listProducts } from './capabilities.js';
import { Connection } from './connection.js';
import { copyImage } from './copy.js';
import { execaRunner, type Runner } from './exec.js';
import { Firewalls } from './firewalls.js';
import { Images } from './images.js';
import { createKeypair, importKeypair, listKeypairs } from './keypairs.js';
import { Servers } from './servers.js';

export { libvirtCapabilities } from './capabilities.js';
export { consolePhase } from './console.js';
export { DEFAULT_NETWORK, DEFAULT_POOL, DEFAULT_POOL_DIRECTORY, DEFAULT_SIZES, DEFAULT_URI, DEFAULT_VENDOR_POOL, REGION, URI_ENV } from './connection.js';

export class LibvirtProvider implements ProviderService {
  private readonly conn: Connection;
  private readonly images: Images;
  private readonly firewalls: Firewalls;
  private readonly servers: Servers;

  constructor(options: ProviderOptions, run: Runner = execaRunner) {
    this.conn = new Connection(options, run);
    this.images = new Images(this.conn, () => this.servers.domains());
    this.firewalls = new Firewalls(this.conn, () => this.servers.domains());
    this.servers = new Servers(this.conn, {
      images: this.images,
      firewalls: this.firewalls,
      products: () => this.listProducts(),
      keypairs: () => this.listKeypairs(),
    });
  }

  get uri(): string {
    return this.conn.uri;
  }

  describe(): Promise<ProviderDescription> {
    return describeHost(this.conn);
  }

  // images
  listImages(options: ListImagesOptions): Promise<Page<Image>> {
    return this.images.listImages(options);
  }
  getImage(id: string): Promise<Image> {
    return this.images.getImage(id);
  }
  captureImage(serverId: string, options: CaptureOptions): Promise<Image> {
    return this.servers.captureImage(serverId, options);
  }
  deleteImage(id: string): Promise<void> {
    return this.images.deleteImage(id);
  }
  importImage(options: ImportImageOptions): Promise<Image> {
    return this.images.importImage(options);
  }
  setImageDeprecation(id: string, at: string | null): Promise<Image> {
    return this.images.setImageDeprecation(id, at);
  }
  setImageTags(id: string): Promise<Image> {
    return this.images.setImageTags(id);
  }
  /** From another source's pool (CopySource.address: its URI; absent: this host) into the own pool (copy.ts). */
  copyImage(source: CopySource, options: CopyOptions): Promise<Image> {
    return copyImage(this.conn, this.images, source, options);
  }
  /** The connection URI: another libvirt source copies this one's images through it. */
  address(): string {
    return this.conn.uri;
  }

  // launch catalogue
  listProducts(): Promise<Product[]> {
    return listProducts(this.conn);
  }
  listFirewalls(): Promise<Firewall[]> {
    return this.firewalls.listFirewalls();
  }
  createFirewall(name: string, rules: FirewallRule[]): Promise<Firewall> {
    return this.firewalls.createFirewall(name, rules);
  }
  deleteFirewall(id: string): Promise<void> {
    return this.firewalls.deleteFirewall(id);
  }
  async listKeypairs(): Promise<Keypair[]> {
    return listKeypairs(this.conn.state);
  }
  createKeypair(): Promise<CreatedKeypair> {
    return createKeypair();
  }
  async importKeypair(name: string, publicKey: string): Promise<Keypair> {
    return importKeypair(this.conn.state, name, publicKey);
  }

  // servers
  launch(spec: LaunchSpec, clientToken: string): Promise<Server[]> {
    return this.servers.launch(spec, clientToken);
  }
  previewLaunch(spec: LaunchSpec, clientToken: string): Promise<LaunchPreview> {
    return this.servers.previewLaunch(spec, clientToken);
  }
  /** `virsh vol-info` of an image (pool/volume), `virsh dominfo` of a server; libvirt has no web console. */
  references(kind: 'image' | 'server', id: string): RowReferences {
    const virsh = ['virsh', '-c', shellWord(this.conn.uri)];
    if (kind === 'server') return { cli: [...virsh, 'dominfo', shellWord(id)].join(' ') };
    const slash = id.indexOf('/');
    return { cli: slash > 0 ? [...virsh, 'vol-info', '--pool', shellWord(id.slice(0, slash)), shellWord(id.slice(slash + 1))].join(' ') : [...virsh, 'vol-info', shellWord(id)].join(' ') };
  }
  serversByToken(clientToken: string): Promise<Server[]> {
    return this.servers.serversByToken(clientToken);
  }
  listServers(ids?: string[]): Promise<Server[]> {
    return this.servers.listServers(ids);
  }
  terminate(id: string): Promise<void> {
    return this.servers.terminate(id);
  }
  consoleOutput(id: string): Promise<string> {
    return this.servers.consoleOutput(id);
  }

  async close(): Promise<void> {
    // Nothing is held open: every call is its own virsh or qemu-img.
  }
}

export async function createLibvirtProvider(options: ProviderOptions, run?: Runner): Promise<ProviderService> {
  return new LibvirtProvider(options, run);
}
