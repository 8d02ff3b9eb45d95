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
      `${join(dir, CONFIG_FILE)}, line 3, sshKeyDir: "sshKeyDir" is not a key strata knows here; the keys are billingCodes, groups, sshKeyDirectory, trustedVendorOwners.`,
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
