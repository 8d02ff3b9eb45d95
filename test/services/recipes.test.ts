// Launch recipes: the whole form saved as YAML and opened again; bad recipes refused with sentences that
// name the file, the line and the field; no secret can be in one.
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSecretKey } from '../../source/store/redact.js';
import { FileError } from '../../source/services/config.js';
import type { LaunchRequest } from '../../source/services/launcher.js';
import { launchRequestProblems, parseLaunchRequest, Recipes } from '../../source/services/recipes.js';
import { newHome, openWorld } from './launcher.fixture.js';

const FULL: LaunchRequest = {
  name: 'db',
  imageId: 'img-0123456789abcdef0',
  productId: 'sb.small',
  count: 2,
  firewallIds: ['sg-1', 'sg-2'],
  newFirewall: {
    name: 'db-access',
    rules: [
      { protocol: 'tcp', fromPort: 5432, toPort: 5432, source: '10.0.0.0/8' },
      { protocol: 'icmp', fromPort: -1, toPort: -1, source: '0.0.0.0/0' },
    ],
  },
  keypair: { mode: 'create', name: 'db-key', directory: '~/.ssh/work' },
  group: 'databases',
  billingCode: 'ops-42',
  volumes: { count: 2, sizeGiB: 100, raid: '1', filesystem: 'xfs', mountPoint: '/var/lib/postgresql', encrypt: true },
  userDataFile: '/home/u/bootstrap.sh',
};

/** Every key at any depth of a value. */
function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysOf(v, out);
    }
  }
  return out;
}

function loadError(recipes: Recipes, name: string): FileError {
  try {
    recipes.load(name);
  } catch (error) {
    expect(error).toBeInstanceOf(FileError);
    return error as FileError;
  }
  throw new Error('the recipe was accepted');
}

