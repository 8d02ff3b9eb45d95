// Stale own images: a fixture of families, dependants and ages, and exactly the rows expected; never an
// image a server or an image depends on, never the newest of a family.
import { describe, expect, it } from 'vitest';
import { lookupFrom } from '../../source/core/lineage.js';
import { deleteProtectionWords, families, namePrefix, staleImages, staleSentence } from '../../source/core/stale.js';
import type { Image, Server } from '../../source/core/types.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();

function image(id: string, name: string, days: number, more: Partial<Image> = {}): Image {
  return { id, name, kind: 'own', owner: 'self', architecture: 'x86_64', state: 'available', createdAt: ago(days), owned: true, tags: {}, ...more };
}

function server(id: string, imageId: string, phase: Server['phase'] = 'ready'): Server {
  return { id, name: id, imageId, productId: 'sb.small', phase, phaseSince: ago(1), launchedAt: ago(1), firewallIds: [], tags: {} };
}

// Two rotations of a vendor template (one family by its name): the builds from them are one family.
const templateOld = image('img-v-ubuntu-1', 'ubuntu-24.04-amd64-20250101', 700, { kind: 'vendor', owned: false, owner: 'vendor' });
const templateNew = image('img-v-ubuntu-2', 'ubuntu-24.04-amd64-20260101', 330, { kind: 'vendor', owned: false, owner: 'vendor' });

const own: Image[] = [
  // web: four builds from rotating templates; the newest is kept, the old unused ones are stale.
  image('img-web-1', 'golden-web-20250110', 690, { sourceImageId: templateOld.id, storageGiB: 8 }),
  image('img-web-2', 'golden-web-20250410', 600, { sourceImageId: templateOld.id, storageGiB: 8 }),
  image('img-web-3', 'golden-web-20260110', 320, { sourceImageId: templateNew.id, storageGiB: 10 }),
  image('img-web-4', 'golden-web-20261101', 30, { sourceImageId: templateNew.id, storageGiB: 10 }),
  // api: the old build still runs a server; the middle one had an image captured from it (a family of
  // its own by its name: api-hotfix).
  image('img-api-1', 'api-v1', 400, { storageGiB: 20 }),
  image('img-api-2', 'api-v2', 300, { storageGiB: 20 }),
  image('img-api-2b', 'api-hotfix-v2.1', 250, { sourceImageId: 'img-api-2', storageGiB: 20 }),
  image('img-api-3', 'api-v3', 200, { storageGiB: 20 }),
  // A family of one, old and unused: the newest of its family, kept.
  image('img-lonely', 'legacy-erp-2024-01-01', 900, { storageGiB: 50 }),
  // Young images are never stale, whatever their family.
  image('img-batch-1', 'batch-2026-11-01', 30),
  image('img-batch-2', 'batch-2026-11-20', 11),
  // A failed capture, old: nobody's newest (it never launches anything), stale, of unknown size.
  image('img-fail', 'batch-2026-01-01', 334, { state: 'failed' }),
  // Still being created: never.
  image('img-pending', 'batch-2025-01-01', 700, { state: 'pending' }),
  // Protected against deletion (EC2): listed, not deletable.
  image('img-prot-1', 'db-20250101', 610, { storageGiB: 100, deleteProtection: { on: true, cooldown: false } }),
  image('img-prot-2', 'db-20260601', 180, { storageGiB: 100 }),
  // Not ours: never.
  image('img-shared', 'shared-20200101', 2000, { kind: 'public', owned: false, owner: '123456789012' }),
  // Deprecated, old, unused, and an older sibling of a newer deprecated one: stale.
  image('img-old-dep-1', 'k8s-node-1.26-20250101', 700, { state: 'deprecated', deprecatedAt: ago(100), storageGiB: 30 }),
  image('img-old-dep-2', 'k8s-node-1.27-20250601', 550, { state: 'deprecated', deprecatedAt: ago(50), storageGiB: 30 }),
];

