// The provider contract suite: one set of tests every provider runs (sandbox, aws, libvirt), written only
// against ProviderService and the capabilities a provider describes. It branches on capabilities, never
// on the provider's id. Waits poll with a deadline; nothing sleeps and hopes.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities, ProviderDescription } from '../../source/core/capabilities.js';
import { StrataError, type ErrorKind } from '../../source/core/errors.js';
import { NAME_TAG } from '../../source/core/tags.js';
import type { Firewall, Image, LaunchSpec, Product, Server } from '../../source/core/types.js';
import type { ProviderService } from '../../source/providers/provider.js';

export interface ContractOptions {
  /** Real ms to wait for a launched server to come up, and for a captured image to become available. */
  upTimeoutMs?: number;
  /** Real ms between two polls. */
  pollMs?: number;
  /** An id that is well-formed for this provider but names no image. */
  missingImageId?: string;
  /** An id that is well-formed for this provider but names no server. */
  missingServerId?: string;
  /** Leave out the tests that start servers (for a provider where that costs money or needs a host). */
  skipLaunch?: boolean;
  /** Leave out the deprecation test, with why (an emulator that lacks EnableImageDeprecation). */
  skipDeprecation?: string;
}

export interface ContractSetup {
  provider: ProviderService;
  cleanup: () => Promise<void>;
}

