// What a provider can do, field by field. The UI reads these and never asks "is this AWS?".
import type { RaidLevel, Filesystem, Region } from './types.js';

export type Requirement = 'none' | 'optional' | 'required';

/**
 * How the volume script finds one volume in the guest: the provider's device naming.
 * - A device path ("/dev/vdb"): the guest names the volume so (virtio disks, in attach order).
 * - An EC2 block device ({ naming: 'ec2', device: '/dev/sdf' }): the name the volume is attached at
 *   (RunInstances' DeviceName). The guest's own name depends on the instance type: /dev/xvdf on Xen, an
 *   NVMe disk numbered in no set order on Nitro. The script finds it by that name (the Xen name, a udev
 *   link of that name, or the name the EBS NVMe controller reports), or, where the guest tells no names,
 *   takes the EBS data disks as a set (never the root disk, never instance storage); see core/volumes.ts.
 */
export type VolumeDevice = string | { naming: 'ec2'; device: string };

/** The device path of a volume device as the provider names it ("/dev/vdb", "/dev/sdf"), for text. */
export function volumeDeviceName(device: VolumeDevice): string {
  return typeof device === 'string' ? device : device.device;
}

export interface NameRules {
  minLength: number;
  maxLength: number;
  /** Characters allowed, as a character-class body for a RegExp (e.g. "A-Za-z0-9._-"). */
  allowed: string;
  /** Human description of the rule, shown when a name is refused. */
  description: string;
  /** Whether names must be unique among the account's images. */
  unique: boolean;
}

export interface Capabilities {
  images: {
    /** Can the provider hold tags on images (so names and labels are shared with teammates)? */
    tags: boolean;
    /** Can the image's own name be changed (AMI names cannot)? */
    renameNative: boolean;
    capture: Requirement;
    /** What a capture does to the server unless no-reboot is asked for: reboot (the default), or pause. */
    captureInterrupts?: 'reboot' | 'pause';
    delete: Requirement;
    publicCatalogue: boolean;
    /** Does the public catalogue search run on the provider side? */
    serverSideSearch: boolean;
    /** Can an image file on this machine (qcow2, raw) be imported as an own image? */
    import: Requirement;
    /**
     * Which copies of an own image the provider can make (ProviderService.copyImage; absent: none):
     * into another of its regions in the same account (EC2 CopyImage, the sandbox), or into another
     * source of the same provider (libvirt: another own pool of the host, or another host by URI).
     */
    copy?: { regions: boolean; sources: boolean };
    nameRules: NameRules;
    /**
     * Can a deprecation date be set on (and cleared from) an own image, so that other users of the account
     * see it in their :risk as they see a vendor template's (ProviderService.setImageDeprecation)? Absent: none.
     */
    deprecate?: Requirement;
    /** Does the provider say when an image is protected against deletion (EC2's deregistration protection)? */
    deleteProtection?: boolean;
  };
  launch: {
    product: Requirement;
    firewall: Requirement;
    /** Can firewalls be created at launch? */
    createFirewall: boolean;
    keypair: Requirement;
    /** Can the provider create a keypair and return the private key? */
    createKeypair: boolean;
    /** Can the provider import a public key? */
    importKeypair: boolean;
    /** Group and billing code are strata's own and exist everywhere; tags says where they live. */
    group: Requirement;
    billingCode: Requirement;
    volumes: Requirement;
    maxVolumes: number;
    minVolumeGiB: number;
    maxVolumeGiB: number;
    raidLevels: RaidLevel[];
    /**
     * The block devices extra volumes are attached as, in attach order (for the volume script): paths the
     * guest sees as they are, or EC2 block device names the script looks up (see VolumeDevice).
     */
    volumeDevices: VolumeDevice[];
    filesystems: Filesystem[];
    encryption: boolean;
    userData: Requirement;
    maxCount: number;
    nameRules: NameRules;
  };
  servers: {
    consoleOutput: boolean;
    terminate: boolean;
    /** Expected time to ready, in seconds (20 minutes unless the provider knows better). */
    expectedReadySeconds: number;
    /** How its images name their login user (core/login.ts): EC2's vendor builds, else the generic cloud images'. */
    loginConvention?: 'ec2' | 'cloud';
  };
}

export interface ProviderDescription {
  id: string;
  displayName: string;
  region: string;
  regions: Region[];
  /** A short line that says which capability profile applies (shown in the status bar and help). */
  profile: string;
  capabilities: Capabilities;
}

/** Checks a name against the provider's rules; returns the reason it is refused, or undefined. */
export function checkName(name: string, rules: NameRules): string | undefined {
  const trimmed = name.trim();
  if (trimmed !== name) return 'A name cannot start or end with a space.';
  if (name.length < rules.minLength) {
    return rules.minLength <= 1
      ? 'A name cannot be empty.'
      : `A name needs at least ${rules.minLength} characters (it has ${name.length}).`;
  }
  if (name.length > rules.maxLength) {
    return `A name can have at most ${rules.maxLength} characters (it has ${name.length}).`;
  }
  const allowed = new RegExp(`^[${rules.allowed}]$`, 'u');
  for (const ch of name) {
    if (!allowed.test(ch)) {
      const shown =
        ch === ' ' ? 'A space' : /[\p{L}\p{N}\p{P}\p{S}]/u.test(ch) ? `"${ch}"` : `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      return `${shown} is not allowed in a name: ${rules.description}.`;
    }
  }
  return undefined;
}

/**
 * An image name made from a file's name (its last extension dropped) that the rules accept, or undefined
 * where that is not easy (the caller then asks for a name). Letters are lower-cased where the rules allow
 * only lower case; a character the rules refuse becomes a hyphen (or another separator they allow).
 */
export function nameFromFile(fileName: string, rules: NameRules): string | undefined {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  if (checkName(stem, rules) === undefined) return stem;
  const allowed = new RegExp(`^[${rules.allowed}]$`, 'u');
  const lowerOnly = allowed.test('a') && !allowed.test('A');
  const separator = ['-', '_', '.', ' '].find((c) => allowed.test(c));
  let name = [...(lowerOnly ? stem.toLowerCase() : stem)].map((ch) => (allowed.test(ch) ? ch : (separator ?? ''))).join('');
  if (separator) {
    const sep = separator.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
    name = name.replace(new RegExp(`${sep}{2,}`, 'g'), separator).replace(new RegExp(`^[${sep}\\s]+|[${sep}\\s]+$`, 'g'), '');
  }
  if (name.length > rules.maxLength) name = name.slice(0, rules.maxLength).replace(/[\s._-]+$/, '');
  return checkName(name, rules) === undefined ? name : undefined;
}
