// Lineage and risk: handmade images and servers (table-driven), then the real sandbox, where a vendor
// template is deprecated and deleted over simulated time while a server and a captured image depend on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStrataError } from '../../source/core/errors.js';
import {
  UNKNOWN,
  dependantsOf,
  imageRisks,
  lineageChain,
  lookupFrom,
  riskReport,
  serverRisks,
  type ImageLookup,
  type RiskKind,
} from '../../source/core/lineage.js';
import type { Image, Phase, Server } from '../../source/core/types.js';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function image(id: string, fields: Partial<Image> = {}): Image {
  return {
    id,
    name: `name-of-${id}`,
    kind: 'own',
    owner: 'self',
    architecture: 'x86_64',
    state: 'available',
    createdAt: iso(NOW - 100 * DAY),
    owned: true,
    tags: {},
    ...fields,
  };
}
const template = (id: string, fields: Partial<Image> = {}) => image(id, { kind: 'vendor', owner: 'vendor', owned: false, ...fields });

function server(id: string, imageId: string, phase: Phase = 'ready'): Server {
  return {
    id,
    name: `srv-${id}`,
    imageId,
    productId: 'sb.small',
    phase,
    phaseSince: iso(NOW - DAY),
    launchedAt: iso(NOW - DAY),
    firewallIds: [],
    tags: {},
  };
}

// A small world: templates in every state, own images captured from them, a chain, a cycle.
const tCurrent = template('t-current');
const tDeprecated = template('t-deprecated', { state: 'deprecated', deprecatedAt: iso(NOW - 5 * DAY) }); // no delete date known
const tDoomed = template('t-doomed', { state: 'deprecated', deprecatedAt: iso(NOW - 3 * DAY), deleteAt: iso(NOW + 12 * DAY) });
const tSoonest = template('t-soonest', { state: 'deprecated', deprecatedAt: iso(NOW - 20 * DAY), deleteAt: iso(NOW + 2 * DAY) });
const tFutureDeprecation = template('t-future', { deprecatedAt: iso(NOW + 30 * DAY) });
const tStale = template('t-stale', { state: 'deprecated', deprecatedAt: iso(NOW - 40 * DAY), deleteAt: iso(NOW - DAY) }); // a remembered one, past its date
const ownFromCurrent = image('own-current', { sourceImageId: 't-current' });
const ownFromDoomed = image('own-doomed', { sourceImageId: 't-doomed' });
const ownFromGone = image('own-gone', { sourceImageId: 't-gone' });
const ownFromOwnFromDoomed = image('own-2nd', { sourceImageId: 'own-doomed' });
const ownUnknownSource = image('own-unknown-src', { sourceImageId: 't-unknown' });
const cycleA = image('cycle-a', { sourceImageId: 'cycle-b' });
const cycleB = image('cycle-b', { sourceImageId: 'cycle-a' });
const ownDeprecated = image('own-deprecated', { state: 'deprecated', deprecatedAt: iso(NOW - DAY), deleteAt: iso(NOW + 5 * DAY) });

const ALL = [tCurrent, tDeprecated, tDoomed, tSoonest, tFutureDeprecation, tStale, ownFromCurrent, ownFromDoomed, ownFromGone, ownFromOwnFromDoomed, ownUnknownSource, cycleA, cycleB, ownDeprecated];
const known = lookupFrom(ALL);
const lookup: ImageLookup = (id) => (id === 't-unknown' ? UNKNOWN : known(id));
const kinds = (risks: { kind: RiskKind }[]) => risks.map((r) => r.kind);