/** Expects the promise to reject with a StrataError of one of the kinds (and, if given, a field). */
export async function expectStrataError(
  promise: Promise<unknown>,
  kinds: ErrorKind | ErrorKind[],
  field?: string | RegExp,
): Promise<StrataError> {
  const wanted = Array.isArray(kinds) ? kinds : [kinds];
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a StrataError of kind ${wanted.join(' or ')}`).toBeInstanceOf(StrataError);
  const error = caught as StrataError;
  expect(wanted, `error kind of "${error.message}"`).toContain(error.kind);
  expect(error.message.length).toBeGreaterThan(10);
  if (field instanceof RegExp) expect(error.field).toMatch(field);
  else if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

/** Polls fn until check accepts its value, or fails with the last value after the deadline. */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  check: (value: T) => boolean,
  { timeoutMs, intervalMs, what }: { timeoutMs: number; intervalMs: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value).slice(0, 500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** An OpenSSH public key line for a fresh Ed25519 key (test material, built with node:crypto). */
export function freshOpenSshPublicKey(comment = 'contract@test'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const PHASES = ['requested', 'pending', 'booting', 'running', 'initializing', 'ready', 'failed', 'stalled', 'terminated'];
const UP = ['running', 'initializing', 'ready'];

/** A word of a name that a search can use (letters and digits, at least 4 of them). */
function searchableWord(name: string): string | undefined {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .find((w) => w.length >= 4 && /[a-z]/.test(w));
}

export function describeProviderContract(
  label: string,
  setup: () => Promise<ContractSetup>,
  options: ContractOptions = {},
): void {
  const upTimeoutMs = options.upTimeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 50;
  const missingImageId = options.missingImageId ?? 'img-0000000000contract';
  const missingServerId = options.missingServerId ?? 'srv-0000000000contract';
  // Names unique to this run, valid under the strictest rules we know (lowercase, digits, hyphens).
  const run = Math.random().toString(36).slice(2, 8);

  describe(`provider contract: ${label}`, () => {
    let provider: ProviderService;
    let cleanup: () => Promise<void>;
    let description: ProviderDescription;
    let caps: Capabilities;

    beforeAll(async () => {
      ({ provider, cleanup } = await setup());
      description = await provider.describe();
      caps = description.capabilities;
    });
    afterAll(async () => {
      await cleanup?.();
    });

    describe('describe()', () => {
      it('names the provider, its region among its regions, and a profile line', () => {
        expect(description.id).toMatch(/^[a-z0-9-]+$/);
        expect(description.displayName.length).toBeGreaterThan(0);
        expect(description.regions.map((r) => r.id)).toContain(description.region);
        expect(description.profile.length).toBeGreaterThan(0);
      });

      it('names a guest device for every volume it can attach', () => {
        expect(caps.launch.volumeDevices.length).toBeGreaterThanOrEqual(caps.launch.maxVolumes);
        // A path the guest sees as it is, or an EC2 block device name the volume script looks up.
        for (const device of caps.launch.volumeDevices) expect(typeof device === 'string' ? device : device.device).toMatch(/^\/dev\/[a-z0-9/_-]+$/);
      });

      it('describes capabilities that are consistent with themselves', () => {
        for (const rules of [caps.images.nameRules, caps.launch.nameRules]) {
          expect(rules.minLength).toBeGreaterThanOrEqual(1);
          expect(rules.maxLength).toBeGreaterThanOrEqual(rules.minLength);
          expect(() => new RegExp(`^[${rules.allowed}]$`, 'u')).not.toThrow();
          expect(rules.description.length).toBeGreaterThan(0);
        }
        expect(caps.launch.raidLevels).toContain('none');
        expect(caps.launch.maxCount).toBeGreaterThanOrEqual(1);
        expect(caps.launch.maxVolumeGiB).toBeGreaterThanOrEqual(caps.launch.minVolumeGiB);
        expect(caps.launch.filesystems.length).toBeGreaterThan(0);
        expect(caps.servers.expectedReadySeconds).toBeGreaterThan(0);
        if (caps.images.serverSideSearch) expect(caps.images.publicCatalogue).toBe(true);
      });
    });

    describe('images', () => {
      it('lists own images as owned and of kind own', async () => {
        const page = await provider.listImages({ scope: 'own', pageSize: 100 });
        expect(page.items.length).toBeGreaterThan(0);
        for (const image of page.items) {
          expect(image.kind).toBe('own');
          expect(image.owned).toBe(true);
          expect(image.createdAt).toMatch(ISO);
          expect(typeof image.tags).toBe('object');
          if (image.displayName !== undefined) expect(image.tags[NAME_TAG]).toBe(image.displayName);
        }
      });

      it('lists vendor templates as not owned, with deprecation dates on deprecated ones', async () => {
        const page = await provider.listImages({ scope: 'vendor', pageSize: 500 });
        expect(page.items.length).toBeGreaterThan(0);
        for (const image of page.items) {
          expect(image.kind).toBe('vendor');
          expect(image.owned).toBe(false);
          if (image.state === 'deprecated' && image.deprecatedAt) {
            expect(image.deprecatedAt).toMatch(ISO);
            if (image.deleteAt) expect(Date.parse(image.deleteAt)).toBeGreaterThanOrEqual(Date.parse(image.deprecatedAt));
          }
        }
      });

      it('pages the public catalogue with tokens that advance without duplicates', async (ctx) => {
        if (!caps.images.publicCatalogue) return ctx.skip();
        const first = await provider.listImages({ scope: 'public', pageSize: 50 });
        expect(first.items.length).toBeGreaterThan(0);
        expect(first.items.length).toBeLessThanOrEqual(50);
        for (const image of first.items) {
          expect(image.kind).toBe('public');
          expect(image.owned).toBe(false);
        }
        if (!first.next) return;
        const second = await provider.listImages({ scope: 'public', pageSize: 50, page: first.next });
        const third = second.next ? await provider.listImages({ scope: 'public', pageSize: 50, page: second.next }) : { items: [] };
        const ids = [...first.items, ...second.items, ...third.items].map((i) => i.id);
        expect(new Set(ids).size).toBe(ids.length);
        if (first.total !== undefined && second.total !== undefined) expect(second.total).toBe(first.total);
      });

      it('narrows a listing with a provider-side query', async (ctx) => {
        if (!caps.images.publicCatalogue) return ctx.skip();
        const all = await provider.listImages({ scope: 'public', pageSize: 20 });
        const word = all.items.map((i) => searchableWord(i.name)).find((w) => w !== undefined);
        expect(word, 'a searchable word in the first public names').toBeDefined();
        const found = await provider.listImages({ scope: 'public', query: word!.toUpperCase(), pageSize: 200 });
        expect(found.items.length).toBeGreaterThan(0);
        for (const image of found.items) expect(image.name.toLowerCase()).toContain(word);
        if (all.total !== undefined && found.total !== undefined) expect(found.total).toBeLessThanOrEqual(all.total);
        const none = await provider.listImages({ scope: 'public', query: `${word} zq9xq-no-such-image`, pageSize: 10 });
        expect(none.items).toEqual([]);
      });

      it('finds an own image by a query on its name, and pages own images', async () => {
        const all = await provider.listImages({ scope: 'own', pageSize: 5000 });
        const target = all.items.find((i) => searchableWord(i.name));
        expect(target).toBeDefined();
        const found = await provider.listImages({ scope: 'own', query: searchableWord(target!.name) });
        expect(found.items.map((i) => i.id)).toContain(target!.id);
        if (all.items.length >= 3) {
          const p1 = await provider.listImages({ scope: 'own', pageSize: 2 });
          expect(p1.items.length).toBe(2);
          expect(p1.next).toBeDefined();
          const p2 = await provider.listImages({ scope: 'own', pageSize: 2, page: p1.next });
          expect(p2.items.map((i) => i.id)).not.toContain(p1.items[0].id);
          expect(p2.items.map((i) => i.id)).not.toContain(p1.items[1].id);
        }
      });

      it('gets an image by id (round trip) and says NotFound for a missing one', async () => {
        const { items } = await provider.listImages({ scope: 'own', pageSize: 10 });
        const image = await provider.getImage(items[0].id);
        expect(image.id).toBe(items[0].id);
        expect(image.name).toBe(items[0].name);
        expect(image.kind).toBe('own');
        const vendor = (await provider.listImages({ scope: 'vendor', pageSize: 1 })).items[0];
        expect((await provider.getImage(vendor.id)).name).toBe(vendor.name);
        await expectStrataError(provider.getImage(missingImageId), 'NotFound');
      });

      it('sets and removes tags on an own image where images hold tags, else refuses with Unsupported', async () => {
        const { items } = await provider.listImages({ scope: 'own', pageSize: 100 });
        const image = items.find((i) => i.state === 'available') ?? items[0];
        if (!caps.images.tags) {
          await expectStrataError(provider.setImageTags(image.id, { [NAME_TAG]: 'x' }), 'Unsupported');
          return;
        }
        const before = image.tags;
        const label = `contract ${run}`;
        const labelled = await provider.setImageTags(image.id, { 'strata:label': 'teal' });
        expect(labelled.tags['strata:label']).toBe('teal');
        // A second call merges: the label stays while the name is set.
        const tagged = await provider.setImageTags(image.id, { [NAME_TAG]: label });
        expect(tagged.displayName).toBe(label);
        expect(tagged.tags['strata:label']).toBe('teal');
        const read = await provider.getImage(image.id);
        expect(read.displayName).toBe(label);
        expect(read.tags['strata:label']).toBe('teal');
        // Merging: other tags stay; null removes.
        for (const [k, v] of Object.entries(before)) if (k !== NAME_TAG) expect(read.tags[k]).toBe(v);
        const removed = await provider.setImageTags(image.id, { 'strata:label': null, [NAME_TAG]: before[NAME_TAG] ?? null });
        expect(removed.tags['strata:label']).toBeUndefined();
        expect(removed.tags).toEqual(before);
        expect(removed.displayName).toBe(before[NAME_TAG]);
      });

      it('sets and clears a deprecation date on an own image where the provider can, else has no way to', async (ctx) => {
        if (options.skipDeprecation) return ctx.skip(options.skipDeprecation);
        const { items } = await provider.listImages({ scope: 'own', pageSize: 100 });
        const image = items.find((i) => i.state === 'available' && !i.deprecatedAt) ?? items[0];
        // Far enough ahead that no simulated clock (the sandbox's, sped up) reaches it during the run.
        const at = new Date(Date.now() + 400 * 86_400_000);
        if ((caps.images.deprecate ?? 'none') === 'none') {
          if (provider.setImageDeprecation) await expectStrataError(provider.setImageDeprecation(image.id, at.toISOString()), 'Unsupported');
          return;
        }
        expect(typeof provider.setImageDeprecation).toBe('function');
        const deprecate = provider.setImageDeprecation!.bind(provider);
        await expectStrataError(deprecate(image.id, 'not a date'), 'Invalid', 'deprecateAt');
        const set = await deprecate(image.id, at.toISOString());
        expect(set.id).toBe(image.id);
        expect(set.deprecatedAt).toMatch(ISO);
        // Rounded to the minute at most.
        expect(Math.abs(Date.parse(set.deprecatedAt!) - at.getTime())).toBeLessThanOrEqual(60_000);
        // A date ahead does not make it deprecated yet.
        expect(set.state).toBe(image.state);
        const read = await pollUntil(() => provider.getImage(image.id), (i) => i.deprecatedAt !== undefined, { timeoutMs: upTimeoutMs, intervalMs: pollMs, what: 'the deprecation date on the image' });
        expect(Date.parse(read.deprecatedAt!)).toBe(Date.parse(set.deprecatedAt!));
        const listed = (await provider.listImages({ scope: 'own', pageSize: 5000 })).items.find((i) => i.id === image.id);
        expect(listed?.deprecatedAt && Date.parse(listed.deprecatedAt)).toBe(Date.parse(set.deprecatedAt!));
        const cleared = await deprecate(image.id, null);
        expect(cleared.deprecatedAt).toBeUndefined();
        await pollUntil(() => provider.getImage(image.id), (i) => i.deprecatedAt === undefined, { timeoutMs: upTimeoutMs, intervalMs: pollMs, what: 'the deprecation date gone' });
        const vendor = (await provider.listImages({ scope: 'vendor', pageSize: 1 })).items[0];
        await expectStrataError(deprecate(vendor.id, at.toISOString()), ['Unsupported', 'Invalid']);
        await expectStrataError(deprecate(missingImageId, at.toISOString()), 'NotFound');
      });

      it('says what an own image takes up in storage, where the provider says, as a number of GiB', async () => {
        const { items } = await provider.listImages({ scope: 'own', pageSize: 100 });
        for (const image of items) {
          if (image.storageGiB === undefined) continue;
          expect(Number.isFinite(image.storageGiB)).toBe(true);
          expect(image.storageGiB).toBeGreaterThanOrEqual(0);
        }
        if (caps.images.deleteProtection !== true) for (const image of items) expect(image.deleteProtection).toBeUndefined();
      });

      it('refuses tags on an image the account does not own', async () => {
        const vendor = (await provider.listImages({ scope: 'vendor', pageSize: 1 })).items[0];
        await expectStrataError(provider.setImageTags(vendor.id, { [NAME_TAG]: 'mine now' }), ['Unsupported', 'Invalid']);
      });
    });

    describe('launch catalogue', () => {
      it('lists products with sane sizes', async () => {
        const products = await provider.listProducts();
        expect(products.length).toBeGreaterThan(0);
        for (const p of products) {
          expect(p.id.length).toBeGreaterThan(0);
          expect(p.vcpus).toBeGreaterThan(0);
          expect(p.memoryMiB).toBeGreaterThan(0);
          expect(['x86_64', 'arm64']).toContain(p.architecture);
        }
        expect(new Set(products.map((p) => p.id)).size).toBe(products.length);
      });

      it('creates and lists a firewall where it can, refusing bad rules and taken names', async () => {
        const name = `contract-fw-${run}`;
        const rules = [
          { protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: '203.0.113.0/24' },
          { protocol: 'icmp' as const, fromPort: -1, toPort: -1, source: '2001:db8::/32' },
        ];
        if (!caps.launch.createFirewall) {
          await expectStrataError(provider.createFirewall(name, rules), 'Unsupported');
          return;
        }
        const fw = await provider.createFirewall(name, rules, 'made by the contract suite');
        expect(fw.name).toBe(name);
        expect(fw.rules).toEqual(rules);
        const listed = (await provider.listFirewalls()).find((f) => f.id === fw.id);
        expect(listed?.name).toBe(name);
        expect(listed?.rules).toEqual(rules);
        await expectStrataError(provider.createFirewall(name, rules), 'Conflict');
        await expectStrataError(
          provider.createFirewall(`${name}-b`, [{ protocol: 'tcp', fromPort: 80, toPort: 70000, source: '0.0.0.0/0' }]),
          'Invalid',
          /toPort/,
        );
        await expectStrataError(
          provider.createFirewall(`${name}-c`, [{ protocol: 'tcp', fromPort: 80, toPort: 80, source: '300.1.2.3/8' }]),
          'Invalid',
          /source/,
        );
      });

      it('says NotFound for deleting a firewall that does not exist', async () => {
        const firewalls = await provider.listFirewalls();
        const missing = `${firewalls[0]?.id ?? 'fw'}-no-such-${run}`;
        await expectStrataError(provider.deleteFirewall(missing), caps.launch.createFirewall ? 'NotFound' : ['NotFound', 'Unsupported']);
      });

      it('creates a keypair where it can: the private key is returned once and never listed', async () => {
        const name = `contract-key-${run}`;
        if (!caps.launch.createKeypair) {
          await expectStrataError(provider.createKeypair(name), 'Unsupported');
          return;
        }
        const created = await provider.createKeypair(name);
        expect(created.name).toBe(name);
        expect(created.privateKeyPem).toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
        expect(created.fingerprint.length).toBeGreaterThan(10);
        const listed = await provider.listKeypairs();
        const mine = listed.find((k) => k.name === name);
        expect(mine?.fingerprint).toBe(created.fingerprint);
        expect(mine && 'privateKeyPem' in mine).toBe(false);
        expect(JSON.stringify(listed)).not.toContain('PRIVATE KEY');
        await expectStrataError(provider.createKeypair(name), 'Conflict');
      });

      it('imports a public key where it can, refusing a malformed one', async () => {
        const name = `contract-imported-${run}`;
        const line = freshOpenSshPublicKey();
        if (!caps.launch.importKeypair) {
          await expectStrataError(provider.importKeypair(name, line), 'Unsupported');
          return;
        }
        const imported = await provider.importKeypair(name, line);
        expect(imported.name).toBe(name);
        expect((await provider.listKeypairs()).some((k) => k.name === name && k.fingerprint === imported.fingerprint)).toBe(true);
        await expectStrataError(provider.importKeypair(name, freshOpenSshPublicKey()), 'Conflict');
        await expectStrataError(provider.importKeypair(`${name}-bad`, 'ssh-ed25519 not*base64'), 'Invalid', 'publicKey');
      });
    });

    describe('servers', () => {
      let image: Image;
      let product: Product;
      let spec: LaunchSpec;
      const token = `contract-${run}-launch`;
      let launched: Server[] = [];
      /** A firewall this run made for its servers (where firewalls can be made): deleted once they are gone. */
      let ownFirewall: Firewall | undefined;

      /** An image we may launch from (own and available first), and a size of its architecture. */
      async function launchable(): Promise<{ image: Image; product: Product }> {
        const products = await provider.listProducts();
        for (const scope of ['own', 'vendor'] as const) {
          const { items } = await provider.listImages({ scope, pageSize: 500 });
          for (const candidate of items) {
            if (candidate.state !== 'available') continue;
            const size = products.find((p) => p.architecture === candidate.architecture);
            if (size) return { image: candidate, product: size };
          }
        }
        throw new Error('No launchable image and size.');
      }

      const skipLaunch = options.skipLaunch === true;
      // A test that waits for servers may take as long as they may take to come up, and a little more.
      const serverTestMs = upTimeoutMs + 60_000;

      beforeAll(async () => {
        if (skipLaunch) return;
        ({ image, product } = await launchable());
        if (caps.launch.createFirewall) {
          ownFirewall = await provider.createFirewall(`contract-use-${run}`, [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: '198.51.100.0/24' }]);
        }
        const firewalls = await provider.listFirewalls();
        spec = {
          name: `contract-${run}`,
          imageId: image.id,
          productId: product.id,
          firewallIds: ownFirewall ? [ownFirewall.id] : firewalls.slice(0, 1).map((f) => f.id),
          group: 'contract',
          billingCode: 'cc-1234',
          count: Math.min(2, caps.launch.maxCount),
        };
      });

      it.skipIf(skipLaunch)('refuses bad launch input with Invalid and the field', { timeout: serverTestMs }, async () => {
        await expectStrataError(provider.launch({ ...spec, count: 0 }, `${token}-bad-1`), 'Invalid', 'count');
        await expectStrataError(provider.launch({ ...spec, count: caps.launch.maxCount + 1 }, `${token}-bad-2`), 'Invalid', 'count');
        await expectStrataError(provider.launch({ ...spec, productId: 'no-such-size' }, `${token}-bad-3`), 'Invalid', 'productId');
        await expectStrataError(provider.launch({ ...spec, imageId: missingImageId }, `${token}-bad-4`), 'Invalid', 'imageId');
        const tooMany = { count: caps.launch.maxVolumes + 1, sizeGiB: caps.launch.minVolumeGiB, raid: 'none' as const, filesystem: caps.launch.filesystems[0], mountPoint: '/data', encrypt: false };
        await expectStrataError(provider.launch({ ...spec, volumes: tooMany }, `${token}-bad-5`), 'Invalid', /^volumes/);
        const tooLong = 'n'.repeat(caps.launch.nameRules.maxLength + 1);
        await expectStrataError(provider.launch({ ...spec, name: tooLong }, `${token}-bad-6`), 'Invalid', 'name');
        // None of the refused launches started anything.
        const servers = await provider.listServers();
        expect(servers.filter((s) => s.clientToken?.startsWith(`${token}-bad`))).toEqual([]);
      });

      /** This run's servers (other runs may share the host: two test runs on one libvirtd), by the launch's name. */
      const mine = async () => (await provider.listServers()).filter((s) => s.name === spec.name || s.name.startsWith(`${spec.name}-`)).map((s) => s.id).sort();

      it.skipIf(skipLaunch)('previews a launch without starting anything', { timeout: serverTestMs }, async () => {
        const before = await mine();
        const preview = await provider.previewLaunch(spec, `${token}-preview`);
        expect(preview.request).toBeTruthy();
        expect(JSON.stringify(preview.request)).toContain(spec.name);
        if (preview.cli !== undefined) expect(preview.cli).not.toMatch(/\n/);
        expect(await mine()).toEqual(before);
        expect(await provider.serversByToken(`${token}-preview`)).toEqual([]);
      });

      it.skipIf(skipLaunch)('launches idempotently per client token', { timeout: serverTestMs }, async () => {
        const before = await mine();
        expect(await provider.serversByToken(token)).toEqual([]);
        launched = await provider.launch(spec, token);
        expect((await provider.serversByToken(token)).map((s) => s.id).sort()).toEqual(launched.map((s) => s.id).sort());
        expect(launched.length).toBe(spec.count);
        for (const server of launched) {
          expect(PHASES).toContain(server.phase);
          expect(server.imageId).toBe(image.id);
          expect(server.productId).toBe(product.id);
          expect(server.group).toBe('contract');
          expect(server.billingCode).toBe('cc-1234');
          expect(server.launchedAt).toMatch(ISO);
          expect(server.phaseSince).toMatch(ISO);
        }
        expect(new Set(launched.map((s) => s.id)).size).toBe(spec.count);
        const again = await provider.launch(spec, token);
        expect(again.map((s) => s.id)).toEqual(launched.map((s) => s.id));
        expect(await mine()).toEqual([...before, ...launched.map((s) => s.id)].sort());
      });

      it.skipIf(skipLaunch)('refuses to delete a firewall a server uses, naming the server', { timeout: serverTestMs }, async (ctx) => {
        if (!ownFirewall || launched.length === 0) return ctx.skip();
        const refused = await expectStrataError(provider.deleteFirewall(ownFirewall.id), 'Conflict');
        expect(refused.message).toContain(launched[0].name);
        expect((await provider.listFirewalls()).map((f) => f.id)).toContain(ownFirewall.id);
      });

      it.skipIf(skipLaunch)('lists many servers in one call; unknown ids are simply absent', { timeout: serverTestMs }, async () => {
        const ids = launched.map((s) => s.id);
        const listed = await provider.listServers([...ids, missingServerId]);
        expect(listed.map((s) => s.id).sort()).toEqual([...ids].sort());
        expect(await provider.listServers([])).toEqual([]);
      });

      it.skipIf(skipLaunch)('brings servers up through the readiness phases', { timeout: serverTestMs }, async () => {
        const ids = launched.map((s) => s.id);
        const up = await pollUntil(
          () => provider.listServers(ids),
          (servers) => servers.length === ids.length && servers.every((s) => UP.includes(s.phase)),
          { timeoutMs: upTimeoutMs, intervalMs: pollMs, what: 'the servers to come up' },
        );
        for (const server of up) {
          expect(Date.parse(server.phaseSince)).toBeGreaterThanOrEqual(Date.parse(server.launchedAt));
        }
        if (caps.servers.consoleOutput) {
          const text = await provider.consoleOutput(ids[0]);
          expect(typeof text).toBe('string');
          expect(text.length).toBeGreaterThan(0);
        }
      });

      it.skipIf(skipLaunch)('captures an own image from a running server, with its lineage', { timeout: serverTestMs }, async (ctx) => {
        if (caps.images.capture === 'none') return ctx.skip();
        const server = launched[0];
        const tooLong = 'n'.repeat(caps.images.nameRules.maxLength + 1);
        await expectStrataError(provider.captureImage(server.id, { name: tooLong }), 'Invalid', 'name');
        const name = `contract-image-${run}`;
        const captured = await provider.captureImage(server.id, { name });
        expect(captured.kind).toBe('own');
        expect(captured.owned).toBe(true);
        expect(captured.name).toBe(name);
        expect(captured.sourceImageId).toBe(server.imageId);
        expect(['pending', 'available']).toContain(captured.state);
        const listed = await provider.listImages({ scope: 'own', query: name });
        expect(listed.items.map((i) => i.id)).toContain(captured.id);
        const available = await pollUntil(
          () => provider.getImage(captured.id),
          (im) => im.state === 'available',
          { timeoutMs: upTimeoutMs, intervalMs: pollMs, what: 'the captured image to become available' },
        );
        expect(available.sourceImageId).toBe(server.imageId);
        if (caps.images.nameRules.unique) {
          await expectStrataError(provider.captureImage(server.id, { name }), 'Invalid', 'name');
        }
        if (caps.images.delete !== 'none') {
          await provider.deleteImage(captured.id);
          await expectStrataError(provider.getImage(captured.id), 'NotFound');
          await expectStrataError(provider.deleteImage(captured.id), 'NotFound');
        }
      });

      it.skipIf(skipLaunch)('terminates servers; an unknown server is NotFound', { timeout: serverTestMs }, async () => {
        for (const server of launched) await provider.terminate(server.id);
        const after = await provider.listServers(launched.map((s) => s.id));
        for (const server of after) expect(server.phase).toBe('terminated');
        await expectStrataError(provider.terminate(missingServerId), 'NotFound');
        if (caps.servers.consoleOutput) await expectStrataError(provider.consoleOutput(missingServerId), 'NotFound');
      });

      it.skipIf(skipLaunch)('deletes a firewall once no server uses it', { timeout: serverTestMs }, async (ctx) => {
        if (!ownFirewall) return ctx.skip();
        const id = ownFirewall.id;
        // A cloud may hold on to a terminated server's firewall a little longer (EC2 until it is terminated):
        // a Conflict is asked again until the deadline.
        await pollUntil(
          () =>
            provider.deleteFirewall(id).then(
              () => 'deleted',
              (error: unknown) => {
                if (error instanceof StrataError && error.kind === 'Conflict') return error.message;
                throw error;
              },
            ),
          (result) => result === 'deleted',
          { timeoutMs: upTimeoutMs, intervalMs: pollMs, what: 'the firewall to be deleted after its servers were terminated' },
        );
        expect((await provider.listFirewalls()).map((f) => f.id)).not.toContain(id);
        await expectStrataError(provider.deleteFirewall(id), 'NotFound');
      });
    });
  });
}
