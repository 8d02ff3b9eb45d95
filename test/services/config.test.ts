// The user's config file: defaults when missing, and a sentence naming the file, the line and the key when
// something in it is wrong.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_FILE, FileError, loadConfig } from '../../source/services/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configDir(text?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
  dirs.push(dir);
  if (text !== undefined) writeFileSync(join(dir, CONFIG_FILE), text);
  return dir;
}

function failure(dir: string): FileError {
  try {
    loadConfig(dir, { HOME: '/home/u' });
  } catch (error) {
    expect(error).toBeInstanceOf(FileError);
    return error as FileError;
  }
  throw new Error('the config was accepted');
}

describe('config file', () => {
  it('a missing file gives the defaults', () => {
    const dir = configDir();
    expect(loadConfig(dir)).toEqual({
      path: join(dir, CONFIG_FILE),
      exists: false,
      config: { billingCodes: {}, groups: [], trustedVendorOwners: [] },
    });
  });

  it('an empty file gives the defaults too', () => {
    expect(loadConfig(configDir('# nothing yet\n')).config).toEqual({ billingCodes: {}, groups: [], trustedVendorOwners: [] });
  });

  it('reads billing codes with quotas, groups, the key directory (~ expanded) and trusted vendor owners', () => {
    const dir = configDir(
      [
        'billingCodes:',
        '  ops-42:',
        '    maxServers: 10',
        '    maxMonthlyCost: 500',
        '    currency: EUR',
        '  research:',
        'groups: [web, batch, web]',
        'sshKeyDirectory: ~/keys/strata',
        'trustedVendorOwners: ["136693071363"]',
      ].join('\n'),
    );
    expect(loadConfig(dir, { HOME: '/home/u' })).toEqual({
      path: join(dir, CONFIG_FILE),
      exists: true,
      config: {
        billingCodes: { 'ops-42': { maxServers: 10, maxMonthlyCost: 500, currency: 'EUR' }, research: {} },
        groups: ['web', 'batch'],
        sshKeyDirectory: '/home/u/keys/strata',
        trustedVendorOwners: ['136693071363'],
      },
    });
  });

  it('a value of the wrong kind: the file, the line and the key', () => {
    const dir = configDir(['billingCodes:', '  ops-42:', '    maxServers: ten', '    maxMonthlyCost: -5'].join('\n'));
    const error = failure(dir);
    const file = join(dir, CONFIG_FILE);
    expect(error.problems).toEqual([
      { file, line: 3, key: 'billingCodes.ops-42.maxServers', message: 'maxServers must be a whole number.' },
      { file, line: 4, key: 'billingCodes.ops-42.maxMonthlyCost', message: 'maxMonthlyCost cannot be negative.' },
    ]);
    expect(error.message).toBe(
      `${file}, line 3, billingCodes.ops-42.maxServers: maxServers must be a whole number. ` +
        `${file}, line 4, billingCodes.ops-42.maxMonthlyCost: maxMonthlyCost cannot be negative.`,
    );
    expect(error.kind).toBe('Invalid');
  });

  it('a misspelt key is named, with its line and the keys that exist', () => {
    const dir = configDir(['groups: [web]', '', 'sshKeyDir: ~/.ssh'].join('\n'));
    const error = failure(dir);
    expect(error.message).toBe(
      `${join(dir, CONFIG_FILE)}, line 3, sshKeyDir: "sshKeyDir" is not a key strata knows here; the keys are billingCodes, groups, sshKeyDirectory, trustedVendorOwners, libvirt, ssh, sources, fleet.`,
    );
  });

  it('a billing code or group that no provider would take, a relative key directory', () => {
    const dir = configDir(['billingCodes:', '  "ops 42": {maxServers: 1}', 'groups:', '  - ok', '  - "not ok!"', 'sshKeyDirectory: keys'].join('\n'));
    const error = failure(dir);
    const byKey = Object.fromEntries(error.problems.map((p) => [p.key, p]));
    expect(byKey['billingCodes.ops 42']).toMatchObject({ line: 2, message: expect.stringContaining('A billing code has 1 to 64 letters') });
    expect(byKey['groups[1]']).toMatchObject({ line: 5, message: expect.stringContaining('A group has 1 to 64 letters') });
    expect(byKey['sshKeyDirectory']).toMatchObject({ line: 6, message: 'sshKeyDirectory must be an absolute path or start with ~/.' });
  });

  it('YAML that cannot be read: the line of the syntax error', () => {
    const dir = configDir(['groups:', '  - web', '  bad: [unclosed'].join('\n'));
    const error = failure(dir);
    expect(error.problems[0]).toMatchObject({ file: join(dir, CONFIG_FILE), line: expect.any(Number), key: '' });
    expect(error.message).toMatch(new RegExp(`^${join(dir, CONFIG_FILE).replaceAll('/', '\\/')}, line \\d+: the YAML cannot be read: `));
  });

  it('a duplicate key is refused with its line', () => {
    const dir = configDir(['groups: [a]', 'groups: [b]'].join('\n'));
    expect(failure(dir).problems[0]).toMatchObject({ line: 2 });
  });

  it('a config path that is a directory is refused with a sentence', () => {
    const dir = configDir();
    mkdirSync(join(dir, CONFIG_FILE));
    expect(failure(dir).message).toBe(`${join(dir, CONFIG_FILE)}: this is not a regular file.`);
  });
});

