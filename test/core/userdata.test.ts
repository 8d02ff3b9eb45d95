import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { StrataError } from '../../source/core/errors.js';
import type { RaidLevel, VolumePlan } from '../../source/core/types.js';
import {
  buildCloudConfig,
  buildUserData,
  checkHostname,
  checkPassphrase,
  checkUserData,
  detectUserDataType,
  hostnameFor,
  MAX_USER_DATA_BYTES,
  REDACTED,
  redactUserData,
  splitUserData,
  USER_MERGE_TYPE,
} from '../../source/core/userdata.js';
import { buildVolumeScript, PASSPHRASE_FILE, VOLUME_SCRIPT_PATH } from '../../source/core/volumes.js';
import { DEVICES, plan } from './launch-fixtures.js';
import { cloudInitSchema, findCloudInitPython, processWithCloudInit } from './userdata-harness.js';
import { hasProgram, required } from './volumes-harness.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const PASSPHRASE = 'correct horse battery staple';

/** Compares with a golden file exactly; UPDATE_GOLDEN=1 writes it instead. */
function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`Golden file ${name} is missing; run the tests with UPDATE_GOLDEN=1 to write it, then review it.`);
  expect(actual, `differs from golden/${name} (UPDATE_GOLDEN=1 rewrites it; review the diff)`).toBe(readFileSync(file, 'utf8'));
}

const fieldOf = (fn: () => unknown): { field?: string; message: string } | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof StrataError) return { field: error.field, message: error.message };
    throw error;
  }
  return undefined;
};

describe('detectUserDataType (as cloud-init types a part from its start)', () => {
  const table: Array<[string, string | undefined]> = [
    ['#cloud-config\npackages: [nginx]\n', 'text/cloud-config'],
    ['#cloud-config-archive\n- content: x\n', 'text/cloud-config-archive'],
    ['#cloud-config-jsonp\n[]', 'text/cloud-config-jsonp'],
    ['#!/bin/bash\necho hi\n', 'text/x-shellscript'],
    ['  \n#!/bin/sh\n', 'text/x-shellscript'],
    ['#include\nhttps://example.com/a\n', 'text/x-include-url'],
    ['#include-once\nhttps://example.com/a\n', 'text/x-include-once-url'],
    ['#cloud-boothook\n#!/bin/sh\n', 'text/cloud-boothook'],
    ['#part-handler\ndef list_types(): ...', 'text/part-handler'],
    ['## template: jinja\n#cloud-config\n', 'text/jinja2'],
    ['#Cloud-Config\n', 'text/cloud-config'],
    ['Content-Type: multipart/mixed; boundary="x"\nMIME-Version: 1.0\n\n--x--\n', 'multipart/mixed'],
    ['MIME-Version: 1.0\nContent-Type: text/x-shellscript\n\n#!/bin/sh\n', 'text/x-shellscript'],
    ['echo hello\n', undefined],
    ['packages: [nginx]\n', undefined],
    ['', undefined],
  ];
  for (const [text, type] of table) {
    it(`${JSON.stringify(text.slice(0, 24))} is ${type ?? 'not recognised'}`, () => expect(detectUserDataType(text)).toBe(type));
  }
});

