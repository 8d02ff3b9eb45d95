// The volume script on EC2, run for real with stub tools over a fake /dev (volumes-harness.ts): the volumes
// are found in the guest by what identifies them, on Xen (/dev/xvdf …) and on Nitro (NVMe disks numbered in
// no set order, next to the root disk and instance storage), never the root disk, never instance storage.
// The devices are the aws provider's own capabilities, so what is tested is what a launch sends.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { VolumeDevice } from '../../source/core/capabilities.js';
import { StrataError } from '../../source/core/errors.js';
import type { RaidLevel, VolumePlan } from '../../source/core/types.js';
import { buildCloudConfig } from '../../source/core/userdata.js';
import { buildVolumeScript } from '../../source/core/volumes.js';
import { AWS_CAPABILITIES } from '../../source/providers/aws/mapping.js';
import { plan } from './launch-fixtures.js';
import { cloudInitSchema } from './userdata-harness.js';
import { callLines, hasProgram, required, VolumeSandbox } from './volumes-harness.js';

const EC2: VolumeDevice[] = AWS_CAPABILITIES.launch.volumeDevices;
const script = (p: VolumePlan) => buildVolumeScript(p, { devices: EC2 });
const destructive = (lines: string[]) => lines.filter((l) => /^(mkfs|mdadm --create|cryptsetup luksFormat|mount )/.test(l));

let box: VolumeSandbox;
afterEach(() => box?.cleanup());

/** A Xen instance (t2.nano, the launch form's default): root on /dev/xvda, volumes as /dev/xvdf, /dev/xvdg … */
function xen(count: number): VolumeSandbox {
  const b = new VolumeSandbox();
  b.setRoot('xvda', 'xvda1');
  for (let i = 0; i < count; i++) b.addDisk(`xvd${String.fromCharCode(0x66 + i)}`);
  return b;
}

/**
 * A Nitro instance: the root EBS volume is nvme0n1; the data volumes are NVMe disks in another order than
 * they were attached (sdf is nvme2n1, sdg nvme1n1), and an instance-store disk sits among them.
 */
function nitro(): VolumeSandbox {
  const b = new VolumeSandbox();
  b.setRoot('nvme0n1', 'nvme0n1p1', 'vol-0f00000000000root');
  b.addEbsVolume('nvme1n1', 'vol-0b000000000000ggg', 'sdg');
  b.addInstanceStore('nvme3n1', 'AWS1234567890ABCDEF');
  b.addEbsVolume('nvme2n1', 'vol-0a000000000000fff', 'sdf');
  return b;
}

