// Capabilities and catalogues for the core launch tests: a "rich" provider (RAID, encryption, keypair
// creation) and a "plain" one (no RAID, two volumes, ext4 only), the shapes the sandbox offers.
import type { Capabilities, NameRules } from '../../source/core/capabilities.js';
import type { Firewall, Image, Keypair, LaunchSpec, Product, VolumePlan } from '../../source/core/types.js';

export const DEVICES = ['/dev/vdb', '/dev/vdc', '/dev/vdd', '/dev/vde', '/dev/vdf', '/dev/vdg', '/dev/vdh', '/dev/vdi'];

const resourceNames: NameRules = {
  minLength: 1,
  maxLength: 64,
  allowed: 'A-Za-z0-9._@\\-',
  description: '1 to 64 characters: letters, digits and . _ @ -',
  unique: true,
};

export function richCaps(): Capabilities {
  return {
    images: {
      tags: true,
      renameNative: false,
      capture: 'optional',
      delete: 'optional',
      publicCatalogue: true,
      serverSideSearch: true,
      import: 'optional',
      nameRules: { ...resourceNames, minLength: 3, maxLength: 128 },
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
      volumeDevices: DEVICES.slice(0, 8),
      filesystems: ['ext4', 'xfs'],
      encryption: true,
      userData: 'optional',
      maxCount: 20,
      nameRules: resourceNames,
    },
    servers: { consoleOutput: true, terminate: true, expectedReadySeconds: 1200 },
  };
}

export function plainCaps(): Capabilities {
  const caps = richCaps();
  caps.launch = {
    ...caps.launch,
    createFirewall: false,
    createKeypair: false,
    importKeypair: true,
    maxVolumes: 2,
    minVolumeGiB: 10,
    maxVolumeGiB: 2048,
    raidLevels: ['none'],
    volumeDevices: DEVICES.slice(0, 2),
    filesystems: ['ext4'],
    encryption: false,
    maxCount: 5,
    nameRules: { minLength: 1, maxLength: 63, allowed: 'a-z0-9\\-', description: '1 to 63 characters: lowercase letters, digits and hyphens', unique: true },
  };
  return caps;
}

export const PRODUCTS: Product[] = [
  { id: 'sb.small', name: 'small', vcpus: 1, memoryMiB: 2048, storageGiB: 20, architecture: 'x86_64' },
  { id: 'sb.large', name: 'large', vcpus: 2, memoryMiB: 8192, storageGiB: 80, architecture: 'x86_64' },
  { id: 'sb.a.small', name: 'arm small', vcpus: 1, memoryMiB: 2048, storageGiB: 20, architecture: 'arm64' },
];

export const FIREWALLS: Firewall[] = [
  { id: 'fw-web', name: 'web', rules: [{ protocol: 'tcp', fromPort: 443, toPort: 443, source: '0.0.0.0/0' }] },
  { id: 'fw-ssh', name: 'ssh', rules: [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: '203.0.113.0/24' }] },
];

export const KEYPAIRS: Keypair[] = [{ id: 'kp-1', name: 'ops', fingerprint: 'SHA256:abc' }];

export const IMAGE: Image = {
  id: 'img-1',
  name: 'base',
  kind: 'own',
  owner: 'me',
  architecture: 'x86_64',
  state: 'available',
  createdAt: '2024-01-01T00:00:00Z',
  owned: true,
  tags: {},
};

export const CONTEXT = { products: PRODUCTS, firewalls: FIREWALLS, keypairs: KEYPAIRS, image: IMAGE };

export function plan(overrides: Partial<VolumePlan> = {}): VolumePlan {
  return { count: 3, sizeGiB: 100, raid: '5', filesystem: 'ext4', mountPoint: '/data', encrypt: false, ...overrides };
}

/** A spec that passes on the rich provider. */
export function goodSpec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    name: 'web-1',
    imageId: 'img-1',
    productId: 'sb.small',
    firewallIds: ['fw-web'],
    keypairName: 'ops',
    group: 'payments',
    billingCode: 'CC-1042',
    volumes: plan(),
    count: 1,
    ...overrides,
  };
}
