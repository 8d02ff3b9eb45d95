// The volume plan: its rules (RAID levels against the number of volumes, mount points), what it yields
// (usable capacity), and the POSIX sh script that carries it out in the guest (mdadm, cryptsetup/LUKS,
// mkfs, fstab). The script is generated from validated data; every value sits in one single-quoted
// assignment at its top, and the body only ever reads those variables inside double quotes.
//
// Decisions:
// - RAID "none" with several volumes: each volume is formatted and mounted on its own, at
//   <mountPoint>-1, <mountPoint>-2, … (a single volume is mounted at <mountPoint> itself). The plain
//   sandbox profile offers two volumes and no RAID, so refusing would make its second volume useless.
// - Mount points: absolute, normalised (no //, no trailing /, no . or .. segments), at most 255
//   characters, only letters, digits and . _ - between slashes (no spaces, no shell or glob characters:
//   fstab and mount(8) need no escaping then; the same set the sandbox provider accepts). Refused: /, anything at or below /boot, /etc,
//   /usr, /bin, /sbin, /lib*, /proc, /sys, /dev, /run (the system's own trees), and /var, /tmp, /home
//   and /root themselves (below them is fine, e.g. /var/lib/mysql). /home and /root are refused
//   because a blank volume mounted over them hides the login users' SSH keys and locks everyone out.
// - The script never formats what already carries a signature (blkid -p): a second run, or volumes
//   restored from a snapshot, keep their data. Table entries (fstab, crypttab, mdadm.conf) are keyed by
//   mount point / mapper name / array device and replaced, so an image captured from an earlier strata
//   server (with stale entries) still comes up right.
// - Encrypted volumes are not unlocked at boot: the passphrase lives in strata's keychain, not on the
//   server. The key file is removed when the script ends (also when it fails); crypttab and fstab say
//   noauto,nofail so a reboot never waits for a passphrase. Unlock with `cryptdisks_start strata-data`
//   (or `cryptsetup open`) and `mount <mount point>`.
import type { Capabilities, VolumeDevice } from './capabilities.js';
import { invalid } from './errors.js';
import type { Filesystem, RaidLevel, VolumePlan } from './types.js';
import { quoteForSentence, showChar } from './sentence.js';
import { shellAssign, shellQuote } from './shell.js';

export const RAID_LEVELS: readonly RaidLevel[] = ['none', '0', '1', '5', '10'];
export const FILESYSTEMS: readonly Filesystem[] = ['ext4', 'xfs'];

/** Where the script is written in the guest (root only, mode 0700). */
export const VOLUME_SCRIPT_PATH = '/usr/local/sbin/strata-volumes';
/** Where the LUKS passphrase is written in the guest for the script (tmpfs, mode 0400, removed after). */
export const PASSPHRASE_FILE = '/run/strata/luks.key';
/** The md array the volumes are assembled into. */
export const ARRAY_DEVICE = '/dev/md/strata';
/** The device-mapper name of the opened LUKS container (…-1, …-2 for separate volumes). */
export const MAPPER_NAME = 'strata-data';
/** How long the script waits for the volumes to appear. */
export const DEVICE_WAIT_SECONDS = 300;

export const MAX_MOUNT_POINT_LENGTH = 255;

/** How many volumes each RAID level needs. */
const RAID_NEEDS: Record<RaidLevel, { min: number; even?: boolean }> = {
  none: { min: 1 },
  '0': { min: 2 },
  '1': { min: 2 },
  '5': { min: 3 },
  '10': { min: 4, even: true },
};

export function isRaidLevel(value: unknown): value is RaidLevel {
  return typeof value === 'string' && (RAID_LEVELS as readonly string[]).includes(value);
}

export function isFilesystem(value: unknown): value is Filesystem {
  return typeof value === 'string' && (FILESYSTEMS as readonly string[]).includes(value);
}

/** Why a RAID level cannot be built from this many volumes, or undefined when it can. */
export function raidProblem(level: RaidLevel, count: number): string | undefined {
  const need = RAID_NEEDS[level];
  if (!need || level === 'none') return undefined;
  const has = `the form has ${count}.`;
  if (need.even) {
    if (count < need.min || count % 2 !== 0) return `RAID ${level} needs an even number of volumes, at least ${need.min}; ${has}`;
    return undefined;
  }
  if (count < need.min) return `RAID ${level} needs at least ${need.min} volumes; ${has}`;
  return undefined;
}

