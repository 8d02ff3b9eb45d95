// Servers in the sandbox: launch validation as a cloud's API does it, readiness phases over simulated
// time, the console that agrees with the phase, termination, and capture.
import { describe, expect, it } from 'vitest';
import type { LaunchSpec, Phase } from '../../../source/core/types.js';
import { BILLING_TAG, GROUP_TAG, LAUNCH_TAG, NAME_TAG, SOURCE_IMAGE_TAG, SOURCE_SERVER_TAG } from '../../../source/core/tags.js';
import { HOUR, MINUTE, ManualRealClock, ownAvailable, useSandbox } from './helpers.js';

const ORDER: Phase[] = ['requested', 'pending', 'booting', 'running', 'initializing', 'ready'];

describe('sandbox servers', () => {
  const { open } = useSandbox();

  async function baseSpec(p: Awaited<ReturnType<typeof open>>, overrides: Partial<LaunchSpec> = {}): Promise<LaunchSpec> {
    const image = await ownAvailable(p);
    const size = (await p.listProducts()).find((s) => s.architecture === image.architecture)!;
    return { name: 'app', imageId: image.id, productId: size.id, firewallIds: [], count: 1, ...overrides };
  }

  it('moves every server through the phases in order, ready mostly within 5–15 minutes', async () => {
    const p = await open({ sandboxSeed: 12 });
    const servers = await p.launch(await baseSpec(p, { count: 20 }), 'phases');
    const ids = servers.map((s) => s.id);
    const readyAfter = new Map<string, number>();
    const last = new Map<string, { phase: Phase; since: string }>();
    const start = p.clock.now();
    for (let t = 0; t <= 40 * MINUTE; t += 5_000) {
      for (const s of await p.listServers(ids)) {
        const before = last.get(s.id);
        if (before) {
          expect(ORDER.indexOf(s.phase)).toBeGreaterThanOrEqual(ORDER.indexOf(before.phase));
          if (before.phase === s.phase) expect(s.phaseSince).toBe(before.since);
          else expect(Date.parse(s.phaseSince)).toBeGreaterThan(p.clock.now() - 5_001);
        }
        expect(Date.parse(s.phaseSince)).toBeLessThanOrEqual(p.clock.now());
        if (s.phase === 'ready' && !readyAfter.has(s.id)) readyAfter.set(s.id, Date.parse(s.phaseSince) - start);
        if (['running', 'initializing', 'ready'].includes(s.phase)) expect(s.publicAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        else expect(s.publicAddress).toBeUndefined();
        last.set(s.id, { phase: s.phase, since: s.phaseSince });
      }
      p.clock.advance(5_000);
    }
    expect(readyAfter.size).toBe(20);
    const minutes = [...readyAfter.values()].map((ms) => ms / MINUTE).sort((a, b) => a - b);
    expect(minutes[0]).toBeGreaterThanOrEqual(4);
    expect(minutes[10]).toBeGreaterThanOrEqual(5);
    expect(minutes[10]).toBeLessThanOrEqual(15);
    expect(minutes[19]).toBeLessThanOrEqual(30);
  });

  it('shows a console that agrees with the phase', async () => {
    const real = new ManualRealClock();
    const p = await open({}, { realNow: real.now });
    const volumes = { count: 4, sizeGiB: 50, raid: '10' as const, filesystem: 'xfs' as const, mountPoint: '/data', encrypt: true };
    const [server] = await p.launch(await baseSpec(p, { name: 'con', volumes }), 'console');
    const phaseOf = async () => (await p.listServers([server.id]))[0].phase;
    expect(await p.consoleOutput(server.id)).toBe('');
    while ((await phaseOf()) !== 'booting') p.clock.advance(1000);
    p.clock.advance(1000);
    const booting = await p.consoleOutput(server.id);
    expect(booting).toContain('Linux version');
    expect(booting).not.toContain('Cloud-init v. 24.1.3 running');
    while ((await phaseOf()) !== 'ready') p.clock.advance(10_000);
    const ready = await p.consoleOutput(server.id);
    expect(ready).toContain('mdadm: array /dev/md0 started (level=raid10');
    expect(ready).toContain('luksFormat');
    expect(ready).toContain('mkfs.xfs');
    expect(ready).toMatch(/Cloud-init v\. [\d.]+ finished/);
    expect(ready.startsWith(booting.trimEnd().split('\n')[0])).toBe(true);
  });

  it('tags servers with group, billing code and lineage in the rich profile, and keeps them on the server in the plain one', async () => {
    const rich = await open({ region: 'us-east' });
    const [r] = await rich.launch(await baseSpec(rich, { group: 'team-a', billingCode: 'cc-42' }), 'tags-rich');
    expect(r.tags).toMatchObject({ [NAME_TAG]: 'app', [GROUP_TAG]: 'team-a', [BILLING_TAG]: 'cc-42', [LAUNCH_TAG]: 'tags-rich', [SOURCE_IMAGE_TAG]: r.imageId });
    const plain = await open({ region: 'ap-south' });
    const [s] = await plain.launch(await baseSpec(plain, { group: 'team-a', billingCode: 'cc-42' }), 'tags-plain');
    expect(s.tags).toEqual({});
    expect(s.group).toBe('team-a');
    expect(s.billingCode).toBe('cc-42');
  });

  it('names the servers of a multiple launch name-1, name-2, …', async () => {
    const p = await open();
    const servers = await p.launch(await baseSpec(p, { name: 'web', count: 3 }), 'names');
    expect(servers.map((s) => s.name)).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('refuses launches it cannot do, saying which field is wrong', async () => {
    const p = await open();
    const spec = await baseSpec(p);
    const vol = { count: 2, sizeGiB: 10, raid: '5' as const, filesystem: 'ext4' as const, mountPoint: '/data', encrypt: false };
    const cases: Array<[Partial<LaunchSpec>, string]> = [
      [{ volumes: vol }, 'volumes.count'],
      [{ volumes: { ...vol, raid: '10', count: 5 } }, 'volumes.count'],
      [{ volumes: { ...vol, raid: '0', sizeGiB: 0 } }, 'volumes.sizeGiB'],
      [{ volumes: { ...vol, raid: '0', mountPoint: '/etc' } }, 'volumes.mountPoint'],
      [{ volumes: { ...vol, raid: '0', mountPoint: 'data; rm -rf /' } }, 'volumes.mountPoint'],
      [{ volumes: { ...vol, raid: '0', filesystem: 'btrfs' as never } }, 'volumes.filesystem'],
      [{ firewallIds: ['sg-nope'] }, 'firewallIds'],
      [{ keypairName: 'nobody' }, 'keypairName'],
      [{ productId: 'sb.a.small' }, 'productId'],
      [{ name: 'bad name!' }, 'name'],
      [{ name: 'x'.repeat(63), count: 10 }, 'name'],
      [{ userData: 'x'.repeat(17 * 1024) }, 'userData'],
      [{ group: 'a\u001b[2Jb' }, 'group'],
      [{ newFirewall: { name: 'new-fw', rules: [{ protocol: 'tcp', fromPort: 1, toPort: 0, source: '0.0.0.0/0' }] } }, 'newFirewall.rules[0].toPort'],
    ];
    for (const [change, field] of cases) {
      await expect(p.launch({ ...spec, ...change }, `bad-${field}-${Math.random()}`), field).rejects.toMatchObject({ kind: 'Invalid', field });
    }
    const { items } = await p.listImages({ scope: 'own', pageSize: 5000 });
    for (const state of ['pending', 'failed'] as const) {
      const image = items.find((i) => i.state === state)!;
      const size = (await p.listProducts()).find((s) => s.architecture === image.architecture)!;
      await expect(p.launch({ ...spec, imageId: image.id, productId: size.id }, `bad-${state}`)).rejects.toMatchObject({ kind: 'Invalid', field: 'imageId' });
    }
    await expect(p.launch(spec, 'x y')).rejects.toMatchObject({ kind: 'Invalid', field: 'clientToken' });
    expect(await p.listServers()).toEqual([]);
  });

  it('refuses in the plain region what its profile lacks', async () => {
    const p = await open({ region: 'ap-south' });
    const spec = await baseSpec(p);
    const vol = { count: 2, sizeGiB: 10, raid: '1' as const, filesystem: 'ext4' as const, mountPoint: '/data', encrypt: false };
    await expect(p.launch({ ...spec, volumes: vol }, 'p1')).rejects.toMatchObject({ kind: 'Invalid', field: 'volumes.raid' });
    await expect(p.launch({ ...spec, volumes: { ...vol, raid: 'none', count: 1, encrypt: true } }, 'p2')).rejects.toMatchObject({ kind: 'Invalid', field: 'volumes.encrypt' });
    await expect(p.launch({ ...spec, volumes: { ...vol, raid: 'none', count: 3 } }, 'p3')).rejects.toMatchObject({ kind: 'Invalid', field: 'volumes.count' });
    await expect(p.launch({ ...spec, newFirewall: { name: 'x', rules: [] } }, 'p4')).rejects.toMatchObject({ kind: 'Invalid', field: 'newFirewall' });
    await expect(p.launch({ ...spec, name: 'UPPER' }, 'p5')).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });
    const ok = await p.launch({ ...spec, volumes: { ...vol, raid: 'none', count: 1 } }, 'p6');
    expect(ok[0].volumes?.raid).toBe('none');
  });

  it('creates a firewall asked for at launch and attaches it', async () => {
    const p = await open();
    const spec = await baseSpec(p, { newFirewall: { name: 'launch-fw', rules: [{ protocol: 'tcp', fromPort: 8080, toPort: 8080, source: '10.0.0.0/8' }] } });
    const [server] = await p.launch(spec, 'with-fw');
    const fw = (await p.listFirewalls()).find((f) => f.name === 'launch-fw')!;
    expect(server.firewallIds).toEqual([fw.id]);
    // The retry of the same launch does not create it again.
    expect((await p.launch(spec, 'with-fw'))[0].id).toBe(server.id);
    expect((await p.listFirewalls()).filter((f) => f.name === 'launch-fw')).toHaveLength(1);
  });

  it('refuses a client token reused for a different launch', async () => {
    const p = await open();
    const spec = await baseSpec(p);
    await p.launch(spec, 'once');
    await expect(p.launch({ ...spec, name: 'other' }, 'once')).rejects.toMatchObject({ kind: 'Conflict' });
  });

  it('terminates: the server shows terminated for an hour, then is gone', async () => {
    const p = await open();
    const [server] = await p.launch(await baseSpec(p), 'term');
    p.clock.advance(10 * MINUTE);
    await p.terminate(server.id);
    const [t] = await p.listServers([server.id]);
    expect(t.phase).toBe('terminated');
    expect(Date.parse(t.phaseSince)).toBeGreaterThanOrEqual(Date.parse(server.launchedAt) + 10 * MINUTE);
    expect(Date.parse(t.phaseSince)).toBeLessThanOrEqual(p.clock.now());
    expect(t.publicAddress).toBeUndefined();
    await p.terminate(server.id); // twice is fine
    expect(await p.consoleOutput(server.id)).toContain('reboot: Power down');
    p.clock.advance(HOUR + MINUTE);
    expect(await p.listServers([server.id])).toEqual([]);
    expect(await p.listServers()).toEqual([]);
    await expect(p.terminate(server.id)).rejects.toMatchObject({ kind: 'NotFound' });
    // The token still remembers the launch: a retry does not start a new server.
    expect((await p.launch(await baseSpec(p), 'term'))[0].id).toBe(server.id);
  });

  it('captures an image from a running server: pending, then available after about a minute', async () => {
    const p = await open();
    const [server] = await p.launch(await baseSpec(p), 'capture');
    await expect(p.captureImage(server.id, { name: 'too early' })).rejects.toMatchObject({ kind: 'Invalid', field: 'serverId' });
    p.clock.advance(15 * MINUTE);
    await expect(p.captureImage(server.id, { name: 'no|pipes' })).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });
    const taken = (await ownAvailable(p)).name;
    await expect(p.captureImage(server.id, { name: taken })).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });
    const image = await p.captureImage(server.id, { name: 'app (golden) 2026/12' });
    expect(image).toMatchObject({ kind: 'own', owned: true, state: 'pending', sourceImageId: server.imageId, sourceServerId: server.id });
    expect(image.tags).toEqual({ [SOURCE_IMAGE_TAG]: server.imageId, [SOURCE_SERVER_TAG]: server.id });
    p.clock.advance(30_000);
    expect((await p.getImage(image.id)).state).toBe('pending');
    p.clock.advance(60_000);
    expect((await p.getImage(image.id)).state).toBe('available');
    // Your own image launches like any other.
    const [child] = await p.launch(await baseSpec(p, { imageId: image.id }), 'from-capture');
    expect(child.imageId).toBe(image.id);
    await expect(p.captureImage('srv-nope', { name: 'x-y-z' })).rejects.toMatchObject({ kind: 'NotFound' });
  });
});
