// Crashes: a real strata process (launcher.child.ts) runs a launch against the real sandbox and store on a
// home and is killed with SIGKILL at a chosen step, as a crash or a dropped SSH session would end it. Then
// this process, a fresh strata on the same home, reconciles: never a second set of servers.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateKeypair } from '../../source/secrets/keys.js';
import type { FirewallRule } from '../../source/core/types.js';
import { launchPassphraseAccount, newClientToken, type LaunchRequest } from '../../source/services/launcher.js';
import { basicRequest, newHome, openWorld, sandboxFirewalls, sandboxServers, secretsFile, storeBytes, type World } from './launcher.fixture.js';

const CHILD = fileURLToPath(new URL('./launcher.child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a launch in another strata process that kills itself (SIGKILL) when it reports `crashAt` (see launcher.child.ts). */
function crashingLaunch(world: World, token: string, crashAt: string, request: LaunchRequest): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--import',
        'tsx',
        CHILD,
        world.home,
        world.description.region,
        world.sshDir,
        token,
        crashAt,
        JSON.stringify(request),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const run: Run = { code: null, signal: null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (run.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (run.stderr += c));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ ...run, code, signal }));
  });
}

async function crashAt(world: World, step: string, request: LaunchRequest): Promise<string> {
  const token = newClientToken();
  const run = await crashingLaunch(world, token, step, request);
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe(`crashing at ${step}\n`);
  expect(run.signal).toBe('SIGKILL');
  return token;
}

