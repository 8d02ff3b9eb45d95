// The one contract every provider implements (DESIGN.md "The provider contract").
// Every method is async and returns plain domain objects from core. Errors are StrataError with a kind.
import type { ProviderDescription } from '../core/capabilities.js';
import type {
  CreatedKeypair,
  Firewall,
  FirewallRule,
  Image,
  Keypair,
  LaunchSpec,
  Page,
  Product,
  Scope,
  Server,
} from '../core/types.js';

export interface ListImagesOptions {
  scope: Scope;
  /** Provider-side search (name pattern); most useful for the public catalogue. */
  query?: string;
  /** Opaque token from a previous Page.next. */
  page?: string;
  /** Page size the caller would like; the provider may return fewer. */
  pageSize?: number;
}

export interface CaptureOptions {
  name: string;
  description?: string;
  /** Capture without stopping the server, where the provider offers the choice. */
  noReboot?: boolean;
}

/** An image file on this machine, to become an own image (where capabilities.images.import is not none). */
export interface ImportImageOptions {
  /** An absolute path to a disk image file (qcow2 or raw). */
  path: string;
  name: string;
  description?: string;
}

/** The image a copy is made of: where it is, and the image as that region's provider describes it. */
export interface CopySource {
  /** The region the image is in: another region of this provider, or the source's own (another source). */
  region: string;
  imageId: string;
  /** The image as its own region's provider described it (its tags, encryption, description). */
  image: Image;
  /**
   * Where the image's source is reached, where it is another source of this provider (another host or
   * daemon): what that source's provider answers to address() (libvirt: its connection URI). Absent: this
   * provider's own account or host.
   */
  address?: string;
}

export interface CopyOptions {
  /** The copy's name (checked against this region's name rules). */
  name: string;
  description?: string;
  /**
   * Idempotency: the same token never makes a second copy; asked again, the provider answers with the copy
   * the first request made (EC2 CopyImage's ClientToken). 1 to 64 printable ASCII characters.
   */
  clientToken: string;
}

/** What the review step shows: exactly what the provider will receive, and the provider's own CLI for it. */
export interface LaunchPreview {
  /** The request as the provider's API will receive it (secrets already replaced by the caller). */
  request: unknown;
  /** An equivalent one-line command for the provider's own CLI, where there is one. */
  cli?: string;
  /** The provider's own answer to "would this be allowed?" (EC2's DryRun), a sentence, where it has one. */
  check?: { allowed: boolean; sentence: string };
}

/** Where else a row can be seen: the provider's own CLI line that describes it, its page in the web console. */
export interface RowReferences {
  cli?: string;
  web?: string;
}

export interface ProviderService {
  describe(): Promise<ProviderDescription>;

  // images
  listImages(options: ListImagesOptions): Promise<Page<Image>>;
  getImage(id: string): Promise<Image>;
  captureImage(serverId: string, options: CaptureOptions): Promise<Image>;
  deleteImage(id: string): Promise<void>;
  /** Imports an image file as an own image; Unsupported where capabilities.images.import is none. */
  importImage(options: ImportImageOptions): Promise<Image>;
  /** Sets (merges) tags on an image; a value of null removes the tag. Unsupported where tags are not. */
  setImageTags(id: string, tags: Record<string, string | null>): Promise<Image>;
  /**
   * Sets the deprecation date of an own image (at: ISO 8601; the provider may round it to the minute, and
   * may move a moment already past to its own now) or clears it (null); returns the image as it is now,
   * deprecatedAt set or absent. From that date the image is 'deprecated' to every user who lists it, as a
   * vendor's template is. Where capabilities.images.deprecate is 'optional' or 'required'; elsewhere absent
   * or Unsupported. NotFound for no such image; Unsupported (or Invalid) for an image the account does not own.
   */
  setImageDeprecation?(id: string, at: string | null): Promise<Image>;
  /**
   * Copies an own image of another region, or of another source of this provider (CopySource.address: a
   * libvirt host or pool by URI), into this provider's region (where capabilities.images.copy says so;
   * absent: the provider copies nothing). The copy keeps the image's name, description, tags (strata's
   * among them, but for those that name things of the source's region: core/tags.ts REGIONAL_TAGS) and
   * encryption, and says where it came from (Image.copiedFrom). It may be pending for a while, or be whole
   * when this answers (libvirt). Idempotent per clientToken: asked again (after a kill, a lost answer) it
   * answers with the copy the first request made, never a second.
   */
  copyImage?(source: CopySource, options: CopyOptions): Promise<Image>;
  /**
   * Where this provider's account or host is reached, for a copy into another source of the same provider
   * (CopySource.address; libvirt: its connection URI). No call is made. Absent where region and account
   * say it all.
   */
  address?(): string;

