// Import (:import): an image file of this machine becomes an own image, through the Capturer, against the
// real sandbox and the real store. The path may start with ~/ or be relative; a missing name is made from
// the file's name; every import is audit-logged; refusals come before anything is read or sent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Capturer } from '../../source/services/capture.js';
import { countingProvider, newHome, openWorld, ownImages, servicesFor } from './jobs.fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A qcow2 file (a version 3 header, zeros after it) in a fresh directory. */
function imageFile(name: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-import-svc-'));
  dirs.push(dir);
  const b = Buffer.alloc(64 * 1024);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(8n * 1024n ** 3n, 24);
  const path = join(dir, name);
  writeFileSync(path, b);
  return { dir, path };
}

describe('importing an image file', () => {
  it('imports with the name given, audit-logged with the path (nothing secret), merged for the list', async () => {
    const world = await openWorld();
    const { path } = imageFile('golden.qcow2');
    const image = await world.capturer.importImage({ path, name: 'golden base' });
    expect(image).toMatchObject({ name: 'golden base', shownName: 'golden base', kind: 'own', state: 'available', sizeGiB: 1, owned: true });
    expect((await ownImages(world)).map((i) => i.id)).toContain(image.id);
    const [entry] = world.store.audit.list({ action: 'image.imported' });
    expect(entry).toMatchObject({ target: image.id, provider: 'sandbox', region: 'eu-west', detail: { name: 'golden base', path, sizeGiB: 1 } });
  });

  it('takes ~/ and relative paths, and makes the name from the file where none is given', async () => {
    const world = await openWorld();
    const { dir, path } = imageFile('Ubuntu 24.04 minimal.img');
    expect(world.capturer.importPath('~/x/disk.img', '/srv', { HOME: '/home/ops' })).toBe('/home/ops/x/disk.img');
    expect(world.capturer.importPath('images/disk.img', '/srv', {})).toBe('/srv/images/disk.img');
    expect(world.capturer.importPath('/abs/disk.img', '/srv', {})).toBe('/abs/disk.img');
    expect(world.capturer.importName(path)).toBe('Ubuntu 24.04 minimal');
    const previous = process.env.HOME;
    process.env.HOME = dir;
    try {
      const image = await world.capturer.importImage({ path: '~/Ubuntu 24.04 minimal.img' });
      expect(image.name).toBe('Ubuntu 24.04 minimal');
      expect(world.store.audit.list({ action: 'image.imported' })[0]!.detail.path).toBe(path);
    } finally {
      process.env.HOME = previous;
    }
  });

  it('refuses a bad or taken name, or a name it cannot make, before any call that imports', async () => {
    const home = newHome();
    const base = await openWorld({ home });
    const { provider, calls } = countingProvider(base.provider);
    const world = await servicesFor(home, base.provider, base.store, { wrap: () => provider });
    const { path } = imageFile('ab.qcow2');
    await expect(world.capturer.importImage({ path })).rejects.toMatchObject({
      kind: 'Invalid',
      field: 'name',
      message: expect.stringMatching(/^strata cannot make an image name from the file name ab\.qcow2 \(3 to 128 characters.*\); give the image a name\.$/),
    });
    await expect(world.capturer.importImage({ path, name: 'semi;colon' })).rejects.toMatchObject({ kind: 'Invalid', field: 'name' });
    const taken = (await ownImages(world)).find((i) => /^[A-Za-z0-9 ()[\]./'@_-]{3,128}$/.test(i.name))!;
    await expect(world.capturer.importImage({ path, name: taken.name })).rejects.toMatchObject({
      kind: 'Invalid',
      field: 'name',
      message: `An image named "${taken.name}" already exists in Sandbox cloud eu-west; image names are unique here.`,
    });
    await expect(world.capturer.importImage({ path: '  ', name: 'fine name' })).rejects.toMatchObject({ kind: 'Invalid', field: 'path' });
    expect(calls).not.toContain('importImage');
    expect(world.store.audit.list({ action: 'image.imported' })).toEqual([]);
  });

  it('passes on the provider’s sentence about the file, and records nothing', async () => {
    const world = await openWorld();
    const { dir } = imageFile('other.qcow2');
    const missing = join(dir, 'missing.qcow2');
    await expect(world.capturer.importImage({ path: missing, name: 'missing one' })).rejects.toMatchObject({
      kind: 'Invalid',
      field: 'path',
      message: `The image file ${missing} does not exist.`,
    });
    expect(world.store.audit.list({ action: 'image.imported' })).toEqual([]);
  });

  it('a flaky provider: retries what is retryable and still makes exactly one image', async () => {
    const home = newHome();
    await openWorld({ home });
    const flaky = await openWorld({ home, sandboxFaults: 'throttle=0.4,timeout=0.3' });
    const { path } = imageFile('flaky.qcow2');
    const image = await flaky.capturer.importImage({ path, name: 'flaky import' });
    const healthy = await openWorld({ home });
    const mine = (await healthy.provider.listImages({ scope: 'own', query: 'flaky import' })).items;
    expect(mine.map((i) => i.id)).toEqual([image.id]);
  });

  it('a region that cannot import says so in a sentence', async () => {
    const world = await openWorld({ region: 'ap-south' });
    expect(world.capturer.importSupported).toBe(false);
    const { path } = imageFile('disk.qcow2');
    await expect(world.capturer.importImage({ path, name: 'disk' })).rejects.toMatchObject({
      kind: 'Unsupported',
      message: 'Sandbox cloud ap-south cannot import image files.',
    });
    // The Capturer's description decides, as the UI's does.
    const description = structuredClone(world.description);
    description.capabilities.images.import = 'optional';
    expect(new Capturer({ ...world, description, providerId: 'sandbox', region: 'ap-south' }).importSupported).toBe(true);
  });
});
