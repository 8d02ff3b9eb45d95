// Test harness for the generated volume script: runs it for real with `sh`, but with every tool that
// touches disks (mdadm, cryptsetup, blkid, mkfs.*, mount, mountpoint, udevadm, shred, mkdir, sleep)
// replaced by a stub on PATH (update-initramfs is absent unless a test adds it). Each stub records its exact arguments (NUL-separated, so any
// string round-trips) and simulates the tool on a state directory, so a second run sees what the first
// one "made". Only two kinds of lines are changed in the script, each asserted to occur exactly once:
// the table paths (fstab, crypttab, mdadm.conf) point into the temp dir, and present() (a shell builtin
// test on the device node) asks a stub instead.
//
// For EC2 volumes (found in the guest, core/volumes.ts) the sandbox also makes a fake /dev: block devices
// are plain files, /dev/disk/by-id holds the links udev makes (nvme-Amazon_Elastic_Block_Store_vol…,
// their _1 and -partN twins, instance storage), findmnt and lsblk answer for the root disk, and an nvme
// stub (nvme-cli, only when a test installs it) answers Identify Controller with the name the volume was
// attached as at bytes 3072–3103, as EBS does. The script's DEV_DIR and BY_ID then point into the fake
// /dev (each replaced exactly once, as above).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../../source/core/shell.js';

export interface StubCall {
  cmd: string;
  args: string[];
}

export interface ScriptRun {
  status: number | null;
  stderr: string;
  calls: StubCall[];
  fstab: string;
  crypttab: string;
  mdadmConf: string;
}

const STUBBED = [
  'mdadm',
  'cryptsetup',
  'blkid',
  'mkfs.ext4',
  'mkfs.xfs',
  'mount',
  'mountpoint',
  'udevadm',
  'shred',
  'mkdir',
  'sleep',
  'stub-present',
  'findmnt',
  'lsblk',
];

// One stub for every tool, dispatching on its name. Keys of the state are the hex of the argument, so
// any device or mount point maps to a file name.
const STUB = `#!/bin/sh
name=\${0##*/}
{ printf '%s\\0%s\\0' "$name" "$#"; for a in "$@"; do printf '%s\\0' "$a"; done; } >>"$STUB_LOG"
key() { printf '%s' "$1" | od -An -tx1 | tr -d ' \\n'; }
S=$STUB_STATE
last() { for a in "$@"; do :; done; printf '%s' "$a"; }
case $name in
  stub-present) if [ -n "\${STUB_DEVS:-}" ]; then [ -e "$1" ]; else [ ! -e "$S/absent/$(key "$1")" ]; fi ;;
  blkid)
    dev=$(last "$@"); k=$(key "$dev")
    [ -f "$S/type/$k" ] || exit 2
    if [ "$3" != UUID ]; then cat "$S/type/$k"
    elif grep -qx crypto_LUKS "$S/type/$k"; then printf 'luks-%s\\n' "$k"
    else printf 'fs-%s\\n' "$k"; fi ;;
  findmnt) [ -f "$S/root-source" ] && cat "$S/root-source" ;;
  lsblk) [ -f "$S/lsblk" ] && cat "$S/lsblk" ;;
  nvme)
    [ "$1" = id-ctrl ] && [ "$2" = --raw-binary ] && [ -f "$S/nvme/$(key "$3")" ] || exit 1
    head -c 3072 /dev/zero; printf '%-32s' "$(cat "$S/nvme/$(key "$3")")"; head -c 992 /dev/zero ;;
  sleep)
    n=$(($(cat "$S/sleeps" 2>/dev/null || echo 0) + 1)); echo "$n" >"$S/sleeps"
    if [ -f "$S/on-sleep-$n" ]; then sh "$S/on-sleep-$n"; fi ;;
  mkfs.ext4|mkfs.xfs)
    dev=$(last "$@"); printf '%s\\n' "\${name#mkfs.}" >"$S/type/$(key "$dev")" ;;
  cryptsetup)
    case $1 in
      luksFormat) dev=$(last "$@"); echo crypto_LUKS >"$S/type/$(key "$dev")" ;;
      luksOpen) grep -qx crypto_LUKS "$S/type/$(key "$4")" && : >"$S/open/$(key "$5")" ;;
      status) [ -e "$S/open/$(key "$2")" ] ;;
      luksUUID) printf 'luks-%s\\n' "$(key "$2")" ;;
      *) exit 1 ;;
    esac ;;
  mdadm)
    case $1 in
      --detail)
        if [ "$2" = --brief ]; then
          [ -e "$S/md/$(key "$3")" ] && printf 'ARRAY %s metadata=1.2 UUID=md-%s\\n' "$3" "$(key "$3")"
        else
          [ -e "$S/md/$(key "$2")" ]
        fi ;;
      --create)
        array=$2; shift 5
        for dev in "$@"; do echo linux_raid_member >"$S/type/$(key "$dev")"; done
        : >"$S/md/$(key "$array")" ;;
      --assemble) : >"$S/md/$(key "$2")" ;;
      *) exit 1 ;;
    esac ;;
  mountpoint) [ -e "$S/mounted/$(key "$2")" ] ;;
  mount) : >"$S/mounted/$(key "$1")" ;;
  shred) rm -f -- "$(last "$@")" ;;
  *) : ;;
esac
`;

