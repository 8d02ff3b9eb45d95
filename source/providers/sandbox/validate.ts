// Input checks the sandbox makes as a cloud's API would: each refusal is an Invalid StrataError with the
// field it belongs to and a sentence that says what is wrong. Names, firewall rules (CIDR blocks among
// them) and public keys are core's checks (core/checks.ts), as on aws and libvirt; what is left here is
// the sandbox's own: tags, volume plans and the shape of a launch.
import { checkName, type Capabilities } from '../../core/capabilities.js';
import { checkFirewallRules as checkRules, checkResourceName } from '../../core/checks.js';
import { invalid } from '../../core/errors.js';
import type { FirewallRule, LaunchSpec, VolumePlan } from '../../core/types.js';

// Names, rules and keys are checked as every provider checks them (core/checks.ts): one rule, one sentence.
export { checkResourceName } from '../../core/checks.js';

const MAX_RULES = 60;

/** A firewall's rules, core's check with the sandbox's limit (60, as an EC2 security group). */
export function checkFirewallRules(rules: unknown, fieldPrefix = 'rules'): FirewallRule[] {
  return checkRules(rules, { maxRules: MAX_RULES, holder: 'A firewall' }, fieldPrefix);
}

const MAX_TAGS = 50;

/** EC2's limits on tags: keys 1..128, values up to 256, at most 50 per resource, no reserved prefix. */
export function checkTags(merged: Record<string, string>): void {
  const keys = Object.keys(merged);
  if (keys.length > MAX_TAGS) throw invalid(`An image can hold at most ${MAX_TAGS} tags; this change would give it ${keys.length}.`, 'tags');
  for (const key of keys) {
    if (key.length < 1 || key.length > 128) throw invalid(`A tag key must have 1 to 128 characters; "${key.slice(0, 40)}" has ${key.length}.`, 'tags');
    if (key.toLowerCase().startsWith('sandbox:')) throw invalid(`Tag keys starting with "sandbox:" are reserved by the provider.`, 'tags');
    const value = merged[key];
    if (typeof value !== 'string') throw invalid(`The value of tag "${key}" must be text.`, 'tags');
    if (value.length > 256) throw invalid(`The value of tag "${key}" can have at most 256 characters; it has ${value.length}.`, 'tags');
  }
}

/** Mount points a volume group cannot take (the system's own). */
const RESERVED_MOUNTS = ['/', '/boot', '/dev', '/proc', '/sys', '/run', '/etc', '/usr', '/bin', '/sbin', '/lib', '/tmp', '/var'];

/** Disks each RAID level needs at least, and whether it needs an even number. */
const RAID_DISKS: Record<string, { min: number; even?: boolean }> = {
  none: { min: 1 },
  '0': { min: 2 },
  '1': { min: 2 },
  '5': { min: 3 },
  '10': { min: 4, even: true },
};

