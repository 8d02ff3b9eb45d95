// Capture (`i` on a server): against the real sandbox and the real store. An image is made from a running
// server with a name and a label, followed from pending to available, shown among own images, and it
// remembers where it came from — in tags where the region holds them (eu-west), in the local store where
// it does not (ap-south).
import { describe, expect, it } from 'vitest';
import { LABEL_TAG, SOURCE_IMAGE_TAG, SOURCE_SERVER_TAG } from '../../source/core/tags.js';
import type { Image } from '../../source/core/types.js';
import { Capturer } from '../../source/services/capture.js';
import {
  countingProvider,
  newHome,
  openWorld,
  ownImage,
  ownImages,
  patiently,
  readyServer,
  servicesFor,
  type World,
} from './jobs.fixture.js';

async function waitAvailable(world: World, imageId: string) {
  const seen: Image['state'][] = [];
  const image = await world.capturer.waitAvailable(imageId, { intervalMs: 5, onProgress: (i) => seen.push(i.state) });
  return { image, seen };
}

describe('capture in a region whose images hold tags (eu-west)', () => {
  it('makes an image from a server with a name and a label; pending, then available; among own images with its lineage', async () => {
    const world = await openWorld();
    const source = await ownImage(world);
    const server = await readyServer(world, 'web-1');
    expect(server.imageId).toBe(source.id);
    world.provider.clock.setSpeed(100); // an image now stays pending for about half a second

    const image = await world.capturer.capture(server.id, { name: 'web base 2025', label: 'green' });
    expect(image.state).toBe('pending');
    expect(image.warnings).toEqual([]);
    expect(image.name).toBe('web base 2025');
    expect(image.label).toBe('green');
    expect(image.labelSource).toBe('tag');
    expect(image.sourceImageId).toBe(source.id);
    expect(image.sourceServerId).toBe(server.id);

    const { image: available, seen } = await waitAvailable(world, image.id);
    expect(available.state).toBe('available');
    expect(seen[0]).toBe('pending');
    expect(seen.at(-1)).toBe('available');

    // among own images, as the provider holds it: label and lineage in tags, shared with teammates
    const own = (await ownImages(world)).find((i) => i.id === image.id)!;
    expect(own).toMatchObject({ name: 'web base 2025', state: 'available', kind: 'own', sourceImageId: source.id, sourceServerId: server.id });
    expect(own.tags).toMatchObject({ [LABEL_TAG]: 'green', [SOURCE_IMAGE_TAG]: source.id, [SOURCE_SERVER_TAG]: server.id });
    expect(world.catalogue.merge(own)).toMatchObject({ label: 'green', labelSource: 'tag', shownName: 'web base 2025' });
    // nothing local was needed
    expect(world.store.getImageMeta('sandbox', 'eu-west', image.id)).toBeUndefined();
    expect(world.store.lineage().get('sandbox', 'eu-west', image.id)).toBeUndefined();

    const [captured] = world.store.audit.list({ action: 'image.captured' });
    expect(captured).toMatchObject({ target: image.id, detail: { name: 'web base 2025', serverId: server.id, sourceImageId: source.id, label: 'green', lineage: 'tags' } });
    expect(world.store.audit.list({ action: 'image.label' })[0]).toMatchObject({ target: image.id, detail: { to: 'green', where: 'tag' } });
  });

  it('refuses bad names before any call to the provider, with the field and the reason', async () => {
    const home = newHome();
    const base = await openWorld({ home });
    const server = await readyServer(base, 'web-2');
    const { provider, calls } = countingProvider(base.provider);
    const world = await servicesFor(home, base.provider, base.store, { wrap: () => provider });
    calls.length = 0;
    const cases: [string, RegExp][] = [
      ['ab', /at least 3 characters/],
      [' padded ', /start or end with a space/],
      ['semi;colon', /";" is not allowed/],
      ['x'.repeat(129), /at most 128 characters/],
      ['bell\u0007name', /not allowed|control characters/],
    ];
    for (const [name, reason] of cases) {
      const error = await world.capturer.capture(server.id, { name }).catch((e: unknown) => e);
      expect(error, name).toMatchObject({ kind: 'Invalid', field: 'name' });
      expect((error as Error).message).toMatch(reason);
    }
    await expect(world.capturer.capture(server.id, { name: 'fine name', label: 'mauve' as never })).rejects.toMatchObject({ kind: 'Invalid', field: 'label' });
    expect(calls).toEqual([]);
    expect((await ownImages(world)).filter((i) => i.sourceServerId === server.id)).toEqual([]);
  });

  it('says in a sentence when the server does not exist, or is not up yet; captures nothing', async () => {
    const world = await openWorld();
    await expect(world.capturer.capture('srv-nosuchserver00', { name: 'ghost image' })).rejects.toMatchObject({
      kind: 'NotFound',
      message: 'Server srv-nosuchserver00 does not exist in Sandbox cloud eu-west.',
    });
    const image = await ownImage(world);
    world.provider.clock.setSpeed(1);
    const launched = await world.launcher.launch(
      { name: 'early', imageId: image.id, productId: 'sb.small', count: 1, firewallIds: [], keypair: { mode: 'none' } },
      { clientToken: 'early-capture-token' },
    );
    // Straight after the launch the server is only requested: the provider refuses, with its reason.
    await expect(world.capturer.capture(launched.servers[0]!.id, { name: 'too early' })).rejects.toMatchObject({
      kind: 'Invalid',
      message: expect.stringMatching(/is (requested|pending|booting); an image can be captured only from a running server/),
    });
    expect((await ownImages(world)).filter((i) => i.name === 'too early' || i.name === 'ghost image')).toEqual([]);
    expect(world.store.audit.list({ action: 'image.captured' })).toEqual([]);
  });

  it('names already taken are the provider’s to refuse (unique image names), and nothing local is written', async () => {
    const world = await openWorld();
    const server = await readyServer(world);
    const taken = (await ownImages(world)).find((i) => /^[A-Za-z0-9 ()[\]./'@_-]{3,128}$/.test(i.name))!;
    expect(await world.capturer.nameTaken(taken.name)).toMatchObject({ id: taken.id });
    await expect(world.capturer.capture(server.id, { name: taken.name, label: 'red' })).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });
    expect(world.store.audit.list({ action: 'image.captured' })).toEqual([]);
    expect(world.store.audit.list({ action: 'image.label' })).toEqual([]);
  });
});