  // launch catalogue
  listProducts(): Promise<Product[]>;
  listFirewalls(): Promise<Firewall[]>;
  createFirewall(name: string, rules: FirewallRule[], description?: string): Promise<Firewall>;
  /**
   * Deletes a firewall (also one made at launch). Conflict, naming the servers, while a server that is not
   * terminated uses it; NotFound where it does not exist.
   */
  deleteFirewall(id: string): Promise<void>;
  listKeypairs(): Promise<Keypair[]>;
  createKeypair(name: string): Promise<CreatedKeypair>;
  importKeypair(name: string, publicKey: string): Promise<Keypair>;

  // servers
  /** Idempotent per clientToken: the same token never starts a second server (or set of servers). */
  launch(spec: LaunchSpec, clientToken: string): Promise<Server[]>;
  /** The request launch() would send, for the review step; sends nothing. */
  previewLaunch(spec: LaunchSpec, clientToken: string): Promise<LaunchPreview>;
  /** The servers a launch with this token started (empty when the token was never used): reconciliation. */
  serversByToken(clientToken: string): Promise<Server[]>;
  /** Batched: one call for many servers; without ids, every server of the region. */
  listServers(ids?: string[]): Promise<Server[]>;
  terminate(id: string): Promise<void>;
  consoleOutput(id: string): Promise<string>;
  /** The provider's CLI line that describes an image or a server, and its web-console page where it has one. No call is made. */
  references?(kind: 'image' | 'server', id: string): RowReferences;

  /** Releases what the provider holds (database handles, clients). */
  close(): Promise<void>;
}

export interface ProviderOptions {
  region?: string;
  /** Where strata keeps its data; providers that keep state (the sandbox) keep it below this. */
  home: string;
  /** Sandbox: how many simulated seconds pass per real second. */
  sandboxSpeed?: number;
  /** Sandbox: the seed of its world. */
  sandboxSeed?: number;
  /** Sandbox: injected faults, e.g. "throttle=0.2,timeout=0.1,fail=0.5,stall=0.5" (probabilities 0..1). */
  sandboxFaults?: string;
  /** Sandbox: how long a launch's answer takes to come back after the servers exist (a slow network), ms. */
  sandboxLatencyMs?: number;
  /** Sandbox: every call's answer comes back this late (a far region, a slow account: a source's sandbox.delay), ms. */
  sandboxDelayMs?: number;
  /** AWS: a profile of ~/.aws (else the SDK's default credential chain). */
  profile?: string;
  /** AWS: an EC2-compatible endpoint (else STRATA_AWS_ENDPOINT, else the real EC2). */
  endpoint?: string;
  /** Owner account ids whose images count as vendor templates (config.yaml's trustedVendorOwners). */
  trustedOwnerIds?: string[];
  /** libvirt: the connection URI (else STRATA_LIBVIRT_URI, else LIBVIRT_DEFAULT_URI, else qemu:///system). */
  libvirtUri?: string;
  /** libvirt: config.yaml's libvirt section. */
  libvirt?: LibvirtSettings;
  /**
   * libvirt: make libvirt.vendorPool where it does not exist (under poolDirectory), as strata makes its own
   * pools. Without it a vendor pool named in config.yaml that does not exist is a NotFound with field
   * "libvirt.vendorPool" whose sentence says how to make it; a caller that asked the user may then open
   * the provider again with this set.
   */
  libvirtCreateVendorPool?: boolean;
}

/** A size preset of the libvirt provider (config.yaml libvirt.sizes). */
export interface LibvirtSize {
  vcpus: number;
  memoryMiB: number;
  /** The root disk's size; an image larger than this keeps its own size. */
  diskGiB: number;
}

/** config.yaml's libvirt section; every key has a default. */
export interface LibvirtSettings {
  /** The storage pool of own images, created on first use (default "strata"). */
  pool?: string;
  /**
   * The pool whose volumes are vendor templates. Named here, it must exist (see libvirtCreateVendorPool);
   * unnamed, it is "strata-vendor", created empty on first use.
   */
  vendorPool?: string;
  /** The directory under which strata creates the pools it makes (default /var/lib/libvirt/images/strata). */
  poolDirectory?: string;
  /** The libvirt network servers join (default "default"); "none" for servers without a network. */
  network?: string;
  /** Size presets by name; replaces the defaults when given. */
  sizes?: Record<string, LibvirtSize>;
}

export interface ProviderFactory {
  id: string;
  displayName: string;
  /** A line for `strata --help` and the `:provider` completion. */
  summary: string;
  create(options: ProviderOptions): Promise<ProviderService>;
}
