// s on a server: the ssh argument list strata runs, per provider (EC2's vendor builds or generic cloud
// images) and image family, with the user set for an image and config.yaml's options; and how the host key
// is checked on the first connection (the console's keys, its fingerprints, or nothing). Against a real
// store; the console is the text a provider returns.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderDescription } from '../../source/core/capabilities.js';
import { hostKeyBlocks, parseHostKey } from '../../source/core/hostkeys.js';
import type { Image, Server } from '../../source/core/types.js';
import { configuredUser, Shell, sshOutcome, type ShellDeps } from '../../source/services/shell.js';
import { openStore, type Store } from '../../source/store/db.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-shell-'));
  dirs.push(dir);
  return dir;
}

function description(id: 'aws' | 'libvirt' | 'sandbox', consoleOutput = true): ProviderDescription {
  return {
    id,
    displayName: id === 'aws' ? 'Amazon EC2' : id === 'libvirt' ? 'libvirt' : 'Sandbox cloud',
    region: id === 'aws' ? 'eu-west-1' : id === 'libvirt' ? 'default' : 'eu-west',
    regions: [],
    profile: '',
    capabilities: { servers: { consoleOutput, terminate: true, expectedReadySeconds: 1200, ...(id === 'aws' ? { loginConvention: 'ec2' as const } : {}) } } as ProviderDescription['capabilities'],
  };
}

function image(id: string, name: string, extra: Partial<Image> = {}): Image {
  return { id, name, kind: 'vendor', owner: 'x', architecture: 'x86_64', state: 'available', createdAt: '2026-01-01T00:00:00Z', owned: false, tags: {}, ...extra };
}

function server(extra: Partial<Server> = {}): Server {
  return {
    id: 'i-0abc',
    name: 'web-1',
    imageId: 'ami-1',
    productId: 't3.micro',
    phase: 'ready',
    phaseSince: '2026-01-01T00:00:00Z',
    launchedAt: '2026-01-01T00:00:00Z',
    firewallIds: [],
    tags: {},
    publicAddress: '198.51.100.7',
    privateAddress: '10.0.0.5',
    ...extra,
  };
}

/** A real host key (ssh-keygen), as the console would print it. */
function hostKey(dir: string, name = 'host') {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const [type, base64] = readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(' ');
  return parseHostKey(type!, base64!)!;
}

function shell(provider: 'aws' | 'libvirt' | 'sandbox', images: Image[], options: Partial<ShellDeps> & { console?: string } = {}) {
  const home = tempDir();
  const store = openStore(home);
  stores.push(store);
  const d = description(provider);
  const consoles: string[] = [];
  const s = new Shell({
    providerId: provider,
    region: d.region,
    description: d,
    store,
    home,
    env: { PATH: process.env.PATH },
    consoleOutput: async (id) => {
      consoles.push(id);
      return options.console ?? '';
    },
    getImage: async (id) => images.find((i) => i.id === id) ?? null,
    ...options,
  });
  return { shell: s, store, home, consoles, known: join(home, 'ssh', 'known_hosts') };
}

const KNOWN = (home: string) => `UserKnownHostsFile=${join(home, 'ssh', 'known_hosts')} ~/.ssh/known_hosts ~/.ssh/known_hosts2`;