/**
 * Usable capacity in GiB (before filesystem and LUKS overhead): none and RAID 0 add up every volume,
 * RAID 1 keeps one volume's worth, RAID 5 all but one, RAID 10 half. 0 when the level cannot be built
 * from that many volumes (or the plan is not a plan).
 */
export function raidUsableGiB(plan: Pick<VolumePlan, 'count' | 'sizeGiB' | 'raid'>): number {
  const { count, sizeGiB, raid } = plan;
  if (!Number.isInteger(count) || count < 1 || !(sizeGiB > 0) || !isRaidLevel(raid) || raidProblem(raid, count)) return 0;
  switch (raid) {
    case 'none':
    case '0':
      return count * sizeGiB;
    case '1':
      return sizeGiB;
    case '5':
      return (count - 1) * sizeGiB;
    case '10':
      return (count / 2) * sizeGiB;
  }
}

/** One line for the form: what the level does, what it survives, what it costs. */
export function describeRaid(level: RaidLevel): string {
  switch (level) {
    case 'none':
      return 'No RAID: each volume is formatted and mounted on its own (several volumes at <mount point>-1, -2, …).';
    case '0':
      return 'RAID 0 (striping): the capacity and speed of every volume, no redundancy; losing one volume loses all data.';
    case '1':
      return 'RAID 1 (mirroring): every volume holds the same data; survives losing all but one; capacity of one volume.';
    case '5':
      return 'RAID 5 (striping with parity, 3+ volumes): survives losing one volume; capacity of all but one.';
    case '10':
      return 'RAID 10 (striped mirrors, an even number of 4+ volumes): survives losing one volume per mirrored pair; half the capacity.';
  }
}

/** Trees that belong to the system: a mount point cannot be at or below them. */
const SYSTEM_TREES = ['/boot', '/etc', '/usr', '/bin', '/sbin', '/proc', '/sys', '/dev', '/run'];
/** Directories a volume cannot replace, though below them is fine (/var/lib/mysql). */
const SYSTEM_TOPS = ['/var', '/tmp'];
/** Login homes: a blank volume over them hides authorized_keys. */
const HOME_TOPS = ['/home', '/root'];

const MOUNT_CHAR = /^[A-Za-z0-9._/-]$/;

/** The plain form of an absolute path: single slashes, no . or .. segments, no trailing slash. */
export function normalisePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return '/' + out.join('/');
}

/** Why a path cannot be a mount point for strata's volumes, or undefined when it can. */
export function checkMountPoint(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') return 'Give the volumes a mount point, e.g. /data.';
  if (path.length > MAX_MOUNT_POINT_LENGTH) {
    return `A mount point can have at most ${MAX_MOUNT_POINT_LENGTH} characters; this one has ${path.length}.`;
  }
  for (const ch of path) {
    if (/\s/u.test(ch)) return `A mount point cannot contain spaces or line breaks (found ${showChar(ch)}).`;
    if (!MOUNT_CHAR.test(ch)) {
      return `${showChar(ch)} cannot be in a mount point; use letters, digits and . _ - between slashes (e.g. /data).`;
    }
  }
  if (!path.startsWith('/')) return `The mount point must be an absolute path, starting with /: e.g. /${path.replace(/^\.?\/*/, '')}.`;
  const plain = normalisePath(path);
  if (plain !== path) return `Write the mount point plainly, as ${plain} (no //, no trailing /, no . or .. parts).`;
  if (plain === '/') return 'The volumes cannot be mounted at /, the root filesystem; choose a directory such as /data.';
  const top = '/' + plain.split('/')[1];
  const tree = SYSTEM_TREES.find((t) => plain === t || plain.startsWith(t + '/')) ?? (/^\/lib[^/]*$/.test(top) ? top : undefined);
  if (tree) {
    return plain === tree
      ? `${plain} belongs to the system; mount the volumes elsewhere, e.g. /data.`
      : `${plain} is inside ${tree}, which belongs to the system; mount the volumes elsewhere, e.g. /data.`;
  }
  if (SYSTEM_TOPS.includes(plain)) {
    return `${plain} belongs to the system; mount the volumes elsewhere, e.g. /data, or below it (e.g. ${plain}/lib/app).`;
  }
  if (HOME_TOPS.includes(plain)) {
    return `A new volume mounted at ${plain} would hide the login users' files and SSH keys (and lock you out); mount it elsewhere, e.g. /data.`;
  }
  return undefined;
}

