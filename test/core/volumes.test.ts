import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import type { RaidLevel, VolumePlan } from '../../source/core/types.js';
import {
  buildVolumeScript,
  checkMountPoint,
  checkVolumePlan,
  describeRaid,
  mountPointsFor,
  raidProblem,
  raidUsableGiB,
} from '../../source/core/volumes.js';
import { DEVICES, plainCaps, plan, richCaps } from './launch-fixtures.js';
import { callLines, hasProgram, required, VolumeSandbox } from './volumes-harness.js';

describe('RAID rules', () => {
  const table: Array<[RaidLevel, number, string | undefined]> = [
    ['none', 1, undefined],
    ['none', 3, undefined],
    ['0', 1, 'RAID 0 needs at least 2 volumes; the form has 1.'],
    ['0', 2, undefined],
    ['1', 1, 'RAID 1 needs at least 2 volumes; the form has 1.'],
    ['1', 3, undefined],
    ['5', 2, 'RAID 5 needs at least 3 volumes; the form has 2.'],
    ['5', 3, undefined],
    ['10', 2, 'RAID 10 needs an even number of volumes, at least 4; the form has 2.'],
    ['10', 5, 'RAID 10 needs an even number of volumes, at least 4; the form has 5.'],
    ['10', 6, undefined],
  ];
  for (const [level, count, expected] of table) {
    it(`RAID ${level} with ${count}: ${expected ?? 'fine'}`, () => expect(raidProblem(level, count)).toBe(expected));
  }

  it('computes usable capacity per level', () => {
    expect(raidUsableGiB({ raid: 'none', count: 2, sizeGiB: 100 })).toBe(200);
    expect(raidUsableGiB({ raid: '0', count: 3, sizeGiB: 100 })).toBe(300);
    expect(raidUsableGiB({ raid: '1', count: 3, sizeGiB: 100 })).toBe(100);
    expect(raidUsableGiB({ raid: '5', count: 4, sizeGiB: 100 })).toBe(300);
    expect(raidUsableGiB({ raid: '10', count: 6, sizeGiB: 100 })).toBe(300);
  });

  it('gives no capacity for a level the count cannot build', () => {
    expect(raidUsableGiB({ raid: '5', count: 2, sizeGiB: 100 })).toBe(0);
    expect(raidUsableGiB({ raid: '10', count: 5, sizeGiB: 100 })).toBe(0);
    expect(raidUsableGiB({ raid: '0', count: 0, sizeGiB: 100 })).toBe(0);
  });

  it('describes every level in one line that says what it survives', () => {
    expect(describeRaid('none')).toMatch(/on its own/);
    expect(describeRaid('0')).toMatch(/no redundancy/);
    expect(describeRaid('1')).toMatch(/survives losing all but one/);
    expect(describeRaid('5')).toMatch(/survives losing one volume/);
    expect(describeRaid('10')).toMatch(/half the capacity/);
  });

  it('mounts separate volumes at -1, -2, … and one volume or an array at the mount point itself', () => {
    expect(mountPointsFor({ raid: 'none', count: 1, mountPoint: '/data' })).toEqual(['/data']);
    expect(mountPointsFor({ raid: 'none', count: 3, mountPoint: '/data' })).toEqual(['/data-1', '/data-2', '/data-3']);
    expect(mountPointsFor({ raid: '5', count: 3, mountPoint: '/data' })).toEqual(['/data']);
  });
});

