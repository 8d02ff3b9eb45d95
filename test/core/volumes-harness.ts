// Test harness for the generated volume script: runs it for real with `sh`, but with every tool that
// touches disks (mdadm, cryptsetup, blkid, mkfs.*, mount, mountpoint, udevadm, shred, mkdir, sleep)
// replaced by a stub on PATH (update-initramfs is absent unless a test adds it). Each stub records its exact arguments (NUL-separated, so any
// string round-trips) and simulates the tool on a state directory, so a second run sees what the first
// one "made". Only two kinds of lines are changed in the script, each asserted to occur exactly once:
// the table paths (fstab, crypttab, mdadm.conf) point into the temp dir, and present() (a shell builtin
// test on the device node) asks a stub instead.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  stub-present) [ ! -e "$S/absent/$(key "$1")" ] ;;
  blkid)
    dev=$(last "$@"); k=$(key "$dev")
    [ -f "$S/type/$k" ] || exit 2
    if [ "$3" = UUID ]; then printf 'fs-%s\\n' "$k"; else cat "$S/type/$k"; fi ;;
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
    return out;
  }

  run(script: string, shell = 'sh'): ScriptRun {
    rmSync(this.log, { force: true });
    writeFileSync(this.log, '');
    const file = join(this.dir, 'strata-volumes');
    writeFileSync(file, this.adapt(script));
    const result = spawnSync(shell, [file], {
      encoding: 'utf8',
      env: { PATH: `${this.bin}:/usr/bin:/bin`, STUB_LOG: this.log, STUB_STATE: this.state, LC_ALL: 'C.UTF-8' },
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
