// Keypairs and firewalls as a cloud keeps them: real keys that OpenSSH reads, OpenSSH fingerprints,
// only public halves stored, and rules checked field by field.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_DB_FILE } from '../../../source/providers/sandbox/index.js';
import { useSandbox } from './helpers.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'strata-keys-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function sshKeygen(...args: string[]): Promise<string> {
  return (await run('ssh-keygen', args)).stdout.trim();
}

/** A key made by OpenSSH itself: [public line, fingerprint as ssh-keygen -l prints it]. */
async function openSshKey(type: string, bits?: number): Promise<[string, string]> {
  const file = join(scratch, `${type}-${bits ?? 0}-${Math.random().toString(36).slice(2)}`);
  await sshKeygen('-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', 'me@host', '-f', file);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const fingerprint = (await sshKeygen('-l', '-E', 'sha256', '-f', `${file}.pub`)).split(' ')[1];
  return [line, fingerprint];
}

describe('sandbox keypairs', () => {
  const { home, open } = useSandbox();

  it('creates a real RSA key: ssh-keygen reads the private key, and the fingerprint is OpenSSH\'s', async () => {
    const dir = home();
    const p = await open({ home: dir, sandboxSeed: 2 });
    const created = await p.createKeypair('deploy');
    expect(created.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const file = join(scratch, 'deploy.pem');
    writeFileSync(file, created.privateKeyPem, { mode: 0o600 });
    const publicLine = await sshKeygen('-y', '-f', file);
    expect(publicLine).toMatch(/^ssh-rsa AAAA/);
    writeFileSync(`${file}.pub`, publicLine + '\n');
    const fingerprint = (await sshKeygen('-l', '-E', 'sha256', '-f', `${file}.pub`)).split(' ')[1];
    expect(created.fingerprint).toBe(fingerprint);
    // Listed without the private key, and the private key is nowhere in the sandbox's database.
    const listed = (await p.listKeypairs()).find((k) => k.name === 'deploy')!;
    expect(listed).toEqual({ id: created.id, name: 'deploy', fingerprint, createdAt: created.createdAt });
    await p.close();
    const files = [SANDBOX_DB_FILE, `${SANDBOX_DB_FILE}-wal`].filter((f) => existsSync(join(dir, f)));
    const db = files.map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
    const body = created.privateKeyPem.split('\n')[5];
    expect(db).not.toContain(body);
    await expect(p.listKeypairs()).rejects.toMatchObject({ kind: 'Invalid' }); // closed
  });

  it('imports OpenSSH public keys of every common type, with the fingerprint ssh-keygen gives', async () => {
    const p = await open();
    for (const [type, bits] of [['ed25519'], ['ecdsa', 256], ['ecdsa', 384], ['ecdsa', 521], ['rsa', 3072]] as const) {
      const [line, fingerprint] = await openSshKey(type, bits);
      const imported = await p.importKeypair(`imported-${type}-${bits ?? ''}`, `  ${line}\n`);
      expect(imported.fingerprint, `${type} ${bits ?? ''}`).toBe(fingerprint);
    }
  });

  it('refuses what is not one good public key, in a sentence about the field', async () => {
    const p = await open();
    const [ed] = await openSshKey('ed25519');
    const [weak] = await openSshKey('rsa', 1024);
    const [type, data] = ed.split(' ');
    const bad = [
      '',
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      `ssh-dss ${data}`,
      `ssh-rsa ${data}`, // says rsa, holds ed25519
      `${type} ${data.slice(0, 30)}`, // truncated
      `${type} ${data}\n${ed}`, // two keys
      `${type} not*base64`,
      weak,
    ];
    for (const key of bad) {
      await expect(p.importKeypair('k', key), JSON.stringify(key)).rejects.toMatchObject({ kind: 'Invalid', field: 'publicKey' });
    }
    await expect(p.importKeypair('has space', ed)).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });
    await p.importKeypair('taken', ed);
    await expect(p.importKeypair('taken', ed)).rejects.toMatchObject({ kind: 'Conflict' });
    await expect(p.createKeypair('taken')).rejects.toMatchObject({ kind: 'Conflict' });
  });

  it('cannot create keypairs in the plain region, but imports them', async () => {
    const p = await open({ region: 'ap-south' });
    await expect(p.createKeypair('mine')).rejects.toMatchObject({ kind: 'Unsupported' });
    const [line] = await openSshKey('ed25519');
    expect((await p.importKeypair('mine', line)).name).toBe('mine');
    expect((await p.listKeypairs()).map((k) => k.name)).toEqual(['mine', 'ops-shared']);
  });
});

describe('sandbox firewalls', () => {
  const { open } = useSandbox();

  it('holds a default firewall that lets SSH in', async () => {
    for (const region of ['eu-west', 'ap-south']) {
      const p = await open({ region });
      const fw = (await p.listFirewalls()).find((f) => f.name === 'default')!;
      expect(fw.rules).toEqual([{ protocol: 'tcp', fromPort: 22, toPort: 22, source: '0.0.0.0/0' }]);
    }
  });

  it('checks every rule and says which field is wrong', async () => {
    const p = await open();
    const good = { protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: '0.0.0.0/0' };
    const cases: Array<[unknown, string]> = [
      [{ ...good, protocol: 'sctp' }, 'rules[0].protocol'],
      [{ ...good, fromPort: -5 }, 'rules[0].fromPort'],
      [{ ...good, toPort: 65536 }, 'rules[0].toPort'],
      [{ ...good, fromPort: 1.5 }, 'rules[0].fromPort'],
      [{ ...good, fromPort: 100, toPort: 99 }, 'rules[0].toPort'],
      [{ ...good, protocol: 'icmp' }, 'rules[0].fromPort'],
      [{ ...good, source: '10.0.0.0/33' }, 'rules[0].source'],
      [{ ...good, source: '10.0.0/8' }, 'rules[0].source'],
      [{ ...good, source: '2001:db8::/129' }, 'rules[0].source'],
      [{ ...good, source: 'anywhere' }, 'rules[0].source'],
    ];
    for (const [rule, field] of cases) {
      await expect(p.createFirewall('fw', [good, rule] as never), field).rejects.toMatchObject({
        kind: 'Invalid',
        field: field.replace('rules[0]', 'rules[1]'),
      });
    }
    await expect(p.createFirewall('bad name!', [good])).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });
    const ok = await p.createFirewall('ok', [
      good,
      { protocol: 'udp', fromPort: 0, toPort: 65535, source: '2001:db8::/32' },
      { protocol: 'icmp', fromPort: -1, toPort: -1, source: '::/0' },
    ]);
    expect(ok.rules).toHaveLength(3);
    await expect(p.createFirewall('ok', [])).rejects.toMatchObject({ kind: 'Conflict' });
    await expect(p.createFirewall('default', [])).rejects.toMatchObject({ kind: 'Conflict' });
  });

  it('cannot create firewalls in the plain region', async () => {
    const p = await open({ region: 'ap-south' });
    await expect(p.createFirewall('x', [])).rejects.toMatchObject({ kind: 'Unsupported' });
  });
});