/** Where each part of the plan is mounted: the mount point, or <mount point>-1 … -N for separate volumes. */
export function mountPointsFor(plan: Pick<VolumePlan, 'count' | 'raid' | 'mountPoint'>): string[] {
  if (plan.raid !== 'none' || plan.count <= 1) return [plan.mountPoint];
  return Array.from({ length: plan.count }, (_, i) => `${plan.mountPoint}-${i + 1}`);
}

export type VolumeField = 'count' | 'sizeGiB' | 'raid' | 'filesystem' | 'mountPoint' | 'encrypt';

export interface VolumeProblem {
  field: VolumeField;
  message: string;
}

/**
 * Every problem of a volume plan. Without limits, only what holds everywhere (the shape, RAID against
 * the count, the mount point); with a provider's launch capabilities, also its limits and offers.
 */
export function checkVolumePlan(plan: VolumePlan, limits?: Capabilities['launch']): VolumeProblem[] {
  const problems: VolumeProblem[] = [];
  const add = (field: VolumeField, message: string) => problems.push({ field, message });
  const { count, sizeGiB, raid, filesystem, mountPoint, encrypt } = plan;

  const maxCount = limits ? Math.min(limits.maxVolumes, limits.volumeDevices.length) : Infinity;
  if (!Number.isInteger(count) || count < 1) {
    add('count', `The number of volumes must be a whole number of at least 1; the form has ${quoteForSentence(count, 20)}.`);
  } else if (limits && count > limits.maxVolumes) {
    add('count', `This provider attaches at most ${limits.maxVolumes} volume${limits.maxVolumes === 1 ? '' : 's'} to a server; the form has ${count}.`);
  } else if (limits && count > maxCount) {
    add('count', `This provider names only ${limits.volumeDevices.length} volume device${limits.volumeDevices.length === 1 ? '' : 's'} in the guest; the form has ${count} volumes.`);
  }

  if (typeof sizeGiB !== 'number' || !Number.isInteger(sizeGiB) || sizeGiB < 1) {
    add('sizeGiB', `The size of each volume must be a whole number of GiB, at least 1; the form has ${typeof sizeGiB === 'number' ? sizeGiB : quoteForSentence(sizeGiB, 20)}.`);
  } else if (limits && (sizeGiB < limits.minVolumeGiB || sizeGiB > limits.maxVolumeGiB)) {
    add('sizeGiB', `Each volume must be ${limits.minVolumeGiB} to ${limits.maxVolumeGiB} GiB here; the form has ${sizeGiB}.`);
  }

  if (!isRaidLevel(raid)) {
    add('raid', `${quoteForSentence(raid, 20)} is not a RAID level; choose one of ${(limits?.raidLevels ?? RAID_LEVELS).join(', ')}.`);
  } else if (limits && !limits.raidLevels.includes(raid)) {
    add(
      'raid',
      limits.raidLevels.length <= 1
        ? `This provider cannot assemble RAID; choose none (each volume is mounted on its own).`
        : `RAID ${raid} is not offered here; choose one of ${limits.raidLevels.join(', ')}.`,
    );
  } else if (Number.isInteger(count) && count >= 1) {
    const problem = raidProblem(raid, count);
    if (problem) add('raid', problem);
  }

  if (!isFilesystem(filesystem)) {
    add('filesystem', `${quoteForSentence(filesystem, 20)} is not a filesystem strata can make; choose ${(limits?.filesystems ?? FILESYSTEMS).join(' or ')}.`);
  } else if (limits && !limits.filesystems.includes(filesystem)) {
    add('filesystem', `${filesystem} is not offered here; choose ${limits.filesystems.join(' or ')}.`);
  }

  const mountProblem = checkMountPoint(mountPoint);
  if (mountProblem) {
    add('mountPoint', mountProblem);
  } else if (raid === 'none' && Number.isInteger(count) && count > 1) {
    const last = `${mountPoint}-${count}`;
    if (last.length > MAX_MOUNT_POINT_LENGTH) {
      add('mountPoint', `With ${count} separate volumes the last is mounted at ${mountPoint}-${count}, which is longer than ${MAX_MOUNT_POINT_LENGTH} characters; shorten the mount point.`);
    }
  }

  if (typeof encrypt !== 'boolean') add('encrypt', 'Encryption is either on or off.');
  else if (encrypt && limits && !limits.encryption) add('encrypt', 'This provider cannot encrypt volumes; turn encryption off.');
  return problems;
}

