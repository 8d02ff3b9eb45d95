// The sandbox's regions and their two capability profiles: "rich" (a cloud like EC2: tags, RAID,
// keypair creation) and "plain" (a small cloud: no tags, no RAID, no keypair creation). The form and the
// key bindings of strata adapt to these; nothing in strata asks which region it is.
import type { Capabilities, NameRules } from '../../core/capabilities.js';
import type { Product, Region } from '../../core/types.js';
import { invalid } from '../../core/errors.js';

/** Extra disks appear in the sandbox's guests as virtio disks after the root disk (vda). */
const VIRTIO_DEVICES = ['/dev/vdb', '/dev/vdc', '/dev/vdd', '/dev/vde', '/dev/vdf', '/dev/vdg', '/dev/vdh', '/dev/vdi'];

export type ProfileId = 'rich' | 'plain';

export interface SandboxRegion extends Region {
  profile: ProfileId;
  /** Used in generated addresses and names. */
  code: string;
}

export const SANDBOX_REGIONS: readonly SandboxRegion[] = [
  { id: 'eu-west', name: 'Europe (West)', profile: 'rich', code: 'euw' },
  { id: 'us-east', name: 'United States (East)', profile: 'rich', code: 'use' },
  { id: 'ap-south', name: 'Asia Pacific (South)', profile: 'plain', code: 'aps' },
];

export const DEFAULT_REGION = 'eu-west';

export function findRegion(id: string | undefined): SandboxRegion {
  const wanted = id ?? DEFAULT_REGION;
  const region = SANDBOX_REGIONS.find((r) => r.id === wanted);
  if (!region) {
    throw invalid(
      `The sandbox has no region "${wanted}". Known regions: ${SANDBOX_REGIONS.map((r) => r.id).join(', ')}.`,
      'region',
    );
  }
  return region;
}

/** Image names as EC2 allows them for AMIs. */
const RICH_IMAGE_NAMES: NameRules = {
  minLength: 3,
  maxLength: 128,
  allowed: "A-Za-z0-9 ()\\[\\]./'@_\\-",
  description: "3 to 128 characters: letters, digits, spaces and ( ) [ ] . / ' @ _ -",
  unique: true,
};

/** Names of servers, firewalls and keypairs in the rich profile. */
const RICH_RESOURCE_NAMES: NameRules = {
  minLength: 1,
  maxLength: 64,
  allowed: 'A-Za-z0-9._@\\-',
  description: '1 to 64 characters: letters, digits and . _ @ -',
  unique: true,
};

/** The plain profile names everything like a DNS label. */
const PLAIN_NAMES: NameRules = {
  minLength: 1,
  maxLength: 63,
  allowed: 'a-z0-9\\-',
  description: '1 to 63 characters: lowercase letters, digits and hyphens',
  unique: true,
};

const RICH: Capabilities = {
  images: {
    tags: true,
    renameNative: false,
    capture: 'optional',
    delete: 'optional',
    publicCatalogue: true,
    serverSideSearch: true,
    import: 'optional',
    // Between the sandbox's regions (one world); another home is another account, which it cannot read.
    copy: { regions: true, sources: false },
    nameRules: RICH_IMAGE_NAMES,
    deprecate: 'optional',
  },
  launch: {
    product: 'required',
    firewall: 'optional',
    createFirewall: true,
    keypair: 'optional',
    createKeypair: true,
    importKeypair: true,
    group: 'optional',
    billingCode: 'optional',
    volumes: 'optional',
    maxVolumes: 8,
    minVolumeGiB: 1,
    maxVolumeGiB: 16_384,
    raidLevels: ['none', '0', '1', '5', '10'],
    volumeDevices: VIRTIO_DEVICES.slice(0, 8),
    filesystems: ['ext4', 'xfs'],
    encryption: true,
    userData: 'optional',
    maxCount: 20,
    nameRules: RICH_RESOURCE_NAMES,
  },
  servers: {
    consoleOutput: true,
    terminate: true,
    expectedReadySeconds: 1200,
  },
};

