// The launcher against the real sandbox provider, the real store and the real secret store (its 0600 file,
// as on a host without a keychain). eu-west is a rich region (tags, RAID, encryption, keypair creation);
// ap-south a plain one (no tags, no RAID, no encryption, keypairs imported only).
import { reviewSummary } from '../../source/ui/panes/launch/words.js';
import { progressText } from '../../source/services/launch-words.js';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { BILLING_TAG, GROUP_TAG } from '../../source/core/tags.js';
import { REDACTED as PLACEHOLDER } from '../../source/core/userdata.js';
import type { VolumePlan } from '../../source/core/types.js';
import { SECRETS_FILE_NAME } from '../../source/secrets/keychain.js';
import { PASSPHRASE_PATTERN } from '../../source/secrets/passphrase.js';
import { Billing } from '../../source/services/billing.js';
import { LaunchRefused, launchPassphraseAccount, type LaunchRequest } from '../../source/services/launcher.js';
import { basicRequest, newHome, openWorld, sandboxServers, secretsFile, storeBytes, type World } from './launcher.fixture.js';

const RAID1_ENCRYPTED: VolumePlan = { count: 2, sizeGiB: 10, raid: '1', filesystem: 'ext4', mountPoint: '/data', encrypt: true };

function sshKeygenFingerprint(path: string): string {
  // "256 SHA256:abc… comment (ED25519)"
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path], { encoding: 'utf8' }).split(/\s+/)[1]!;
}

async function serverCount(world: World): Promise<number> {
  return (await world.provider.listServers()).length;
}

function fields(problems: { field: string }[]): string[] {
  return problems.map((p) => p.field);
}