const servers: Server[] = [
  server('srv-api', 'img-api-1'),
  // A terminated server does not hold its image.
  server('srv-gone', 'img-web-2', 'terminated'),
  // A server on the newest web build.
  server('srv-web', 'img-web-4'),
];

describe('stale own images', () => {
  const lookup = lookupFrom([templateOld, templateNew, ...own]);
  it('lists exactly the unused old images that are not the newest of their family, oldest first', () => {
    const report = staleImages(own, servers, { nowMs: NOW, lookup });
    expect(report.images.map((s) => s.image.id)).toEqual(['img-old-dep-1', 'img-web-1', 'img-prot-1', 'img-web-2', 'img-fail', 'img-web-3']);
    expect(report.deletable.map((s) => s.image.id)).toEqual(['img-old-dep-1', 'img-web-1', 'img-web-2', 'img-fail', 'img-web-3']);
    expect(report.images.find((s) => s.image.id === 'img-prot-1')!.protectedReason).toMatch(/^protected against deletion/);
    expect(report.totalGiB).toBe(30 + 8 + 8 + 10);
    expect(report.unknownSize).toBe(1);
    expect(report.considered).toBe(own.filter((i) => i.owned).length);
    expect(report.images.find((s) => s.image.id === 'img-web-1')!.newerId).toBe('img-web-4');
    expect(report.images.find((s) => s.image.id === 'img-web-1')!.ageDays).toBe(690);
  });

  it('never lists an image that a server or an image depends on', () => {
    const report = staleImages(own, servers, { nowMs: NOW, lookup, days: 0 });
    const ids = report.images.map((s) => s.image.id);
    // A server runs on img-api-1 and img-web-4; img-api-2b was captured from img-api-2.
    for (const id of ['img-api-1', 'img-web-4', 'img-api-2']) expect(ids).not.toContain(id);
    // With every age allowed, the young non-newest are stale too (and the terminated server holds nothing).
    expect(ids).toContain('img-batch-1');
    expect(ids).toContain('img-web-2');
    for (const s of report.images) {
      expect(servers.some((x) => x.phase !== 'terminated' && x.imageId === s.image.id)).toBe(false);
      expect(own.some((i) => i.sourceImageId === s.image.id)).toBe(false);
    }
  });

  it('keeps the newest usable image of every family, whatever its age', () => {
    const report = staleImages(own, [], { nowMs: NOW, lookup, days: 0 });
    const ids = new Set(report.images.map((s) => s.image.id));
    for (const kept of ['img-web-4', 'img-api-3', 'img-lonely', 'img-batch-2', 'img-prot-2', 'img-old-dep-2']) expect(ids.has(kept), kept).toBe(false);
    // Without servers, the api build the server held is stale now (api-v1 and api-v3 are one family).
    expect(ids.has('img-api-1')).toBe(true);
    // api-hotfix-v2.1 is a family of its own by its name (whatever it was captured from): its newest, kept.
    expect(ids.has('img-api-2b')).toBe(false);
  });

  it('takes N days from the caller', () => {
    expect(staleImages(own, servers, { nowMs: NOW, lookup, days: 400 }).images.map((s) => s.image.id)).toEqual(['img-old-dep-1', 'img-web-1', 'img-prot-1', 'img-web-2']);
    expect(() => staleImages(own, servers, { nowMs: NOW, lookup, days: -1 })).toThrow(/0 or more/);
  });

  it('splits a name\'s family by lineage root; an image whose root cannot be told goes with the newest', () => {
    const ubuntu = image('img-v-u', 'ubuntu-24.04-amd64-20250101', 500, { kind: 'vendor', owned: false });
    const debian = image('img-v-d', 'debian-12-amd64-20250101', 500, { kind: 'vendor', owned: false });
    const a = image('img-a', 'app-20250101', 400, { sourceImageId: ubuntu.id });
    const b = image('img-b', 'app-20250601', 300, { sourceImageId: debian.id });
    const c = image('img-c', 'app-20250301', 350, { sourceImageId: 'img-v-deleted-long-ago' });
    const d = image('img-d', 'app-20240101', 600, { architecture: 'arm64' });
    const look = lookupFrom([ubuntu, debian, a, b, c, d]);
    const fam = families([a, b, c, d], look, NOW);
    // Built from two distributions: two families, each keeps its newest.
    expect(fam.get('img-a')).not.toBe(fam.get('img-b'));
    // c's root is gone and unnamed: it goes with the newest of its name (b); d is on another architecture.
    expect(fam.get('img-c')).toBe(fam.get('img-b'));
    expect(fam.get('img-d')).not.toBe(fam.get('img-a'));
    expect(staleImages([a, b, c, d], [], { nowMs: NOW, lookup: look }).images.map((s) => s.image.id)).toEqual(['img-c']);
    // Without lineage (no lookup) the name alone decides: one family, newest b.
    expect(staleImages([a, b, c, d], [], { nowMs: NOW }).images.map((s) => s.image.id)).toEqual(['img-a', 'img-c']);
    // Two apps built from one template are two families (lineage never joins different names).
    const api = image('img-api', 'api-20250101', 400, { sourceImageId: ubuntu.id });
    expect(staleImages([a, api], [], { nowMs: NOW, lookup: lookupFrom([ubuntu, a, api]) }).images).toEqual([]);
    // Builds from two rotations of a template are one family.
    const byId = families(own, lookup, NOW);
    expect(byId.get('img-web-1')).toBe(byId.get('img-web-4'));
  });

  it('says how many, how old and what they free', () => {
    const report = staleImages(own, servers, { nowMs: NOW, lookup });
    expect(staleSentence(report)).toBe('5 stale images (unused, older than 90 days, not the newest of their family); deleting them frees 56 GiB (and 1 of unknown size). 1 more is protected against deletion.');
    expect(staleSentence(staleImages([], [], { nowMs: NOW, lookup }))).toMatch(/^No stale images/);
  });
});