describe('the volume script on EC2 (devices found in the guest)', () => {
  it('takes the aws capabilities as EC2 block device names, the names RunInstances attaches the volumes at', () => {
    expect(EC2.slice(0, 2)).toEqual([
      { naming: 'ec2', device: '/dev/sdf' },
      { naming: 'ec2', device: '/dev/sdg' },
    ]);
    const text = script(plan({ raid: '1', count: 2 }));
    expect(text).toContain("set -- 'f' 'g'");
    // Not a Nitro device name fixed in advance: the default size (t2.nano) is Xen and has none.
    expect(text).not.toContain('nvme1n1');
  });

  it('on Xen (t2.nano) builds the array from /dev/xvdf and /dev/xvdg', () => {
    box = xen(2);
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.stderr).toMatch(/ready/);
    expect(run.status).toBe(0);
    expect(box.shown(callLines(run.calls))).toContain('mdadm --create /dev/md/strata --run --level=1 --raid-devices=2 /dev/xvdf /dev/xvdg');
  });

  it('on Xen mounts separate volumes in the order they were attached: /dev/xvdf at -1, /dev/xvdg at -2', () => {
    box = xen(2);
    const run = box.run(script(plan({ raid: 'none', count: 2, mountPoint: '/srv/pg' })));
    expect(run.status).toBe(0);
    const lines = box.shown(callLines(run.calls));
    expect(lines.indexOf('mkfs.ext4 -q /dev/xvdf')).toBeLessThan(lines.indexOf('mkfs.ext4 -q /dev/xvdg'));
    const shownFstab = box.shown(run.fstab.split('\n'));
    expect(shownFstab.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      `UUID=fs-${Buffer.from(join(box.dev, 'xvdf')).toString('hex')} /srv/pg-1`,
      `UUID=fs-${Buffer.from(join(box.dev, 'xvdg')).toString('hex')} /srv/pg-2`,
      '',
    ]);
  });

  it('on Nitro without nvme-cli takes the EBS data disks as a set: never the root disk, never instance storage', () => {
    box = nitro();
    const run = box.run(script(plan({ raid: '0', count: 2 })));
    expect(run.stderr).toMatch(/ready/);
    expect(run.status).toBe(0);
    const lines = box.shown(callLines(run.calls));
    // Ordered by volume id (vol-0a… is nvme2n1): the same order at every run.
    expect(lines).toContain('mdadm --create /dev/md/strata --run --level=0 --raid-devices=2 /dev/nvme2n1 /dev/nvme1n1');
    expect(lines.filter((l) => /^(mdadm|blkid|mkfs|cryptsetup|mount)/.test(l) && /nvme0n1|nvme3n1/.test(l))).toEqual([]);
  });

  it('on Nitro with nvme-cli finds each volume by the name it was attached as (the EBS controller says it)', () => {
    box = nitro();
    box.installNvmeCli();
    const run = box.run(script(plan({ raid: 'none', count: 2 })));
    expect(run.status).toBe(0);
    const lines = box.shown(callLines(run.calls));
    // sdf is nvme2n1, though the kernel numbered it second: it is the first volume, at /data-1.
    expect(lines).toEqual(expect.arrayContaining(['mkfs.ext4 -q /dev/nvme2n1', 'mkfs.ext4 -q /dev/nvme1n1']));
    expect(box.shown(run.fstab.split('\n')).map((l) => l.split(' ')[1])).toEqual(['/data-1', '/data-2', undefined]);
    expect(run.fstab.split('\n')[0]).toContain(Buffer.from(join(box.dev, 'nvme2n1')).toString('hex'));
  });

  it('on Nitro with nvme-cli takes only the volumes it asked for, also when the image brings EBS volumes of its own', () => {
    box = nitro();
    box.addEbsVolume('nvme4n1', 'vol-00000000000000aaa', 'sdh');
    box.setSignature(join(box.dev, 'nvme4n1'), 'ext4');
    box.installNvmeCli();
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.status).toBe(0);
    expect(box.shown(callLines(run.calls))).toContain('mdadm --create /dev/md/strata --run --level=1 --raid-devices=2 /dev/nvme2n1 /dev/nvme1n1');
  });

  it('uses the udev links of Amazon Linux (/dev/sdf on Nitro)', () => {
    box = nitro();
    box.addLink('sdf', 'nvme2n1');
    box.addLink('sdg', 'nvme1n1');
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.status).toBe(0);
    expect(box.shown(callLines(run.calls))).toContain('mdadm --create /dev/md/strata --run --level=1 --raid-devices=2 /dev/nvme2n1 /dev/nvme1n1');
  });

  it('waits for volumes that appear late, and goes on when they are there', () => {
    box = new VolumeSandbox();
    box.setRoot('nvme0n1', 'nvme0n1p1', 'vol-0f00000000000root');
    box.addEbsVolume('nvme1n1', 'vol-0b000000000000ggg');
    // The second volume's disk and links come after the third look.
    box.onSleep(3, `: >'${join(box.dev, 'nvme2n1')}'; ln -s ../../nvme2n1 '${join(box.dev, 'disk', 'by-id', 'nvme-Amazon_Elastic_Block_Store_vol0a000000000000fff')}'\n`);
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.status).toBe(0);
    expect(run.calls.filter((c) => c.cmd === 'sleep')).toHaveLength(3);
    expect(box.shown(callLines(run.calls))).toContain('mdadm --create /dev/md/strata --run --level=1 --raid-devices=2 /dev/nvme2n1 /dev/nvme1n1');
  });

  it('takes nothing when there are more EBS data disks than volumes and no names to tell them by', () => {
    box = nitro();
    box.addEbsVolume('nvme4n1', 'vol-00000000000000aaa');
    box.waitSeconds = 10;
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/there are 3 EBS data disks for 2 volumes and no names to tell them by; install nvme-cli\./);
    expect(destructive(callLines(run.calls))).toEqual([]);
    expect(run.calls.filter((c) => c.cmd === 'sleep')).toHaveLength(5);
  });

  it('takes nothing when it cannot tell the root disk, and says so at once', () => {
    box = nitro();
    rmSync(join(box.state, 'root-source'));
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/cannot tell the root disk \(findmnt, lsblk\) and takes no EBS disk; install nvme-cli\./);
    expect(destructive(callLines(run.calls))).toEqual([]);
    expect(run.calls.filter((c) => c.cmd === 'sleep')).toEqual([]);
  });

  it('names what did not appear, after a bounded wait', () => {
    box = xen(1);
    box.waitSeconds = 10;
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/the volumes attached as \/dev\/sdg did not appear within 10 seconds\./);
    expect(destructive(callLines(run.calls))).toEqual([]);
  });

  it('never takes the root disk, even by name', () => {
    box = new VolumeSandbox();
    box.setRoot('xvdf', 'xvdf1');
    box.addDisk('xvdg');
    const run = box.run(script(plan({ raid: '1', count: 2 })));
    expect(run.status).toBe(1);
    expect(box.shown([run.stderr])[0]).toMatch(/\/dev\/sdf is \/dev\/xvdf, the root disk; strata will not touch it\./);
    expect(destructive(callLines(run.calls))).toEqual([]);
  });

  it('is idempotent on Nitro: a second run formats nothing', () => {
    box = nitro();
    const p = plan({ raid: '5', count: 2 + 1 });
    box.addEbsVolume('nvme4n1', 'vol-0c000000000000hhh');
    const first = box.run(script(p));
    expect(first.status).toBe(0);
    const second = box.run(script(p));
    expect(second.status).toBe(0);
    expect(destructive(callLines(second.calls))).toEqual([]);
    expect(second.fstab).toBe(first.fstab);
  });

  it('never mounts one volume where another was: found in another order at a later run, it changes nothing', () => {
    box = nitro();
    const p = plan({ raid: 'none', count: 2 });
    // First run without names: by volume id, nvme2n1 (vol-0a…) is -1.
    const first = box.run(script(p));
    expect(first.status).toBe(0);
    // nvme-cli installed since, and the names say otherwise: sdf is nvme1n1 now.
    writeFileSync(join(box.state, 'nvme', Buffer.from(join(box.dev, 'nvme1n1')).toString('hex')), 'sdf');
    writeFileSync(join(box.state, 'nvme', Buffer.from(join(box.dev, 'nvme2n1')).toString('hex')), 'sdg');
    box.installNvmeCli();
    const second = box.run(script(p));
    expect(second.status).toBe(1);
    expect(box.shown([second.stderr])[0]).toMatch(/\/dev\/nvme1n1 is \/data-2, not \/data-1: found in another order than before; strata changes nothing\./);
    expect(second.fstab).toBe(first.fstab);
    expect(destructive(callLines(second.calls))).toEqual([]);
  });

  it('does the same for encrypted separate volumes (by the LUKS container recorded in crypttab)', () => {
    box = nitro();
    const key = join(box.dir, 'luks.key');
    writeFileSync(key, 'correct horse battery staple', { mode: 0o400 });
    const p = plan({ raid: 'none', count: 2, encrypt: true });
    const build = () => buildVolumeScript(p, { devices: EC2, passphraseFile: key });
    expect(box.run(build()).status).toBe(0);
    box.reboot();
    box.addLink('sdf', 'nvme1n1');
    box.addLink('sdg', 'nvme2n1');
    const second = box.run(build());
    expect(second.status).toBe(1);
    expect(box.shown([second.stderr])[0]).toMatch(/\/dev\/nvme1n1 is strata-data-2, not strata-data-1/);
    expect(callLines(second.calls).filter((l) => l.includes('luksOpen') || l.includes('luksFormat'))).toEqual([]);
  });

  it('refuses device names that are not EC2 data volume names, and a mix of paths and names', () => {
    const attempt = (devices: VolumeDevice[]) => {
      try {
        buildVolumeScript(plan({ raid: '1', count: 2 }), { devices });
      } catch (error) {
        return { field: (error as StrataError).field, message: (error as StrataError).message };
      }
      return undefined;
    };
    expect(attempt([{ naming: 'ec2', device: '/dev/sda' }, { naming: 'ec2', device: '/dev/sdf' }])).toMatchObject({ field: 'volumes.devices', message: expect.stringMatching(/\/dev\/sda.*is not one of \/dev\/sdf … \/dev\/sdz/) });
    expect(attempt([{ naming: 'ec2', device: "/dev/sdf'; reboot" }, { naming: 'ec2', device: '/dev/sdg' }])).toMatchObject({ field: 'volumes.devices' });
    expect(attempt(['/dev/vdb', { naming: 'ec2', device: '/dev/sdg' }])).toMatchObject({ field: 'volumes.devices', message: expect.stringMatching(/mix/) });
    expect(attempt([{ naming: 'ec2', device: '/dev/sdf' }, { naming: 'ec2', device: '/dev/xvdf' }])).toMatchObject({ message: expect.stringMatching(/named twice/) });
  });
});

