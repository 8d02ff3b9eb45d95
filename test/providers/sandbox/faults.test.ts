// Fault injection: throttling and timeouts per call, failures and stalls per server. With probability
// 0 or 1 the outcome is certain, so these tests can assert it.
import { describe, expect, it } from 'vitest';
import { parseFaults } from '../../../source/providers/sandbox/faults.js';
import { MINUTE, ownAvailable, useSandbox } from './helpers.js';

describe('sandbox fault injection', () => {
  const { home, open } = useSandbox();

  async function launchOne(p: Awaited<ReturnType<typeof open>>, token: string, count = 1) {
    const image = await ownAvailable(p);
    return p.launch({ name: 'faulty', imageId: image.id, productId: 'sb.small', firewallIds: [], count }, token);
  }

  it('reads the fault list and refuses what it cannot read', () => {
    expect(parseFaults('throttle=0.2, timeout=0.1,fail=1,stall=.5')).toEqual({ throttle: 0.2, timeout: 0.1, fail: 1, stall: 0.5 });
    expect(parseFaults(undefined)).toEqual({ throttle: 0, timeout: 0, fail: 0, stall: 0 });
    expect(() => parseFaults('bogus=1')).toThrow(expect.objectContaining({ kind: 'Invalid', field: 'sandboxFaults' }));
    expect(() => parseFaults('fail=2')).toThrow(expect.objectContaining({ kind: 'Invalid', field: 'sandboxFaults' }));
    expect(() => parseFaults('fail')).toThrow(expect.objectContaining({ kind: 'Invalid', field: 'sandboxFaults' }));
  });

  it('throttle=1 refuses every call with Throttled (describe still answers)', async () => {
    const p = await open({ sandboxFaults: 'throttle=1' });
    await expect(p.listImages({ scope: 'own' })).rejects.toMatchObject({ kind: 'Throttled' });
    await expect(p.listServers()).rejects.toMatchObject({ kind: 'Throttled' });
    await expect(p.getImage('img-x')).rejects.toMatchObject({ kind: 'Throttled' });
    expect((await p.describe()).id).toBe('sandbox');
  });

  it('throttle=0.5 refuses some calls and lets others through', async () => {
    const p = await open({ sandboxFaults: 'throttle=0.5' });
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => p.listProducts()));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.length).toBeGreaterThan(5);
    expect(refused.length).toBeLessThan(55);
    for (const o of refused) expect((o as PromiseRejectedResult).reason).toMatchObject({ kind: 'Throttled' });
  });

  it('timeout=1 fails calls with Transient; a launch is done all the same and a retry with its token finds it', async () => {
    const dir = home();
    const faulty = await open({ home: dir, sandboxSeed: 9, sandboxFaults: 'timeout=1' });
    const healthy = await open({ home: dir });
    await expect(faulty.listImages({ scope: 'own' })).rejects.toMatchObject({ kind: 'Transient' });
    const image = await ownAvailable(healthy);
    const spec = { name: 'lost-reply', imageId: image.id, productId: 'sb.small', firewallIds: [], count: 2 };
    await expect(faulty.launch(spec, 'timeout-token')).rejects.toMatchObject({ kind: 'Transient' });
    const existing = await healthy.listServers();
    expect(existing).toHaveLength(2);
    const retried = await healthy.launch(spec, 'timeout-token');
    expect(retried.map((s) => s.id).sort()).toEqual(existing.map((s) => s.id).sort());
    expect(await healthy.listServers()).toHaveLength(2);
  });

  it('fail=1 fails every server after booting, with a reason, and the console shows why', async () => {
    const p = await open({ sandboxFaults: 'fail=1' });
    const servers = await launchOne(p, 'fail-token', 3);
    p.clock.advance(30 * MINUTE);
    for (const server of await p.listServers(servers.map((s) => s.id))) {
      expect(server.phase).toBe('failed');
      expect(server.failureReason).toMatch(/\w+ .*\./);
      expect(server.publicAddress).toBeUndefined();
      expect(Date.parse(server.phaseSince)).toBeGreaterThan(Date.parse(server.launchedAt));
    }
    expect(await p.consoleOutput(servers[0].id)).toMatch(/Kernel panic|failed to start/);
    await expect(p.captureImage(servers[0].id, { name: 'from-failed' })).rejects.toMatchObject({ kind: 'Invalid', field: 'serverId' });
  });

  it('stall=1 keeps servers initializing, then reports them stalled past the expected time', async () => {
    const p = await open({ sandboxFaults: 'stall=1' });
    const [server] = await launchOne(p, 'stall-token');
    const expected = (await p.describe()).capabilities.servers.expectedReadySeconds * 1000;
    p.clock.advance(expected - MINUTE);
    expect((await p.listServers([server.id]))[0].phase).toBe('initializing');
    p.clock.advance(2 * MINUTE);
    const [stalled] = await p.listServers([server.id]);
    expect(stalled.phase).toBe('stalled');
    expect(Date.parse(stalled.phaseSince)).toBe(Date.parse(stalled.launchedAt) + expected);
    expect(await p.consoleOutput(server.id)).toContain('A start job is running for cloud-final.service');
  });

  it('keeps a server\'s fate with it: a provider without faults sees the same failure', async () => {
    const dir = home();
    const faulty = await open({ home: dir, sandboxSeed: 4, sandboxFaults: 'fail=1' });
    const healthy = await open({ home: dir });
    const [server] = await launchOne(faulty, 'fate-token');
    healthy.clock.advance(30 * MINUTE);
    expect((await healthy.listServers([server.id]))[0].phase).toBe('failed');
  });
});