export function checkVolumes(plan: VolumePlan, caps: Capabilities['launch']): void {
  const { count, sizeGiB, raid, filesystem, mountPoint, encrypt } = plan;
  if (!Number.isInteger(count) || count < 1 || count > caps.maxVolumes) {
    throw invalid(`A volume group has 1 to ${caps.maxVolumes} volumes here; got ${count}.`, 'volumes.count');
  }
  if (!Number.isInteger(sizeGiB) || sizeGiB < caps.minVolumeGiB || sizeGiB > caps.maxVolumeGiB) {
    throw invalid(`Each volume must be ${caps.minVolumeGiB} to ${caps.maxVolumeGiB} GiB (a whole number); got ${sizeGiB}.`, 'volumes.sizeGiB');
  }
  if (!caps.raidLevels.includes(raid)) {
    throw invalid(
      caps.raidLevels.length === 1
        ? `This region cannot assemble RAID; volumes are attached one by one (raid "none").`
        : `RAID ${raid} is not offered here; choose one of ${caps.raidLevels.join(', ')}.`,
      'volumes.raid',
    );
  }
  const need = RAID_DISKS[raid];
  if (count < need.min || (need.even && count % 2 !== 0)) {
    throw invalid(`RAID ${raid} needs at least ${need.min}${need.even ? ' (an even number of)' : ''} volumes; the plan has ${count}.`, 'volumes.count');
  }
  if (!caps.filesystems.includes(filesystem)) {
    throw invalid(`Filesystem "${filesystem}" is not offered here; choose one of ${caps.filesystems.join(', ')}.`, 'volumes.filesystem');
  }
  if (typeof mountPoint !== 'string' || !/^\/[A-Za-z0-9._/-]*$/.test(mountPoint) || mountPoint.includes('..') || mountPoint.length > 200) {
    throw invalid(`The mount point must be an absolute path of letters, digits and . _ - /; got "${mountPoint}".`, 'volumes.mountPoint');
  }
  const normal = mountPoint.replace(/\/+$/, '') || '/';
  if (RESERVED_MOUNTS.includes(normal)) throw invalid(`${normal} belongs to the system; mount the volumes elsewhere (e.g. /data).`, 'volumes.mountPoint');
  if (encrypt && !caps.encryption) throw invalid('This region cannot encrypt volumes.', 'volumes.encrypt');
}

const MAX_USER_DATA = 16 * 1024;

/** The checks that need no lookup (the provider checks image, product, firewalls and keypair itself). */
export function checkLaunchSpecShape(spec: LaunchSpec, caps: Capabilities['launch']): void {
  if (spec === null || typeof spec !== 'object') throw invalid('A launch needs a specification.', 'spec');
  const count = spec.count;
  if (!Number.isInteger(count) || count < 1 || count > caps.maxCount) {
    throw invalid(`The number of servers must be 1 to ${caps.maxCount}; got ${String(count)}.`, 'count');
  }
  const name = checkResourceName('server', spec.name, caps.nameRules);
  if (count > 1) {
    // The servers are named name-1 … name-N: the longest name must pass the rules too.
    const longest = `${name}-${count}`;
    const problem = checkName(longest, caps.nameRules);
    if (problem) throw invalid(`With ${count} servers the last is named "${longest}", which is refused: ${problem}`, 'name');
  }
  if (typeof spec.imageId !== 'string' || spec.imageId === '') throw invalid('Choose an image to launch from.', 'imageId');
  if (typeof spec.productId !== 'string' || spec.productId === '') throw invalid('Choose a size for the server.', 'productId');
  if (!Array.isArray(spec.firewallIds)) throw invalid('Firewalls must be a list of ids.', 'firewallIds');
  if (caps.firewall === 'required' && spec.firewallIds.length === 0 && !spec.newFirewall) {
    throw invalid('This region needs at least one firewall for a server.', 'firewallIds');
  }
  if (caps.keypair === 'required' && !spec.keypairName) throw invalid('This region needs a keypair for a server.', 'keypairName');
  for (const [field, value, label] of [
    ['group', spec.group, 'group'],
    ['billingCode', spec.billingCode, 'billing code'],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) {
      throw invalid(`The ${label} must be text of at most 256 characters, without control characters.`, field);
    }
  }
  if (caps.group === 'required' && !spec.group) throw invalid('This region needs a group for every server.', 'group');
  if (caps.billingCode === 'required' && !spec.billingCode) throw invalid('This region needs a billing code for every server.', 'billingCode');
  if (spec.userData !== undefined) {
    if (typeof spec.userData !== 'string') throw invalid('User data must be text.', 'userData');
    const bytes = Buffer.byteLength(spec.userData);
    if (bytes > MAX_USER_DATA) throw invalid(`User data can be at most 16 KiB; this is ${Math.ceil(bytes / 1024)} KiB.`, 'userData');
  }
  if (spec.volumes) {
    if (caps.volumes === 'none') throw invalid('This region cannot attach volumes at launch.', 'volumes');
    checkVolumes(spec.volumes, caps);
  } else if (caps.volumes === 'required') {
    throw invalid('This region needs a volume plan for every server.', 'volumes');
  }
}