describe('the EC2 volume script as a program', () => {
  const variants: Array<[string, VolumePlan]> = [];
  for (const [raid, count] of [['none', 1], ['none', 3], ['0', 2], ['1', 2], ['5', 3], ['10', 4]] as Array<[RaidLevel, number]>) {
    for (const encrypt of [false, true]) variants.push([`raid ${raid} x${count}${encrypt ? ' encrypted' : ''}`, plan({ raid, count, encrypt })]);
  }

  it('is valid POSIX sh in every variant (sh -n, and bash -n where bash is)', () => {
    for (const [name, p] of variants) {
      for (const shell of hasProgram('bash') ? ['sh', 'bash'] : ['sh']) {
        const result = spawnSync(shell, ['-n'], { input: script(p), encoding: 'utf8' });
        expect(result.status, `${shell} -n on ${name}: ${result.stderr}`).toBe(0);
      }
    }
  });

  const shellcheck = hasProgram('shellcheck');
  const mustShellcheck = required('STRATA_REQUIRE_SHELLCHECK');
  if (!shellcheck && !mustShellcheck) {
    console.log('[volumes-ec2] shellcheck is not installed: the shellcheck test is skipped (set STRATA_REQUIRE_SHELLCHECK=1 to make it fail instead).');
  }
  it.skipIf(!shellcheck && !mustShellcheck)('passes shellcheck in every variant', () => {
    expect(shellcheck, 'STRATA_REQUIRE_SHELLCHECK is set but shellcheck is not on PATH').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'strata-shellcheck-'));
    try {
      const files = variants.map(([, p], i) => {
        const file = join(dir, `ec2-${i}.sh`);
        writeFileSync(file, script(p));
        return file;
      });
      const result = spawnSync('shellcheck', ['--shell=sh', '--severity=style', ...files], { encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
  const goldenConfig = () => buildCloudConfig({ volumes: { plan: plan({ raid: '1', count: 2, sizeGiB: 100, mountPoint: '/data' }), devices: EC2 } });

  it('matches its golden cloud-config (UPDATE_GOLDEN=1 rewrites it; review the diff)', () => {
    const file = join(GOLDEN, 'cloud-config-ec2-raid-1.yaml');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, goldenConfig());
    if (!existsSync(file)) throw new Error('golden/cloud-config-ec2-raid-1.yaml is missing; run with UPDATE_GOLDEN=1 to write it, then review it.');
    expect(goldenConfig(), 'differs from golden/cloud-config-ec2-raid-1.yaml').toBe(readFileSync(file, 'utf8'));
  });

  const cloudInit = hasProgram('cloud-init', ['--version']);
  const mustCloudInit = required('STRATA_REQUIRE_CLOUD_INIT');
  if (!cloudInit && !mustCloudInit) {
    console.log('[volumes-ec2] cloud-init is not installed: its schema test is skipped (STRATA_REQUIRE_CLOUD_INIT=1 makes it fail instead).');
  }
  it.skipIf(!cloudInit && !mustCloudInit)('passes cloud-init schema', () => {
    expect(cloudInit, 'STRATA_REQUIRE_CLOUD_INIT is set but cloud-init is not installed').toBe(true);
    const verdict = cloudInitSchema(goldenConfig());
    expect(verdict.ok, verdict.output).toBe(true);
  });
});
