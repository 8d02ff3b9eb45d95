// Volume passphrases after the launch: each server's own, deleted from the secret store when its volumes are
// gone (the server terminated: its volumes go with it), kept with a sentence where strata cannot tell (a
// server gone without strata having seen it terminated). And what the UI does to servers and images,
// through services that retry and audit (terminate, console, the images servers stand on, delete an image).
// Against the real sandbox, store and file secret store.
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { ImageActions, ServerActions } from '../../source/services/servers.js';
import { basicRequest, openWorld, secretsFile, type World } from './launcher.fixture.js';

const ENCRYPTED = { count: 1, sizeGiB: 5, raid: 'none' as const, filesystem: 'ext4' as const, mountPoint: '/data', encrypt: true };

function actions(world: World) {
  const deps = {
    provider: world.provider,
    description: world.description,
    store: world.store,
    providerId: 'sandbox',
    region: world.description.region,
    retry: { attempts: 40, baseDelayMs: 1 },
    afterTerminate: () => world.launcher.sweepPassphrases(),
  };
  return { servers: new ServerActions(deps), images: new ImageActions(deps) };
}

describe('volume passphrases after the launch', () => {
  it('are deleted when the server is terminated (its volumes go with it), kept with a sentence where it vanished unseen', async () => {
    const world = await openWorld();
    const outcome = await world.launcher.launch(basicRequest(world, { count: 2, volumes: ENCRYPTED }), { clientToken: 'custody-token' });
    const [one, two] = outcome.servers;
    expect(Object.keys(secretsFile(world.home)).sort()).toEqual([`luks:${one!.id}`, `luks:${two!.id}`].sort());
    // nothing gone yet: nothing deleted, nothing to say
    expect(await world.launcher.sweepPassphrases()).toEqual({ deleted: [], kept: [] });

    // terminated through strata: its passphrase is deleted at once, and the audit log says why
    await actions(world).servers.terminate(one!);
    expect(Object.keys(secretsFile(world.home))).toEqual([`luks:${two!.id}`]);
    expect(world.store.audit.list({ action: 'passphrase.deleted' })[0]).toMatchObject({
      target: `luks:${one!.id}`,
      detail: { serverId: one!.id, why: 'the server is terminated; its volumes were deleted with it' },
    });
    expect(world.store.audit.list({ action: 'server.terminated' })[0]).toMatchObject({ target: one!.id });

    // terminated behind strata's back, and gone from the listing before strata looked: kept, with a sentence
    await world.provider.terminate(two!.id);
    (world.provider as unknown as { clock: { advance(ms: number): void } }).clock.advance(2 * 3_600_000);
    const swept = await world.launcher.sweepPassphrases();
    expect(swept.deleted).toEqual([]);
    expect(swept.kept).toEqual([
      {
        serverId: two!.id,
        account: `luks:${two!.id}`,
        clientToken: 'custody-token',
        sentence: expect.stringMatching(
          new RegExp(`^The volume passphrase of server ${two!.id} stays in .+ under luks:${two!.id}: the server is gone, but strata did not see it terminated, so its volumes may outlive it\\. Forget the passphrase once they are deleted\\.$`),
        ),
      },
    ]);
    expect(secretsFile(world.home)[`luks:${two!.id}`]).toBeDefined();
    // at the user's word it goes
    expect(await world.launcher.forgetPassphrase(two!.id)).toBe(true);
    expect(secretsFile(world.home)).toEqual({});
    expect(await world.launcher.sweepPassphrases()).toEqual({ deleted: [], kept: [] });
  });

  it('a listing from the watcher is enough: a server listed as terminated loses its passphrase without another call', async () => {
    const world = await openWorld();
    const outcome = await world.launcher.launch(basicRequest(world, { volumes: ENCRYPTED }), { clientToken: 'listed-token' });
    await world.provider.terminate(outcome.servers[0]!.id);
    const listing = await world.provider.listServers();
    expect(listing[0]!.phase).toBe('terminated');
    expect((await world.launcher.sweepPassphrases(listing)).deleted).toEqual([outcome.servers[0]!.id]);
    expect(secretsFile(world.home)).toEqual({});
  });
});

describe('what the UI does to servers and images, through services', () => {
  it('terminate, console output and the images servers stand on: retried under throttling, audited by the service', async () => {
    const world = await openWorld({ sandboxFaults: 'throttle=0.5' });
    const { servers, images } = actions(world);
    const launched = (await world.launcher.launch(basicRequest(world), { clientToken: 'ui-token' })).servers[0]!;
    for (let i = 0; i < 5; i++) expect(await servers.consoleOutput(launched.id)).toEqual(expect.any(String));
    expect(await servers.lookUpImages([world.image.id, 'img-00000000000000000'])).toEqual({
      [world.image.id]: expect.objectContaining({ id: world.image.id }),
      'img-00000000000000000': null,
    });
    await servers.terminate(launched);
    expect(world.store.launches().servers('sandbox', 'eu-west').get(launched.id)?.terminatedAt).toEqual(expect.any(String));
    expect(world.store.audit.list({ action: 'server.terminated' })).toHaveLength(1);

    // the image the (terminated) server stood on: deleted, audited with what stood on it; a second time is NotFound
    await images.deleteImage(world.image.id, { dependants: 1 });
    expect(world.store.audit.list({ action: 'image.deleted' })[0]).toMatchObject({ target: world.image.id, detail: { dependants: 1 } });
    await expect(images.deleteImage(world.image.id)).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('a provider that cannot do it says so in a sentence', async () => {
    const world = await openWorld();
    const description = structuredClone(world.description);
    description.capabilities.servers.consoleOutput = false;
    description.capabilities.images.delete = 'none';
    const deps = { provider: world.provider, description, store: world.store, providerId: 'sandbox', region: 'eu-west' };
    await expect(new ServerActions(deps).consoleOutput('srv-x')).rejects.toBeInstanceOf(StrataError);
    await expect(new ImageActions(deps).deleteImage('img-x')).rejects.toMatchObject({ kind: 'Unsupported', message: 'Sandbox cloud cannot delete images here.' });
  });
});