describe('config file: the libvirt section', () => {
  it('reads pools, the pool directory, the network and size presets', () => {
    const dir = configDir(
      [
        'libvirt:',
        '  pool: strata-images',
        '  vendorPool: vendor_templates',
        '  poolDirectory: /srv/libvirt/strata',
        '  network: none',
        '  sizes:',
        '    small: {vcpus: 1, memoryMiB: 2048, diskGiB: 20}',
        '    big.4x:',
        '      vcpus: 4',
        '      memoryMiB: 16384',
        '      diskGiB: 200',
      ].join('\n'),
    );
    expect(loadConfig(dir).config.libvirt).toEqual({
      pool: 'strata-images',
      vendorPool: 'vendor_templates',
      poolDirectory: '/srv/libvirt/strata',
      network: 'none',
      sizes: { small: { vcpus: 1, memoryMiB: 2048, diskGiB: 20 }, 'big.4x': { vcpus: 4, memoryMiB: 16384, diskGiB: 200 } },
    });
  });

  it('is optional, and an empty section is the defaults', () => {
    expect(loadConfig(configDir('groups: [web]\n')).config.libvirt).toBeUndefined();
    expect(loadConfig(configDir('libvirt:\n')).config.libvirt).toBeUndefined();
    expect(loadConfig(configDir('libvirt: {network: default}\n')).config.libvirt).toEqual({ network: 'default' });
  });

  it('bad values: the file, the line, the key and what is allowed', () => {
    const dir = configDir(
      [
        'libvirt:',
        '  pool: "my pool"',
        '  vendorPool: ' + 'v'.repeat(65),
        '  poolDirectory: images/strata',
        '  network: "br0; reboot"',
        '  sizes:',
        '    "no good": {vcpus: 1, memoryMiB: 2048, diskGiB: 20}',
        '    tiny: {vcpus: 0, memoryMiB: 32, diskGiB: 1.5}',
        '    huge: {vcpus: 257, memoryMiB: 2048, diskGiB: 70000}',
      ].join('\n'),
    );
    const error = failure(dir);
    const file = join(dir, CONFIG_FILE);
    const byKey = Object.fromEntries(error.problems.map((p) => [p.key, p]));
    expect(byKey['libvirt.pool']).toEqual({ file, line: 2, key: 'libvirt.pool', message: 'A pool name has 1 to 64 letters, digits, dots, underscores and hyphens.' });
    expect(byKey['libvirt.vendorPool']).toMatchObject({ line: 3, message: 'A pool name has 1 to 64 letters, digits, dots, underscores and hyphens.' });
    expect(byKey['libvirt.poolDirectory']).toMatchObject({ line: 4, message: 'poolDirectory must be an absolute path.' });
    expect(byKey['libvirt.network']).toMatchObject({ line: 5, message: expect.stringContaining('network is a network name') });
    expect(byKey['libvirt.sizes.no good']).toMatchObject({ line: 7, message: expect.stringContaining('A size name has 1 to 64 letters') });
    expect(byKey['libvirt.sizes.tiny.vcpus']).toMatchObject({ line: 8, message: 'vcpus must be a whole number from 1 to 256.' });
    expect(byKey['libvirt.sizes.tiny.memoryMiB']).toMatchObject({ line: 8, message: 'memoryMiB must be a whole number from 64 to 1048576 (MiB).' });
    expect(byKey['libvirt.sizes.tiny.diskGiB']).toMatchObject({ line: 8, message: 'diskGiB must be a whole number from 1 to 65536 (GiB).' });
    expect(byKey['libvirt.sizes.huge.vcpus']).toMatchObject({ line: 9 });
    expect(byKey['libvirt.sizes.huge.diskGiB']).toMatchObject({ line: 9 });
    expect(error.message).toContain(`${file}, line 2, libvirt.pool: A pool name has 1 to 64 letters`);
  });

  it('a misspelt key inside names the keys that exist there; a size without a field says which', () => {
    const dir = configDir(['libvirt:', '  pools: strata', '  sizes:', '    small: {vcpus: 1, memory: 2048, diskGiB: 20}'].join('\n'));
    const error = failure(dir);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        {
          file: join(dir, CONFIG_FILE),
          line: 2,
          key: 'libvirt.pools',
          message: '"pools" is not a key strata knows here; the keys are pool, vendorPool, poolDirectory, network, sizes.',
        },
        expect.objectContaining({ line: 4, key: 'libvirt.sizes.small.memory', message: expect.stringContaining('the keys are vcpus, memoryMiB, diskGiB') }),
        expect.objectContaining({ line: 4, key: 'libvirt.sizes.small.memoryMiB', message: 'memoryMiB must be a whole number from 64 to 1048576 (MiB).' }),
      ]),
    );
  });

  it('a libvirt section or a sizes entry of the wrong kind says what it should be', () => {
    expect(failure(configDir('libvirt: qemu:///system\n')).problems[0]).toMatchObject({
      line: 1,
      key: 'libvirt',
      message: 'libvirt must be a map of settings (pool, vendorPool, poolDirectory, network, sizes).',
    });
    expect(failure(configDir('libvirt:\n  sizes: [small]\n')).problems[0]).toMatchObject({ line: 2, key: 'libvirt.sizes', message: expect.stringContaining('sizes must be a map of size names') });
    expect(failure(configDir('libvirt:\n  sizes:\n    small: 4\n')).problems[0]).toMatchObject({ line: 3, key: 'libvirt.sizes.small', message: 'a size is a map of vcpus, memoryMiB and diskGiB.' });
    expect(failure(configDir('libvirt:\n  sizes: {}\n')).problems[0]).toMatchObject({ line: 2, key: 'libvirt.sizes', message: expect.stringContaining('at least one size') });
  });

  it('a key holding an escape sequence or a line break reaches the terminal sanitised, in every part of the error', () => {
    // An OSC title sequence (ESC ] 0 ; … BEL), a screen clear (CSI 2 J) and a line break, in keys and values.
    const osc = '\u001b]0;pwned\u0007';
    const dir = configDir(['billingCodes:', `  "ops${osc}42":`, '    maxServers: 1', `"groups\u001b[2J": [web]`, `"two\\nlines": 1`].join('\n'));
    const error = failure(dir);
    const everything = [error.message, ...error.problems.flatMap((p) => [p.file, p.key, p.message])].join('\n');
    expect(everything).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/); // no control character at all
    expect(error.message).not.toContain('\n');
    expect(error.problems.length).toBeGreaterThanOrEqual(2);
    // the places are still said: the file, the line, the key as far as it can be shown
    expect(error.problems.find((p) => p.key.startsWith('groups'))).toMatchObject({ line: 4, key: 'groups' }); // the escape sequence itself is gone
  });
});