describe('capture in a region whose images hold no tags (ap-south)', () => {
  it('keeps the label and the lineage in the local store, so the UI can show both', async () => {
    const world = await openWorld({ region: 'ap-south' });
    const source = await ownImage(world);
    const server = await readyServer(world, 'app-1');
    world.provider.clock.setSpeed(100);
    // plain names: lowercase, digits, hyphens
    await expect(world.capturer.capture(server.id, { name: 'App Base' })).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });

    const image = await world.capturer.capture(server.id, { name: 'app-base-1', label: 'blue' });
    expect(image).toMatchObject({ state: 'pending', label: 'blue', labelSource: 'local', sharedMeta: false, tags: {} });
    const { image: available } = await waitAvailable(world, image.id);
    expect(available.state).toBe('available');

    expect(world.store.getImageMeta('sandbox', 'ap-south', image.id)?.label).toBe('blue');
    expect(world.store.lineage().get('sandbox', 'ap-south', image.id)).toMatchObject({
      imageId: image.id,
      sourceImageId: source.id,
      sourceServerId: server.id,
    });
    expect(world.capturer.lineageMap().get(image.id)?.sourceServerId).toBe(server.id);
    // a provider that leaves lineage out of its answer: the local store fills it in
    const bare = { ...available, sourceImageId: undefined, sourceServerId: undefined } as Image;
    delete bare.sourceImageId;
    delete bare.sourceServerId;
    expect(world.capturer.withLineage(bare)).toMatchObject({ sourceImageId: source.id, sourceServerId: server.id });
    expect(world.store.audit.list({ action: 'image.captured' })[0]).toMatchObject({ target: image.id, detail: { lineage: 'local store', label: 'blue' } });
    expect(world.store.audit.list({ action: 'image.label' })[0]).toMatchObject({ target: image.id, detail: { where: 'local' } });
  });
});

