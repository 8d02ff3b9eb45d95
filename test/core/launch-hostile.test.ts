// Hostile strings thrown at the launch validator and at the generators, table-driven and property-based.
// The validator must refuse what is unsafe with a sentence (never throw, never echo a raw control
// character); whatever gets through to a script must only ever be inside single quotes, which is proven
// end to end: the script is run with sh against stub tools and the arguments they receive must be
// exactly the original strings.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { StrataError } from '../../source/core/errors.js';
import { validateLaunch } from '../../source/core/launch.js';
import { shellQuote } from '../../source/core/shell.js';
import type { LaunchSpec, VolumePlan } from '../../source/core/types.js';
import {
  buildCloudConfig,
  buildUserData,
  checkHostname,
  checkPassphrase,
  checkUserData,
  REDACTED,
  redactUserData,
  splitUserData,
} from '../../source/core/userdata.js';
import { buildVolumeScript, checkMountPoint } from '../../source/core/volumes.js';
import { CONTEXT, DEVICES, goodSpec, plan, richCaps } from './launch-fixtures.js';
import { findCloudInitPython, processWithCloudInit } from './userdata-harness.js';
import { hasProgram, VolumeSandbox } from './volumes-harness.js';

const HOSTILE: Array<[string, string]> = [
  ['a single quote', "a'b"],
  ['a quote breakout', "'; reboot; '"],
  ['double quotes', 'a"b"c'],
  ['command substitution', '$(reboot)'],
  ['backticks', '`reboot`'],
  ['variables', '${HOME}$PATH$1'],
  ['arithmetic', '$((1/0))'],
  ['a newline', 'a\nb'],
  ['a newline then a command', 'data\nreboot'],
  ['a carriage return', 'a\rb'],
  ['a tab', 'a\tb'],
  ['NUL', 'a\0b'],
  ['an OSC title escape', '\u001b]0;pwned\u0007'],
  ['a screen clear', '\u001b[2J\u001b[H'],
  ['an 8-bit CSI', '\u009b31m'],
  ['a bidi override', 'abc\u202edcba'],
  ['a zero-width space', 'a\u200bb'],
  ['glob characters', '*?[a-z]{x,y}'],
  ['a tilde', '~root'],
  ['shell operators', 'a;b|c&d&&e||f'],
  ['redirections', '>/etc/passwd <x 2>&1'],
  ['backslash escapes', 'a\\nb\\x1b\\0'],
  ['a heredoc', "<<'EOF'\nEOF"],
  ['unicode', 'grüße ✓ 日本 🚀'],
  ['a lone surrogate', 'a\ud800b'],
  ['a very long string', 'x'.repeat(5000)],
  ['the empty string', ''],
  ['only spaces', '   '],
  ['a YAML tag', '!!python/object/apply:os.system ["reboot"]'],
  ['a YAML document end', '...\n---\nruncmd: [reboot]'],
  ['a MIME boundary', '--==strata-0==\nContent-Type: text/x-shellscript\n\n#!/bin/sh\nreboot'],
  ['an option', '--run'],
  ['a path escape', '../../etc/shadow'],
];

/** C0/C1 controls, bidi and zero-width characters: none may reach a message raw. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/;
/** What a mount point, group, billing code or name may hold at most. */
const SAFE = /^[A-Za-z0-9._-]*$/;

function specWith(text: string): Array<[string, LaunchSpec, Partial<typeof CONTEXT> & { keypairToCreate?: string }]> {
  const rules = [{ protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: text }];
  return [
    ['name', goodSpec({ name: text }), {}],
    ['newFirewall.name', goodSpec({ newFirewall: { name: text, rules: [] } }), {}],
    ['newFirewall.rules.0.source', goodSpec({ newFirewall: { name: 'edge', rules } }), {}],
    ['keypairName', goodSpec({ keypairName: text }), {}],
    ['keypairName', goodSpec({ keypairName: text }), { keypairToCreate: text }],
    ['group', goodSpec({ group: text }), {}],
    ['billingCode', goodSpec({ billingCode: text }), {}],
    ['volumes.mountPoint', goodSpec({ volumes: plan({ mountPoint: '/data' + text }) }), {}],
    ['volumes.mountPoint', goodSpec({ volumes: plan({ mountPoint: text }) }), {}],
    ['firewallIds', goodSpec({ firewallIds: [text] }), {}],
    ['productId', goodSpec({ productId: text }), {}],
    ['userData', goodSpec({ userData: text }), {}],
  ];
}