export class VolumeSandbox {
  readonly dir: string;
  readonly bin: string;
  readonly state: string;
  readonly log: string;
  readonly etc: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'strata-volumes-'));
    this.bin = join(this.dir, 'bin');
    this.state = join(this.dir, 'state');
    this.log = join(this.dir, 'calls');
    this.etc = join(this.dir, 'etc');
    for (const d of [this.bin, this.etc, join(this.etc, 'mdadm'), ...['type', 'open', 'md', 'mounted', 'absent'].map((s) => join(this.state, s))]) {
      mkdirSync(d, { recursive: true });
    }
    for (const name of STUBBED) {
      writeFileSync(join(this.bin, name), STUB);
      chmodSync(join(this.bin, name), 0o755);
    }
  }

  private key(text: string): string {
    return Buffer.from(text).toString('hex');
  }

  /** Makes a device look as if it carries something already (a filesystem, an array member, LUKS). */
  setSignature(device: string, type: string): void {
    writeFileSync(join(this.state, 'type', this.key(device)), `${type}\n`);
  }

  signature(device: string): string | undefined {
    const file = join(this.state, 'type', this.key(device));
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  }

  /** Makes a device never appear. */
  makeAbsent(device: string): void {
    writeFileSync(join(this.state, 'absent', this.key(device)), '');
  }

  /** Forgets what is open and mounted, as a reboot would (what is on the disks stays). */
  reboot(): void {
    for (const s of ['open', 'md', 'mounted']) {
      rmSync(join(this.state, s), { recursive: true, force: true });
      mkdirSync(join(this.state, s));
    }
  }

  get fstabPath(): string {
    return join(this.etc, 'fstab');
  }

  // ---- a fake /dev for volumes found in the guest (EC2) ----------------------------------------------

  private devTree = false;

  /** The fake /dev (made on first use): block devices are plain files there. */
  get dev(): string {
    const dev = join(this.dir, 'dev');
    if (!this.devTree) {
      mkdirSync(join(dev, 'disk', 'by-id'), { recursive: true });
      mkdirSync(join(this.state, 'nvme'), { recursive: true });
      this.devTree = true;
    }
    return dev;
  }

  /** A block device /dev/NAME (a plain file in the fake /dev). */
  addDisk(name: string): string {
    const path = join(this.dev, name);
    writeFileSync(path, '');
    return path;
  }

  /** A link /dev/NAME -> /dev/TARGET (udev's names, e.g. Amazon Linux's /dev/sdf on Nitro). */
  addLink(name: string, target: string): void {
    symlinkSync(target, join(this.dev, name));
  }

  /** A link in /dev/disk/by-id, as udev makes them, to /dev/TARGET. */
  addById(name: string, target: string): void {
    symlinkSync(join('..', '..', target), join(this.dev, 'disk', 'by-id', name));
  }

  /**
   * An EBS volume on Nitro: the NVMe disk, its by-id links (with the namespace twin _1 newer udev adds),
   * and, for the nvme stub, the name it was attached as (EBS reports it in the controller's vendor data).
   */
  addEbsVolume(disk: string, volumeId: string, attachedAs?: string): string {
    const path = this.addDisk(disk);
    const serial = volumeId.replace('-', '');
    this.addById(`nvme-Amazon_Elastic_Block_Store_${serial}`, disk);
    this.addById(`nvme-Amazon_Elastic_Block_Store_${serial}_1`, disk);
    if (attachedAs !== undefined) writeFileSync(join(this.state, 'nvme', this.key(path)), attachedAs);
    return path;
  }

  /** An instance-store NVMe disk (never a volume of the plan). */
  addInstanceStore(disk: string, serial: string): string {
    const path = this.addDisk(disk);
    this.addById(`nvme-Amazon_EC2_NVMe_Instance_Storage_${serial}`, disk);
    return path;
  }

  /** The root filesystem is on partition 1 of DISK (findmnt and lsblk answer so); an EBS root on Nitro has its by-id links. */
  setRoot(disk: string, partition: string, ebsVolumeId?: string): void {
    const diskPath = ebsVolumeId ? this.addEbsVolume(disk, ebsVolumeId, '/dev/xvda') : this.addDisk(disk);
    const partPath = this.addDisk(partition);
    if (ebsVolumeId) this.addById(`nvme-Amazon_Elastic_Block_Store_${ebsVolumeId.replace('-', '')}-part1`, partition);
    writeFileSync(join(this.state, 'root-source'), `${partPath}\n`);
    writeFileSync(join(this.state, 'lsblk'), `${partPath} part\n${diskPath} disk\n`);
  }

  /** Puts nvme-cli (the stub) on PATH. */
  installNvmeCli(): void {
    writeFileSync(join(this.bin, 'nvme'), STUB);
    chmodSync(join(this.bin, 'nvme'), 0o755);
  }

  /** Runs a shell snippet (in the state of the stubs) at the Nth sleep of the script: something appears late. */
  onSleep(n: number, snippet: string): void {
    writeFileSync(join(this.state, `on-sleep-${n}`), snippet);
  }

  /** Lines with the fake /dev shown as /dev. */
  shown(lines: string[]): string[] {
    return this.devTree ? lines.map((l) => l.split(join(this.dir, 'dev')).join('/dev')) : lines;
  }

  /** Points the script's tables into the temp dir and present() at the stub; each change exactly once. */
  adapt(script: string): string {
    const replaceOnce = (text: string, from: string, to: string): string => {
      const count = text.split(from).length - 1;
      if (count !== 1) throw new Error(`The harness expects ${JSON.stringify(from)} exactly once in the script; found ${count}.`);
      return text.replace(from, to);
    };
    let out = script;
    out = replaceOnce(out, `FSTAB='/etc/fstab'`, `FSTAB=${shellQuote(join(this.etc, 'fstab'))}`);
    if (out.includes(`CRYPTTAB='/etc/crypttab'`)) out = replaceOnce(out, `CRYPTTAB='/etc/crypttab'`, `CRYPTTAB=${shellQuote(join(this.etc, 'crypttab'))}`);
    if (out.includes(`MDADM_CONF='/etc/mdadm/mdadm.conf'`)) {
      out = replaceOnce(out, `MDADM_CONF='/etc/mdadm/mdadm.conf'`, `MDADM_CONF=${shellQuote(join(this.etc, 'mdadm', 'mdadm.conf'))}`);
      out = replaceOnce(out, `MDADM_CONF_FALLBACK='/etc/mdadm.conf'`, `MDADM_CONF_FALLBACK=${shellQuote(join(this.etc, 'mdadm.conf'))}`);
    }
    out = replaceOnce(out, 'present() { [ -b "$1" ]; }', 'present() { stub-present "$1"; }');
    if (out.includes(`DEV_DIR='/dev'`)) {
      out = replaceOnce(out, `DEV_DIR='/dev'`, `DEV_DIR=${shellQuote(this.dev)}`);
      out = replaceOnce(out, `BY_ID='/dev/disk/by-id'`, `BY_ID=${shellQuote(join(this.dev, 'disk', 'by-id'))}`);
    }
    if (this.waitSeconds !== undefined) out = replaceOnce(out, `WAIT_SECONDS='300'`, `WAIT_SECONDS='${this.waitSeconds}'`);
    return out;
  }

  /** A shorter wait than the script's 300 s (the stubbed sleep is instant, but each look forks tools). */
  waitSeconds?: number;

  run(script: string, shell = 'sh'): ScriptRun {
    rmSync(this.log, { force: true });
    rmSync(join(this.state, 'sleeps'), { force: true });
    writeFileSync(this.log, '');
    const file = join(this.dir, 'strata-volumes');
    writeFileSync(file, this.adapt(script));
    const result = spawnSync(shell, [file], {
      encoding: 'utf8',
      env: { PATH: `${this.bin}:/usr/bin:/bin`, STUB_LOG: this.log, STUB_STATE: this.state, LC_ALL: 'C.UTF-8', ...(this.devTree ? { STUB_DEVS: '1' } : {}) },
      timeout: 60_000,
    });
    const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
    return {
      status: result.status,
      stderr: result.stderr,
      calls: parseCalls(readFileSync(this.log)),
      fstab: read(join(this.etc, 'fstab')),
      crypttab: read(join(this.etc, 'crypttab')),
      mdadmConf: read(join(this.etc, 'mdadm', 'mdadm.conf')),
    };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Parses the stubs' log: name, argc, then argc arguments, each NUL-terminated. */
function parseCalls(log: Buffer): StubCall[] {
  const fields = log.toString('utf8').split('\0');
  fields.pop(); // after the last NUL
  const calls: StubCall[] = [];
  for (let i = 0; i < fields.length; ) {
    const cmd = fields[i++];
    const argc = Number(fields[i++]);
    calls.push({ cmd, args: fields.slice(i, i + argc) });
    i += argc;
  }
  return calls;
}

/** Calls as "cmd arg arg" lines (for readable expectations; exact arguments are checked separately). */
export function callLines(calls: StubCall[]): string[] {
  return calls.map((c) => [c.cmd, ...c.args].join(' '));
}

/** Whether a program can be run (for the optional tools: shellcheck, cloud-init, bash). */
export function hasProgram(program: string, args = ['--version']): boolean {
  const result = spawnSync(program, args, { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

/** STRATA_REQUIRE_<TOOL> set (to anything but "" or "0") means the tool must be there: its tests fail without it. */
export function required(envName: string): boolean {
  const value = process.env[envName];
  return value !== undefined && value !== '' && value !== '0';
}