describe('waitAvailable', () => {
  it('rejects with a sentence when the image failed', async () => {
    const world = await openWorld();
    const failed = (await ownImages(world)).find((i) => i.state === 'failed');
    expect(failed, 'the seeded world has a failed image').toBeDefined();
    await expect(world.capturer.waitAvailable(failed!.id, { intervalMs: 5 })).rejects.toMatchObject({
      message: expect.stringMatching(new RegExp(`^The image .+ \\(${failed!.id}\\) failed to be created`)),
    });
  });

  it('rejects with a sentence when the image is deleted while pending', async () => {
    const world = await openWorld();
    const server = await readyServer(world);
    world.provider.clock.setSpeed(1); // an image stays pending for about a minute now
    const image = await world.capturer.capture(server.id, { name: 'short lived' });
    await world.provider.deleteImage(image.id);
    await expect(world.capturer.waitAvailable(image.id, { intervalMs: 5 })).rejects.toMatchObject({
      kind: 'NotFound',
      message: `The image ${image.id} is gone: it was deleted before it became available.`,
    });
  });

  it('stops when its signal aborts, and when its time limit passes', async () => {
    const world = await openWorld();
    const server = await readyServer(world);
    world.provider.clock.setSpeed(1);
    const image = await world.capturer.capture(server.id, { name: 'slow one' });
    const controller = new AbortController();
    const polls: string[] = [];
    const waiting = world.capturer.waitAvailable(image.id, {
      intervalMs: 5,
      signal: controller.signal,
      onProgress: (i) => {
        polls.push(i.state);
        if (polls.length === 3) controller.abort(new Error('user left'));
      },
    });
    await expect(waiting).rejects.toThrow('user left');
    expect(polls).toEqual(['pending', 'pending', 'pending']);
    await expect(world.capturer.waitAvailable(image.id, { intervalMs: 5, timeoutMs: 30 })).rejects.toMatchObject({
      kind: 'Transient',
      message: `The image ${image.id} is still pending after 30 ms; strata stopped waiting (it may still become available).`,
    });
  });

  it('backs off while the provider throttles, and still gets there', async () => {
    const home = newHome();
    const healthy = await openWorld({ home });
    const server = await readyServer(healthy);
    const image = await healthy.capturer.capture(server.id, { name: 'throttled wait' });
    const flaky = await openWorld({ home, sandboxFaults: 'throttle=0.5,timeout=0.2' });
    const states: string[] = [];
    const done = await flaky.capturer.waitAvailable(image.id, { intervalMs: 2, maxIntervalMs: 20, onProgress: (i) => states.push(i.state) });
    expect(done.state).toBe('available');
    expect(states.at(-1)).toBe('available');
  });

  it('a flaky provider: capture retries what is retryable and still makes exactly one image', async () => {
    const home = newHome();
    const healthy = await openWorld({ home });
    const server = await readyServer(healthy);
    const flaky = await openWorld({ home, sandboxFaults: 'throttle=0.4,timeout=0.3' });
    const image = await flaky.capturer.capture(server.id, { name: 'flaky capture', label: 'teal' });
    await flaky.capturer.waitAvailable(image.id, { intervalMs: 2 });
    const mine = (await patiently(() => healthy.provider.listImages({ scope: 'own', query: 'flaky capture' }))).items;
    expect(mine.map((i) => i.id)).toEqual([image.id]);
    expect(mine[0]!.tags[LABEL_TAG]).toBe('teal');
  });
});

describe('Capturer without capture support', () => {
  it('says so in a sentence', async () => {
    const world = await openWorld();
    const description = structuredClone(world.description);
    description.capabilities.images.capture = 'none';
    const capturer = new Capturer({ ...world, description, providerId: 'sandbox', region: 'eu-west' });
    expect(capturer.supported).toBe(false);
    await expect(capturer.capture('srv-x', { name: 'valid name' })).rejects.toMatchObject({ kind: 'Unsupported' });
  });
});