describe('config file: sources (the fleet)', () => {
  it('reads sources with their regions (a list or all), accounts, read-only and sandbox options, and the fleet settings', () => {
    const dir = configDir(
      [
        'sources:',
        '  - { name: prod-eu, provider: aws, profile: prod, regions: [eu-west-1, eu-central-1], readOnly: true }',
        '  - { name: lab, provider: libvirt, uri: "qemu+ssh://root@kvm-1/system" }',
        '  - { name: lab-b, provider: libvirt, libvirt: { pool: strata-b } }',
        '  - { name: sandbox, provider: sandbox, regions: all, home: ~/worlds/b, sandbox: { seed: 3, faults: "throttle=0.5", delay: 5000 } }',
        'fleet: { concurrency: 2 }',
      ].join('\n'),
    );
    expect(loadConfig(dir, { HOME: '/home/u' }).config).toMatchObject({
      sources: [
        { name: 'prod-eu', provider: 'aws', profile: 'prod', regions: ['eu-west-1', 'eu-central-1'], readOnly: true },
        { name: 'lab', provider: 'libvirt', uri: 'qemu+ssh://root@kvm-1/system' },
        { name: 'lab-b', provider: 'libvirt', libvirt: { pool: 'strata-b' } },
        { name: 'sandbox', provider: 'sandbox', regions: 'all', home: '/home/u/worlds/b', sandbox: { seed: 3, faults: 'throttle=0.5', delay: 5000 } },
      ],
      fleet: { concurrency: 2 },
    });
  });

  it('a misspelt key of a source lists the keys there; another provider\'s key, a second source of one name, a provider strata does not know: each with its line', () => {
    const dir = configDir(
      [
        'sources:',
        '  - { name: a, provider: sandbox, regoins: [eu-west] }',
        '  - { name: b, provider: sandbox, profile: prod }',
        '  - { name: c, provider: openstack }',
        '  - { name: d, provider: libvirt, regions: [eu-west] }',
        '  - { name: e, provider: sandbox, libvirt: { pool: x } }',
        'fleet: { concurrency: 0 }',
      ].join('\n'),
    );
    const error = failure(dir);
    const file = join(dir, CONFIG_FILE);
    const byKey = Object.fromEntries(error.problems.map((p) => [p.key, p]));
    expect(byKey['sources[0].regoins']).toEqual({ file, line: 2, key: 'sources[0].regoins', message: '"regoins" is not a key strata knows here; the keys are name, provider, regions, profile, endpoint, uri, home, readOnly, sandbox, libvirt.' });
    expect(byKey['sources[1].profile']).toMatchObject({ line: 3, message: "profile is for aws sources; this one's provider is sandbox." });
    expect(byKey['sources[2].provider']).toMatchObject({ line: 4, message: 'provider is one of sandbox, aws, libvirt.' });
    expect(byKey['sources[3].regions']).toMatchObject({ line: 5, message: 'libvirt has one region, local: the host is chosen with uri.' });
    expect(byKey['sources[4].libvirt']).toMatchObject({ line: 6, message: "libvirt is for libvirt sources; this one's provider is sandbox." });
    expect(byKey['fleet.concurrency']).toMatchObject({ line: 7, message: 'concurrency must be a whole number from 1 to 64.' });
    // Two sources of one name (whatever its case): the second is named, with its line.
    const twice = failure(configDir(['sources:', '  - { name: a, provider: sandbox }', '  - { name: A, provider: aws }'].join('\n')));
    expect(twice.problems).toEqual([{ file: join(twice.problems[0]!.file), line: 3, key: 'sources[1].name', message: 'the name A is taken by source 1; each source needs its own name.' }]);
  });

  it('a source name holding an escape sequence reaches the terminal sanitised', () => {
    const error = failure(configDir('sources:\n  - { name: "prod\u001b]0;pwned\u0007", provider: sandbox }\n'));
    expect([error.message, ...error.problems.flatMap((p) => [p.key, p.message])].join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(error.problems[0]).toMatchObject({ line: 2, key: 'sources[0].name' });
  });
});