describe('recipes', () => {
  it('round trip: save, list, load give back the very form', () => {
    const recipes = new Recipes(newHome(), { now: () => new Date('2026-05-01T10:00:00Z') });
    const saved = recipes.save('db-eu', FULL, { provider: 'sandbox', region: 'eu-west' });
    expect(saved.path).toBe(join(recipes.directory, 'db-eu.yaml'));
    expect(statSync(saved.path).mode & 0o777).toBe(0o600);
    const text = readFileSync(saved.path, 'utf8');
    expect(text).toMatch(/^# strata launch recipe "db-eu"/);
    expect(text).toContain('raid: "1"');
    const loaded = recipes.load('db-eu');
    expect(loaded).toEqual({ name: 'db-eu', path: saved.path, provider: 'sandbox', region: 'eu-west', savedAt: '2026-05-01T10:00:00.000Z', request: FULL });
    recipes.save('minimal', { name: 'x', imageId: 'i', productId: 'p', count: 1, firewallIds: [], keypair: { mode: 'none' } });
    expect(recipes.list().map((r) => [r.name, r.problem])).toEqual([
      ['db-eu', undefined],
      ['minimal', undefined],
    ]);
    expect(recipes.list()[1]!.recipe!.request).toEqual({ name: 'x', imageId: 'i', productId: 'p', count: 1, firewallIds: [], keypair: { mode: 'none' } });
  });

  it('never overwrites without being told to', () => {
    const recipes = new Recipes(newHome());
    recipes.save('web', FULL);
    expect(() => recipes.save('web', { ...FULL, count: 5 })).toThrow(
      `A recipe named "web" already exists (${join(recipes.directory, 'web.yaml')}); choose another name, or overwrite it.`,
    );
    expect(recipes.load('web').request.count).toBe(2);
    recipes.save('web', { ...FULL, count: 5 }, { overwrite: true });
    expect(recipes.load('web').request.count).toBe(5);
  });

  it('refuses names that are not plain file names', () => {
    const recipes = new Recipes(newHome());
    for (const bad of ['', '../escape', '.hidden', 'a/b', 'with space', 'x'.repeat(65)]) {
      expect(() => recipes.save(bad, FULL), JSON.stringify(bad)).toThrow(/recipe/);
    }
    expect(() => recipes.load('nope')).toThrow(`There is no recipe named "nope" (${join(recipes.directory, 'nope.yaml')} does not exist).`);
  });

  it('a bad recipe: each problem with the file, the line and the field', () => {
    const recipes = new Recipes(newHome());
    mkdirSync(recipes.directory, { recursive: true });
    const path = join(recipes.directory, 'broken.yaml');
    writeFileSync(
      path,
      [
        'strataRecipe: 1',
        'request:',
        '  name: web',
        '  imageId: img-1',
        '  productId: sb.small',
        '  count: two',
        '  firewallIds: []',
        '  keypair:',
        '    mode: create',
        '  volumes: {count: 2, sizeGiB: 10, raid: 1, filesystem: ext4, mountPoint: /data, encrypt: yes}',
        '  passphrase: hunter2',
      ].join('\n'),
    );
    const error = loadError(recipes, 'broken');
    const byKey = Object.fromEntries(error.problems.map((p) => [p.key, p]));
    expect(byKey['request.count']).toEqual({ file: path, line: 6, key: 'request.count', message: 'count must be a whole number.' });
    expect(byKey['request.keypair.name']).toMatchObject({ line: 8, message: 'keypair.name must be text.' });
    expect(byKey['request.volumes.raid']).toMatchObject({ line: 10, message: 'raid must be none, 0, 1, 5 or 10 (quote the number: "1").' });
    expect(byKey['request.volumes.encrypt']).toMatchObject({ line: 10, message: 'encrypt must be true or false.' });
    expect(byKey['request.passphrase']).toMatchObject({
      line: 11,
      message: '"passphrase" is not a key strata knows here; the keys are name, imageId, productId, count, firewallIds, newFirewall, keypair, group, billingCode, volumes, userDataFile.',
    });
    expect(error.message).toContain(`${path}, line 6, request.count: count must be a whole number.`);
    // the list shows it with the sentence rather than failing
    const listed = recipes.list().find((r) => r.name === 'broken')!;
    expect(listed.recipe).toBeUndefined();
    expect(listed.problem).toBe(error.message);
  });

  it('a value with a line break (or another control character) is refused at load, with the file, the line and the key', () => {
    const recipes = new Recipes(newHome());
    const path = recipes.pathOf('broken');
    mkdirSync(recipes.directory, { recursive: true });
    writeFileSync(
      path,
      [
        'strataRecipe: 1',
        'request:',
        '  name: "web\\nserver"',
        '  imageId: img-1',
        '  productId: sb.small',
        '  count: 1',
        '  firewallIds: []',
        '  keypair: { mode: existing, name: "ops\\u001b[31mkey" }',
      ].join('\n'),
    );
    const error = (() => {
      try {
        recipes.load('broken');
      } catch (e) {
        return e as FileError;
      }
      throw new Error('the recipe was accepted');
    })();
    expect(error).toBeInstanceOf(FileError);
    expect(error.problems).toEqual([
      { file: path, line: 3, key: 'request.name', message: 'name must be one line of text, without line breaks or control characters.' },
      { file: path, line: 8, key: 'request.keypair.name', message: 'keypair.name must be one line of text, without line breaks or control characters.' },
    ]);
    // the list says why it cannot be opened, the form never sees the value
    expect(recipes.list()).toEqual([{ name: 'broken', path, problem: error.message }]);
    // and the launch form's own request is refused the same way, at the field
    expect(launchRequestProblems({ ...FULL, group: 'a\nb' })).toEqual([
      { field: 'group', message: 'group must be one line of text, without line breaks or control characters.' },
    ]);
  });

  it('other bad files: not YAML, empty, another version', () => {
    const recipes = new Recipes(newHome());
    mkdirSync(recipes.directory, { recursive: true });
    writeFileSync(join(recipes.directory, 'syntax.yaml'), 'request: [unclosed\n');
    expect(loadError(recipes, 'syntax').message).toMatch(/syntax\.yaml, line \d+: the YAML cannot be read: /);
    writeFileSync(join(recipes.directory, 'empty.yaml'), '');
    expect(loadError(recipes, 'empty').message).toBe(`${join(recipes.directory, 'empty.yaml')}: the recipe is empty.`);
    writeFileSync(join(recipes.directory, 'future.yaml'), 'strataRecipe: 2\nrequest: {}\n');
    expect(loadError(recipes, 'future').problems[0]).toMatchObject({ line: 1, key: 'strataRecipe', message: 'strataRecipe must be 1 (this strata reads version 1 recipes).' });
  });

  it('holds no secret by construction: no secret-looking field exists, and none can be added', () => {
    const recipes = new Recipes(newHome());
    const saved = recipes.save('full', FULL);
    const doc = readFileSync(saved.path, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n');
    for (const key of keysOf(recipes.load('full'))) expect(isSecretKey(key), key).toBe(false);
    expect(doc).not.toMatch(/PRIVATE KEY|passphrase|password|secret/i);
    for (const smuggled of [
      { ...FULL, passphrase: 'hunter2' },
      { ...FULL, keypair: { mode: 'create', name: 'k', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----' } },
      { ...FULL, volumes: { ...FULL.volumes, passphrase: 'hunter2' } },
      { ...FULL, userData: '#!/bin/sh\nexport TOKEN=abc' },
    ]) {
      expect(launchRequestProblems(smuggled)).not.toEqual([]);
      expect(() => recipes.save('smuggled', smuggled as LaunchRequest, { overwrite: true })).toThrow(/not a field of the launch form/);
    }
    expect(() => parseLaunchRequest({ ...FULL, passphrase: 'x' })).toThrow('The launch request is not valid: request: "passphrase" is not a field of the launch form.');
  });

  it('the form can open a recipe again: the launcher reviews it as it was saved', async () => {
    const world = await openWorld();
    const recipes = new Recipes(world.home);
    const request: LaunchRequest = {
      name: 'from-recipe',
      imageId: world.image.id,
      productId: 'sb.small',
      count: 1,
      firewallIds: [],
      keypair: { mode: 'create', name: 'recipe-key' },
      billingCode: 'ops-42',
      volumes: { count: 2, sizeGiB: 10, raid: '0', filesystem: 'ext4', mountPoint: '/data', encrypt: false },
    };
    recipes.save('eu', request, { provider: 'sandbox', region: 'eu-west' });
    const review = await world.launcher.review(recipes.load('eu').request);
    expect(review.problems).toEqual([]);
    const outcome = await world.launcher.launch(recipes.load('eu').request, { clientToken: review.clientToken });
    expect(outcome.servers).toHaveLength(1);
  });
});
