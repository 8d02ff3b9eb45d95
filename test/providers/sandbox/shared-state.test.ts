// Two providers on the same home (as two strata sessions would be) see one world: tags, servers,
// keypairs, firewalls and images written by one are read by the other.
import { describe, expect, it } from 'vitest';
import { NAME_TAG } from '../../../source/core/tags.js';
import { MINUTE, ownAvailable, useSandbox } from './helpers.js';

describe('sandbox shared state', () => {
  const { home, open } = useSandbox();

  it('shows each provider what the other wrote', async () => {
    const dir = home();
    const a = await open({ home: dir, sandboxSeed: 31 });
    const b = await open({ home: dir });

    const image = await ownAvailable(a);
    await a.setImageTags(image.id, { [NAME_TAG]: 'Shared name', 'strata:label': 'green' });
    const seen = await b.getImage(image.id);
    expect(seen.displayName).toBe('Shared name');
    expect(seen.tags['strata:label']).toBe('green');
    // Both write different tags; neither write is lost.
    await b.setImageTags(image.id, { team: 'platform' });
    await a.setImageTags(image.id, { env: 'prod' });
    expect((await b.getImage(image.id)).tags).toMatchObject({ [NAME_TAG]: 'Shared name', team: 'platform', env: 'prod' });

    const size = (await a.listProducts()).find((p) => p.architecture === image.architecture)!;
    const launched = await a.launch({ name: 'shared', imageId: image.id, productId: size.id, firewallIds: [], count: 3 }, 'shared-1');
    expect((await b.listServers()).map((s) => s.id).sort()).toEqual(launched.map((s) => s.id).sort());

    const fw = await b.createFirewall('shared-fw', [{ protocol: 'tcp', fromPort: 443, toPort: 443, source: '0.0.0.0/0' }]);
    expect((await a.listFirewalls()).map((f) => f.id)).toContain(fw.id);
    const key = await b.createKeypair('shared-key');
    expect((await a.listKeypairs()).find((k) => k.name === 'shared-key')?.fingerprint).toBe(key.fingerprint);

    await b.terminate(launched[0].id);
    expect((await a.listServers([launched[0].id]))[0].phase).toBe('terminated');

    a.clock.advance(10 * MINUTE);
    const captured = await b.captureImage(launched[1].id, { name: 'shared capture' });
    expect((await a.getImage(captured.id)).sourceServerId).toBe(launched[1].id);
    await a.deleteImage(captured.id);
    await expect(b.getImage(captured.id)).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('keeps regions apart: servers, firewalls and keypairs belong to their region', async () => {
    const dir = home();
    const eu = await open({ home: dir, region: 'eu-west', sandboxSeed: 31 });
    const us = await open({ home: dir, region: 'us-east' });
    const image = await ownAvailable(eu);
    const size = (await eu.listProducts()).find((p) => p.architecture === image.architecture)!;
    await eu.launch({ name: 'eu-only', imageId: image.id, productId: size.id, firewallIds: [], count: 1 }, 'regions-1');
    await eu.createKeypair('eu-key');
    expect(await us.listServers()).toEqual([]);
    expect((await us.listKeypairs()).map((k) => k.name)).not.toContain('eu-key');
    await expect(us.getImage(image.id)).rejects.toMatchObject({ kind: 'NotFound' });
  });
});