describe('the validator against hostile strings (table)', () => {
  for (const [what, text] of HOSTILE) {
    it(`refuses ${what} where it is unsafe, with a sentence at the field`, () => {
      for (const [field, spec, extra] of specWith(text)) {
        const problems = validateLaunch(spec, richCaps(), { ...CONTEXT, ...extra });
        for (const problem of problems) {
          expect(problem.message, `${field}: ${problem.message}`).not.toMatch(RAW_CONTROL);
          expect(problem.message).toMatch(/[.)]$/);
          expect(problem.message.length).toBeLessThan(400);
        }
        const at = problems.filter((p) => p.field === field);
        const emptyIsAbsent = text === '' && ['keypairName', 'group', 'billingCode', 'productId', 'userData'].includes(field);
        if (['name', 'newFirewall.name', 'group', 'billingCode', 'volumes.mountPoint'].includes(field) && !SAFE.test(text)) {
          expect(at.length, `${field} must refuse ${JSON.stringify(text.slice(0, 40))}`).toBeGreaterThan(0);
        }
        if (['firewallIds', 'newFirewall.rules.0.source'].includes(field) || (field === 'keypairName' && !extra.keypairToCreate && !emptyIsAbsent)) {
          expect(at.length, `${field} must refuse ${JSON.stringify(text.slice(0, 40))}`).toBeGreaterThan(0);
        }
        if (field === 'productId' && !emptyIsAbsent) {
          // an empty size is "none chosen", which this provider requires
          expect(at.length).toBeGreaterThan(0);
        }
      }
    });
  }
});