describe('name prefixes', () => {
  it.each([
    ['golden-web-20260105', 'golden-web'],
    ['golden-web-2026-01-05', 'golden-web'],
    ['[prod] api @ 2026-01-05', 'prod-api'],
    ['base debian-12 hardened (Jan 2026)', 'base-debian-12-hardened'],
    ['k8s-node-1.28-amd64-20260101', 'k8s-node-1.28-amd64'],
    ['payments_api_release_3.14.2', 'payments-api-release'],
    ['ci-runner-arm64-v42', 'ci-runner-arm64'],
    ['20260101', '20260101'],
    ['ubuntu-24.04-amd64-20260101', 'ubuntu-24.04-amd64'],
  ])('%s -> %s', (name, prefix) => {
    expect(namePrefix(name)).toBe(prefix);
  });
});

describe('deletion protection', () => {
  it('says when an image is protected, and until when once it is being turned off', () => {
    expect(deleteProtectionWords({ on: true, cooldown: true }, NOW)).toBe('Protected against deletion (a 24-hour cooldown once turned off): turn that off before deleting it');
    expect(deleteProtectionWords({ on: true, cooldown: false }, NOW)).toBe('Protected against deletion: turn that off before deleting it');
    expect(deleteProtectionWords({ on: true, cooldown: true, until: new Date(NOW + 3_600_000).toISOString() }, NOW)).toBe('Protected against deletion until 2026-12-01 13:00 UTC (being turned off)');
    expect(deleteProtectionWords({ on: true, cooldown: true, until: new Date(NOW - 1).toISOString() }, NOW)).toBeUndefined();
    expect(deleteProtectionWords(undefined, NOW)).toBeUndefined();
    // A protected stale image is listed, not deletable; its cooldown ended, it is deletable.
    const old = image('img-p', 'db-20250101', 400, { deleteProtection: { on: true, cooldown: true, until: new Date(NOW - 1).toISOString() } });
    const newer = image('img-q', 'db-20260101', 300);
    expect(staleImages([old, newer], [], { nowMs: NOW }).deletable.map((s) => s.image.id)).toEqual(['img-p']);
  });
});