const DEVICE = /^\/dev\/[A-Za-z0-9._:+@/-]+$/;
/** An EC2 block device name for a data volume: /dev/sdf … /dev/sdz, /dev/xvdf …, or two letters (sdba). */
const EC2_DEVICE = /^\/dev\/(?:sd|xvd)(?:[f-z]|[a-z]{2})$/;

/** Why a path cannot be a device or a file the script uses, or undefined. */
function checkScriptPath(path: unknown, what: string, pattern: RegExp): string | undefined {
  if (typeof path !== 'string' || !pattern.test(path) || path.length > 255 || normalisePath(path) !== path) {
    return `${what} ${quoteForSentence(path)} is not a plain absolute path of letters, digits and . _ - + @ : /.`;
  }
  return undefined;
}

/**
 * The volume script's search for EC2 volumes (VolumeDevice { naming: 'ec2' }): "$@" holds the letters of
 * the names they were attached as (f for /dev/sdf). Decisions:
 * - By name first: the kernel's name on Xen (/dev/xvdf; /dev/sdf on old kernels), a udev link of that name
 *   (Amazon Linux makes /dev/sdf on Nitro too), or the name the EBS NVMe controller reports in its vendor
 *   data (bytes 3072–3103 of Identify Controller, read with nvme-cli where it is installed). Exact, in the
 *   plan's order, and blind to anything else attached (an AMI may bring EBS volumes of its own).
 * - Where the guest tells no names at all (Nitro without nvme-cli): the EBS data disks as a set, i.e.
 *   every /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol… disk but the one that holds /, ordered by
 *   volume id, and only when there are exactly as many as the plan has. The plan's volumes are alike (one
 *   size, one array, or one mount point each), so which is which does not matter on the first run; more
 *   EBS data disks than volumes, or a root disk that cannot be told, and strata takes none. Instance
 *   storage ("Amazon EC2 NVMe Instance Storage") is never an EBS disk, and is never taken.
 * - The root disk (the disks under /, through partitions, LVM or RAID: findmnt and lsblk) is never taken,
 *   by either way.
 * The Xen/Nitro choice is made in the guest, so one user data works on every instance type (the launch
 * form's default t2.nano is Xen; most current types are Nitro) and on an image launched later elsewhere.
 */