describe('a strata that dies in the middle of a launch', () => {
  it('after the last request, before the journal heard the answer: the next start adopts the servers — one set, no second', async () => {
    const world = await openWorld();
    const request = basicRequest(world, {
      count: 2,
      keypair: { mode: 'create', name: 'crash-key' },
      volumes: { count: 2, sizeGiB: 10, raid: '1', filesystem: 'xfs', mountPoint: '/srv/data', encrypt: true },
      billingCode: 'ops-42',
    });
    const token = await crashAt(world, 'answered#2', request);
    const journal = world.store.journal('sandbox', 'eu-west');
    expect(journal.get(token)!.state).toBe('sent');
    expect(sandboxServers(world.home, token)).toHaveLength(2);

    const items = await world.launcher.reconcile();
    expect(items).toHaveLength(1);
    expect(items[0]!.state).toBe('adopted');
    const servers = items[0]!.state === 'adopted' ? items[0]!.servers : [];
    expect(servers.map((s) => s.name)).toEqual(['app-1', 'app-2']);
    expect(journal.get(token)).toMatchObject({ state: 'done', serverIds: servers.map((s) => s.id) });
    expect(world.store.audit.list({ action: 'launch.adopted' })).toHaveLength(1);
    expect(world.store.launches().servers('sandbox', 'eu-west').get(servers[0]!.id)).toMatchObject({ billingCode: 'ops-42', clientToken: token });
    // each server's own passphrase, kept before its request, now sits under the server's id (and only there)
    const secrets = secretsFile(world.home);
    const rows = sandboxServers(world.home, token);
    for (const row of rows) {
      const passphrase = secrets[`luks:${row.id}`]!;
      expect(row.user_data).toContain(passphrase);
      expect(storeBytes(world.home)).not.toContain(passphrase);
    }
    expect(secrets[`luks:${rows[0]!.id}`]).not.toBe(secrets[`luks:${rows[1]!.id}`]);
    expect(Object.keys(secrets).sort()).toEqual(rows.map((r) => `luks:${r.id}`).sort());
    // and the key file the dead process wrote is there, 0600
    expect(statSync(join(world.sshDir, 'crash-key')).mode & 0o777).toBe(0o600);

    // a second start finds nothing to do; a retry of the token starts nothing
    expect(await world.launcher.reconcile()).toEqual([]);
    const again = await world.launcher.launch(request, { clientToken: token });
    expect(again.how).toBe('found');
    expect(again.servers.map((s) => s.id)).toEqual(servers.map((s) => s.id));
    expect(await world.provider.listServers()).toHaveLength(2);
  });

  it('a retry that finds every server made says so: adopted, not launched', async () => {
    const world = await openWorld();
    const request = basicRequest(world, { count: 2 });
    const token = await crashAt(world, 'answered#2', request);
    const outcome = await world.launcher.retry(token);
    expect(outcome.how).toBe('adopted');
    expect(outcome.servers.map((s) => s.name)).toEqual(['app-1', 'app-2']);
    expect(world.store.audit.list({ action: 'launch.adopted' })[0]).toMatchObject({ target: token, detail: { how: 'adopted' } });
    expect(world.store.audit.list({ action: 'launch.done' })).toEqual([]);
  });

  it('after marking the launch sent but before its first request left: the user is asked; a retry launches once, a second retry still once', async () => {
    const world = await openWorld();
    const request = basicRequest(world, { count: 2 });
    const token = await crashAt(world, 'sending#1', request);
    expect(world.store.journal('sandbox', 'eu-west').get(token)!.state).toBe('sent');
    expect(sandboxServers(world.home, token)).toHaveLength(0);

    const items = await world.launcher.reconcile();
    expect(items.map((i) => i.state)).toEqual(['needs-confirmation']);
    expect(items[0]!.entry.clientToken).toBe(token);
    expect(items[0]!.state === 'needs-confirmation' && items[0]!.request).toEqual(request);
    // asking again changes nothing (reconcile only reads until the user answers)
    expect((await world.launcher.reconcile()).map((i) => i.state)).toEqual(['needs-confirmation']);
    expect(await world.provider.listServers()).toHaveLength(0);

    const first = await world.launcher.retry(token);
    expect(first.servers).toHaveLength(2);
    expect(first.how).toBe('launched');
    const second = await world.launcher.retry(token);
    expect(second.how).toBe('found');
    expect(second.servers.map((s) => s.id)).toEqual(first.servers.map((s) => s.id));
    expect(sandboxServers(world.home, token)).toHaveLength(2);
    expect(await world.provider.listServers()).toHaveLength(2);
    expect(world.store.audit.list({ action: 'launch.done' })).toHaveLength(1);
    expect(await world.launcher.reconcile()).toEqual([]);
  });

  it('between two servers of a launch: the next start says which exist; a retry makes exactly the missing ones, named as a fresh launch names them', async () => {
    for (const at of ['answered#1', 'sending#2']) {
      const world = await openWorld();
      const request = basicRequest(world, { count: 3, volumes: { count: 1, sizeGiB: 5, raid: 'none', filesystem: 'ext4', mountPoint: '/data', encrypt: true } });
      const token = await crashAt(world, at, request);
      expect(sandboxServers(world.home, token).map((r) => r.name), at).toEqual(['app-1']);

      const items = await world.launcher.reconcile();
      expect(items.map((i) => i.state), at).toEqual(['partial']);
      expect(items[0]!.state === 'partial' && items[0]!.missing, at).toBe(2);
      expect(items[0]!.state === 'partial' && items[0]!.servers.map((s) => s.name), at).toEqual(['app-1']);
      const outcome = await world.launcher.retry(token);
      expect(outcome.how, at).toBe('completed');
      expect(outcome.servers.map((s) => s.name), at).toEqual(['app-1', 'app-2', 'app-3']);
      const rows = sandboxServers(world.home, token);
      expect(rows.map((r) => [r.name, r.client_token]), at).toEqual([
        ['app-1', `${token}-1`],
        ['app-2', `${token}-2`],
        ['app-3', `${token}-3`],
      ]);
      // three servers, three passphrases, each in its own user data and under its own id
      const secrets = secretsFile(world.home);
      const passphrases = rows.map((r) => secrets[`luks:${r.id}`]!);
      expect(new Set(passphrases).size, at).toBe(3);
      rows.forEach((r, i) => expect(r.user_data, at).toContain(passphrases[i]!));
      expect(world.store.journal('sandbox', 'eu-west').get(token)!.state, at).toBe('done');
      expect(await world.launcher.reconcile(), at).toEqual([]);
    }
  });

  it('after the keypair was made, before the request: unsent; the retry reuses the keypair and its key file', async () => {
    const world = await openWorld();
    const request = basicRequest(world, { keypair: { mode: 'create', name: 'half-way' }, volumes: { count: 1, sizeGiB: 5, raid: 'none', filesystem: 'ext4', mountPoint: '/data', encrypt: true } });
    const token = await crashAt(world, 'passphrase', request);
    const keyPath = join(world.sshDir, 'half-way');
    const pem = readFileSync(keyPath, 'utf8');
    expect((await world.provider.listKeypairs()).filter((k) => k.name === 'half-way')).toHaveLength(1);

    const items = await world.launcher.reconcile();
    expect(items.map((i) => i.state)).toEqual(['unsent']);
    const outcome = await world.launcher.retry(token);
    expect(outcome.servers).toHaveLength(1);
    expect(outcome.keyFile!.path).toBe(keyPath);
    expect(readFileSync(keyPath, 'utf8')).toBe(pem);
    expect((await world.provider.listKeypairs()).filter((k) => k.name === 'half-way')).toHaveLength(1);
    expect(world.store.audit.list({ action: 'keypair.created' })).toHaveLength(1);
    expect(secretsFile(world.home)[`luks:${outcome.servers[0]!.id}`]).toMatch(/^[A-Za-z0-9]/);
  });

  it('ap-south, after the key was generated here but before it was imported: the retry imports that key, not a new one', async () => {
    const world = await openWorld({ region: 'ap-south' });
    const request = basicRequest(world, { keypair: { mode: 'create', name: 'gen-key' } });
    // The child dies as the keypair step starts; the step's first half (ssh-keygen) is then done here,
    // exactly as the launcher does it, so the state is "generated, not yet imported".
    const token = await crashAt(world, 'keypair', request);
    expect((await world.launcher.reconcile()).map((i) => i.state)).toEqual(['unsent']);
    const generated = await generateKeypair({ dir: world.sshDir, name: 'gen-key', type: 'ed25519' });
    const outcome = await world.launcher.retry(token);
    const keys = (await world.provider.listKeypairs()).filter((k) => k.name === 'gen-key');
    expect(keys).toHaveLength(1);
    expect(keys[0]!.fingerprint).toBe(generated.fingerprint);
    expect(outcome.keyFile).toEqual({ path: generated.path, fingerprint: generated.fingerprint, how: 'imported' });
    expect(outcome.servers).toHaveLength(1);
  });

  it('a launch the user gives up is marked failed with the reason and audit-logged; its servers would be adopted instead', async () => {
    const world = await openWorld();
    const request = basicRequest(world);
    const token = await crashAt(world, 'sending', request);
    expect(await world.launcher.abandon(token)).toEqual({ state: 'abandoned' });
    expect(world.store.journal('sandbox', 'eu-west').get(token)).toMatchObject({ state: 'failed', error: 'abandoned by the user' });
    expect(world.store.audit.list({ action: 'launch.abandoned' })[0]!.target).toBe(token);
    expect(await world.launcher.reconcile()).toEqual([]);
    await expect(world.launcher.retry(token)).rejects.toMatchObject({ kind: 'Conflict' });

    // the request did arrive after all (the provider has servers for the token): abandon adopts them
    const other = await crashAt(world, 'answered', request);
    const result = await world.launcher.abandon(other);
    expect(result.state).toBe('adopted');
    expect(world.store.journal('sandbox', 'eu-west').get(other)!.state).toBe('done');
  });

  it('reconcile looks only at its own provider and region', async () => {
    const home = newHome();
    const eu = await openWorld({ home });
    await crashAt(eu, 'sending', basicRequest(eu));
    const ap = await openWorld({ home, region: 'ap-south' });
    expect(await ap.launcher.reconcile()).toEqual([]);
    expect((await eu.launcher.reconcile()).map((i) => i.state)).toEqual(['needs-confirmation']);
  });
});