describe('review', () => {
  it('lists every problem with its field and sends nothing', async () => {
    const world = await openWorld();
    const before = {
      servers: await world.provider.listServers(),
      firewalls: await world.provider.listFirewalls(),
      keypairs: await world.provider.listKeypairs(),
    };
    const tooBig = join(world.home, 'big.sh');
    writeFileSync(tooBig, '#!/bin/sh\n' + '# padding\n'.repeat(2000));
    const request: LaunchRequest = {
      name: 'bad name!',
      imageId: world.image.id,
      productId: 'sb.nope',
      count: 1,
      firewallIds: ['sg-does-not-exist'],
      newFirewall: { name: 'web', rules: [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: 'everywhere' }] },
      keypair: { mode: 'create', name: 'ops-shared', directory: join(world.home, 'no-such-dir') },
      group: 'web tier',
      billingCode: 'ops/42',
      volumes: { count: 2, sizeGiB: 10, raid: '5', filesystem: 'ext4', mountPoint: '/etc', encrypt: true },
      userDataFile: join(world.home, 'missing.sh'),
    };
    const review = await world.launcher.review(request);
    const got = fields(review.problems);
    for (const field of [
      'name',
      'productId',
      'firewallIds',
      'newFirewall.name',
      'keypair.name',
      'keypair.directory',
      'group',
      'billingCode',
      'volumes.raid',
      'volumes.mountPoint',
      'userDataFile',
    ]) {
      expect(got, field).toContain(field);
    }
    expect(got.some((f) => f.startsWith('newFirewall.rules.0'))).toBe(true);
    expect(review.problems.find((p) => p.field === 'userDataFile')!.message).toBe(`The user data file ${request.userDataFile} does not exist.`);
    expect(review.problems.find((p) => p.field === 'keypair.directory')!.message).toBe(
      `The key directory ${join(world.home, 'no-such-dir')} does not exist.`,
    );
    for (const p of review.problems) expect(p.message).toMatch(/[.!?]$/);

    // other bad files, each refused with a sentence at the field
    const dir = join(world.home, 'a-directory');
    mkdirSync(dir);
    const asDir = await world.launcher.review(basicRequest(world, { userDataFile: dir }));
    expect(asDir.problems).toEqual([{ field: 'userDataFile', message: `The user data file ${dir} is not a regular file.` }]);
    const big = await world.launcher.review(basicRequest(world, { userDataFile: tooBig }));
    expect(big.problems).toEqual([{ field: 'userDataFile', message: expect.stringMatching(/^The user data file .*big\.sh is 19\.5 KiB; user data can be at most 16 KiB\.$/) }]);

    // nothing was sent: no server, firewall, keypair, journal entry, audit entry or key file
    expect(await world.provider.listServers()).toEqual(before.servers);
    expect(await world.provider.listFirewalls()).toEqual(before.firewalls);
    expect(await world.provider.listKeypairs()).toEqual(before.keypairs);
    expect(world.store.journal('sandbox', 'eu-west').list()).toEqual([]);
    expect(world.store.audit.list()).toEqual([]);
    expect(readdirSync(world.sshDir)).toEqual([]);
    expect(existsSync(join(world.home, SECRETS_FILE_NAME))).toBe(false);

    // launch() refuses the same request with every problem, and still sends nothing
    const refused = await world.launcher.launch(request, { clientToken: review.clientToken }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LaunchRefused);
    expect((refused as LaunchRefused).kind).toBe('Invalid');
    expect(fields((refused as LaunchRefused).problems)).toEqual(got);
    expect(await world.provider.listServers()).toEqual(before.servers);
    expect(world.store.journal('sandbox', 'eu-west').list()).toEqual([]);
  });

  it('shows the summary, the exact request with the placeholder, and the cloud-init document', async () => {
    const world = await openWorld();
    const userFile = join(world.home, 'user.sh');
    writeFileSync(userFile, '#!/bin/sh\necho hello from the user\n');
    const review = await world.launcher.review(
      basicRequest(world, {
        count: 2,
        keypair: { mode: 'create', name: 'deploy-key' },
        group: 'web',
        billingCode: 'ops-42',
        volumes: RAID1_ENCRYPTED,
        userDataFile: userFile,
      }),
    );
    expect(review.problems).toEqual([]);
    expect(review.clientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(review.cloudInit).toMatch(/^#cloud-config\n/);
    expect(review.cloudInit).toContain(PLACEHOLDER);
    expect(review.userData).toContain('echo hello from the user');
    expect(review.userData!.indexOf('#cloud-config')).toBeLessThan(review.userData!.indexOf('echo hello from the user'));
    expect(review.spec.userData).toBe(review.userData);
    // two servers: two requests, one per server, each its own token and name; the preview is the first
    expect(review.requests).toEqual([
      { index: 1, clientToken: `${review.clientToken}-1`, name: 'app-1' },
      { index: 2, clientToken: `${review.clientToken}-2`, name: 'app-2' },
    ]);
    expect(review.preview?.request).toEqual({
      action: 'launch',
      region: 'eu-west',
      clientToken: `${review.clientToken}-1`,
      spec: { ...review.spec, name: 'app-1', count: 1 },
    });
    expect(JSON.stringify(review.preview)).toContain(PLACEHOLDER);
    // the facts are data, for the UI to word
    expect(review.facts).toMatchObject({
      count: 2,
      names: ['app-1', 'app-2'],
      where: { providerId: 'sandbox', region: 'eu-west' },
      keypair: { mode: 'create', name: 'deploy-key' },
      keyFile: { path: join(world.sshDir, 'deploy-key'), how: 'created' },
      group: 'web',
      billingCode: 'ops-42',
      tagsAtProvider: true,
      volumes: RAID1_ENCRYPTED,
    });
    expect(review.keyFile).toEqual({ path: join(world.sshDir, 'deploy-key'), how: 'created' });
    expect(reviewSummary(review.facts).join('\n')).toContain('Launch 2 servers (app-1 … app-2)');
    expect(reviewSummary(review.facts).join('\n')).toContain(`the private key goes to ${join(world.sshDir, 'deploy-key')} (mode 0600)`);
    expect(reviewSummary(review.facts).join('\n')).toContain('Group web, billing code ops-42, kept as tags at the provider.');
    expect(reviewSummary(review.facts).join('\n')).toContain('RAID 1');
    expect(reviewSummary(review.facts).join('\n')).toContain('each server gets its own passphrase');
    // a review proposes a fresh token each time
    expect((await world.launcher.review(basicRequest(world))).clientToken).not.toBe(review.clientToken);
    expect(await world.provider.listServers()).toHaveLength(0);
  });

  it('ap-south: encryption and RAID are refused at their fields, group and billing code live locally', async () => {
    const world = await openWorld({ region: 'ap-south' });
    const review = await world.launcher.review(
      basicRequest(world, { volumes: { ...RAID1_ENCRYPTED, sizeGiB: 20 }, billingCode: 'ops-42' }),
    );
    expect(fields(review.problems)).toEqual(expect.arrayContaining(['volumes.raid', 'volumes.encrypt']));
    expect(reviewSummary(review.facts).join('\n')).toContain('kept in the local store (this provider holds no tags)');
  });
});

describe('launch', () => {
  it('eu-west: keypair created and saved 0600, a new firewall, group, billing code, RAID 1 encrypted volumes — exactly one set of servers', async () => {
    const world = await openWorld();
    const userFile = join(world.home, 'user.sh');
    writeFileSync(userFile, '#!/bin/sh\necho hello from the user\n');
    const web = (await world.provider.listFirewalls()).find((f) => f.name === 'web')!;
    const request: LaunchRequest = basicRequest(world, {
      name: 'db',
      count: 2,
      firewallIds: [web.id],
      newFirewall: {
        name: 'db-access',
        rules: [
          { protocol: 'tcp', fromPort: 5432, toPort: 5432, source: '10.0.0.0/8' },
          { protocol: 'icmp', fromPort: -1, toPort: -1, source: '10.0.0.0/8' },
        ],
      },
      keypair: { mode: 'create', name: 'db-key' },
      group: 'databases',
      billingCode: 'ops-42',
      volumes: RAID1_ENCRYPTED,
      userDataFile: userFile,
    });
    const review = await world.launcher.review(request);
    expect(review.problems).toEqual([]);
    const steps: string[] = [];
    const outcome = await world.launcher.launch(request, {
      clientToken: review.clientToken,
      onProgress: (p) => steps.push(p.made !== undefined ? `${p.step}:made` : p.request ? `${p.step}#${p.request.index}` : p.step),
    });
    // every step in order; two servers are two requests, each with its own passphrase
    expect(steps).toEqual([
      'validating',
      'journal',
      'keypair',
      'keypair:made',
      'firewall',
      'firewall:made',
      'passphrase#1',
      'passphrase#2',
      'sending#1',
      'answered#1',
      'sending#2',
      'answered#2',
      'recording',
      'done',
    ]);
    expect(outcome.how).toBe('launched');

    // exactly one set of servers, with exactly those properties
    const all = await world.provider.listServers();
    expect(all).toHaveLength(2);
    expect(outcome.servers.map((s) => s.id).sort()).toEqual(all.map((s) => s.id).sort());
    const created = (await world.provider.listFirewalls()).find((f) => f.name === 'db-access')!;
    expect(created.rules).toHaveLength(2);
    // made by the launcher's firewall step, its description naming the launch (so a retry knows it)
    expect(created.description).toBe(`Created by strata at launch ${review.clientToken}`);
    for (const s of all) {
      // one request per server: the launch's token with the server's number, and the server's own name
      expect(s.clientToken).toMatch(new RegExp(`^${review.clientToken}-[12]$`));
      expect(s.name).toBe(`db-${s.clientToken!.slice(-1)}`);
      expect(s.imageId).toBe(world.image.id);
      expect(s.productId).toBe('sb.small');
      expect(s.keypairName).toBe('db-key');
      expect(s.firewallIds.sort()).toEqual([web.id, created.id].sort());
      expect(s.volumes).toEqual(RAID1_ENCRYPTED);
      expect(s.tags[GROUP_TAG]).toBe('databases');
      expect(s.tags[BILLING_TAG]).toBe('ops-42');
    }

    // the private key: where ssh expects it, 0600, its fingerprint the provider's and ssh-keygen's
    const keyPath = join(world.sshDir, 'db-key');
    expect(outcome.keyFile).toEqual({ path: keyPath, fingerprint: expect.stringMatching(/^SHA256:/), how: 'created' });
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(sshKeygenFingerprint(keyPath)).toBe(outcome.keyFile!.fingerprint);
    expect((await world.provider.listKeypairs()).find((k) => k.name === 'db-key')!.fingerprint).toBe(outcome.keyFile!.fingerprint);
    expect(outcome.agent).toEqual({ available: false });

    // the passphrase: in the 0600 file, under each server's id; the user data the servers got holds it
    const secretsPath = join(world.home, SECRETS_FILE_NAME);
    expect(outcome.passphrase).toMatchObject({ where: 'file', path: secretsPath });
    expect([...outcome.passphrase!.accounts].sort()).toEqual(all.map((s) => `luks:${s.id}`).sort());
    expect(outcome.passphrase!.describe).toContain(secretsPath);
    expect(statSync(secretsPath).mode & 0o777).toBe(0o600);
    // each server its own passphrase, under its own id; the request's account is emptied once it is moved
    const secrets = secretsFile(world.home);
    const stored = sandboxServers(world.home, review.clientToken);
    expect(stored.map((r) => r.name)).toEqual(['db-1', 'db-2']);
    const passphrases = stored.map((row) => secrets[`luks:${row.id}`]!);
    for (const p of passphrases) expect(p).toMatch(PASSPHRASE_PATTERN);
    expect(passphrases[0]).not.toBe(passphrases[1]);
    expect(Object.keys(secrets).sort()).toEqual(stored.map((r) => `luks:${r.id}`).sort());
    expect(secrets[launchPassphraseAccount('sandbox', 'eu-west', review.clientToken)]).toBeUndefined();
    for (const [i, row] of stored.entries()) {
      const passphrase = passphrases[i]!;
      expect(row.user_data).toContain(passphrase);
      expect(row.user_data).not.toContain(passphrases[1 - i]!);
      expect(row.user_data).not.toContain(PLACEHOLDER);
      // strata's parts first, the user's after
      expect(row.user_data!.indexOf('#cloud-config')).toBeLessThan(row.user_data!.indexOf('echo hello from the user'));
      // the same document as reviewed, but for the passphrase
      expect(row.user_data!.replaceAll(passphrase, PLACEHOLDER)).toBe(review.userData);
    }
    // the store knows where each server's passphrase is (never the passphrase)
    const local = world.store.launches().servers('sandbox', 'eu-west');
    for (const row of stored) expect(local.get(row.id)?.passphraseAccount).toBe(`luks:${row.id}`);

    // the journal and the audit log hold no secret: not the passphrase, not the private key
    const pem = readFileSync(keyPath, 'utf8');
    const keyLine = pem.split('\n')[5]!;
    expect(keyLine.length).toBeGreaterThan(40);
    const journal = world.store.journal('sandbox', 'eu-west').get(review.clientToken)!;
    expect(journal.state).toBe('done');
    expect(journal.serverIds.sort()).toEqual(all.map((s) => s.id).sort());
    expect(journal.spec.userData).toContain(PLACEHOLDER);
    const audit = world.store.audit.list({ limit: 1000 });
    const texts = [JSON.stringify(journal), JSON.stringify(audit), storeBytes(world.home)];
    for (const text of texts) {
      for (const passphrase of passphrases) expect(text).not.toContain(passphrase);
      expect(text).not.toContain(keyLine);
      expect(text).not.toContain('PRIVATE KEY');
    }

    // every launch, keypair, firewall and passphrase is in the audit log
    const byAction = (action: string) => audit.filter((e) => e.action === action);
    expect(byAction('launch.requested')).toHaveLength(1);
    expect(byAction('launch.requested')[0]!.target).toBe(review.clientToken);
    expect(byAction('keypair.created')[0]!.detail).toMatchObject({ name: 'db-key', fingerprint: outcome.keyFile!.fingerprint, path: keyPath });
    expect(byAction('firewall.created')[0]!.detail).toMatchObject({ name: 'db-access', rules: 2, id: created.id });
    expect(byAction('passphrase.stored').length).toBeGreaterThanOrEqual(1);
    for (const e of byAction('passphrase.stored')) expect(JSON.stringify(e.detail)).toContain(secretsPath);
    expect(byAction('launch.done')[0]!.detail).toMatchObject({ serverIds: outcome.servers.map((s) => s.id), group: 'databases', billingCode: 'ops-42', where: 'tags' });
    for (const e of audit) expect(e.detail.redacted, e.action).toBeUndefined();

    // the same token again: nothing new
    const again = await world.launcher.launch(request, { clientToken: review.clientToken });
    expect(again.how).toBe('found');
    expect(again.servers.map((s) => s.id)).toEqual(outcome.servers.map((s) => s.id));
    expect(await world.provider.listServers()).toHaveLength(2);
    expect((await world.provider.listKeypairs()).filter((k) => k.name === 'db-key')).toHaveLength(1);
    expect(world.store.audit.list({ action: 'launch.done' })).toHaveLength(1);

    // the same token with another request is refused
    await expect(world.launcher.launch({ ...request, count: 3 }, { clientToken: review.clientToken })).rejects.toMatchObject({ kind: 'Conflict' });
  });

  it('ap-south: the keypair is generated here with ssh-keygen and imported; group and billing code go to the local store', async () => {
    const world = await openWorld({ region: 'ap-south' });
    const request = basicRequest(world, {
      name: 'worker',
      keypair: { mode: 'create', name: 'worker-key' },
      group: 'batch',
      billingCode: 'data-7',
      volumes: { count: 2, sizeGiB: 20, raid: 'none', filesystem: 'ext4', mountPoint: '/data', encrypt: false },
    });
    const review = await world.launcher.review(request);
    expect(review.problems).toEqual([]);
    expect(review.keyFile).toEqual({ path: join(world.sshDir, 'worker-key'), how: 'imported' });
    const outcome = await world.launcher.launch(request, { clientToken: review.clientToken });

    const keyPath = join(world.sshDir, 'worker-key');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${keyPath}.pub`, 'utf8')).toMatch(/^ssh-ed25519 /);
    const atProvider = (await world.provider.listKeypairs()).find((k) => k.name === 'worker-key')!;
    expect(atProvider.fingerprint).toBe(sshKeygenFingerprint(keyPath));
    expect(outcome.keyFile).toEqual({ path: keyPath, fingerprint: atProvider.fingerprint, how: 'imported' });
    expect(world.store.audit.list({ action: 'keypair.imported' })[0]!.detail).toMatchObject({ name: 'worker-key', path: keyPath });

    const [server] = await world.provider.listServers();
    expect(server!.keypairName).toBe('worker-key');
    expect(server!.tags).toEqual({});
    const local = world.store.launches().servers('sandbox', 'ap-south').get(server!.id)!;
    expect(local).toMatchObject({ group: 'batch', billingCode: 'data-7', productId: 'p-1', hourlyPrice: 0.009 });
    expect(world.store.audit.list({ action: 'launch.done' })[0]!.detail).toMatchObject({ where: 'local store' });
    // no encryption: no passphrase, no secret store touched
    expect(outcome.passphrase).toBeUndefined();
    expect(existsSync(join(world.home, SECRETS_FILE_NAME))).toBe(false);
    // the form offers them next time
    const known = await new Billing({ ...world, providerId: 'sandbox', region: 'ap-south', config: { billingCodes: {}, groups: [], trustedVendorOwners: [] } }).known();
    expect(known.billingCodes.map((k) => k.name)).toContain('data-7');
    expect(known.groups.find((k) => k.name === 'batch')!.sources).toContain('used');
  });

  it('a key file already on disk is never overwritten: refused at the field before anything is sent', async () => {
    const world = await openWorld();
    writeFileSync(join(world.sshDir, 'taken'), 'not mine to replace\n', { mode: 0o600 });
    const request = basicRequest(world, { keypair: { mode: 'create', name: 'taken' } });
    const review = await world.launcher.review(request);
    expect(review.problems).toEqual([
      { field: 'keypair.name', message: `A file already exists at ${join(world.sshDir, 'taken')}; strata never overwrites a key. Choose another name or directory.` },
    ]);
    await expect(world.launcher.launch(request, { clientToken: review.clientToken })).rejects.toBeInstanceOf(LaunchRefused);
    expect(readFileSync(join(world.sshDir, 'taken'), 'utf8')).toBe('not mine to replace\n');
    expect((await world.provider.listKeypairs()).some((k) => k.name === 'taken')).toBe(false);
  });

  it('throttling (throttle=0.5) and lost answers (timeout=0.5) still launch exactly once', async () => {
    for (const faults of ['throttle=0.5', 'timeout=0.5']) {
      const home = newHome();
      const world = await openWorld({ home, sandboxFaults: faults });
      const request = basicRequest(world, { count: 3, keypair: { mode: 'create', name: 'k1' } });
      // review's reads are retried too (40 attempts: a run of 40 refusals is a 1-in-10^12 event)
      const review = await world.launcher.review(request);
      expect(review.problems).toEqual([]);
      const outcome = await world.launcher.launch(request, { clientToken: review.clientToken });
      expect(outcome.servers).toHaveLength(3);
      expect(sandboxServers(home, review.clientToken), faults).toHaveLength(3);
      const clean = await openWorld({ home });
      expect(await clean.provider.listServers(), faults).toHaveLength(3);
      expect((await clean.provider.listKeypairs()).filter((k) => k.name === 'k1'), faults).toHaveLength(1);
      expect(world.store.journal('sandbox', 'eu-west').get(review.clientToken)!.state).toBe('done');
    }
  });

  it('what changed between review and launch is caught by the launch’s own validation: nothing is sent', async () => {
    const world = await openWorld();
    const request = basicRequest(world);
    const review = await world.launcher.review(request);
    await world.provider.deleteImage(world.image.id);
    const error = await world.launcher.launch(request, { clientToken: review.clientToken }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchRefused);
    expect(fields((error as LaunchRefused).problems)).toContain('imageId');
    expect(world.store.journal('sandbox', 'eu-west').list()).toEqual([]);
    expect(await world.provider.listServers()).toEqual([]);
  });

  it('the provider refusing the request marks the launch failed, with the reason, in the journal and the audit log', async () => {
    const world = await openWorld();
    const request = basicRequest(world);
    const review = await world.launcher.review(request);
    // the token was used at the provider for another launch (another strata, say): the provider refuses
    await world.provider.launch({ ...review.spec, name: 'someone-else' }, review.clientToken);
    const error = await world.launcher.launch(request, { clientToken: review.clientToken }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'Conflict' });
    const entry = world.store.journal('sandbox', 'eu-west').get(review.clientToken)!;
    expect(entry.state).toBe('failed');
    expect(entry.error).toMatch(/already used for a different launch/);
    expect(world.store.audit.list({ action: 'launch.failed' })[0]!.detail).toMatchObject({ reason: entry.error });
    // a failed launch is not resumed with its token
    await expect(world.launcher.launch(request, { clientToken: review.clientToken })).rejects.toMatchObject({ kind: 'Conflict' });
    expect(await world.provider.listServers()).toHaveLength(1);
  });

  it('offers the key to a running ssh-agent, only when asked', async () => {
    const home = newHome();
    const sock = join(home, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
      const world = await openWorld({ home, env: { SSH_AUTH_SOCK: sock } });
      const request = basicRequest(world, { keypair: { mode: 'create', name: 'agent-key' } });
      const review = await world.launcher.review(request);
      const outcome = await world.launcher.launch(request, { clientToken: review.clientToken });
      expect(outcome.agent).toEqual({ available: true });
      const listed = () => {
        try {
          return execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
        } catch (e) {
          return String((e as { stdout?: string }).stdout ?? '');
        }
      };
      expect(listed()).not.toContain(outcome.keyFile!.fingerprint); // not added without asking
      expect(await world.launcher.addKeyToAgent(outcome.keyFile!.path)).toEqual({ added: true });
      expect(listed()).toContain(outcome.keyFile!.fingerprint);
    } finally {
      agent.kill('SIGTERM');
    }
  });
});

describe('quota', () => {
  const config = (quota: object) => ({ billingCodes: { 'ops-42': quota }, groups: [], trustedVendorOwners: [] });

  it('refuses a launch that would pass the server quota, with the figures, and sends nothing', async () => {
    const world = await openWorld({ config: config({ maxServers: 3 }) });
    const first = basicRequest(world, { count: 2, billingCode: 'ops-42' });
    const ok = await world.launcher.review(first);
    expect(ok.problems).toEqual([]);
    expect(ok.quota).toEqual({ code: 'ops-42', servers: { current: 0, adding: 2, max: 3 } });
    await world.launcher.launch(first, { clientToken: ok.clientToken });

    const second = basicRequest(world, { name: 'more', count: 2, billingCode: 'ops-42' });
    const review = await world.launcher.review(second);
    expect(review.problems).toEqual([
      { field: 'billingCode', message: 'Billing code ops-42 allows 3 servers; 2 are running and this launch adds 2 (4).' },
    ]);
    expect(review.quota).toEqual({ code: 'ops-42', servers: { current: 2, adding: 2, max: 3 } });
    const refused = await world.launcher.launch(second, { clientToken: review.clientToken }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LaunchRefused);
    expect((refused as StrataError).message).toBe(
      'The launch was not sent: Billing code ops-42 allows 3 servers; 2 are running and this launch adds 2 (4).',
    );
    expect(await serverCount(world)).toBe(2);
    expect(world.store.journal('sandbox', 'eu-west').get(review.clientToken)).toBeUndefined();

    // a terminated server no longer counts; another billing code is not this one's
    await world.provider.terminate(world.store.journal('sandbox', 'eu-west').get(ok.clientToken)!.serverIds[0]!);
    expect((await world.launcher.review({ ...second, count: 1 })).problems).toEqual([]);
    expect((await world.launcher.review({ ...second, billingCode: 'other' })).problems).toEqual([]);
  });

  it('refuses a launch that would pass the monthly cost quota, with the figures and the currency', async () => {
    const world = await openWorld({ config: config({ maxMonthlyCost: 40, currency: 'EUR' }) });
    const one = basicRequest(world, { billingCode: 'ops-42' });
    const first = await world.launcher.review(one);
    expect(first.quota).toEqual({ code: 'ops-42', monthlyCost: { current: 0, adding: 15.18, max: 40, currency: 'EUR' } });
    await world.launcher.launch(one, { clientToken: first.clientToken });
    const review = await world.launcher.review({ ...one, name: 'two', count: 2 });
    expect(review.problems).toEqual([
      {
        field: 'billingCode',
        message: 'Billing code ops-42 allows 40.00 EUR a month; its servers cost 15.18 EUR and this launch adds 30.37 EUR (45.55 EUR).',
      },
    ]);
  });

  it('says "1 server", never "1 servers", in its facts’ words', async () => {
    const world = await openWorld({ config: config({ maxServers: 1 }) });
    const review = await world.launcher.review(basicRequest(world, { billingCode: 'ops-42' }));
    expect(review.problems).toEqual([]);
    expect(review.facts.quota).toEqual({ code: 'ops-42', servers: { current: 0, adding: 1, max: 1 } });
    const text = reviewSummary(review.facts).join('\n');
    expect(text).toContain('Launch 1 server (app)');
    expect(text).toContain('Billing code ops-42: 1 of 1 server after this launch.');
    expect(text).not.toMatch(/\b1 servers\b/);
    const messages: string[] = [];
    await world.launcher.launch(basicRequest(world, { billingCode: 'ops-42' }), { clientToken: review.clientToken, onProgress: (p) => messages.push(progressText(p)) });
    expect(messages).toContain('The provider started 1 server.');
    expect(messages).toContain('Launched 1 server.');
    expect(messages.join('\n')).not.toMatch(/\b1 servers\b/);
  });
});