const EC2_DISCOVERY: readonly string[] = [
  "NL='",
  "'",
  '# The disks under / (through partitions, LVM, RAID): never a volume.',
  'root_disks() {',
  '  src=$(findmnt -nvo SOURCE / 2>/dev/null) || return 0',
  '  lsblk -nrpso NAME,TYPE "$src" 2>/dev/null | awk \'$2 == "disk" { print $1 }\'',
  '}',
  'is_root() { case $NL$ROOTS$NL in *"$NL$1$NL"*) return 0 ;; esac; return 1; }',
  '# Every EBS NVMe disk once, as "volume-id device", by volume id.',
  'ebs_disks() {',
  '  for l in "$BY_ID"/nvme-Amazon_Elastic_Block_Store_*; do',
  '    case $l in *-part[0-9]*) continue ;; esac',
  '    [ -e "$l" ] || continue',
  '    v=${l##*_Store_}',
  '    printf \'%s %s\\n\' "${v%%[!0-9a-z]*}" "$(readlink -f "$l")"',
  '  done | LC_ALL=C sort -u',
  '}',
  '# "letters device" of each EBS disk whose NVMe controller names what it was attached as (nvme-cli).',
  'ebs_names() {',
  '  command -v nvme >/dev/null 2>&1 || return 0',
  '  ebs_disks | while read -r _ d; do',
  '    n=$(nvme id-ctrl --raw-binary "$d" 2>/dev/null | dd bs=1 skip=3072 count=32 2>/dev/null | tr -d \' \\000\')',
  '    n=${n#/dev/}',
  '    case $n in sd?* | xvd?*) n=${n#xvd}; printf \'%s %s\\n\' "${n#sd}" "$d" ;; esac',
  '  done',
  '}',
  '# Sets FOUND to the disks of the volumes ("$@": the letters of their names), one a line; else WHY.',
  'find_volumes() {',
  "  FOUND='' missing='' named=0",
  '  names=$(ebs_names)',
  '  for x in "$@"; do',
  "    d=''",
  '    for t in "$DEV_DIR/xvd$x" "$DEV_DIR/sd$x"; do',
  '      if present "$t"; then d=$(readlink -f "$t"); break; fi',
  '    done',
  '    [ -n "$d" ] || d=$(printf \'%s\\n\' "$names" | awk -v x="$x" \'$1 == x { print $2; exit }\')',
  '    if [ -z "$d" ]; then missing="$missing /dev/sd$x"; continue; fi',
  '    ! is_root "$d" || fail "/dev/sd$x is $d, the root disk; strata will not touch it."',
  '    named=$((named + 1))',
  '    FOUND=$FOUND$d$NL',
  '  done',
  '  if [ -z "$missing" ]; then',
  '    d=$(printf \'%s\' "$FOUND" | sort | uniq -d)',
  '    [ -z "$d" ] || fail "two volumes were found as $d; strata will not guess."',
  '    return 0',
  '  fi',
  '  WHY="the volumes attached as$missing did not appear within $WAIT_SECONDS seconds."',
  '  # Some found by name: the rest by name too (the order must not depend on the way found).',
  '  [ "$named" -eq 0 ] || return 1',
  '  # No names (Nitro without nvme-cli): the EBS disks but the root disk, if there are exactly $#.',
  '  [ -n "$ROOTS" ] || fail "strata cannot tell the root disk (findmnt, lsblk) and takes no EBS disk; install nvme-cli."',
  '  d=$(ebs_disks | while read -r _ d; do is_root "$d" || printf \'%s\\n\' "$d"; done)',
  '  n=0',
  '  [ -z "$d" ] || n=$(printf \'%s\\n\' "$d" | wc -l)',
  '  if [ "$n" -eq "$#" ]; then FOUND=$d$NL; return 0; fi',
  '  [ "$n" -lt "$#" ] || WHY="there are $n EBS data disks for $# volumes and no names to tell them by; install nvme-cli."',
  '  return 1',
  '}',
  '',
  '# The volumes can appear a little after boot: look every 2 seconds, at most WAIT_SECONDS in all.',
  'settle',
  'ROOTS=$(root_disks)',
  'waited=0',
  'until find_volumes "$@"; do',
  '  [ "$waited" -lt "$WAIT_SECONDS" ] || fail "$WHY"',
  '  sleep 2',
  '  waited=$((waited + 2))',
  'done',
  '# From here on "$@" are the devices of the volumes, in the plan\'s order.',
  'set -f',
  'IFS=$NL',
  '# shellcheck disable=SC2086',
  'set -- $FOUND',
  'unset IFS',
  'set +f',
  'log "volumes: $*"',
];

export interface VolumeScriptOptions {
  /**
   * The block devices the volumes are attached as, in attach order (the first plan.count are used): all
   * paths the guest sees as they are, or all EC2 block device names (see VolumeDevice in capabilities).
   */
  devices: VolumeDevice[];
  /** Where the LUKS passphrase is in the guest when the plan encrypts (default PASSPHRASE_FILE). */
  passphraseFile?: string;
}

/**
 * The POSIX sh script that carries out a volume plan in the guest (see the decisions at the top).
 * Validates the plan and the paths again (defence in depth) and throws an Invalid StrataError with the
 * field when anything is wrong; every value then goes into the script single-quoted.
 */