const RULES: FirewallRule[] = [
  { protocol: 'tcp', fromPort: 22, toPort: 22, source: '203.0.113.0/24' },
  { protocol: 'tcp', fromPort: 443, toPort: 443, source: '0.0.0.0/0' },
];

/** Everything a launch can make: a keypair, a new firewall, two servers with encrypted volumes. */
function fullRequest(world: World): LaunchRequest {
  return basicRequest(world, {
    count: 2,
    newFirewall: { name: 'crash-fw', rules: RULES },
    keypair: { mode: 'create', name: 'crash-key' },
    volumes: { count: 1, sizeGiB: 5, raid: 'none', filesystem: 'ext4', mountPoint: '/data', encrypt: true },
    billingCode: 'ops-42',
  });
}

describe('killed at every step of a launch with a new firewall, a new keypair and two encrypted servers', () => {
  // Each step as it is reported (before its work), and the moments the provider made something that is
  // written down next. After each kill a fresh strata on the same home reconciles and, where asked, retries.
  const STEPS = [
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
  ];
  for (const step of STEPS) {
    it(`at ${step}: never a second server, firewall or keypair; each server its own passphrase`, async () => {
      const world = await openWorld();
      const request = fullRequest(world);
      const token = await crashAt(world, step, request);
      const journal = world.store.journal('sandbox', 'eu-west');

      if (step === 'validating' || step === 'journal') {
        // Nothing was written or made: the launch is not there to take up (the form launches it anew).
        expect(journal.get(token)).toBeUndefined();
        expect(await world.launcher.reconcile()).toEqual([]);
        expect(sandboxServers(world.home, token)).toEqual([]);
        expect(sandboxFirewalls(world.home, 'eu-west').filter((f) => f.name === 'crash-fw')).toEqual([]);
        return;
      }

      const items = await world.launcher.reconcile();
      if (step !== 'done') {
        expect(items).toHaveLength(1);
        if (items[0]!.state !== 'adopted') await world.launcher.retry(token);
      } else {
        expect(items).toEqual([]);
      }
      // A retry after the end finds it done and makes nothing.
      const again = await world.launcher.retry(token).catch((e: unknown) => e);
      expect(again).toMatchObject({ how: 'found' });

      const rows = sandboxServers(world.home, token);
      expect(rows.map((r) => [r.name, r.client_token])).toEqual([
        ['app-1', `${token}-1`],
        ['app-2', `${token}-2`],
      ]);
      const firewalls = sandboxFirewalls(world.home, 'eu-west').filter((f) => f.name === 'crash-fw');
      expect(firewalls).toHaveLength(1);
      expect((await world.provider.listServers()).every((s) => s.firewallIds.includes(firewalls[0]!.id))).toBe(true);
      expect((await world.provider.listKeypairs()).filter((k) => k.name === 'crash-key')).toHaveLength(1);
      expect(world.store.audit.list({ action: 'firewall.created' })).toHaveLength(1);
      expect(world.store.audit.list({ action: 'keypair.created' })).toHaveLength(1);
      expect(journal.get(token)).toMatchObject({ state: 'done', serverIds: rows.map((r) => r.id) });
      expect(await world.launcher.reconcile()).toEqual([]);

      // each server its own passphrase, in its user data and under its id; none left under a request's token
      const secrets = secretsFile(world.home);
      const passphrases = rows.map((r) => secrets[`luks:${r.id}`]!);
      expect(passphrases[0]).toMatch(/^[A-Za-z0-9]/);
      expect(passphrases[0]).not.toBe(passphrases[1]);
      rows.forEach((r, i) => expect(r.user_data).toContain(passphrases[i]!));
      expect(Object.keys(secrets).sort()).toEqual(rows.map((r) => `luks:${r.id}`).sort());
      for (const p of passphrases) expect(storeBytes(world.home)).not.toContain(p);
    });
  }
});