describe('checkUserData', () => {
  it('accepts scripts and cloud-config, with quotes, $() and backticks: they are the user\'s own', () => {
    expect(checkUserData('#!/bin/sh\necho "$(date)" `id` \'x\'\n')).toEqual([]);
    expect(checkUserData('#cloud-config\nruncmd:\n  - echo "$(hostname)"\n')).toEqual([]);
    expect(checkUserData('#cloud-config\n')).toEqual([]);
  });
  it('refuses what cloud-init would ignore, with its start', () => {
    expect(checkUserData('echo hello\n')).toEqual([
      'cloud-init ignores user data that does not start with #cloud-config, #! (a script), #include, #cloud-boothook or another cloud-init header; this starts with "echo hello".',
    ]);
  });
  it('refuses control characters (escape sequences) and says on which line', () => {
    expect(checkUserData('#!/bin/sh\necho ok\necho \u001b[2J\n')).toEqual(['User data contains a control character (U+001B) on line 3; remove it.']);
    expect(checkUserData('#!/bin/sh\n\0')).toEqual(['User data contains a control character (U+0000) on line 2; remove it.']);
    expect(checkUserData('#!/bin/sh\r\necho\ttab\r\n')).toEqual([]);
  });
  it('refuses a cloud-config that is not YAML, not a mapping, or sets merge_how', () => {
    expect(checkUserData('#cloud-config\npackages: [nginx\n')[0]).toMatch(/^The user data's cloud-config is not valid YAML: /);
    expect(checkUserData('#cloud-config\n- a\n- b\n')).toEqual(['The user data\'s cloud-config must be a mapping of keys (e.g. "packages: [nginx]").']);
    expect(checkUserData('#cloud-config\nmerge_how: dict(replace)\n')[0]).toMatch(/sets merge_how/);
  });
  it('refuses more than 16 KiB', () => {
    expect(checkUserData('#!/bin/sh\n' + '#'.repeat(MAX_USER_DATA_BYTES))).toEqual(['User data can be at most 16 KiB; this is 16.0 KiB.']);
    expect(checkUserData('#!/bin/sh\n' + 'é'.repeat(MAX_USER_DATA_BYTES / 2))[0]).toMatch(/at most 16 KiB/);
  });
  it('refuses what is not text', () => expect(checkUserData(42)).toEqual(['User data must be text.']));
});

describe('passphrases and hostnames', () => {
  it('takes passphrases of 8..512 printable ASCII characters and never echoes them', () => {
    expect(checkPassphrase(PASSPHRASE)).toBeUndefined();
    expect(checkPassphrase(`a'b"c$(d)\`e\\f #g`)).toBeUndefined();
    expect(checkPassphrase('short')).toBe('A passphrase must have 8 to 512 characters; this one has 5.');
    expect(checkPassphrase('x'.repeat(513))).toMatch(/this one has 513/);
    expect(checkPassphrase('secret\nline two')).toBe('A passphrase may hold only printable ASCII characters (it may have to be typed at a console).');
    expect(checkPassphrase('geheimnis-ä-12')).toMatch(/printable ASCII/);
    expect(checkPassphrase(' leading space')).toMatch(/cannot start or end with a space/);
    expect(checkPassphrase(undefined)).toBe('An encrypted volume plan needs a passphrase.');
    for (const secret of ['secret\nline two', 'geheimnis-ä-12', ' leading space']) expect(checkPassphrase(secret)).not.toContain(secret.trim());
  });

  it('checks hostnames (RFC 1123, lowercase)', () => {
    for (const good of ['web-1', 'a', 'web-1.prod.example.com', 'x'.repeat(63)]) expect(checkHostname(good)).toBeUndefined();
    for (const bad of ['', '-web', 'web-', 'Web', 'web_1', 'a..b', 'x'.repeat(64), 'web 1', 'web;reboot', "web'1", 'web\n1', 'wéb']) {
      expect(checkHostname(bad), bad).toMatch(/hostname/);
    }
    expect(checkHostname('web\u001b[2J')).toContain('U+001B');
  });

  it('makes a hostname from a server name', () => {
    expect(hostnameFor('Web_01.prod')).toBe('web-01');
    expect(hostnameFor('db@eu-west')).toBe('db-eu-west');
    expect(hostnameFor('--x--')).toBe('x');
    expect(hostnameFor('ÄÖÜ')).toBeUndefined();
    expect(hostnameFor('a'.repeat(70))).toBe('a'.repeat(63));
  });
});

describe('buildCloudConfig', () => {
  const volumes = (p: Partial<VolumePlan> = {}) => ({ plan: plan(p), devices: DEVICES });

  it('writes the script (0700) and runs it; writes the key (0400) only when encrypting', () => {
    const text = buildCloudConfig({ volumes: volumes({ encrypt: true }), passphrase: PASSPHRASE });
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = YAML.parse(text) as { write_files: Array<Record<string, string>>; runcmd: string[][] };
    expect(doc.write_files).toEqual([
      { path: PASSPHRASE_FILE, owner: 'root:root', permissions: '0400', content: PASSPHRASE },
      { path: VOLUME_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: buildVolumeScript(plan({ encrypt: true }), { devices: DEVICES }) },
    ]);
    expect(doc.runcmd).toEqual([[VOLUME_SCRIPT_PATH]]);

    const plain = YAML.parse(buildCloudConfig({ volumes: volumes() })) as { write_files: Array<Record<string, string>> };
    expect(plain.write_files.map((f) => f.path)).toEqual([VOLUME_SCRIPT_PATH]);
  });

  it('writes the passphrase verbatim, as a literal block', () => {
    const secret = `it's "$(reboot)" \`id\` #not-a-comment: \\n`;
    const text = buildCloudConfig({ volumes: volumes({ encrypt: true }), passphrase: secret });
    expect(text).toContain(`    content: |-\n      ${secret}\n`);
    expect((YAML.parse(text) as { write_files: Array<{ content: string }> }).write_files[0].content).toBe(secret);
  });

  it('refuses a missing, bad or unneeded passphrase, and a bad hostname, with the field', () => {
    expect(fieldOf(() => buildCloudConfig({ volumes: volumes({ encrypt: true }) }))).toEqual({ field: 'volumes.encrypt', message: 'An encrypted volume plan needs a passphrase.' });
    expect(fieldOf(() => buildCloudConfig({ volumes: volumes({ encrypt: true }), passphrase: 'short' }))).toMatchObject({ field: 'volumes.encrypt' });
    expect(fieldOf(() => buildCloudConfig({ volumes: volumes(), passphrase: PASSPHRASE }))).toMatchObject({ field: 'volumes.encrypt', message: expect.stringMatching(/does not encrypt/) });
    expect(fieldOf(() => buildCloudConfig({ hostname: 'web;reboot' }))).toMatchObject({ field: 'hostname' });
    expect(fieldOf(() => buildCloudConfig({ volumes: volumes({ mountPoint: '/etc' }) }))).toMatchObject({ field: 'volumes.mountPoint' });
  });

  it('quotes what YAML 1.1 (PyYAML, cloud-init) would read as something else', () => {
    for (const hostname of ['yes', 'no', 'on', 'off', 'y', 'n', 'null', '1e3', '0x1f', '0777', '12']) {
      const text = buildCloudConfig({ hostname });
      expect(text, hostname).toContain(`hostname: "${hostname}"\n`);
    }
    expect(buildCloudConfig({ hostname: 'web-1.example.com' })).toContain('hostname: web-1\nfqdn: web-1.example.com\n');
  });

  it('is an empty cloud-config when there is nothing to do', () => expect(buildCloudConfig({})).toBe('#cloud-config\n'));

  it('is plain ASCII in every variant, so it goes as readable 7bit text and the passphrase can be redacted', () => {
    for (const raid of ['none', '0', '1', '5', '10'] as const) {
      for (const count of [1, 2, 3, 4, 8]) {
        for (const encrypt of [false, true]) {
          for (const filesystem of ['ext4', 'xfs'] as const) {
            const p = plan({ raid, count, encrypt, filesystem });
            let text: string;
            try {
              text = buildCloudConfig({ volumes: { plan: p, devices: DEVICES }, ...(encrypt ? { passphrase: PASSPHRASE } : {}), hostname: 'web-1' });
            } catch {
              continue; // a level the count cannot build
            }
            expect(text, `${raid} x${count}`).toMatch(/^[\x20-\x7e\n]*$/);
            const doc = buildUserData({ cloudConfig: text, userData: '#!/bin/sh\necho grüße\n' });
            expect(doc).toContain('Content-Type: text/cloud-config; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit');
            if (encrypt) expect(redactUserData(doc, PASSPHRASE)).not.toContain(PASSPHRASE);
          }
        }
      }
    }
    expect(fieldOf(() => buildUserData({ cloudConfig: '#cloud-config\n# grüße\n', userData: '#!/bin/sh\n' }))).toEqual({
      field: 'userData',
      message: "strata's own part must be plain ASCII text.",
    });
  });
});

const LEVELS: Array<[RaidLevel, number]> = [
  ['none', 1],
  ['0', 2],
  ['1', 2],
  ['5', 3],
  ['10', 4],
];

function goldenCloudConfig(raid: RaidLevel, count: number, encrypt: boolean): string {
  return buildCloudConfig({
    volumes: { plan: plan({ raid, count, encrypt, sizeGiB: 100, mountPoint: '/data' }), devices: DEVICES },
    ...(encrypt ? { passphrase: PASSPHRASE } : {}),
    hostname: 'web-1',
  });
}

const SHELL_USER_DATA = '#!/bin/bash\nset -e\napt-get install -y postgresql\necho "data on $(findmnt -no SOURCE /data)" > /root/ready\n';
const CONFIG_USER_DATA = '#cloud-config\npackages:\n  - nginx\nruncmd:\n  - [systemctl, enable, --now, nginx]\n';

describe('golden documents', () => {
  for (const [raid, count] of LEVELS) {
    for (const encrypt of [false, true]) {
      const name = `cloud-config-raid-${raid}${encrypt ? '-encrypted' : ''}.yaml`;
      it(name, () => golden(name, goldenCloudConfig(raid, count, encrypt)));
    }
  }
  it('cloud-config-separate-volumes.yaml (RAID none over 2 volumes)', () => {
    golden('cloud-config-separate-volumes.yaml', buildCloudConfig({ volumes: { plan: plan({ raid: 'none', count: 2, mountPoint: '/srv/data' }), devices: DEVICES } }));
  });
  it('multipart-shell.txt (strata\'s part, then a user script)', () => {
    golden('multipart-shell.txt', buildUserData({ cloudConfig: goldenCloudConfig('1', 2, true), userData: SHELL_USER_DATA }));
  });
  it('multipart-cloud-config.txt (strata\'s part, then a user cloud-config merged after it)', () => {
    golden('multipart-cloud-config.txt', buildUserData({ cloudConfig: goldenCloudConfig('5', 3, false), userData: CONFIG_USER_DATA }));
  });
  it('multipart-redacted.txt (what the review screen shows)', () => {
    const full = buildUserData({ cloudConfig: goldenCloudConfig('1', 2, true), userData: SHELL_USER_DATA });
    const shown = redactUserData(full, PASSPHRASE);
    expect(shown).not.toContain(PASSPHRASE);
    golden('multipart-redacted.txt', shown);
  });
});

describe('buildUserData', () => {
  const ours = goldenCloudConfig('5', 3, true);

  it('is strata\'s cloud-config alone when the user gave none', () => {
    expect(buildUserData({ cloudConfig: ours })).toBe(ours);
    expect(buildUserData({ cloudConfig: ours, userData: '  \n' })).toBe(ours);
  });

  it('puts strata\'s part first, types the user\'s part, and finishes the document', () => {
    const doc = buildUserData({ cloudConfig: ours, userData: SHELL_USER_DATA });
    const boundary = /boundary="([^"]+)"/.exec(doc)![1];
    expect(doc.startsWith(`Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n--${boundary}\nContent-Type: text/cloud-config;`)).toBe(true);
    expect(doc).toContain(`--${boundary}\nContent-Type: text/x-shellscript; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: attachment; filename="user-data"\n\n${SHELL_USER_DATA}\n--${boundary}--\n`);
    expect(doc.split(boundary)).toHaveLength(5); // the header and the three delimiters, nowhere else
  });

  it('merges a user cloud-config after strata\'s instead of replacing it', () => {
    expect(buildUserData({ cloudConfig: ours, userData: CONFIG_USER_DATA })).toContain(`Merge-Type: ${USER_MERGE_TYPE}\n`);
  });

  it('chooses a boundary that occurs nowhere in the content', () => {
    const first = buildUserData({ cloudConfig: ours, userData: '#!/bin/sh\n' });
    const boundary = /boundary="([^"]+)"/.exec(first)![1];
    const hostile = `#!/bin/sh\necho '--${boundary}'\n--${boundary}--\n`;
    const doc = buildUserData({ cloudConfig: ours, userData: hostile });
    const chosen = /boundary="([^"]+)"/.exec(doc)![1];
    expect(chosen).not.toBe(boundary);
    expect(hostile).not.toContain(chosen);
    expect(splitUserData(doc)).toEqual({ cloudConfig: ours, userData: hostile });
  });

  it('sends text that is not plain ASCII as base64 (cloud-init mangles 8bit non-ASCII)', () => {
    const text = '#!/bin/sh\necho "grüße ✓ 日本"\r\n';
    const doc = buildUserData({ cloudConfig: ours, userData: text });
    expect(doc).toContain('Content-Type: text/x-shellscript; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n');
    expect(doc).not.toContain('grüße');
    expect(splitUserData(doc)?.userData).toBe(text);
  });

  it('embeds user data that is a MIME document of its own as a nested part', () => {
    const mime = 'Content-Type: multipart/mixed; boundary="user"\nMIME-Version: 1.0\n\n--user\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho nested\n--user--\n';
    const doc = buildUserData({ cloudConfig: ours, userData: mime });
    expect(doc).toContain(`\n${mime}\n--`);
    expect(splitUserData(doc)?.userData).toBe(mime);
  });

  it('labels user data cloud-init would not recognise as text/plain (validation refuses it first)', () => {
    expect(buildUserData({ cloudConfig: ours, userData: 'echo hi\n' })).toContain('Content-Type: text/plain; charset="us-ascii"');
  });

  it('refuses a first part that is not strata\'s cloud-config', () => {
    expect(fieldOf(() => buildUserData({ cloudConfig: '#!/bin/sh\n', userData: '#!/bin/sh\n' }))).toMatchObject({ field: 'userData' });
  });

  it('splits back what it built, and nothing else', () => {
    expect(splitUserData(ours)).toEqual({ cloudConfig: ours });
    expect(splitUserData(buildUserData({ cloudConfig: ours, userData: CONFIG_USER_DATA }))).toEqual({ cloudConfig: ours, userData: CONFIG_USER_DATA });
    expect(splitUserData('#cloud-config\npackages: [x]\n')).toBeUndefined();
    expect(splitUserData('#!/bin/sh\n')).toBeUndefined();
  });
});