describe('lineageChain', () => {
  it.each<[string, string, { id: string; gone?: boolean; unknown?: boolean; cycle?: boolean }[]]>([
    ['a template is its own root', 't-current', [{ id: 't-current' }]],
    ['an own image leads to its template', 'own-current', [{ id: 'own-current' }, { id: 't-current' }]],
    ['a chain of two captures', 'own-2nd', [{ id: 'own-2nd' }, { id: 'own-doomed' }, { id: 't-doomed' }]],
    ['a source the lookup no longer knows is gone', 'own-gone', [{ id: 'own-gone' }, { id: 't-gone', gone: true }]],
    ['a source that could not be checked is unknown, not gone', 'own-unknown-src', [{ id: 'own-unknown-src' }, { id: 't-unknown', unknown: true }]],
    ['a cycle stops where it closes', 'cycle-a', [{ id: 'cycle-a' }, { id: 'cycle-b', cycle: true }]],
    ['an image past its delete date is gone', 't-stale', [{ id: 't-stale', gone: true }]],
  ])('%s', (_name, start, expected) => {
    const chain = lineageChain(start, lookup, NOW);
    expect(chain.map((l) => ({ id: l.id, ...(l.gone ? { gone: true } : {}), ...(l.unknown ? { unknown: true } : {}), ...(l.cycle ? { cycle: true } : {}) }))).toEqual(expected);
  });

  it('stops a very long chain', () => {
    const long = Array.from({ length: 200 }, (_, i) => image(`i${i}`, { sourceImageId: `i${i + 1}` }));
    expect(lineageChain('i0', lookupFrom(long), NOW)).toHaveLength(64);
  });
});