describe('a firewall an earlier attempt made is the launch’s own', () => {
  it('an older strata’s interrupted launch, whose request had made the firewall before the servers (as EC2 and libvirt do): the retry reuses it', async () => {
    const world = await openWorld();
    const request = basicRequest(world, { newFirewall: { name: 'legacy-fw', rules: RULES } });
    const token = newClientToken();
    // What an older strata wrote: the journal entry and the launch record (no steps), marked sent…
    const review = await world.launcher.review(request);
    world.store.transaction(() => {
      world.store.journal('sandbox', 'eu-west').begin(token, review.spec);
      world.store.launches().create({
        clientToken: token,
        provider: 'sandbox',
        region: 'eu-west',
        request,
        productId: request.productId,
        tagsAtProvider: true,
      });
      world.store.journal('sandbox', 'eu-west').markSent(token);
    });
    // …and what the provider did with the request before it was cut: the firewall, no servers yet.
    const made = await world.provider.createFirewall('legacy-fw', RULES, 'Created by strata for app');

    expect((await world.launcher.reconcile()).map((i) => i.state)).toEqual(['needs-confirmation']);
    const outcome = await world.launcher.retry(token);
    expect(outcome.servers).toHaveLength(1);
    expect(outcome.servers[0]!.firewallIds).toEqual([made.id]);
    expect(sandboxFirewalls(world.home, 'eu-west').filter((f) => f.name === 'legacy-fw')).toHaveLength(1);
  });

  it('a firewall of that name that is someone else’s (other rules, no mention of the launch) is not taken: the retry says so at the field', async () => {
    const world = await openWorld();
    const request = basicRequest(world, { newFirewall: { name: 'taken-fw', rules: RULES } });
    const token = await crashAt(world, 'firewall', request);
    await world.provider.createFirewall('taken-fw', [RULES[0]!], 'made by a teammate meanwhile');
    const error = await world.launcher.retry(token).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'Invalid', problems: [{ field: 'newFirewall.name', message: expect.stringContaining('exists already') }] });
    expect(sandboxServers(world.home, token)).toEqual([]);
  });

  it('a passphrase account of a request is named by the request’s token', () => {
    expect(launchPassphraseAccount('sandbox', 'eu-west', 't-1')).toBe('luks:sandbox:eu-west:t-1');
  });
});
