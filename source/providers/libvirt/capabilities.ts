// What the libvirt provider offers: its capabilities (what the launch form and the keys adapt to), the
// description of the host it is connected to, and the sizes (config.yaml's presets) it launches.
import type { Capabilities, NameRules, ProviderDescription } from '../../core/capabilities.js';
import type { Product } from '../../core/types.js';
import { REGION, type Connection } from './connection.js';

export const VOLUME_DEVICES = ['/dev/vdb', '/dev/vdc', '/dev/vdd', '/dev/vde', '/dev/vdf', '/dev/vdg', '/dev/vdh', '/dev/vdi'];

export const VOLUME_NAMES: NameRules = {
  minLength: 1,
  maxLength: 64,
  allowed: 'A-Za-z0-9._-',
  description: 'use letters, digits, dots, underscores and hyphens (1 to 64), not starting with a dot',
  unique: true,
};
export const SERVER_NAMES: NameRules = {
  minLength: 1,
  maxLength: 56,
  allowed: 'A-Za-z0-9._-',
  description: 'use letters, digits, dots, underscores and hyphens (1 to 56); several servers get -1, -2, … added',
  unique: true,
};
export const RESOURCE_NAMES: NameRules = {
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
      // From another libvirt source: another own pool of this host, or a pool of another host by URI (copy.ts).
      copy: { regions: false, sources: true },
      nameRules: VOLUME_NAMES,
      // Kept in strata's state file for the connection (volumes hold no metadata): seen by every strata on this home.
      deprecate: 'optional',
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

export async function describeHost(conn: Connection): Promise<ProviderDescription> {
  const host = await conn.ready();
  const engine = host.virtType === 'kvm' ? 'KVM' : 'QEMU emulation (no KVM: slow)';
  return {
    id: 'libvirt',
    displayName: 'libvirt (KVM/QEMU)',
    region: REGION,
    regions: [{ id: REGION, name: conn.uri }],
    profile: `${engine} at ${conn.uri}; own images in pool ${host.own.name}, templates in pool ${host.vendor.name}; servers are overlays backed by their image`,
    capabilities: libvirtCapabilities(host.network !== undefined),
  };
}

/** The size presets (config.yaml's libvirt.sizes, else the defaults), smallest first. */
export async function listProducts(conn: Connection): Promise<Product[]> {
  const host = await conn.ready();
  return Object.entries(conn.settings().sizes)
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