const PLAIN: Capabilities = {
  images: {
    tags: false,
    renameNative: false,
    capture: 'optional',
    delete: 'optional',
    publicCatalogue: true,
    serverSideSearch: true,
    import: 'none',
    copy: { regions: true, sources: false },
    nameRules: PLAIN_NAMES,
  },
  launch: {
    product: 'required',
    firewall: 'optional',
    createFirewall: false,
    keypair: 'optional',
    createKeypair: false,
    importKeypair: true,
    group: 'optional',
    billingCode: 'optional',
    volumes: 'optional',
    maxVolumes: 2,
    minVolumeGiB: 10,
    maxVolumeGiB: 2_048,
    raidLevels: ['none'],
    volumeDevices: VIRTIO_DEVICES.slice(0, 2),
    filesystems: ['ext4'],
    encryption: false,
    userData: 'optional',
    maxCount: 5,
    nameRules: PLAIN_NAMES,
  },
  servers: {
    consoleOutput: true,
    terminate: true,
    expectedReadySeconds: 1200,
  },
};

export const PROFILE_LINES: Record<ProfileId, string> = {
  rich: 'rich: tags, RAID, keypair creation',
  plain: 'plain: no tags, no RAID, no keypair creation',
};

/** A fresh copy, so a caller that mutates it cannot change the provider's own. */
export function capabilitiesFor(profile: ProfileId): Capabilities {
  return structuredClone(profile === 'rich' ? RICH : PLAIN);
}

const RICH_PRODUCTS: Product[] = [
  { id: 'sb.nano', name: 'nano', vcpus: 1, memoryMiB: 512, storageGiB: 8, architecture: 'x86_64', hourlyPrice: 0.0052 },
  { id: 'sb.small', name: 'small', vcpus: 1, memoryMiB: 2048, storageGiB: 20, architecture: 'x86_64', hourlyPrice: 0.0208 },
  { id: 'sb.medium', name: 'medium', vcpus: 2, memoryMiB: 4096, storageGiB: 40, architecture: 'x86_64', hourlyPrice: 0.0416 },
  { id: 'sb.large', name: 'large', vcpus: 2, memoryMiB: 8192, storageGiB: 80, architecture: 'x86_64', hourlyPrice: 0.0832 },
  { id: 'sb.xlarge', name: 'xlarge', vcpus: 4, memoryMiB: 16384, storageGiB: 160, architecture: 'x86_64', hourlyPrice: 0.1664 },
  { id: 'sb.2xlarge', name: '2xlarge', vcpus: 8, memoryMiB: 32768, storageGiB: 320, architecture: 'x86_64', hourlyPrice: 0.3328 },
  { id: 'sb.4xlarge', name: '4xlarge', vcpus: 16, memoryMiB: 65536, storageGiB: 640, architecture: 'x86_64', hourlyPrice: 0.6656 },
  { id: 'sb.a.small', name: 'arm small', vcpus: 1, memoryMiB: 2048, storageGiB: 20, architecture: 'arm64', hourlyPrice: 0.0168 },
  { id: 'sb.a.medium', name: 'arm medium', vcpus: 2, memoryMiB: 4096, storageGiB: 40, architecture: 'arm64', hourlyPrice: 0.0336 },
  { id: 'sb.a.large', name: 'arm large', vcpus: 2, memoryMiB: 8192, storageGiB: 80, architecture: 'arm64', hourlyPrice: 0.0672 },
  { id: 'sb.a.xlarge', name: 'arm xlarge', vcpus: 4, memoryMiB: 16384, storageGiB: 160, architecture: 'arm64', hourlyPrice: 0.1344 },
];

const PLAIN_PRODUCTS: Product[] = [
  { id: 'p-1', name: 'p-1 (1 vCPU, 1 GiB)', vcpus: 1, memoryMiB: 1024, storageGiB: 25, architecture: 'x86_64', hourlyPrice: 0.009 },
  { id: 'p-2', name: 'p-2 (2 vCPU, 4 GiB)', vcpus: 2, memoryMiB: 4096, storageGiB: 80, architecture: 'x86_64', hourlyPrice: 0.036 },
  { id: 'p-4', name: 'p-4 (4 vCPU, 8 GiB)', vcpus: 4, memoryMiB: 8192, storageGiB: 160, architecture: 'x86_64', hourlyPrice: 0.071 },
  { id: 'p-a2', name: 'p-a2 (2 vCPU arm, 4 GiB)', vcpus: 2, memoryMiB: 4096, storageGiB: 80, architecture: 'arm64', hourlyPrice: 0.029 },
];

export function productsFor(profile: ProfileId): Product[] {
  return structuredClone(profile === 'rich' ? RICH_PRODUCTS : PLAIN_PRODUCTS);
}