describe('the validator against any string (property)', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: fc.constantFrom("'", '"', '$', '(', ')', '`', '\\', '\n', '\u001b', ';', '*', ' ', '/', 'a', '.', '-', '\0'), maxLength: 30 }),
  );
  const fieldNames = ['name', 'group', 'billingCode', 'mountPoint', 'keypairName', 'source', 'userData', 'firewall', 'product'] as const;

  it('never throws, answers with sentences free of control characters, and lets only safe mount points through', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fieldNames), anyText, (field, text) => {
        const spec = goodSpec();
        if (field === 'name') spec.name = text;
        if (field === 'group') spec.group = text;
        if (field === 'billingCode') spec.billingCode = text;
        if (field === 'mountPoint') spec.volumes = plan({ mountPoint: text });
        if (field === 'keypairName') spec.keypairName = text;
        if (field === 'source') spec.newFirewall = { name: 'edge', rules: [{ protocol: 'tcp', fromPort: 1, toPort: 2, source: text }] };
        if (field === 'userData') spec.userData = text;
        if (field === 'firewall') spec.firewallIds = [text];
        if (field === 'product') spec.productId = text;
        const problems = validateLaunch(spec, richCaps(), CONTEXT);
        for (const p of problems) expect(p.message).not.toMatch(RAW_CONTROL);
        if (field === 'mountPoint' && problems.every((p) => p.field !== 'volumes.mountPoint')) {
          expect(text).toMatch(/^\/[A-Za-z0-9._/-]*$/);
        }
        if ((field === 'group' || field === 'billingCode') && text !== '' && problems.every((p) => p.field !== field)) {
          expect(text).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

/** Runs `printf '%s\0'` over the quoted strings in a shell and returns what it printed. */
function echoThroughShell(shell: string, values: string[]): string[] {
  const script = `printf '%s\\0' ${values.map(shellQuote).join(' ')}\n`;
  const result = spawnSync(shell, ['-c', script], { encoding: 'buffer', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8' } });
  expect(result.status, result.stderr.toString()).toBe(0);
  const out = result.stdout.toString('utf8').split('\0');
  out.pop();
  return out;
}

const SHELLS = ['sh', ...(hasProgram('bash') ? ['bash'] : [])];

describe('shellQuote', () => {
  const plain = HOSTILE.filter(([, text]) => !text.includes('\0') && !/[\ud800-\udfff]/.test(text));

  it('is one word that the shell reads back exactly, for every hostile string (sh and bash)', () => {
    for (const shell of SHELLS) {
      expect(echoThroughShell(shell, plain.map(([, text]) => text))).toEqual(plain.map(([, text]) => text));
    }
  });

  it('refuses NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('is read back exactly for any string (property, sh and bash)', () => {
    const noNul = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\0', ''));
    const nasty = fc.string({ unit: fc.constantFrom("'", '"', '\\', '$', '`', '\n', '\r', '\t', '!', '*', '?', '[', '~', '#', ' ', '\u001b', 'é', '日'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(fc.oneof(noNul, nasty), { minLength: 1, maxLength: 8 }), (values) => {
        for (const shell of SHELLS) expect(echoThroughShell(shell, values)).toEqual(values);
      }),
      { numRuns: 80 },
    );
  });
});

describe('the generators against hostile strings', () => {
  const invalidField = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(StrataError);
      expect((error as StrataError).message).not.toMatch(RAW_CONTROL);
      return (error as StrataError).field;
    }
    return undefined;
  };

  for (const [what, text] of HOSTILE) {
    it(`handle ${what}`, () => {
      // mount points: refused at the field unless the validator found them safe
      for (const mountPoint of [text, `/data${text}`]) {
        const field = invalidField(() => buildVolumeScript(plan({ mountPoint }), { devices: DEVICES }));
        expect(field === undefined).toBe(checkMountPoint(mountPoint) === undefined);
        if (field) expect(field).toBe('volumes.mountPoint');
      }
      // devices and key files: the same
      expect(invalidField(() => buildVolumeScript(plan(), { devices: ['/dev/vdb', '/dev/vdc', `/dev/vd${text}`] }))).toBe(
        SAFE.test(text) && !text.startsWith('.') && `/dev/vd${text}`.length <= 255 ? undefined : 'volumes.devices',
      );
      // hostnames
      const hostField = invalidField(() => buildCloudConfig({ hostname: text }));
      expect(hostField).toBe(checkHostname(text) === undefined ? undefined : 'hostname');
      // passphrases: refused, or written verbatim and redacted completely
      const volumes = { plan: plan({ encrypt: true }), devices: DEVICES };
      const passField = invalidField(() => buildCloudConfig({ volumes, passphrase: text }));
      expect(passField).toBe(checkPassphrase(text) === undefined ? undefined : 'volumes.encrypt');
      if (!passField) {
        const doc = buildCloudConfig({ volumes, passphrase: text });
        expect((YAML.parse(doc, { version: '1.1' }) as { write_files: Array<{ content: string }> }).write_files[0].content).toBe(text);
        expect(redactUserData(doc, text)).not.toContain(text);
      }
      // user data: carried exactly, behind strata's part, whatever it holds
      if (checkUserData(text).every((p) => !/broken character/.test(p)) && text.trim() !== '') {
        const ours = buildCloudConfig({ volumes: { plan: plan(), devices: DEVICES } });
        const doc = buildUserData({ cloudConfig: ours, userData: text });
        expect(splitUserData(doc)).toEqual({ cloudConfig: ours, userData: text });
      }
    });
  }
});

describe('quoting end to end: the volume script run with stub tools (property)', () => {
  const boxes: VolumeSandbox[] = [];
  afterAll(() => boxes.forEach((b) => b.cleanup()));

  const segment = fc.string({ unit: fc.constantFrom(...'abcXYZ019._-'), minLength: 1, maxLength: 12 }).filter((s) => s !== '.' && s !== '..');
  const mountPoint = fc
    .array(segment, { minLength: 1, maxLength: 4 })
    .map((parts) => '/' + parts.join('/'))
    .filter((p) => checkMountPoint(p) === undefined && p.length < 200);
  const device = fc.string({ unit: fc.constantFrom(...'abcxyz019._-+@:'), minLength: 1, maxLength: 16 }).map((s) => `/dev/disk/by-id/${s}`).filter((d) => !/\/\.\.?($|\/)/.test(d));

  it('passes every value to the tools exactly as validated', () => {
    fc.assert(
      fc.property(
        mountPoint,
        fc.uniqueArray(device, { minLength: 4, maxLength: 4 }),
        fc.constantFrom<VolumePlan['raid']>('none', '0', '1', '5', '10'),
        fc.boolean(),
        (mount, devices, raid, encrypt) => {
          const count = raid === '10' ? 4 : raid === '5' ? 3 : raid === 'none' ? 2 : 2;
          const p = plan({ raid, count, encrypt, mountPoint: mount });
          const box = new VolumeSandbox();
          boxes.push(box);
          const key = join(box.dir, 'k@y+file.key');
          writeFileSync(key, 'correct horse battery staple');
          const run = box.run(buildVolumeScript(p, { devices, passphraseFile: key }));
          expect(run.status, run.stderr).toBe(0);
          const used = devices.slice(0, count);
          const args = (cmd: string) => run.calls.filter((c) => c.cmd === cmd).map((c) => c.args);
          // the devices reach the tools exactly
          expect(args('stub-present')).toEqual(used.map((d) => [d]));
          if (raid !== 'none') expect(args('mdadm')).toContainEqual(['--create', '/dev/md/strata', '--run', `--level=${raid}`, `--raid-devices=${count}`, ...used]);
          // the mount points reach mkdir and mount exactly
          const mounts = raid === 'none' ? used.map((_, i) => `${mount}-${i + 1}`) : [mount];
          expect(args('mkdir')).toEqual(mounts.map((m) => ['-p', m]));
          expect(args('mount')).toEqual(mounts.map((m) => [m]));
          expect(run.fstab.split('\n').filter(Boolean).map((l) => l.split(' ')[1])).toEqual(mounts);
          // the key file reaches cryptsetup and shred exactly
          if (encrypt) {
            expect(args('cryptsetup').filter((a) => a[0] === 'luksFormat').map((a) => a[3])).toEqual(Array(mounts.length).fill(key));
            expect(args('shred')).toEqual([['-u', key]]);
          }
          box.cleanup();
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('generated documents (property)', () => {
  const python = findCloudInitPython();

  it('write any valid passphrase verbatim and redact it completely', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', minLength: 8, maxLength: 80 }), (passphrase) => {
        const volumes = { plan: plan({ encrypt: true, raid: '1', count: 2 }), devices: DEVICES };
        if (checkPassphrase(passphrase) !== undefined) {
          expect(() => buildCloudConfig({ volumes, passphrase })).toThrow(StrataError);
          return;
        }
        const doc = buildCloudConfig({ volumes, passphrase });
        const parsed = YAML.parse(doc, { version: '1.1' }) as { write_files: Array<{ content: string }> };
        expect(parsed.write_files[0].content).toBe(passphrase);
        const shown = redactUserData(buildUserData({ cloudConfig: doc, userData: '#!/bin/sh\necho hi\n' }), passphrase);
        expect(shown).not.toContain(passphrase);
        const back = YAML.parse(splitUserData(shown)!.cloudConfig, { version: '1.1' }) as { write_files: Array<{ content: string }> };
        expect(back.write_files[0].content).toBe(REDACTED);
      }),
      { numRuns: 300 },
    );
  });

  it('keep any hostname either refused or exactly what was asked', () => {
    const label = fc.string({ unit: fc.constantFrom(...'abcyesnoe019-'), minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.'))), (hostname) => {
        let doc: string;
        try {
          doc = buildCloudConfig({ hostname });
        } catch (error) {
          expect((error as StrataError).field).toBe('hostname');
          expect(checkHostname(hostname)).toBeDefined();
          return;
        }
        const parsed = YAML.parse(doc, { version: '1.1' }) as { hostname: unknown; fqdn?: unknown };
        expect(parsed.fqdn ?? parsed.hostname).toBe(hostname);
      }),
      { numRuns: 400 },
    );
  });

  const userText = fc.tuple(
    fc.constantFrom('#!/bin/sh\n', '#cloud-config\n', '#include\n', '#cloud-boothook\n', '## template: jinja\n', '', 'echo '),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.string({ unit: fc.constantFrom('\n', '\r', '--', '==strata-', 'Content-Type: text/plain\n', '\t', 'é', ' ', 'x'), maxLength: 30 }),
  ).map(([head, a, b]) => head + a + b).filter((t) => t.trim() !== '' && !/^(content-type|mime-version)\s*:/i.test(t));

  it('carry any user data exactly, behind strata\'s part (and cloud-init reads it so, where installed)', () => {
    const ours = buildCloudConfig({ volumes: { plan: plan(), devices: DEVICES } });
    const samples = fc.sample(userText, { numRuns: 150, seed: 4242 });
    const docs = samples.map((userData) => buildUserData({ cloudConfig: ours, userData }));
    docs.forEach((doc, i) => {
      const boundary = /boundary="([^"]+)"/.exec(doc)![1];
      expect(samples[i]).not.toContain(boundary);
      expect(splitUserData(doc)).toEqual({ cloudConfig: ours, userData: samples[i] });
    });
    if (!python) {
      console.log('[launch-hostile] cloud-init is not installed: user data was checked against strata\'s own reader only.');
      return;
    }
    // #include parts make cloud-init fetch URLs: those stay out of this (offline) check.
    const offline = samples.map((text, i) => [text, docs[i]] as const).filter(([text]) => !text.trimStart().toLowerCase().startsWith('#include'));
    const results = processWithCloudInit(python, offline.map(([, doc]) => doc));
    results.forEach((result, i) => {
      expect(result.parts).toHaveLength(2);
      expect(result.parts[0]).toEqual({ type: 'text/cloud-config', filename: 'strata.cfg', payload: ours });
      expect(result.parts[1].payload, JSON.stringify(offline[i][0])).toBe(offline[i][0]);
    });
  });
});