describe('redactUserData', () => {
  it('replaces every occurrence of the passphrase, and keeps the document otherwise', () => {
    const doc = buildUserData({ cloudConfig: goldenCloudConfig('1', 2, true), userData: `#!/bin/sh\necho '${PASSPHRASE}'\n` });
    const shown = redactUserData(doc, PASSPHRASE);
    expect(shown).not.toContain(PASSPHRASE);
    expect(shown.split(REDACTED)).toHaveLength(3);
    expect(redactUserData(shown, PASSPHRASE)).toBe(shown);
    const part = splitUserData(shown)!;
    expect((YAML.parse(part.cloudConfig) as { write_files: Array<{ content: string }> }).write_files[0].content).toBe(REDACTED);
  });
  it('leaves a document without a passphrase as it is', () => {
    expect(redactUserData('#cloud-config\n', undefined)).toBe('#cloud-config\n');
    expect(redactUserData('#cloud-config\n', '')).toBe('#cloud-config\n');
  });
});

describe('cloud-init reads what strata writes', () => {
  const python = findCloudInitPython();
  const schema = hasProgram('cloud-init', ['--version']);
  const must = required('STRATA_REQUIRE_CLOUD_INIT');
  if ((!python || !schema) && !must) {
    console.log('[userdata] cloud-init is not installed: the cloud-init tests are skipped (apt-get install cloud-init; STRATA_REQUIRE_CLOUD_INIT=1 makes them fail instead).');
  }
  const run = it.skipIf((!python || !schema) && !must);

  run('every golden cloud-config passes cloud-init schema', () => {
    expect(python && schema, 'STRATA_REQUIRE_CLOUD_INIT is set but cloud-init is not installed').toBeTruthy();
    for (const [raid, count] of LEVELS) {
      for (const encrypt of [false, true]) {
        const verdict = cloudInitSchema(goldenCloudConfig(raid, count, encrypt));
        expect(verdict.ok, verdict.output).toBe(true);
      }
    }
  });

  run('splits, types and merges the multipart documents as strata means them', () => {
    expect(python, 'STRATA_REQUIRE_CLOUD_INIT is set but cloud-init is not installed').toBeTruthy();
    const encrypted = goldenCloudConfig('1', 2, true);
    const plain = goldenCloudConfig('5', 3, false);
    const unicode = '#!/bin/sh\necho "grüße ✓ 日本"\n';
    const nested = 'Content-Type: multipart/mixed; boundary="user"\nMIME-Version: 1.0\n\n--user\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho nested\n\n--user--\n';
    const [alone, shell, config, utf8, mime] = processWithCloudInit(python!, [
      encrypted,
      buildUserData({ cloudConfig: encrypted, userData: SHELL_USER_DATA }),
      buildUserData({ cloudConfig: plain, userData: CONFIG_USER_DATA }),
      buildUserData({ cloudConfig: plain, userData: unicode }),
      buildUserData({ cloudConfig: plain, userData: nested }),
    ]);

    expect(alone.parts.map((p) => p.type)).toEqual(['text/cloud-config']);
    expect(alone.config?.write_files).toEqual((YAML.parse(encrypted) as { write_files: unknown }).write_files);

    expect(shell.parts).toEqual([
      { type: 'text/cloud-config', filename: 'strata.cfg', payload: encrypted },
      { type: 'text/x-shellscript', filename: 'user-data', payload: SHELL_USER_DATA },
    ]);
    // cloud-init runs scripts in name order: the user's script after strata's runcmd.
    expect(['runcmd', shell.parts[1].filename!].sort()).toEqual(['runcmd', 'user-data']);

    expect(config.parts.map((p) => [p.type, p.payload])).toEqual([
      ['text/cloud-config', plain],
      ['text/cloud-config', CONFIG_USER_DATA],
    ]);
    expect(config.config?.runcmd).toEqual([[VOLUME_SCRIPT_PATH], ['systemctl', 'enable', '--now', 'nginx']]);
    expect(config.config?.packages).toEqual(['nginx']);
    expect((config.config?.write_files as unknown[]).length).toBe(1);

    expect(utf8.parts[1]).toEqual({ type: 'text/x-shellscript', filename: 'user-data', payload: unicode });
    expect(mime.parts.map((p) => [p.type, p.payload])).toEqual([
      ['text/cloud-config', plain],
      ['text/x-shellscript', '#!/bin/sh\necho nested\n'],
    ]);
  });
});