describe('mount points', () => {
  for (const good of ['/data', '/srv/pg_data.1', '/var/lib/mysql', '/mnt/vol-a', '/opt/app_v2.x', '/home/app/data', '/' + 'a'.repeat(254)]) {
    it(`accepts ${good.slice(0, 30)}`, () => expect(checkMountPoint(good)).toBeUndefined());
  }
  const bad: Array<[string, RegExp]> = [
    ['', /Give the volumes a mount point/],
    ['data', /absolute path, starting with \/: e\.g\. \/data/],
    ['/data/', /Write the mount point plainly, as \/data \(/],
    ['/data//x', /as \/data\/x/],
    ['/data/./x', /as \/data\/x/],
    ['/srv/../etc', /as \/etc/],
    ['/', /cannot be mounted at \/, the root filesystem/],
    ['/etc', /\/etc belongs to the system/],
    ['/etc/app', /\/etc\/app is inside \/etc, which belongs to the system/],
    ['/usr/local/data', /inside \/usr/],
    ['/boot', /belongs to the system/],
    ['/proc/x', /inside \/proc/],
    ['/sys', /belongs to the system/],
    ['/dev/shm/x', /inside \/dev/],
    ['/run/strata', /inside \/run/],
    ['/lib', /belongs to the system/],
    ['/lib64', /belongs to the system/],
    ['/libx32/x', /inside \/libx32/],
    ['/bin', /belongs to the system/],
    ['/sbin', /belongs to the system/],
    ['/var', /\/var belongs to the system; mount the volumes elsewhere, e\.g\. \/data, or below it/],
    ['/tmp', /\/tmp belongs to the system/],
    ['/home', /hide the login users' files and SSH keys/],
    ['/root', /lock you out/],
    ['/my data', /cannot contain spaces or line breaks \(found U\+0020\)/],
    ['/data\n/etc', /line breaks \(found U\+000A\)/],
    ['/data\t', /found U\+0009/],
    ["/data'x", /"'" cannot be in a mount point/],
    ['/data"x', /'"' cannot be in a mount point|"\"" cannot be in a mount point/],
    ['/data$(reboot)', /"\$" cannot be in a mount point/],
    ['/data`id`', /"`" cannot be in a mount point/],
    ['/data;rm', /";" cannot be in a mount point/],
    ['/data*', /"\*" cannot be in a mount point/],
    ['/data?', /"\?" cannot be in a mount point/],
    ['/data[1]', /"\[" cannot be in a mount point/],
    ['/~user', /"~" cannot be in a mount point/],
    ['/data\\x', /"\\" cannot be in a mount point/],
    ['/data\u001b[2J', /U\+001B cannot be in a mount point/],
    ['/dätä', /"ä" cannot be in a mount point/],
    ['/data+x', /"\+" cannot be in a mount point/],
    ['/data@x', /"@" cannot be in a mount point/],
    ['/' + 'a'.repeat(255), /at most 255 characters; this one has 256/],
  ];
  for (const [path, message] of bad) {
    it(`refuses ${JSON.stringify(path.slice(0, 30))}`, () => expect(checkMountPoint(path)).toMatch(message));
  }
});

describe('checkVolumePlan', () => {
  it('passes a good plan with and without limits', () => {
    expect(checkVolumePlan(plan())).toEqual([]);
    expect(checkVolumePlan(plan({ encrypt: true, filesystem: 'xfs', raid: '10', count: 4 }), richCaps().launch)).toEqual([]);
  });

  it('reports every problem with its field', () => {
    const problems = checkVolumePlan({ count: 9, sizeGiB: 0, raid: '5', filesystem: 'btrfs' as never, mountPoint: '/etc', encrypt: true }, plainCaps().launch);
    expect(problems).toEqual([
      { field: 'count', message: 'This provider attaches at most 2 volumes to a server; the form has 9.' },
      { field: 'sizeGiB', message: 'The size of each volume must be a whole number of GiB, at least 1; the form has 0.' },
      { field: 'raid', message: 'This provider cannot assemble RAID; choose none (each volume is mounted on its own).' },
      { field: 'filesystem', message: '"btrfs" is not a filesystem strata can make; choose ext4.' },
      { field: 'mountPoint', message: '/etc belongs to the system; mount the volumes elsewhere, e.g. /data.' },
      { field: 'encrypt', message: 'This provider cannot encrypt volumes; turn encryption off.' },
    ]);
  });

  it('checks sizes and offers against the limits', () => {
    const caps = plainCaps().launch;
    expect(checkVolumePlan(plan({ raid: 'none', count: 1, sizeGiB: 5 }), caps)).toEqual([
      { field: 'sizeGiB', message: 'Each volume must be 10 to 2048 GiB here; the form has 5.' },
    ]);
    expect(checkVolumePlan(plan({ raid: 'none', count: 1, filesystem: 'xfs' }), caps)).toEqual([
      { field: 'filesystem', message: 'xfs is not offered here; choose ext4.' },
    ]);
    const rich = { ...richCaps().launch, raidLevels: ['none', '0', '1'] as RaidLevel[] };
    expect(checkVolumePlan(plan({ raid: '5', count: 3 }), rich)).toEqual([{ field: 'raid', message: 'RAID 5 is not offered here; choose one of none, 0, 1.' }]);
  });

  it('needs a device in the guest for every volume', () => {
    const caps = { ...richCaps().launch, volumeDevices: DEVICES.slice(0, 2) };
    expect(checkVolumePlan(plan({ count: 3 }), caps)).toEqual([
      { field: 'count', message: 'This provider names only 2 volume devices in the guest; the form has 3 volumes.' },
    ]);
  });

  it('keeps the numbered mount points of separate volumes within 255 characters', () => {
    const mountPoint = '/' + 'a'.repeat(252);
    expect(checkVolumePlan(plan({ raid: 'none', count: 2, mountPoint }))).toEqual([]);
    expect(checkVolumePlan(plan({ raid: 'none', count: 2, mountPoint: mountPoint + 'a' }))[0]).toMatchObject({ field: 'mountPoint' });
  });
});

describe('buildVolumeScript', () => {
  const variants: Array<[string, VolumePlan]> = [];
  for (const [raid, count] of [['none', 1], ['none', 2], ['0', 2], ['1', 2], ['5', 3], ['10', 4]] as const) {
    for (const encrypt of [false, true]) {
      for (const filesystem of ['ext4', 'xfs'] as const) {
        variants.push([`raid ${raid} x${count}${encrypt ? ' encrypted' : ''} ${filesystem}`, plan({ raid, count, encrypt, filesystem })]);
      }
    }
  }

  it('refuses an invalid plan, devices and key file with the field', () => {
    const attempt = (p: VolumePlan, devices = DEVICES, passphraseFile?: string) => {
      try {
        buildVolumeScript(p, { devices, ...(passphraseFile ? { passphraseFile } : {}) });
      } catch (error) {
        return { field: (error as StrataError).field, message: (error as StrataError).message };
      }
      return undefined;
    };
    expect(attempt(plan({ mountPoint: '/data;reboot' }))).toEqual({ field: 'volumes.mountPoint', message: '";" cannot be in a mount point; use letters, digits and . _ - between slashes (e.g. /data).' });
    expect(attempt(plan({ raid: '5', count: 2 }))).toEqual({ field: 'volumes.raid', message: 'RAID 5 needs at least 3 volumes; the form has 2.' });
    expect(attempt(plan(), ['/dev/vdb'])).toMatchObject({ field: 'volumes.count' });
    expect(attempt(plan(), ['/dev/vdb', '/dev/vdc', "/dev/vdd'; reboot; '"])).toMatchObject({ field: 'volumes.devices' });
    expect(attempt(plan(), ['/dev/vdb', '/dev/vdc', '/dev/../etc/x'])).toMatchObject({ field: 'volumes.devices' });
    expect(attempt(plan(), ['/dev/vdb', '/dev/vdb', '/dev/vdc'])).toMatchObject({ field: 'volumes.devices', message: expect.stringMatching(/named twice/) });
    expect(attempt(plan({ encrypt: true }), DEVICES, '/run/key $(id)')).toMatchObject({ field: 'volumes.encrypt' });
  });

  it('keeps every value in one single-quoted assignment and reads it only through variables', () => {
    const p = plan({ raid: '5', count: 3, encrypt: true, mountPoint: '/srv/sentinel-mount' });
    const script = buildVolumeScript(p, { devices: ['/dev/sentinel-a', '/dev/sentinel-b', '/dev/sentinel-c'], passphraseFile: '/run/sentinel-key' });
    const lines = script.split('\n');
    for (const value of ['/srv/sentinel-mount', '/dev/sentinel-a', '/dev/sentinel-b', '/dev/sentinel-c', '/run/sentinel-key']) {
      const where = lines.filter((line) => line.includes(value));
      expect(where).toHaveLength(1);
      expect(where[0]).toMatch(/^(?:[A-Z_]+=|set -- )('[^']*'( |$))+$/);
    }
    expect(lines[0]).toBe('#!/bin/sh');
    expect(lines).toContain('set -eu');
  });

  it('is valid POSIX sh in every variant (sh -n, and bash -n where bash is)', () => {
    const bash = hasProgram('bash');
    for (const [name, p] of variants) {
      const script = buildVolumeScript(p, { devices: DEVICES });
      for (const shell of bash ? ['sh', 'bash'] : ['sh']) {
        const result = spawnSync(shell, ['-n'], { input: script, encoding: 'utf8' });
        expect(result.status, `${shell} -n on ${name}: ${result.stderr}`).toBe(0);
      }
    }
  });

  const shellcheck = hasProgram('shellcheck');
  const mustShellcheck = required('STRATA_REQUIRE_SHELLCHECK');
  if (!shellcheck && !mustShellcheck) {
    console.log('[volumes] shellcheck is not installed: the shellcheck test is skipped (set STRATA_REQUIRE_SHELLCHECK=1 to make it fail instead).');
  }
  it.skipIf(!shellcheck && !mustShellcheck)('passes shellcheck in every variant', () => {
    expect(shellcheck, 'STRATA_REQUIRE_SHELLCHECK is set but shellcheck is not on PATH').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'strata-shellcheck-'));
    try {
      const files = variants.map(([, p], i) => {
        const file = join(dir, `variant-${i}.sh`);
        writeFileSync(file, buildVolumeScript(p, { devices: DEVICES }));
        return file;
      });
      const result = spawnSync('shellcheck', ['--shell=sh', '--severity=style', ...files], { encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the volume script, run with stub tools', () => {
  let box: VolumeSandbox;
  afterEach(() => box?.cleanup());

  const keyFileIn = (b: VolumeSandbox) => {
    const file = join(b.dir, 'luks.key');
    writeFileSync(file, 'correct horse battery staple', { mode: 0o400 });
    return file;
  };

  it('creates RAID 5, encrypts, formats, records and mounts, then removes the key (the whole transcript)', () => {
    box = new VolumeSandbox();
    writeFileSync(box.fstabPath, 'UUID=root / ext4 defaults 0 1\n');
    const key = keyFileIn(box);
    const script = buildVolumeScript(plan({ raid: '5', count: 3, encrypt: true }), { devices: DEVICES, passphraseFile: key });
    const run = box.run(script);
    expect(run.stderr).toMatch(/ready/);
    expect(run.status).toBe(0);
    expect(callLines(run.calls)).toEqual([
      'udevadm settle --timeout=60',
      'stub-present /dev/vdb',
      'stub-present /dev/vdc',
      'stub-present /dev/vdd',
      'mdadm --detail /dev/md/strata',
      'blkid -p -s TYPE -s PTTYPE -o value /dev/vdb',
      'blkid -p -s TYPE -s PTTYPE -o value /dev/vdc',
      'blkid -p -s TYPE -s PTTYPE -o value /dev/vdd',
      'mdadm --create /dev/md/strata --run --level=5 --raid-devices=3 /dev/vdb /dev/vdc /dev/vdd',
      'udevadm settle --timeout=60',
      'mdadm --detail --brief /dev/md/strata',
      'blkid -p -s TYPE -s PTTYPE -o value /dev/md/strata',
      `cryptsetup luksFormat --batch-mode --key-file ${key} /dev/md/strata`,
      'cryptsetup status strata-data',
      `cryptsetup luksOpen --key-file ${key} /dev/md/strata strata-data`,
      'cryptsetup luksUUID /dev/md/strata',
      'blkid -p -s TYPE -s PTTYPE -o value /dev/mapper/strata-data',
      'mkfs.ext4 -q /dev/mapper/strata-data',
      'blkid -p -s UUID -o value /dev/mapper/strata-data',
      'mkdir -p /data',
      'mountpoint -q /data',
      'mount /data',
      `shred -u ${key}`,
    ]);
    const fsUuid = `fs-${Buffer.from('/dev/mapper/strata-data').toString('hex')}`;
    expect(run.fstab).toBe(`UUID=root / ext4 defaults 0 1\nUUID=${fsUuid} /data ext4 defaults,nofail,noauto 0 2\n`);
    expect(run.crypttab).toBe(`strata-data UUID=luks-${Buffer.from('/dev/md/strata').toString('hex')} none luks,noauto,nofail\n`);
    expect(run.mdadmConf).toBe(`ARRAY /dev/md/strata metadata=1.2 UUID=md-${Buffer.from('/dev/md/strata').toString('hex')}\n`);
  });

  it('runs update-initramfs where it is present', () => {
    box = new VolumeSandbox();
    writeFileSync(join(box.bin, 'update-initramfs'), '#!/bin/sh\nprintf "%s\\0%s\\0" update-initramfs "$#" >>"$STUB_LOG"; for a; do printf "%s\\0" "$a" >>"$STUB_LOG"; done\n', { mode: 0o755 });
    const run = box.run(buildVolumeScript(plan({ raid: '1', count: 2 }), { devices: DEVICES }));
    expect(run.status).toBe(0);
    expect(callLines(run.calls)).toContain('update-initramfs -u');
  });

  it('is idempotent: a second run (and a run after a reboot) formats nothing and duplicates no entry', () => {
    box = new VolumeSandbox();
    const key = keyFileIn(box);
    const script = buildVolumeScript(plan({ raid: '10', count: 4, encrypt: true, filesystem: 'xfs' }), { devices: DEVICES, passphraseFile: key });
    const first = box.run(script);
    expect(first.status).toBe(0);
    const destructive = (run: { calls: { cmd: string; args: string[] }[] }) =>
      callLines(run.calls).filter((l) => /^(mkfs|mdadm --create|cryptsetup luksFormat)/.test(l));
    expect(destructive(first)).toHaveLength(3);
    expect(first.fstab).toMatch(/ \/data xfs defaults,nofail,noauto 0 0\n$/);

    // Again at once: everything is there (the key file was removed, and is not needed).
    const second = box.run(script);
    expect(second.status).toBe(0);
    expect(destructive(second)).toEqual([]);
    expect(second.fstab).toBe(first.fstab);
    expect(second.crypttab).toBe(first.crypttab);
    expect(second.mdadmConf).toBe(first.mdadmConf);

    // After a reboot the array is assembled, never created; the closed LUKS container needs the key.
    box.reboot();
    const third = box.run(script);
    expect(destructive(third)).toEqual([]);
    expect(callLines(third.calls)).toContain('mdadm --assemble /dev/md/strata /dev/vdb /dev/vdc /dev/vdd /dev/vde');
    expect(third.status).toBe(1);
    expect(third.stderr).toMatch(/the key file .* is missing \(it is removed after the first run\); put the passphrase from strata's keychain there/);
    writeFileSync(key, 'correct horse battery staple');
    const fourth = box.run(script);
    expect(fourth.status).toBe(0);
    expect(destructive(fourth)).toEqual([]);
    expect(fourth.fstab).toBe(first.fstab);
  });

  it('replaces stale entries for the same mount point, mapper and array (an image captured from an earlier server)', () => {
    box = new VolumeSandbox();
    writeFileSync(box.fstabPath, '# static\nUUID=root / ext4 defaults 0 1\nUUID=old-fs /data ext4 defaults,nofail 0 2\ntmpfs /tmp tmpfs defaults 0 0');
    writeFileSync(join(box.etc, 'mdadm', 'mdadm.conf'), 'HOMEHOST <system>\nARRAY /dev/md/strata metadata=1.2 UUID=old-array\n');
    const run = box.run(buildVolumeScript(plan({ raid: '0', count: 2 }), { devices: DEVICES }));
    expect(run.status).toBe(0);
    const uuid = `fs-${Buffer.from('/dev/md/strata').toString('hex')}`;
    expect(run.fstab).toBe(`# static\nUUID=root / ext4 defaults 0 1\ntmpfs /tmp tmpfs defaults 0 0\nUUID=${uuid} /data ext4 defaults,nofail 0 2\n`);
    expect(run.mdadmConf).toBe(`HOMEHOST <system>\nARRAY /dev/md/strata metadata=1.2 UUID=md-${Buffer.from('/dev/md/strata').toString('hex')}\n`);
  });

  it('sets up separate volumes at mount point -1, -2 without RAID, each encrypted on its own', () => {
    box = new VolumeSandbox();
    const key = keyFileIn(box);
    const run = box.run(buildVolumeScript(plan({ raid: 'none', count: 2, encrypt: true, mountPoint: '/srv/pg' }), { devices: DEVICES, passphraseFile: key }));
    expect(run.status).toBe(0);
    const lines = callLines(run.calls);
    expect(lines.some((l) => l.startsWith('mdadm'))).toBe(false);
    expect(lines).toEqual(
      expect.arrayContaining([
        `cryptsetup luksOpen --key-file ${key} /dev/vdb strata-data-1`,
        `cryptsetup luksOpen --key-file ${key} /dev/vdc strata-data-2`,
        'mkfs.ext4 -q /dev/mapper/strata-data-1',
        'mkfs.ext4 -q /dev/mapper/strata-data-2',
        'mount /srv/pg-1',
        'mount /srv/pg-2',
      ]),
    );
    expect(run.fstab.split('\n').filter(Boolean).map((l) => l.split(' ')[1])).toEqual(['/srv/pg-1', '/srv/pg-2']);
    expect(run.crypttab.split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toEqual(['strata-data-1', 'strata-data-2']);
  });

  it('mounts a single volume at the mount point itself', () => {
    box = new VolumeSandbox();
    const run = box.run(buildVolumeScript(plan({ raid: 'none', count: 1 }), { devices: DEVICES }));
    expect(run.status).toBe(0);
    expect(callLines(run.calls)).toEqual(expect.arrayContaining(['mkfs.ext4 -q /dev/vdb', 'mkdir -p /data', 'mount /data']));
    expect(run.fstab).toBe(`UUID=fs-${Buffer.from('/dev/vdb').toString('hex')} /data ext4 defaults,nofail 0 2\n`);
  });

  it('never builds an array over a volume that holds data, and says which', () => {
    box = new VolumeSandbox();
    box.setSignature('/dev/vdc', 'ext4');
    const run = box.run(buildVolumeScript(plan({ raid: '5', count: 3 }), { devices: DEVICES }));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\/dev\/vdc already holds ext4; strata will not build an array over it\./);
    expect(callLines(run.calls).filter((l) => /mdadm --create|mkfs/.test(l))).toEqual([]);
  });

  it('never formats or encrypts over a foreign signature (a partition table, another filesystem)', () => {
    box = new VolumeSandbox();
    box.setSignature('/dev/vdb', 'gpt');
    const run = box.run(buildVolumeScript(plan({ raid: 'none', count: 1 }), { devices: DEVICES }));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\/dev\/vdb holds gpt, not ext4; strata will not format over it\./);
    expect(callLines(run.calls).filter((l) => l.startsWith('mkfs'))).toEqual([]);

    const second = new VolumeSandbox();
    try {
      second.setSignature('/dev/vdb', 'xfs');
      const key = keyFileIn(second);
      const enc = second.run(buildVolumeScript(plan({ raid: 'none', count: 1, encrypt: true }), { devices: DEVICES, passphraseFile: key }));
      expect(enc.status).toBe(1);
      expect(enc.stderr).toMatch(/\/dev\/vdb already holds xfs; strata will not encrypt over it\./);
      expect(callLines(enc.calls).filter((l) => l.includes('luksFormat'))).toEqual([]);
      // The key file is removed also when the script fails.
      expect(callLines(enc.calls).at(-1)).toBe(`shred -u ${key}`);
    } finally {
      second.cleanup();
    }
  });

  it('keeps an existing filesystem of the right type (volumes restored from a snapshot)', () => {
    box = new VolumeSandbox();
    box.setSignature('/dev/vdb', 'ext4');
    const run = box.run(buildVolumeScript(plan({ raid: 'none', count: 1 }), { devices: DEVICES }));
    expect(run.status).toBe(0);
    expect(callLines(run.calls).filter((l) => l.startsWith('mkfs'))).toEqual([]);
    expect(callLines(run.calls)).toContain('mount /data');
  });

  it('waits for a missing volume a bounded time, then fails with a sentence', () => {
    box = new VolumeSandbox();
    box.makeAbsent('/dev/vdc');
    const run = box.run(buildVolumeScript(plan({ raid: '1', count: 2 }), { devices: DEVICES }));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\/dev\/vdc did not appear within 300 seconds\./);
    expect(run.calls.filter((c) => c.cmd === 'sleep')).toHaveLength(150);
    expect(run.calls.some((c) => c.cmd === 'mdadm')).toBe(false);
  });
});
