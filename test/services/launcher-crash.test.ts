// Crashes: a real strata process (launcher.child.ts) runs a launch against the real sandbox and store on a
// home and is killed with SIGKILL at a chosen step, as a crash or a dropped SSH session would end it. Then
// this process, a fresh strata on the same home, reconciles: never a second set of servers.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateKeypair } from '../../source/secrets/keys.js';
import { newClientToken, type LaunchRequest, type LaunchStep } from '../../source/services/launcher.js';
import { basicRequest, newHome, openWorld, sandboxServers, secretsFile, storeBytes, type World } from './launcher.fixture.js';

const CHILD = fileURLToPath(new URL('./launcher.child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a launch in another strata process that kills itself (SIGKILL) when it reports `crashAt`. */
function crashingLaunch(world: World, token: string, crashAt: LaunchStep, request: LaunchRequest): Promise<Run> {
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

async function crashAt(world: World, step: LaunchStep, request: LaunchRequest): Promise<string> {
  const token = newClientToken();
  const run = await crashingLaunch(world, token, step, request);
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe(`crashing at ${step}\n`);
  expect(run.signal).toBe('SIGKILL');
  return token;
}

describe('a strata that dies in the middle of a launch', () => {
  it('after the request, before the journal heard the answer: the next start adopts the servers — one set, no second', async () => {
    const world = await openWorld();
    const request = basicRequest(world, {
      count: 2,
      keypair: { mode: 'create', name: 'crash-key' },
      volumes: { count: 2, sizeGiB: 10, raid: '1', filesystem: 'xfs', mountPoint: '/srv/data', encrypt: true },
      billingCode: 'ops-42',
    });
    const token = await crashAt(world, 'answered', request);
    const journal = world.store.journal('sandbox', 'eu-west');
    expect(journal.get(token)!.state).toBe('sent');
    expect(sandboxServers(world.home, token)).toHaveLength(2);

    const items = await world.launcher.reconcile();
    expect(items).toHaveLength(1);
    expect(items[0]!.state).toBe('adopted');
    const servers = items[0]!.state === 'adopted' ? items[0]!.servers : [];
    expect(servers).toHaveLength(2);
    expect(journal.get(token)).toMatchObject({ state: 'done', serverIds: servers.map((s) => s.id) });
    expect(world.store.audit.list({ action: 'launch.adopted' })).toHaveLength(1);
    expect(world.store.launches().servers('sandbox', 'eu-west').get(servers[0]!.id)).toMatchObject({ billingCode: 'ops-42', clientToken: token });
    // the passphrase kept before the request now sits under each server's id too
    const secrets = secretsFile(world.home);
    const passphrase = secrets[`luks:sandbox:eu-west:${token}`]!;
    for (const s of servers) expect(secrets[`luks:${s.id}`]).toBe(passphrase);
    expect(storeBytes(world.home)).not.toContain(passphrase);
    // and the key file the dead process wrote is there, 0600
    expect(statSync(join(world.sshDir, 'crash-key')).mode & 0o777).toBe(0o600);

    // a second start finds nothing to do; a retry of the token starts nothing
    expect(await world.launcher.reconcile()).toEqual([]);
    const again = await world.launcher.launch(request, { clientToken: token });
    expect(again.resumed).toBe(true);
    expect(again.servers.map((s) => s.id)).toEqual(servers.map((s) => s.id));
    expect(await world.provider.listServers()).toHaveLength(2);
  });

  it('after marking the request sent but before it left: the user is asked; a retry launches once, a second retry still once', async () => {
    const world = await openWorld();
    const request = basicRequest(world, { count: 2 });
    const token = await crashAt(world, 'sending', request);
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
    const second = await world.launcher.retry(token);
    expect(second.resumed).toBe(true);
    expect(second.servers.map((s) => s.id)).toEqual(first.servers.map((s) => s.id));
    expect(sandboxServers(world.home, token)).toHaveLength(2);
    expect(await world.provider.listServers()).toHaveLength(2);
    expect(world.store.audit.list({ action: 'launch.done' })).toHaveLength(1);
    expect(await world.launcher.reconcile()).toEqual([]);
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
