// The host keys a server announced on its console at first boot (core/hostkeys.ts): what cloud-init prints,
// with the prefixes real consoles add, read strictly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleHostKeys, hostKeyBlocks, knownHostsFor, knownHostsLines, parseHostKey } from '../../source/core/hostkeys.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-hostkeys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real key pair made by ssh-keygen, and ssh-keygen's own fingerprint of it. */
function realKey(type: 'ed25519' | 'ecdsa' | 'rsa', name: string): { line: string; type: string; base64: string; fingerprint: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  const [t, b] = line.split(' ');
  return { line, type: t!, base64: b!, fingerprint };
}

const ed = realKey('ed25519', 'ed');
const ec = realKey('ecdsa', 'ec');
const rsa = realKey('rsa', 'rsa');

/** The console of an Ubuntu server on EC2 as GetConsoleOutput returns it (syslog tags, kernel stamps). */
function ec2Console(keys: typeof ed[], blocks: 'both' | 'fingerprints' = 'both'): string {
  const lines = [
    '[   10.123456] cloud-init[812]: Cloud-init v. 24.1.3 running \'modules:final\'',
    'ci-info: no authorized SSH keys fingerprints found for user ubuntu.',
    '<14>Dec  6 12:34:56 cloud-init: #############################################################',
    '<14>Dec  6 12:34:56 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    ...keys.map((k) => `<14>Dec  6 12:34:56 cloud-init: ${k.type === 'ssh-rsa' ? 3072 : 256} ${k.fingerprint} root@ip-10-0-0-5 (${k.type === 'ssh-ed25519' ? 'ED25519' : k.type === 'ssh-rsa' ? 'RSA' : 'ECDSA'})`),
    '<14>Dec  6 12:34:56 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----',
    '<14>Dec  6 12:34:56 cloud-init: #############################################################',
  ];
  if (blocks === 'both') lines.push('-----BEGIN SSH HOST KEY KEYS-----', ...keys.map((k) => `${k.line.split(' ').slice(0, 2).join(' ')} root@ip-10-0-0-5`), '-----END SSH HOST KEY KEYS-----');
  lines.push('[   12.345678] cloud-init[900]: Cloud-init v. 24.1.3 finished at Sat, 06 Dec 2026 12:34:57 +0000.');
  return lines.join('\r\n');
}

describe('the host keys on a console', () => {
  it('reads both blocks of an EC2 console: the keys, with the fingerprints ssh-keygen gives them', () => {
    const found = consoleHostKeys(ec2Console([ec, ed, rsa]));
    expect(found.fingerprints.map((f) => f.fingerprint)).toEqual([ec.fingerprint, ed.fingerprint, rsa.fingerprint]);
    expect(found.fingerprints.map((f) => f.type)).toEqual(['ECDSA', 'ED25519', 'RSA']);
    expect(found.keys.map((k) => [k.type, k.base64, k.fingerprint])).toEqual([ec, ed, rsa].map((k) => [k.type, k.base64, k.fingerprint]));
  });

  it('reads the fingerprints alone where the console has no keys block', () => {
    const found = consoleHostKeys(ec2Console([ed], 'fingerprints'));
    expect(found.fingerprints.map((f) => f.fingerprint)).toEqual([ed.fingerprint]);
    expect(found.keys).toEqual([]);
  });

  it('finds nothing on a console without them, or with a block cut off before its end', () => {
    expect(consoleHostKeys('[    0.000000] Linux version 6.1.0\nlogin:')).toEqual({ fingerprints: [], keys: [] });
    const cut = ec2Console([ed]).split('\r\n').slice(0, 5).join('\n');
    expect(consoleHostKeys(cut)).toEqual({ fingerprints: [], keys: [] });
  });

  it('takes no key the fingerprints do not name, and no key whose blob is not of its type', () => {
    const console = [
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      `256 ${ed.fingerprint} root@x (ED25519)`,
      '-----END SSH HOST KEY FINGERPRINTS-----',
      '-----BEGIN SSH HOST KEY KEYS-----',
      `${ec.type} ${ec.base64} root@x`,
      `ssh-rsa ${ed.base64} root@x`,
      `${ed.type} ${ed.base64} root@x`,
      '-----END SSH HOST KEY KEYS-----',
    ].join('\n');
    expect(consoleHostKeys(console).keys.map((k) => k.fingerprint)).toEqual([ed.fingerprint]);
  });

  it('keeps the first block: what the server said at its first boot', () => {
    const first = hostKeyBlocks([parseHostKey(ed.type, ed.base64)!], 'a');
    const later = hostKeyBlocks([parseHostKey(ec.type, ec.base64)!], 'a');
    expect(consoleHostKeys([...first, 'reboot', ...later].join('\n')).keys.map((k) => k.fingerprint)).toEqual([ed.fingerprint]);
  });

  it('lets no escape sequence or other text of the console through', () => {
    const console = [
      '-----BEGIN SSH HOST KEY KEYS-----',
      `\u001b]0;title\u0007${ec.type} ${ec.base64}\u001b[2J evil`,
      `${rsa.type} ${rsa.base64}$(reboot)`,
      `<14>Dec  6 12:34:56 ec2: ${ed.type} ${ed.base64} root@x`,
      '-----END SSH HOST KEY KEYS-----',
    ].join('\n');
    const keys = consoleHostKeys(console).keys;
    expect(keys).toHaveLength(1);
    expect(knownHostsLines('strata.x', keys)).toEqual([`strata.x ${ed.type} ${ed.base64}`]);
  });

  it('prints blocks that it reads back (the sandbox prints them)', () => {
    const keys = [ed, rsa].map((k) => parseHostKey(k.type, k.base64)!);
    expect(consoleHostKeys(hostKeyBlocks(keys, 'web-1').join('\n'))).toEqual({
      fingerprints: [
        { bits: 256, fingerprint: ed.fingerprint, type: 'ED25519' },
        { bits: 3072, fingerprint: rsa.fingerprint, type: 'RSA' },
      ],
      keys,
    });
  });

  it('finds a host name\'s keys in a known_hosts text', () => {
    const text = [`strata.a ${ed.type} ${ed.base64}`, `# strata.a ${ec.type} ${ec.base64}`, `other,strata.a ${rsa.type} ${rsa.base64}`, `strata.b ${ec.type} ${ec.base64}`, 'garbage'].join('\n');
    expect(knownHostsFor(text, 'strata.a').map((k) => k.fingerprint)).toEqual([ed.fingerprint, rsa.fingerprint]);
    expect(knownHostsFor(text, 'strata.c')).toEqual([]);
  });
});