export function buildVolumeScript(plan: VolumePlan, options: VolumeScriptOptions): string {
  const problems = checkVolumePlan(plan);
  if (problems.length > 0) throw invalid(problems[0].message, `volumes.${problems[0].field}`);
  const asked = options.devices.slice(0, plan.count);
  if (asked.length < plan.count) {
    throw invalid(`The plan has ${plan.count} volumes but the guest names only ${options.devices.length} devices for them.`, 'volumes.count');
  }
  // EC2 names are looked up in the guest (discover); paths are used as they are.
  const discover = asked.length > 0 && typeof asked[0] !== 'string';
  const devices: string[] = [];
  for (const device of asked) {
    if (discover !== (typeof device !== 'string')) throw invalid('The volume devices mix paths and EC2 block device names.', 'volumes.devices');
    if (typeof device === 'string') {
      const problem = checkScriptPath(device, 'The device', DEVICE);
      if (problem) throw invalid(problem, 'volumes.devices');
      devices.push(device);
    } else {
      if (device === null || device.naming !== 'ec2' || typeof device.device !== 'string' || !EC2_DEVICE.test(device.device)) {
        throw invalid(`The EC2 block device ${quoteForSentence(device?.device)} is not one of /dev/sdf … /dev/sdz (or /dev/xvdf …).`, 'volumes.devices');
      }
      devices.push(device.device.replace(/^\/dev\/(?:sd|xvd)/, ''));
    }
  }
  if (new Set(devices).size !== devices.length) throw invalid('Each volume needs a device of its own; a device is named twice.', 'volumes.devices');
  const keyFile = options.passphraseFile ?? PASSPHRASE_FILE;
  if (plan.encrypt) {
    const problem = checkScriptPath(keyFile, 'The key file', /^\/[A-Za-z0-9._:+@/-]+$/);
    if (problem) throw invalid(problem, 'volumes.encrypt');
  }

  const raid = plan.raid !== 'none';
  const separate = !raid && plan.count > 1;
  const usable = raidUsableGiB(plan);
  const summary = raid
    ? `RAID ${plan.raid} over ${plan.count} volumes of ${plan.sizeGiB} GiB (${usable} GiB usable)`
    : separate
      ? `${plan.count} separate volumes of ${plan.sizeGiB} GiB, mounted at MOUNT_POINT-1 to -${plan.count}`
      : `one volume of ${plan.sizeGiB} GiB`;
  const fsckPass = plan.filesystem === 'xfs' ? '0' : '2';
  const mountOptions = plan.encrypt ? 'defaults,nofail,noauto' : 'defaults,nofail';
  const mkfs = plan.filesystem === 'xfs' ? 'mkfs.xfs -q "$1" </dev/null' : 'mkfs.ext4 -q "$1" </dev/null';

  const lines: string[] = [];
  const emit = (...text: string[]) => lines.push(...text);

  emit(
    '#!/bin/sh',
    '# strata volume setup, generated from a validated volume plan:',
    `#   ${summary}, ${plan.encrypt ? 'encrypted (LUKS), ' : ''}${plan.filesystem}.`,
    '# Every value of the plan is in the assignments below, single-quoted; the rest only reads them.',
    '# Safe to run again: an array, LUKS container or filesystem that exists is kept, never formatted again.',
  );
  if (plan.encrypt) {
    emit(
      '# Encrypted volumes are not unlocked at boot (noauto): the passphrase is kept in strata\'s keychain,',
      '# not on this server. After a reboot: cryptdisks_start <mapper name> (or cryptsetup open), then mount.',
    );
  }
  emit(
    'set -eu',
    '',
    shellAssign('MOUNT_POINT', plan.mountPoint),
    shellAssign('FILESYSTEM', plan.filesystem),
    shellAssign('MOUNT_OPTIONS', mountOptions),
    shellAssign('FSCK_PASS', fsckPass),
  );
  if (raid) {
    emit(shellAssign('RAID_LEVEL', plan.raid), shellAssign('ARRAY', ARRAY_DEVICE));
  }
  if (plan.encrypt) {
    emit(shellAssign('MAPPER', MAPPER_NAME), shellAssign('KEY_FILE', keyFile), shellAssign('CRYPTTAB', '/etc/crypttab'));
  }
  emit(shellAssign('FSTAB', '/etc/fstab'));
  if (raid) {
    emit(shellAssign('MDADM_CONF', '/etc/mdadm/mdadm.conf'), shellAssign('MDADM_CONF_FALLBACK', '/etc/mdadm.conf'));
  }
  emit(shellAssign('WAIT_SECONDS', String(DEVICE_WAIT_SECONDS)));
  if (discover) {
    emit(shellAssign('DEV_DIR', '/dev'), shellAssign('BY_ID', '/dev/disk/by-id'));
    emit('# The letters of the names the volumes were attached as (sdf, or xvdf, is f), in the plan\'s order.');
  }
  emit(`set -- ${devices.map(shellQuote).join(' ')}`);

  emit(
    '',
    'log() { printf \'strata-volumes: %s\\n\' "$*" >&2; }',
    'fail() { log "$*"; exit 1; }',
    '',
    '# True once the device node exists.',
    'present() { [ -b "$1" ]; }',
    '',
    '# What a device carries (a filesystem, LUKS, an array member, a partition table); empty when blank.',
    'signature() { blkid -p -s TYPE -s PTTYPE -o value "$1" 2>/dev/null || true; }',
    '',
    'settle() { if command -v udevadm >/dev/null 2>&1; then udevadm settle --timeout=60 || true; fi; }',
    '',
    '# Sets the line of table $1 whose field $2 is $3 to $4 and keeps every other line (an image captured',
    '# from an earlier server may carry a stale line for the same key). Writes nothing when the line is there.',
    'set_entry() {',
    '  if [ -f "$1" ] && grep -qxF -- "$4" "$1"; then return 0; fi',
    '  if [ -f "$1" ]; then',
    '    KEY=$3 FIELD=$2 awk \'$(ENVIRON["FIELD"] + 0) != ENVIRON["KEY"]\' "$1" >"$1.strata-new"',
    '  else',
    '    : >"$1.strata-new"',
    '  fi',
    '  printf \'%s\\n\' "$4" >>"$1.strata-new"',
    '  cat "$1.strata-new" >"$1"',
    '  rm -f "$1.strata-new"',
    '}',
  );

  if (plan.encrypt) {
    emit(
      '',
      '# The key file must not outlive this script, also when the script fails.',
      'forget_key() {',
      '  if [ -e "$KEY_FILE" ]; then shred -u "$KEY_FILE" 2>/dev/null || rm -f "$KEY_FILE"; fi',
      '}',
      'trap forget_key EXIT',
      "trap 'exit 1' HUP INT TERM",
      '',
      'need_key() {',
      '  [ -r "$KEY_FILE" ] || fail "the key file $KEY_FILE is missing (it is removed after the first run); put the passphrase from strata\'s keychain there and run $0 again."',
      '}',
      '',
      '# Opens the LUKS container on $1 as /dev/mapper/$2, formatting it first only when $1 is blank.',
      'open_luks() {',
      '  sig=$(signature "$1")',
      '  if [ "$sig" != crypto_LUKS ]; then',
      '    [ -z "$sig" ] || fail "$1 already holds $sig; strata will not encrypt over it."',
      '    need_key',
      '    log "encrypting $1 (LUKS)"',
      '    cryptsetup luksFormat --batch-mode --key-file "$KEY_FILE" "$1"',
      '  fi',
      '  if ! cryptsetup status "$2" >/dev/null 2>&1; then',
      '    need_key',
      '    cryptsetup luksOpen --key-file "$KEY_FILE" "$1" "$2"',
      '  fi',
      '  luks_uuid=$(cryptsetup luksUUID "$1")',
      '  [ -n "$luks_uuid" ] || fail "the LUKS container on $1 has no UUID."',
      '  set_entry "$CRYPTTAB" 1 "$2" "$2 UUID=$luks_uuid none luks,noauto,nofail"',
      '}',
    );
  }

  emit(
    '',
    '# Makes the filesystem on $1 (only when it is blank), records it in fstab by UUID and mounts it at $2.',
    'make_and_mount() {',
    '  sig=$(signature "$1")',
    '  if [ -z "$sig" ]; then',
    '    log "making $FILESYSTEM on $1"',
    `    ${mkfs}`,
    '  elif [ "$sig" != "$FILESYSTEM" ]; then',
    '    fail "$1 holds $sig, not $FILESYSTEM; strata will not format over it."',
    '  fi',
    '  uuid=$(blkid -p -s UUID -o value "$1" 2>/dev/null || true)',
    '  [ -n "$uuid" ] || fail "the filesystem on $1 has no UUID; it cannot be recorded in $FSTAB."',
    '  mkdir -p "$2"',
    '  set_entry "$FSTAB" 2 "$2" "UUID=$uuid $2 $FILESYSTEM $MOUNT_OPTIONS 0 $FSCK_PASS"',
    '  if ! mountpoint -q "$2"; then mount "$2"; fi',
    '  log "mounted $2"',
    '}',
    '',
  );
  if (discover) emit(...EC2_DISCOVERY);
  else {
    emit(
      '# The volumes can appear a little after boot: wait for each, at most WAIT_SECONDS in all.',
      'settle',
      'waited=0',
      'for dev in "$@"; do',
      '  until present "$dev"; do',
      '    [ "$waited" -lt "$WAIT_SECONDS" ] || fail "$dev did not appear within $WAIT_SECONDS seconds."',
      '    sleep 2',
      '    waited=$((waited + 2))',
      '  done',
      'done',
    );
  }

  // The calls for one volume (or the array): device, mapper name and mount point are shell expressions
  // over the variables above, always in double quotes.
  const openThen = (device: string, mapper: string, mount: string) =>
    plan.encrypt
      ? [`open_luks "${device}" "${mapper}"`, `make_and_mount "/dev/mapper/${mapper}" "${mount}"`]
      : [`make_and_mount "${device}" "${mount}"`];

  if (raid) {
    emit(
      '',
      '# Assemble the array; create it only when no volume carries one yet.',
      'if ! mdadm --detail "$ARRAY" >/dev/null 2>&1; then',
      '  members=0',
      '  for dev in "$@"; do',
      '    sig=$(signature "$dev")',
      '    case $sig in',
      "      '') ;;",
      '      linux_raid_member) members=$((members + 1)) ;;',
      '      *) fail "$dev already holds $sig; strata will not build an array over it." ;;',
      '    esac',
      '  done',
      '  if [ "$members" -gt 0 ]; then',
      '    log "the volumes carry an array already; assembling it"',
      '    mdadm --assemble "$ARRAY" "$@" || fail "the array on the volumes could not be assembled; strata will not create a new one over it."',
      '  else',
      '    log "creating RAID $RAID_LEVEL over $# volumes"',
      '    mdadm --create "$ARRAY" --run --level="$RAID_LEVEL" --raid-devices="$#" "$@" </dev/null',
      '  fi',
      '  settle',
      'fi',
      '',
      '# Record the array so it is assembled under the same name at boot.',
      'conf=$MDADM_CONF',
      '[ -d "${conf%/*}" ] || conf=$MDADM_CONF_FALLBACK',
      'array_line=$(mdadm --detail --brief "$ARRAY")',
      'if ! { [ -f "$conf" ] && grep -qxF -- "$array_line" "$conf"; }; then',
      '  set_entry "$conf" 2 "$ARRAY" "$array_line"',
      '  if command -v update-initramfs >/dev/null 2>&1; then update-initramfs -u; fi',
      'fi',
      '',
      ...openThen('$ARRAY', '$MAPPER', '$MOUNT_POINT'),
    );
  } else if (separate) {
    if (discover) {
      // Found volumes are told apart by the order they were found in, which a later run (with nvme-cli
      // installed meanwhile, say) may not repeat: a volume set up before must come back to its place.
      const [table, field, key, place] = plan.encrypt ? ['$CRYPTTAB', '$2', '$1', '$MAPPER-$2'] : ['$FSTAB', '$1', '$2', '$MOUNT_POINT-$2'];
      emit(
        '',
        '# Fails when volume $1 was set up for another place than the $2-th before: never one where another was.',
        'same_place() {',
        '  uuid=$(blkid -p -s UUID -o value "$1" 2>/dev/null || true)',
        '  [ -n "$uuid" ] || return 0',
        `  was=$(KEY="UUID=$uuid" awk '${field} == ENVIRON["KEY"] { print ${key}; exit }' "${table}" 2>/dev/null || true)`,
        `  [ -z "$was" ] || [ "$was" = "${place}" ] || fail "$1 is $was, not ${place}: found in another order than before; strata changes nothing."`,
        '}',
      );
    }
    emit(
      '',
      '# No RAID: each volume on its own, at MOUNT_POINT-1, MOUNT_POINT-2 and so on.',
      ...(discover ? ['i=0', 'for dev in "$@"; do', '  i=$((i + 1))', '  same_place "$dev" "$i"', 'done'] : []),
      'i=0',
      'for dev in "$@"; do',
      '  i=$((i + 1))',
      ...openThen('$dev', '$MAPPER-$i', '$MOUNT_POINT-$i').map((l) => '  ' + l),
      'done',
    );
  } else {
    emit('', ...openThen('$1', '$MAPPER', '$MOUNT_POINT'));
  }
  emit('log "ready"', '');
  return lines.join('\n');
}