describe('the ssh argument list', () => {
  it.each([
    ['aws', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115', 'ubuntu'],
    ['aws', 'debian-12-amd64-20250112-1993', 'admin'],
    ['aws', 'al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64', 'ec2-user'],
    ['aws', 'RHEL-9.5.0_HVM-20250128-x86_64-0-Hourly2-GP3', 'ec2-user'],
    ['aws', 'Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4', 'fedora'],
    ['libvirt', 'debian-12-genericcloud-amd64.qcow2', 'debian'],
    ['libvirt', 'rhel-9.5-x86_64-kvm.qcow2', 'cloud-user'],
    ['libvirt', 'CentOS-Stream-GenericCloud-9-20250120.0.x86_64.qcow2', 'cloud-user'],
    ['sandbox', 'rocky-9-x86_64-20261201', 'rocky'],
    ['sandbox', 'amazon-linux-2023-x86_64-20261201', 'ec2-user'],
  ] as const)('%s, %s: %s', async (provider, name, user) => {
    const t = shell(provider, [image('ami-1', name)], { console: '' });
    const plan = await t.shell.plan(server());
    expect(plan.args).toEqual([
      '-o',
      `HostKeyAlias=strata.${provider}.${description(provider).region}.i-0abc`,
      '-o',
      KNOWN(t.home),
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'HashKnownHosts=no',
      `${user}@198.51.100.7`,
    ]);
    expect(plan.userFrom).toBe('family');
    expect(plan.line.startsWith(`ssh -o HostKeyAlias=strata.${provider}.`)).toBe(true);
  });

  it('an own image captured from a template logs in as the template\'s user; one of no known family leaves the user to ssh, and says so', async () => {
    const t = shell('aws', [image('ami-1', 'golden-web-2026-11', { kind: 'own', sourceImageId: 'ami-0' }), image('ami-0', 'debian-12-amd64-20250112')]);
    expect((await t.shell.plan(server())).args.at(-1)).toBe('admin@198.51.100.7');
    const u = shell('aws', [image('ami-1', 'golden-web-2026-11', { kind: 'own' })]);
    const plan = await u.shell.plan(server());
    expect(plan.args.at(-1)).toBe('198.51.100.7');
    expect(plan.userFrom).toBe('ssh');
    expect(plan.notes[0]).toMatch(/^strata knows no login user for golden-web-2026-11: ssh uses ~\/\.ssh\/config's User/);
  });

  it(':ssh-user wins over config.yaml, which wins over the family (by id, by name, by a * pattern)', async () => {
    const images = [image('ami-1', 'ubuntu-noble-24.04-web')];
    const t = shell('aws', images, { config: { billingCodes: {}, groups: [], trustedVendorOwners: [], ssh: { users: { 'ubuntu-noble-*': 'deploy' } } } });
    expect((await t.shell.plan(server())).args.at(-1)).toBe('deploy@198.51.100.7');
    t.shell.setLoginUser('ami-1', 'ops');
    const plan = await t.shell.plan(server());
    expect(plan.args.at(-1)).toBe('ops@198.51.100.7');
    expect(plan.userFrom).toBe('store');
    t.shell.setLoginUser('ami-1', null);
    expect((await t.shell.plan(server())).userFrom).toBe('config');
    expect(() => t.shell.setLoginUser('ami-1', '-oProxyCommand=x')).toThrow(/is not a login name/);
    expect(configuredUser({ 'ami-1': 'a', 'web': 'b' }, 'ami-1', 'web')).toBe('a');
    expect(configuredUser({ web: 'b' }, 'ami-2', 'web')).toBe('b');
    expect(configuredUser({ 'w.*': 'c' }, 'ami-2', 'wx-1')).toBeUndefined();
    expect(configuredUser({ 'w.*': 'c' }, 'ami-2', 'w.-1')).toBe('c');
  });

  it('config.yaml\'s options and jump host come after strata\'s host key checking, the key strata made last before the address', async () => {
    const t = shell('libvirt', [image('ami-1', 'debian-12-genericcloud')], {
      config: { billingCodes: {}, groups: [], trustedVendorOwners: [], ssh: { options: { ServerAliveInterval: '30', Port: '2222' }, proxyJump: 'ops@bastion.example.net' } },
    });
    const key = join(t.home, 'web-key');
    writeFileSync(key, 'not really a key', { mode: 0o600 });
    t.store.transaction(() => {
      t.store.journal('libvirt', 'default').begin('tok-1', { name: 'web', imageId: 'ami-1', productId: 'small', firewallIds: [], count: 1 });
      t.store.launches().create({ clientToken: 'tok-1', provider: 'libvirt', region: 'default', request: {}, productId: 'small', tagsAtProvider: false });
      t.store.launches().noteKeypair('tok-1', { name: 'web-key', fingerprint: 'SHA256:x', how: 'imported', path: key });
      t.store.launches().addServers('tok-1', ['i-0abc']);
    });
    const plan = await t.shell.plan(server({ publicAddress: undefined }));
    expect(plan.args.slice(8)).toEqual(['-o', 'ServerAliveInterval=30', '-o', 'Port=2222', '-J', 'ops@bastion.example.net', '-i', key, '-o', 'IdentitiesOnly=yes', 'debian@10.0.0.5']);
    expect(plan.identityFile).toBe(key);
    // Another server launched later with the same (existing) keypair: the key strata made for it is used.
    expect((await t.shell.plan(server({ id: 'i-0def', keypairName: 'web-key' }))).identityFile).toBe(key);
    // A keypair strata did not make: the agent (no -i).
    expect((await t.shell.plan(server({ id: 'i-0fed', keypairName: 'theirs' }))).args).not.toContain('-i');
  });

  it('a path with a space is quoted for ssh and for the line shown', async () => {
    const t = shell('sandbox', [image('ami-1', 'rocky-9')]);
    const spaced = join(t.home, 'Application Support');
    const s = new Shell({ ...(t.shell as unknown as { deps: ShellDeps }).deps, home: spaced });
    const plan = await s.plan(server());
    expect(plan.args[3]).toBe(`UserKnownHostsFile="${join(spaced, 'ssh', 'known_hosts')}" ~/.ssh/known_hosts ~/.ssh/known_hosts2`);
    expect(plan.line).toContain(`'UserKnownHostsFile="${join(spaced, 'ssh', 'known_hosts')}" ~/.ssh/known_hosts ~/.ssh/known_hosts2'`);
  });
});

describe('where s is not offered', () => {
  it.each([
    [{ phase: 'terminated' as const }, 'web-1 is terminated: there is nothing to ssh into.'],
    [{ phase: 'pending' as const, publicAddress: undefined, privateAddress: undefined }, 'web-1 has no address yet (it is pending).'],
    [{ publicAddress: undefined, privateAddress: undefined }, 'The provider gives web-1 no address strata can reach (no public or private address).'],
    [{ unreachable: 'A sandbox server is emulated.' }, 'web-1 cannot be reached: A sandbox server is emulated.'],
    [{ publicAddress: '-oProxyCommand=touch' }, 'web-1\'s address "-oProxyCommand=touch" is not one ssh takes.'],
  ])('%o', async (extra, sentence) => {
    const t = shell('aws', [image('ami-1', 'debian-12')]);
    expect(t.shell.refusal(server(extra))).toBe(sentence);
    await expect(t.shell.plan(server(extra))).rejects.toThrow(sentence);
  });

  it('a Windows server: RDP, not ssh', async () => {
    const t = shell('aws', [image('ami-1', 'Windows_Server-2022-English-Full-Base')]);
    await expect(t.shell.plan(server())).rejects.toThrow('web-1 runs Windows: connect with RDP');
  });
});

describe('the first connection: the host key', () => {
  it('the console\'s keys go into strata\'s known_hosts (0600) under the alias, and ssh checks strictly; the next s uses them', async () => {
    const dir = tempDir();
    const key = hostKey(dir);
    const t = shell('aws', [image('ami-1', 'debian-12')], { console: ['noise', ...hostKeyBlocks([key], 'web-1')].join('\n') });
    const plan = await t.shell.plan(server());
    expect(plan.check).toBe('console-keys');
    expect(plan.args).toContain('StrictHostKeyChecking=yes');
    expect(plan.args.some((a) => a.startsWith('KnownHostsCommand'))).toBe(false);
    expect(readFileSync(t.known, 'utf8')).toBe(`strata.aws.eu-west-1.i-0abc ssh-ed25519 ${key.base64}\n`);
    expect(statSync(t.known).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.home, 'ssh')).mode & 0o777).toBe(0o700);
    expect(plan.checkSentence).toBe(`The host key is checked against the key web-1's console showed at first boot (${key.fingerprint}).`);
    const again = await t.shell.plan(server());
    expect(again.check).toBe('known');
    expect(t.consoles).toEqual(['i-0abc']); // the console is read on the first s only
    expect(readFileSync(t.known, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('fingerprints alone: ssh asks awk for the offered key, which answers only for a fingerprint the console showed', async () => {
    const dir = tempDir();
    const key = hostKey(dir);
    const t = shell('sandbox', [image('ami-1', 'rocky-9')], { console: hostKeyBlocks([key], 'web-1', 'fingerprints').join('\n') });
    const plan = await t.shell.plan(server());
    expect(plan.check).toBe('console-fingerprints');
    const command = plan.args.find((a) => a.startsWith('KnownHostsCommand='))!;
    const fingerprints = join(t.home, 'ssh', 'strata.sandbox.eu-west.i-0abc.fingerprints');
    expect(readFileSync(fingerprints, 'utf8')).toBe(`${key.fingerprint}\n`);
    // What ssh runs, with the tokens ssh would expand: the offered key is printed (and kept) when it matches.
    expect(command).toBe(`KnownHostsCommand=${join(t.home, 'ssh', 'verify')} %H %t %K %f`);
    expect(statSync(join(t.home, 'ssh', 'verify')).mode & 0o777).toBe(0o700);
    const run = (fingerprint: string) => execFileSync(join(t.home, 'ssh', 'verify'), ['strata.sandbox.eu-west.i-0abc', 'ssh-ed25519', key.base64, fingerprint], { encoding: 'utf8' });
    expect(run('SHA256:someoneElse0000000000000000000000000000000')).toBe('');
    // ssh also asks before it has a key, and by the address: nothing to say then, and no failure.
    expect(execFileSync(join(t.home, 'ssh', 'verify'), ['127.0.0.1', 'NONE', 'NONE', 'NONE'], { encoding: 'utf8' })).toBe('');
    expect(execFileSync(join(t.home, 'ssh', 'verify'), ['[127.0.0.1]:2222', 'NONE', 'NONE', 'NONE'], { encoding: 'utf8' })).toBe('');
    expect(run(key.fingerprint)).toBe(`strata.sandbox.eu-west.i-0abc ssh-ed25519 ${key.base64}\n`);
    expect(readFileSync(t.known, 'utf8')).toBe(`strata.sandbox.eu-west.i-0abc ssh-ed25519 ${key.base64}\n`);
    expect((await t.shell.plan(server())).check).toBe('known');
  });

  it('nothing on the console (or no console): unverified, said, and ssh takes the first key into strata\'s file', async () => {
    const t = shell('aws', [image('ami-1', 'debian-12')], { console: '[ 0.0] Linux version 6.1' });
    const plan = await t.shell.plan(server());
    expect(plan.check).toBe('unverified');
    expect(plan.args).toContain('StrictHostKeyChecking=accept-new');
    expect(plan.checkSentence).toBe("web-1's console shows no host key fingerprints: the first connection cannot be verified.");
    const none = shell('aws', [image('ami-1', 'debian-12')], { description: description('aws', false) });
    expect((await none.shell.plan(server())).checkSentence).toBe("web-1's console shows no host key fingerprints (Amazon EC2 shows no console output): the first connection cannot be verified.");
  });

  it('what ssh said when it refused the key is shown, whole, without its banner art', () => {
    const stderr = [
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
      'Host key for strata.aws.eu-west-1.i-0abc has changed and you have requested strict checking.',
      'Host key verification failed.\u001b[2J',
    ].join('\r\n');
    const out = sshOutcome({ serverName: 'web-1', line: 'ssh web-1', check: 'console-keys', checkSentence: '' }, 255, undefined, stderr);
    expect(out).toEqual({
      level: 'error',
      text:
        "ssh could not connect to web-1 (exit 255). It refused the server's host key: it is not the one the console showed at first boot. ssh said: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! Host key for strata.aws.eu-west-1.i-0abc has changed and you have requested strict checking. Host key verification failed.",
      ranLine: 'Ran: ssh web-1',
    });
  });
});
