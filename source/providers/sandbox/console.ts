// The serial console of a sandbox server: a boot log synthesised from the same timeline that drives its
// phase, so what the console shows always agrees with the phase listServers reports. Each line has a
// time (seconds since the kernel started) and only the lines whose time has come are returned.
import type { VolumePlan } from '../../core/types.js';
import { hexHash, rngFor } from '../../core/random.js';
import { failureReasonFor, timelineFor, type Fate } from './readiness.js';
import { emulatedHostKey, hostKeyLines, type SandboxHost } from './hosts.js';

export interface ConsoleSubject {
  id: string;
  name: string;
  imageName: string;
  launchedMs: number;
  terminatedMs?: number | null;
  fate: Fate;
  volumes?: VolumePlan;
  privateAddress: string;
  vcpus: number;
  memoryMiB: number;
  architecture: 'x86_64' | 'arm64';
  /** A real host the server stands for (tests of ssh): its keys are the ones announced. */
  host?: SandboxHost;
}

interface Line {
  /** Seconds since the kernel started (negative: never shown). */
  t: number;
  text: string;
}

function stamp(t: number): string {
  return `[${t.toFixed(6).padStart(12, ' ')}]`;
}

function distroOf(imageName: string): { kernel: string; pretty: string; windows: boolean } {
  const n = imageName.toLowerCase();
  if (n.includes('windows')) return { kernel: '', pretty: 'Windows Server', windows: true };
  if (n.includes('ubuntu')) return { kernel: '6.8.0-1019-sandbox', pretty: 'Ubuntu 24.04.1 LTS', windows: false };
  if (n.includes('rocky') || n.includes('alma') || n.includes('rhel')) {
    return { kernel: '5.14.0-503.14.1.el9_5.x86_64', pretty: 'Enterprise Linux 9.5', windows: false };
  }
  if (n.includes('amazon') || n.includes('amzn') || n.includes('al2023')) {
    return { kernel: '6.1.115-126.197.amzn2023.x86_64', pretty: 'Amazon Linux 2023.6', windows: false };
  }
  if (n.includes('fedora')) return { kernel: '6.11.4-301.fc41.x86_64', pretty: 'Fedora Linux 41 (Cloud Edition)', windows: false };
  return { kernel: '6.1.0-28-cloud-amd64', pretty: 'Debian GNU/Linux 12 (bookworm)', windows: false };
}

/** The volume steps cloud-init runs for a plan (as the cloud-init document strata builds would). */
function volumeLines(plan: VolumePlan | undefined): string[] {
  if (!plan) return [];
  const disks = Array.from({ length: plan.count }, (_, i) => `/dev/vd${String.fromCharCode(98 + i)}`);
  const lines: string[] = [];
  let device = disks[0];
  if (plan.raid !== 'none') {
    lines.push(`mdadm: array /dev/md0 started (level=raid${plan.raid}, devices=${disks.join(',')}).`);
    lines.push(`md/raid${plan.raid}:md0: ${plan.count} disks active, resync pending`);
    device = '/dev/md0';
  }
  if (plan.encrypt) {
    lines.push(`cryptsetup: luksFormat ${device} done; opened as /dev/mapper/data`);
    device = '/dev/mapper/data';
  }
  lines.push(`mkfs.${plan.filesystem}: created filesystem on ${device} (${plan.count * plan.sizeGiB} GiB raw)`);
  lines.push(`cloud-init: mounted ${device} on ${plan.mountPoint} (${plan.filesystem}), added to /etc/fstab`);
  return lines;
}

