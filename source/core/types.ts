// The domain of strata: plain data, no I/O. Every provider maps its own objects onto these.

/** Which list of images: the account's own, the vendor's templates, or the provider's public catalogue. */
export type Scope = 'own' | 'vendor' | 'public';
export const SCOPES: readonly Scope[] = ['own', 'vendor', 'public'];

/** What an image is to the user: theirs, a vendor template (to be copied, not used), or a public one. */
export type ImageKind = 'own' | 'vendor' | 'public';

export type ImageState = 'available' | 'pending' | 'deprecated' | 'failed' | 'deleted';

export type Architecture = 'x86_64' | 'arm64';

export interface Image {
  /** The provider's id (ami-…, a volume path, …). */
  id: string;
  /** The provider's name for the image (which may be immutable, as an AMI's is). */
  name: string;
  /** The display name a user gave it, where the provider holds it (a Name tag). */
  displayName?: string;
  description?: string;
  kind: ImageKind;
  owner: string;
  architecture: Architecture;
  state: ImageState;
  /** ISO 8601. */
  createdAt: string;
  /** Vendor templates: when the vendor marked it deprecated (ISO 8601), where known. */
  deprecatedAt?: string;
  /** Vendor templates: when the vendor will delete (or deleted) it, where known. */
  deleteAt?: string;
  /** The image this one was captured from, where known (lineage). */
  sourceImageId?: string;
  /** The server it was captured from, where known. */
  sourceServerId?: string;
  /**
   * The image this one is a copy of, in another region (or on another host) of the provider, where strata
   * copied it (services/copies.ts): its lineage goes on there. The copy's own sourceImageId is not set, as
   * that image's id names something of the other region.
   */
  copiedFrom?: { region: string; imageId: string };
  /** Whether its disks are encrypted, where the provider says (EC2: the snapshots of its block devices). */
  encrypted?: boolean;
  platform?: string;
  sizeGiB?: number;
  /**
   * What the image takes up in the provider's storage (GiB), where the provider says: EC2 the sizes of its
   * EBS snapshots (BlockDeviceMappings' VolumeSize), libvirt the volume file's allocation, the sandbox its
   * size. What deleting it frees.
   */
  storageGiB?: number;
  /** A protection against deleting the image (EC2's deregistration protection), where the provider has one. */
  deleteProtection?: DeleteProtection;
  /** Whether the current account may change this image (rename by tag, label by tag, delete). */
  owned: boolean;
  /** Tags as the provider holds them (empty where it holds none). */
  tags: Record<string, string>;
}

/** EC2's deregistration protection as strata reads it. */
export interface DeleteProtection {
  /** Deleting the image is refused now. */
  on: boolean;
  /** Turning it off takes effect only after a cooldown (24 hours on EC2). */
  cooldown: boolean;
  /** Turned off with a cooldown: the image stays protected until then (ISO 8601). */
  until?: string;
}

/** Colour labels, in the order of the palette. */
export const LABEL_COLOURS = [
  'red',
  'orange',
  'yellow',
  'green',
  'teal',
  'blue',
  'purple',
  'pink',
  'brown',
  'grey',
] as const;
export type LabelColour = (typeof LABEL_COLOURS)[number];

export function isLabelColour(value: unknown): value is LabelColour {
  return typeof value === 'string' && (LABEL_COLOURS as readonly string[]).includes(value);
}

export interface Region {
  id: string;
  name: string;
}

/** A hardware size. */
export interface Product {
  id: string;
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** Root or instance storage that comes with the size. */
  storageGiB: number;
  architecture: Architecture;
  /** Price per hour in the provider's currency, where known. */
  hourlyPrice?: number;
}

export type Protocol = 'tcp' | 'udp' | 'icmp';

export interface FirewallRule {
  protocol: Protocol;
  /** Inclusive port range; for icmp both are -1. */
  fromPort: number;
  toPort: number;
  /** Source in CIDR notation. */
  source: string;
}

export interface Firewall {
  id: string;
  name: string;
  description?: string;
  rules: FirewallRule[];
  /**
   * strata made it, as far as the provider's own marks say (a strata: tag, strata's description, libvirt's
   * strata-fw- name). Absent: not known to be strata's (services/firewalls.ts also asks the launch journal).
   */
  madeByStrata?: boolean;
}

export interface Keypair {
  id: string;
  name: string;
  fingerprint: string;
  /** ISO 8601, where known. */
  createdAt?: string;
}

/** A keypair just created by the provider: the private key is a secret and is handled by secrets/. */
export interface CreatedKeypair extends Keypair {
  privateKeyPem: string;
}

export type RaidLevel = 'none' | '0' | '1' | '5' | '10';
export type Filesystem = 'ext4' | 'xfs';

export interface VolumePlan {
  count: number;
  sizeGiB: number;
  raid: RaidLevel;
  filesystem: Filesystem;
  mountPoint: string;
  encrypt: boolean;
}

export interface LaunchSpec {
  name: string;
  imageId: string;
  productId: string;
  /** Existing firewalls by id. */
  firewallIds: string[];
  /** A firewall created at launch. */
  newFirewall?: { name: string; rules: FirewallRule[] };
  /** An existing keypair by name. */
  keypairName?: string;
  group?: string;
  billingCode?: string;
  volumes?: VolumePlan;
  /** The cloud-init document strata built (volume plan) plus the user's own user data. */
  userData?: string;
  count: number;
}

/** Readiness phases (DESIGN.md "Readiness"). */
export type Phase =
  | 'requested'
  | 'pending'
  | 'booting'
  | 'running'
  | 'initializing'
  | 'ready'
  | 'failed'
  | 'stalled'
  | 'terminated';

export interface Server {
  id: string;
  name: string;
  imageId: string;
  productId: string;
  phase: Phase;
  /** When the current phase was entered (ISO 8601). */
  phaseSince: string;
  launchedAt: string;
  /**
   * The provider's clock when it described the server (ISO 8601). Elapsed times are measured against it,
   * not against this machine's clock: a provider's clock may differ (the sandbox's runs at --sandbox-speed).
   */
  observedAt?: string;
  /** The token the launch was made with (idempotency). */
  clientToken?: string;
  firewallIds: string[];
  keypairName?: string;
  group?: string;
  billingCode?: string;
  volumes?: VolumePlan;
  publicAddress?: string;
  privateAddress?: string;
  failureReason?: string;
  /** The provider knows the image it was launched from no longer exists (libvirt: its disk's backing file is gone). */
  imageGone?: boolean;
  /** Why nothing answers at the server's addresses, where the provider knows (the sandbox's are emulated). */
  unreachable?: string;
  tags: Record<string, string>;
}

export interface Page<T> {
  items: T[];
  /** Opaque token for the next page; absent on the last page. */
  next?: string;
  /** Total number of matching items, where the provider knows it cheaply. */
  total?: number;
}