describe('serverRisks', () => {
  it.each<[string, string, RiskKind[], Phase?]>([
    ['on a current vendor template: the template itself', 't-current', ['vendor-template']],
    ['on a deprecated template with no delete date', 't-deprecated', ['deprecated', 'vendor-template']],
    ['on a deprecated template scheduled for deletion', 't-doomed', ['scheduled-deletion', 'deprecated', 'vendor-template']],
    ['on a template to be deprecated later: not yet', 't-future', ['vendor-template']],
    ['on a template that is gone', 't-gone', ['image-gone']],
    ['on a remembered template past its delete date', 't-stale', ['image-gone']],
    ['on an own image from a current template', 'own-current', []],
    ['on an own image from a doomed template: its own image is fine', 'own-doomed', []],
    ['on an own image whose template is gone: NOT at risk', 'own-gone', []],
    ['on an own image that is itself scheduled for deletion', 'own-deprecated', ['scheduled-deletion', 'deprecated']],
    ['on an image that could not be checked', 't-unknown', []],
    ['terminated, on a gone template', 't-gone', [], 'terminated'],
  ])('%s', (_name, imageId, expected, phase) => {
    expect(kinds(serverRisks(server('s1', imageId, phase ?? 'ready'), lookup, NOW))).toEqual(expected);
  });

  it('takes the provider\'s word that the image is gone over a catalogue not yet refreshed', () => {
    const onCurrent = { ...server('s1', 't-current'), imageGone: true };
    const [gone, ...rest] = serverRisks(onCurrent, lookup, NOW);
    expect(rest).toEqual([]);
    expect(gone).toMatchObject({ kind: 'image-gone', imageId: 't-current', templateId: 't-current' });
    expect(gone!.sentence).toContain('which no longer exists');
    expect(kinds(serverRisks({ ...server('s2', 't-unknown'), imageGone: true }, lookup, NOW))).toEqual(['image-gone']);
  });

  it('names the server, the image, the date, and says the running server is not affected', () => {
    const [doomed] = serverRisks(server('s1', 't-doomed'), lookup, NOW);
    expect(doomed).toMatchObject({ kind: 'scheduled-deletion', imageId: 't-doomed', templateId: 't-doomed', date: tDoomed.deleteAt, subject: { type: 'server', id: 's1' }, informational: false });
    expect(doomed.sentence).toBe(`Server srv-s1 (s1) runs on vendor template name-of-t-doomed (t-doomed), which will be deleted on ${tDoomed.deleteAt!.slice(0, 10)} (in 12 days).`);
    const [gone] = serverRisks(server('s2', 't-stale'), lookup, NOW);
    expect(gone).toMatchObject({ kind: 'image-gone', templateId: 't-stale', date: tStale.deleteAt });
    expect(gone.sentence).toContain(`no longer exists (deleted on ${tStale.deleteAt!.slice(0, 10)})`);
    expect(gone.sentence).toContain('The running server is not affected');
    const [vanished] = serverRisks(server('s3', 't-gone'), lookup, NOW);
    expect(vanished.sentence).toMatch(/^Server srv-s3 \(s3\) was launched from image t-gone, which no longer exists\. /);
    expect(vanished.templateId).toBeUndefined();
  });

  it('never carries an escape sequence from a provider name into a sentence', () => {
    const hostile = template('t-evil', { name: 'evil\u001b]0;pwned\u0007\u001b[2J', state: 'deprecated', deprecatedAt: iso(NOW - DAY) });
    const risks = serverRisks({ ...server('s1', 't-evil'), name: 'x\u001b[31m' }, lookupFrom([hostile]), NOW);
    for (const r of risks) expect(r.sentence).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('imageRisks', () => {
  it.each<[string, Image, RiskKind[], boolean[]]>([
    ['a current template', tCurrent, [], []],
    ['a deprecated template, of itself', tDoomed, ['scheduled-deletion', 'deprecated'], [false, false]],
    ['captured from a current template', ownFromCurrent, [], []],
    ['captured from a doomed template: informational', ownFromDoomed, ['scheduled-deletion', 'deprecated'], [true, true]],
    ['captured from a gone template: informational', ownFromGone, ['image-gone'], [true]],
    ['captured from an image captured from a doomed template', ownFromOwnFromDoomed, ['scheduled-deletion', 'deprecated'], [true, true]],
    ['captured from an image that could not be checked', ownUnknownSource, [], []],
    ['in a cycle of healthy images', cycleA, [], []],
    ['an own image, itself deprecated', ownDeprecated, ['scheduled-deletion', 'deprecated'], [false, false]],
    ['a remembered template past its date: gone, so nothing to say of it', tStale, [], []],
  ])('%s', (_name, img, expected, informational) => {
    const risks = imageRisks(img, lookup, NOW);
    expect(kinds(risks)).toEqual(expected);
    expect(risks.map((r) => r.informational)).toEqual(informational);
  });

  it('points at the ancestor and the template, and says the image itself is whole', () => {
    const [risk] = imageRisks(ownFromOwnFromDoomed, lookup, NOW);
    expect(risk).toMatchObject({ imageId: 't-doomed', templateId: 't-doomed', subject: { type: 'image', id: 'own-2nd' } });
    expect(risk.sentence).toContain('Image name-of-own-2nd (own-2nd) descends from vendor template name-of-t-doomed (t-doomed)');
    const [gone] = imageRisks(ownFromGone, lookup, NOW);
    expect(gone.sentence).toContain('The image itself is whole');
  });
});

describe('riskReport', () => {
  const servers = [
    server('a', 't-current'),
    server('b', 't-doomed'),
    server('c', 't-doomed'),
    server('d', 't-gone'),
    server('e', 'own-gone'),
    server('f', 't-soonest'),
    server('g', 't-deprecated'),
    server('h', 't-gone', 'terminated'),
  ];
  const groups = riskReport(servers, ALL, lookup, NOW);

  it('groups by the image at risk, most urgent first: gone, then soonest deletion, then deprecated, then templates in use', () => {
    expect(groups.map((g) => [g.imageId, g.worst])).toEqual([
      ['t-gone', 'image-gone'],
      ['t-soonest', 'scheduled-deletion'],
      ['t-doomed', 'scheduled-deletion'],
      ['t-deprecated', 'deprecated'],
      ['t-current', 'vendor-template'],
    ]);
  });

  it('lists the dependants, with the date that matters and a sentence with the count', () => {
    const gone = groups.find((g) => g.imageId === 't-gone')!;
    expect(gone.servers.map((s) => s.id)).toEqual(['d']); // not e (own image), not h (terminated)
    expect(gone.images.map((i) => i.id)).toEqual(['own-gone']);
    expect(gone.image).toBeUndefined();
    expect(gone.sentence).toBe('Image t-gone no longer exists: 1 server runs on it and 1 image descends from it. Running servers are not affected, but they cannot be rebuilt from it.');

    const doomed = groups.find((g) => g.imageId === 't-doomed')!;
    expect(doomed.date).toBe(tDoomed.deleteAt);
    expect(doomed.servers.map((s) => s.id)).toEqual(['b', 'c']);
    expect(doomed.images.map((i) => i.id).sort()).toEqual(['own-2nd', 'own-doomed']);
    expect(doomed.sentence).toBe(
      `Vendor template name-of-t-doomed (t-doomed) will be deleted on ${tDoomed.deleteAt!.slice(0, 10)} (in 12 days): 2 servers run on it directly and 2 images descend from it.`,
    );
    const deprecated = groups.find((g) => g.imageId === 't-deprecated')!;
    expect(deprecated.date).toBe(tDeprecated.deprecatedAt);
    expect(deprecated.sentence).toContain(`has been deprecated since ${tDeprecated.deprecatedAt!.slice(0, 10)}: 1 server runs on it directly`);
    const current = groups.find((g) => g.imageId === 't-current')!;
    expect(current.sentence).toBe('1 server runs directly on vendor template name-of-t-current (t-current): vendors deprecate and delete templates, so capture your own image and launch from that.');
  });

  it('leaves out templates and images nothing depends on', () => {
    expect(groups.map((g) => g.imageId)).not.toContain('own-deprecated');
    expect(riskReport([], [tDoomed, tCurrent], lookup, NOW)).toEqual([]);
  });
});

describe('dependantsOf', () => {
  const servers = [server('a', 't-doomed'), server('b', 't-doomed', 'terminated'), server('c', 'own-doomed')];

  it('finds servers launched from it and images captured from it, transitively', () => {
    const d = dependantsOf('t-doomed', servers, ALL);
    expect(d.servers.map((s) => s.id)).toEqual(['a']);
    expect(d.images.map((i) => i.id)).toEqual(['own-doomed']);
    expect(d.descendants.map((i) => i.id)).toEqual(['own-2nd']);
    expect(d.count).toBe(3);
    expect(d.sentence).toBe(
      'Vendor template name-of-t-doomed (t-doomed) is in use: 1 server was launched from it (it keeps running, but cannot be rebuilt from it); 1 image was captured from it (and 1 more image from those); images stay whole but lose their source.',
    );
  });

  it('says nothing for an image nothing depends on, and survives cycles', () => {
    expect(dependantsOf('own-2nd', servers, ALL)).toMatchObject({ count: 0, sentence: undefined });
    const d = dependantsOf('cycle-a', [], ALL);
    expect(d.images.map((i) => i.id)).toEqual(['cycle-b']);
    expect(d.descendants).toEqual([]);
  });
});

// ---- against the sandbox ------------------------------------------------------------------------------

describe('lineage against the sandbox, as a template is deprecated and deleted', () => {
  const homes: string[] = [];
  const providers: SandboxProvider[] = [];
  afterEach(async () => {
    for (const p of providers.splice(0)) await p.close();
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  });

  /** What the provider says of each image now: getImage, NotFound meaning gone. */
  async function lookupNow(provider: SandboxProvider, ids: string[]): Promise<ImageLookup> {
    const found = new Map<string, Image | undefined>();
    for (const id of ids) {
      try {
        found.set(id, await provider.getImage(id));
      } catch (error) {
        if (isStrataError(error) && error.kind === 'NotFound') found.set(id, undefined);
        else throw error;
      }
    }
    return (id) => (found.has(id) ? found.get(id) : UNKNOWN);
  }

  it('moves a server on the template from vendor-template to deprecated and scheduled-deletion to image-gone; a server on an own image stays safe', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-lineage-'));
    homes.push(home);
    // A real clock that stands still: simulated time moves only by clock.advance().
    const real = Date.UTC(2026, 5, 1, 12);
    const provider = await SandboxProvider.open({ home, sandboxSeed: 11 }, { realNow: () => real });
    providers.push(provider);
    const clock = provider.clock;
    const size = (await provider.listProducts()).find((p) => p.architecture === 'x86_64')!;
    const vendor = (await provider.listImages({ scope: 'vendor', pageSize: 5000 })).items;
    const tpl = vendor.find((i) => i.state === 'available' && i.architecture === 'x86_64' && i.platform === 'linux')!;
    expect(tpl).toBeDefined();

    // The safe workflow and the unsafe one: a server on the template, an image captured from it, a server on that.
    const [direct] = await provider.launch({ name: 'on-template', imageId: tpl.id, productId: size.id, firewallIds: [], count: 1 }, 'lineage-direct');
    clock.advance(10 * 60_000);
    const captured = await provider.captureImage(direct.id, { name: 'golden-from-template' });
    expect(captured.sourceImageId).toBe(tpl.id);
    clock.advance(5 * 60_000);
    const [safe] = await provider.launch({ name: 'on-own', imageId: captured.id, productId: size.id, firewallIds: [], count: 1 }, 'lineage-own');

    const ids = [tpl.id, captured.id];
    const look = async () => {
      const now = clock.now();
      const lookupNowFn = await lookupNow(provider, ids);
      const servers = await provider.listServers();
      const byId = (id: string) => servers.find((s) => s.id === id)!;
      const image = lookupNowFn(captured.id) as Image;
      return {
        direct: kinds(serverRisks(byId(direct.id), lookupNowFn, now)),
        safe: kinds(serverRisks(byId(safe.id), lookupNowFn, now)),
        image: kinds(imageRisks(image, lookupNowFn, now)),
        report: riskReport(servers, [image], lookupNowFn, now),
        chain: lineageChain(safe.imageId, lookupNowFn, now),
      };
    };

    const fresh = await look();
    expect(fresh.direct).toEqual(['vendor-template']);
    expect(fresh.safe).toEqual([]);
    expect(fresh.image).toEqual([]);
    expect(fresh.chain.map((l) => [l.id, l.gone])).toEqual([[captured.id, false], [tpl.id, false]]);
    expect(fresh.report.map((g) => [g.imageId, g.worst, g.servers.map((s) => s.id)])).toEqual([[tpl.id, 'vendor-template', [direct.id]]]);

    // A day at a time until the vendor publishes the next build and deprecates this one (periods are 7–30 days).
    let deprecated: Image | undefined;
    for (let day = 0; day <= 31 && !deprecated; day++) {
      clock.advance(DAY);
      const now = await provider.getImage(tpl.id);
      if (now.state === 'deprecated') deprecated = now;
    }
    expect(deprecated, 'the template is deprecated within 31 days').toBeDefined();
    const doomed = await look();
    // The sandbox, like EC2, states the delete date as it deprecates: deprecated and scheduled come together.
    expect(doomed.direct).toEqual(['scheduled-deletion', 'deprecated', 'vendor-template']);
    expect(doomed.safe).toEqual([]);
    expect(doomed.image).toEqual(['scheduled-deletion', 'deprecated']);
    expect(doomed.report).toHaveLength(1);
    expect(doomed.report[0]).toMatchObject({ imageId: tpl.id, worst: 'scheduled-deletion', date: deprecated!.deleteAt });
    expect(doomed.report[0].servers.map((s) => s.id)).toEqual([direct.id]);
    expect(doomed.report[0].images.map((i) => i.id)).toEqual([captured.id]);
    expect(doomed.report[0].sentence).toContain(`will be deleted on ${deprecated!.deleteAt!.slice(0, 10)}`);

    // Past its delete date: gone. The server that runs directly on it is at risk; the one on the own image is not.
    clock.advanceTo(Date.parse(deprecated!.deleteAt!) + 60 * 60_000);
    const gone = await look();
    expect(gone.direct).toEqual(['image-gone']);
    expect(gone.safe).toEqual([]);
    expect(gone.image).toEqual(['image-gone']);
    expect(gone.chain.map((l) => [l.id, l.gone])).toEqual([[captured.id, false], [tpl.id, true]]);
    expect(gone.report[0]).toMatchObject({ imageId: tpl.id, worst: 'image-gone' });
    expect(gone.report[0].sentence).toMatch(/no longer exists: 1 server runs on it and 1 image descends from it\. Running servers are not affected/);

    // Before deleting the captured image, strata can say what depends on it.
    const servers = await provider.listServers();
    const deps = dependantsOf(captured.id, servers, [captured]);
    expect(deps.servers.map((s) => s.id)).toEqual([safe.id]);
    expect(deps.sentence).toContain('1 server was launched from it');
  });
});