function script(seed: number, s: ConsoleSubject): Line[] {
  const tl = timelineFor(seed, s.id);
  const rng = rngFor(seed, 'console', s.id);
  const distro = distroOf(s.imageName);
  const bootLen = (tl.running - tl.booting) / 1000;
  const runAt = bootLen;
  const initAt = (tl.initializing - tl.booting) / 1000;
  const readyAt = (tl.ready - tl.booting) / 1000;
  const lines: Line[] = [];
  const add = (t: number, text: string) => lines.push({ t, text });

  if (distro.windows) {
    add(0.5, `${new Date(s.launchedMs + tl.booting).toISOString()}: Windows sandbox agent starting`);
    add(bootLen * 0.6, `${s.name}: Message: Waiting for meta-data accessibility...`);
    if (s.fate === 'fail') {
      add(runAt, `${s.name}: Message: Windows failed to start. ${failureReasonFor(seed, s.id)}`);
      return lines;
    }
    add(runAt, `${s.name}: Message: Meta-data is now available.`);
    add(initAt, `${s.name}: AMI Origin Name: ${s.imageName}`);
    volumeLines(s.volumes).forEach((text, i) => add(initAt + 5 + i * 3, `${s.name}: ${text}`));
    if (s.fate !== 'stall') add(readyAt, `${s.name}: Message: Windows is Ready to use`);
    return lines;
  }

  add(0, `Linux version ${distro.kernel} (sandbox-build@sandbox) (gcc 12.2.0) #1 SMP PREEMPT_DYNAMIC`);
  add(0, `Command line: BOOT_IMAGE=/boot/vmlinuz-${distro.kernel} root=LABEL=cloudimg-rootfs ro console=ttyS0`);
  add(0.01, `Memory: ${Math.round(s.memoryMiB * 1024 * 0.96)}K/${s.memoryMiB * 1024}K available`);
  add(0.12, `smpboot: Allowed ${s.vcpus} CPUs, 0 hotplug CPUs`);
  add(bootLen * 0.15, 'virtio_blk virtio1: [vda] 16777216 512-byte logical blocks (8.59 GB/8.00 GiB)');
  if (s.fate === 'fail') {
    add(bootLen * 0.4, 'VFS: Cannot open root device "LABEL=cloudimg-rootfs" or unknown-block(0,0): error -6');
    add(runAt, `Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)`);
    add(runAt, `sandbox: ${failureReasonFor(seed, s.id)}`);
    return lines;
  }
  add(bootLen * 0.3, 'EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.');
  add(bootLen * 0.45, `systemd[1]: Detected virtualization kvm. Detected architecture ${s.architecture === 'arm64' ? 'arm64' : 'x86-64'}.`);
  add(bootLen * 0.5, `systemd[1]: Hostname set to <${s.name}>.`);
  add(bootLen * 0.8, 'systemd[1]: Reached target network-online.target - Network is Online.');
  add(runAt, `cloud-init[${rng.int(400, 700)}]: Cloud-init v. 24.1.3 running 'init' at ${new Date(s.launchedMs + tl.running).toUTCString()}.`);
  add(runAt + 0.5, `ci-info: | eth0 | True | ${s.privateAddress} | 255.255.240.0 | global |`);
  add(runAt + 2, 'systemd[1]: Started ssh.service - OpenBSD Secure Shell server.');
  add(initAt, `cloud-init[${rng.int(800, 1100)}]: Cloud-init v. 24.1.3 running 'modules:config' at ${new Date(s.launchedMs + tl.initializing).toUTCString()}.`);
  const steps = volumeLines(s.volumes);
  steps.forEach((text, i) => add(initAt + 10 + i * 20, `cloud-init[${rng.int(1100, 1300)}]: ${text}`));
  add(initAt + 10 + steps.length * 20, `cloud-init[${rng.int(1300, 1500)}]: Cloud-init v. 24.1.3 running 'modules:final'.`);
  if (s.fate === 'stall') {
    // The final stage never finishes: systemd reports the job, once a minute, for as long as the console is read.
    for (let k = 1; k <= 240; k++) {
      const t = initAt + 60 * k;
      add(t, `[  *** ] A start job is running for cloud-final.service (${Math.floor((t - initAt) / 60)}min ${Math.floor(t - initAt) % 60}s / no limit)`);
    }
    return lines;
  }
  // cloud-init's keys_to_console: the host keys' fingerprints, then the keys themselves.
  const keys = s.host ? s.host.hostKeys : [emulatedHostKey(Buffer.from(hexHash(64, seed, 'hostkey', s.id), 'hex'))];
  for (const line of hostKeyLines(keys, s.name, s.host ? s.host.console : 'both')) add(readyAt - 1, line);
  add(readyAt, `cloud-init[${rng.int(1500, 1700)}]: Cloud-init v. 24.1.3 finished at ${new Date(s.launchedMs + tl.ready).toUTCString()}. Datasource DataSourceSandbox. Up ${readyAt.toFixed(2)} seconds`);
  add(readyAt, `${distro.pretty} ${s.name} ttyS0`);
  return lines;
}

/** The console as read at simulated time `now`: empty until the server starts booting. */
export function consoleText(seed: number, subject: ConsoleSubject, now: number): string {
  const tl = timelineFor(seed, subject.id);
  const bootStart = subject.launchedMs + tl.booting;
  const until = subject.terminatedMs != null ? Math.min(now, subject.terminatedMs) : now;
  if (until < bootStart) return '';
  const upSeconds = (until - bootStart) / 1000;
  const shown = script(seed, subject).filter((l) => l.t <= upSeconds);
  const out = shown.map((l) => `${stamp(l.t)} ${l.text}`);
  if (subject.terminatedMs != null && subject.terminatedMs <= now) {
    out.push(`${stamp(upSeconds)} systemd-shutdown[1]: Syncing filesystems and block devices.`);
    out.push(`${stamp(upSeconds + 0.4)} reboot: Power down`);
  }
  return out.join('\n') + '\n';
}
