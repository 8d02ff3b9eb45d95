// The catalogue against the real sandbox provider (no stand-in): eu-west is a "rich" region (images hold
// tags), ap-south a "plain" one (no tags). Each test gets its own strata home.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkName, type ProviderDescription } from '../../source/core/capabilities.js';
import { StrataError } from '../../source/core/errors.js';
import { needsSanitising, sanitize } from '../../source/core/sanitize.js';
import { LABEL_TAG, NAME_TAG } from '../../source/core/tags.js';
import type { Image, Scope } from '../../source/core/types.js';
import type { ProviderService } from '../../source/providers/provider.js';
import { createSandboxProvider, HOSTILE_IMAGE_NAME } from '../../source/providers/sandbox/index.js';
import { Catalogue, type CatalogueImage } from '../../source/services/catalogue.js';
import { openStore, type Store } from '../../source/store/db.js';

interface Opened {
  provider: ProviderService;
  store: Store;
  description: ProviderDescription;
  catalogue: Catalogue;
}

const homes: string[] = [];
const open: Opened[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.store.close();
    await o.provider.close();
  }
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'strata-catalogue-'));
  homes.push(home);
  return home;
}

/** A strata session's catalogue over a home: a real sandbox provider and the real store. */
async function openCatalogue(
  home: string,
  region: string,
  extra: { sandboxFaults?: string; retry?: { attempts?: number; baseDelayMs?: number } } = {},
): Promise<Opened> {
  const provider = await createSandboxProvider({ home, region, sandboxSeed: 7, sandboxFaults: extra.sandboxFaults });
  const store = openStore(home);
  const description = await provider.describe();
  const catalogue = new Catalogue({
    provider,
    store,
    providerId: 'sandbox',
    region: description.region,
    description,
    ...(extra.retry ? { retry: extra.retry } : {}),
  });
  const opened = { provider, store, description, catalogue };
  open.push(opened);
  return opened;
}

async function all(catalogue: Catalogue, scope: Scope): Promise<CatalogueImage[]> {
  const items: CatalogueImage[] = [];
  for await (const page of catalogue.pages(scope, { pageSize: 200 })) items.push(...page.items);
  return items;
}

/** An owned, available image whose strings are clean (the hostile one is tested on its own). */
async function ownImage(catalogue: Catalogue, provider: ProviderService): Promise<CatalogueImage> {
  const raw = (await provider.listImages({ scope: 'own', pageSize: 500 })).items;
  const clean = raw.find((i) => i.owned && i.state === 'available' && !needsSanitising(i.name));
  expect(clean, 'the sandbox has a clean own image').toBeDefined();
  const image = (await all(catalogue, 'own')).find((i) => i.id === clean!.id)!;
  expect(image).toBeDefined();
  return image;
}

async function find(catalogue: Catalogue, scope: Scope, id: string): Promise<CatalogueImage | undefined> {
  return (await all(catalogue, scope)).find((i) => i.id === id);
}

/** Every string anywhere in a value (keys included). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

/** Names each profile refuses: too short (rich), shell syntax, a newline, an escape sequence, capitals (plain). */
const BAD_NAMES: Record<string, string[]> = {
  'eu-west': ['x', '$(rm -rf /)', 'web\nbase', 'evil\u001b]0;owned\u0007name', ' padded '],
  'ap-south': ['$(rm -rf /)', 'web\nbase', 'evil\u001b]0;owned\u0007name', 'Web Base', ''],
};

describe('catalogue in a rich region (tags)', () => {
  it('renames and labels an owned image with tags, seen by a second session on the same home', async () => {
    const home = newHome();
    const { catalogue, provider, store, description } = await openCatalogue(home, 'eu-west');
    expect(description.capabilities.images.tags).toBe(true);
    const image = await ownImage(catalogue, provider);
    expect(image.sharedMeta).toBe(true);
    const before = image.shownName;

    const renamed = await catalogue.rename(image, 'web base 2030');
    expect(renamed).toMatchObject({ id: image.id, shownName: 'web base 2030', nameSource: 'tag', sharedMeta: true });
    expect((await provider.getImage(image.id)).tags[NAME_TAG]).toBe('web base 2030');
    expect(store.getImageMeta('sandbox', 'eu-west', image.id)).toBeUndefined();
    const [entry] = store.audit.list({ limit: 1 });
    expect(entry).toMatchObject({
      provider: 'sandbox',
      region: 'eu-west',
      action: 'image.rename',
      target: image.id,
      detail: { from: before, to: 'web base 2030', where: 'tag' },
    });

    const labelled = await catalogue.setLabel(renamed, 'teal');
    expect(labelled).toMatchObject({ label: 'teal', labelSource: 'tag', shownName: 'web base 2030' });
    expect((await provider.getImage(image.id)).tags[LABEL_TAG]).toBe('teal');
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ action: 'image.label', detail: { from: null, to: 'teal', where: 'tag' } });

    // a second strata (its own provider connection and store handle) over the same home sees both
    const second = await openCatalogue(home, 'eu-west');
    const seen = await find(second.catalogue, 'own', image.id);
    expect(seen).toMatchObject({ shownName: 'web base 2030', nameSource: 'tag', label: 'teal', labelSource: 'tag' });

    // clearing the label removes the tag
    const cleared = await second.catalogue.setLabel(seen!, null);
    expect(cleared.label).toBeUndefined();
    expect(cleared.labelSource).toBeUndefined();
    expect((await provider.getImage(image.id)).tags[LABEL_TAG]).toBeUndefined();

    // an empty name removes the Name tag: the provider's name shows again
    const unnamed = await second.catalogue.rename(cleared, '');
    expect(unnamed).toMatchObject({ nameSource: 'provider', shownName: sanitize(image.name) });
    expect((await provider.getImage(image.id)).tags[NAME_TAG]).toBeUndefined();
  });

  it('gives vendor and public images local names and labels (they are not ours to tag)', async () => {
    const home = newHome();
    const { catalogue, provider, store } = await openCatalogue(home, 'eu-west');
    for (const scope of ['vendor', 'public'] as const) {
      const image = (await catalogue.listPage(scope, { pageSize: 50 })).items.find((i) => !i.owned);
      expect(image, scope).toBeDefined();
      expect(image!.sharedMeta).toBe(false);
      const tagsBefore = (await provider.getImage(image!.id)).tags;

      const renamed = await catalogue.rename(image!, `my ${scope} pick`);
      expect(renamed).toMatchObject({ shownName: `my ${scope} pick`, nameSource: 'local', sharedMeta: false });
      const labelled = await catalogue.setLabel(renamed, 'orange');
      expect(labelled).toMatchObject({ label: 'orange', labelSource: 'local', shownName: `my ${scope} pick` });

      expect(store.getImageMeta('sandbox', 'eu-west', image!.id)).toMatchObject({ displayName: `my ${scope} pick`, label: 'orange' });
      expect((await provider.getImage(image!.id)).tags).toEqual(tagsBefore);
      expect(store.audit.list({ limit: 2 }).map((e) => e.detail.where)).toEqual(['local', 'local']);

      const second = await openCatalogue(home, 'eu-west');
      const seen = (await second.catalogue.listPage(scope, { pageSize: 50 })).items.find((i) => i.id === image!.id);
      expect(seen).toMatchObject({ shownName: `my ${scope} pick`, nameSource: 'local', label: 'orange', labelSource: 'local' });

      // an empty name clears the local name; the label stays
      const back = await second.catalogue.rename(seen!, '');
      expect(back).toMatchObject({ nameSource: image!.nameSource, shownName: image!.shownName, label: 'orange' });
      expect(second.store.getImageMeta('sandbox', 'eu-west', image!.id)).toMatchObject({ label: 'orange' });
      expect(second.store.getImageMeta('sandbox', 'eu-west', image!.id)?.displayName).toBeUndefined();
    }
  });

  it('shows a tag label only when it is a colour strata knows; a local label or name wins over tags', async () => {
    const { catalogue, provider } = await openCatalogue(newHome(), 'eu-west');
    const image = await ownImage(catalogue, provider);
    const magenta = catalogue.merge(await provider.setImageTags(image.id, { [LABEL_TAG]: 'magenta', [NAME_TAG]: 'tagged name' }));
    expect(magenta.label).toBeUndefined();
    expect(magenta.labelSource).toBeUndefined();
    expect(magenta.tags[LABEL_TAG]).toBe('magenta');
    expect(magenta).toMatchObject({ shownName: 'tagged name', nameSource: 'tag' });

    const green = catalogue.merge(await provider.setImageTags(image.id, { [LABEL_TAG]: 'green' }));
    expect(green).toMatchObject({ label: 'green', labelSource: 'tag' });
  });

  it('a local name or label wins over the tags; renaming by tag clears the local name that hid it', async () => {
    const { catalogue, provider, store } = await openCatalogue(newHome(), 'eu-west');
    const image = await ownImage(catalogue, provider);
    await provider.setImageTags(image.id, { [NAME_TAG]: 'team name', [LABEL_TAG]: 'green' });
    // a local name and label left from before (e.g. written by an older strata)
    store.updateImageMeta('sandbox', 'eu-west', image.id, { displayName: 'my own name', label: 'red' });
    const merged = catalogue.merge(await provider.getImage(image.id));
    expect(merged).toMatchObject({ shownName: 'my own name', nameSource: 'local', label: 'red', labelSource: 'local' });
    expect(merged.displayName).toBe('team name');

    const renamed = await catalogue.rename(merged, 'agreed name');
    expect(renamed).toMatchObject({ shownName: 'agreed name', nameSource: 'tag', label: 'red', labelSource: 'local' });
    expect(store.getImageMeta('sandbox', 'eu-west', image.id)).toMatchObject({ label: 'red' });
    expect(store.getImageMeta('sandbox', 'eu-west', image.id)?.displayName).toBeUndefined();
    expect(store.audit.list({ limit: 1 })[0]!.detail).toMatchObject({ where: 'tag', clearedLocal: ['displayName'] });

    const relabelled = await catalogue.setLabel(renamed, 'blue');
    expect(relabelled).toMatchObject({ label: 'blue', labelSource: 'tag' });
    expect(store.getImageMeta('sandbox', 'eu-west', image.id)).toBeUndefined();
    expect((await provider.getImage(image.id)).tags).toMatchObject({ [NAME_TAG]: 'agreed name', [LABEL_TAG]: 'blue' });
  });

  it('merge re-merges a refreshed image with what is stored', async () => {
    const { catalogue, provider, store } = await openCatalogue(newHome(), 'eu-west');
    const vendor = (await catalogue.listPage('vendor', { pageSize: 5 })).items[0]!;
    store.updateImageMeta('sandbox', 'eu-west', vendor.id, { displayName: 'golden', label: 'yellow' });
    const refreshed = catalogue.merge(await provider.getImage(vendor.id));
    expect(refreshed).toMatchObject({ id: vendor.id, shownName: 'golden', nameSource: 'local', label: 'yellow', sharedMeta: false });
    // merging a CatalogueImage again drops what no longer holds
    store.updateImageMeta('sandbox', 'eu-west', vendor.id, { displayName: null, label: null });
    const again = catalogue.merge(refreshed);
    expect(again.label).toBeUndefined();
    expect(again.labelSource).toBeUndefined();
    expect(again).toMatchObject({ shownName: vendor.shownName, nameSource: vendor.nameSource });
  });
});

describe('catalogue in a plain region (no tags)', () => {
  it('keeps names and labels of owned images in the local store, seen by a second session', async () => {
    const home = newHome();
    const { catalogue, provider, store, description } = await openCatalogue(home, 'ap-south');
    expect(description.capabilities.images.tags).toBe(false);
    const image = await ownImage(catalogue, provider);
    expect(image.owned).toBe(true);
    expect(image.sharedMeta).toBe(false);
    const tagsBefore = (await provider.getImage(image.id)).tags;

    const renamed = await catalogue.rename(image, 'web-base-2030');
    expect(renamed).toMatchObject({ shownName: 'web-base-2030', nameSource: 'local', sharedMeta: false });
    const labelled = await catalogue.setLabel(renamed, 'purple');
    expect(labelled).toMatchObject({ label: 'purple', labelSource: 'local' });
    expect(store.getImageMeta('sandbox', 'ap-south', image.id)).toMatchObject({ displayName: 'web-base-2030', label: 'purple' });
    expect((await provider.getImage(image.id)).tags).toEqual(tagsBefore);
    expect(store.audit.list({ limit: 2 }).map((e) => [e.action, e.detail.where])).toEqual([
      ['image.label', 'local'],
      ['image.rename', 'local'],
    ]);

    const second = await openCatalogue(home, 'ap-south');
    expect(await find(second.catalogue, 'own', image.id)).toMatchObject({
      shownName: 'web-base-2030',
      nameSource: 'local',
      label: 'purple',
      labelSource: 'local',
    });
    // another region of the same provider does not see it
    const west = await openCatalogue(home, 'eu-west');
    expect(west.store.listImageMeta('sandbox', 'eu-west').has(image.id)).toBe(false);
  });
});

describe('names are validated before anything is written', () => {
  for (const region of ['eu-west', 'ap-south']) {
    it(`refuses bad names with the reason in ${region}, changing nothing`, async () => {
      const { catalogue, provider, store, description } = await openCatalogue(newHome(), region);
      const image = await ownImage(catalogue, provider);
      const tagsBefore = (await provider.getImage(image.id)).tags;
      const auditBefore = store.audit.list().length;
      for (const bad of BAD_NAMES[region]!) {
        let caught: unknown;
        try {
          await catalogue.rename(image, bad);
        } catch (error) {
          caught = error;
        }
        expect(caught, JSON.stringify(bad)).toBeInstanceOf(StrataError);
        const error = caught as StrataError;
        expect(error.kind).toBe('Invalid');
        expect(error.field).toBe('name');
        expect(error.message).toBe(checkName(bad, description.capabilities.images.nameRules));
        expect(catalogue.nameProblem(bad)).toBe(error.message);
      }
      expect((await provider.getImage(image.id)).tags).toEqual(tagsBefore);
      expect(store.getImageMeta('sandbox', region, image.id)).toBeUndefined();
      expect(store.audit.list().length).toBe(auditBefore);
      expect(await find(catalogue, 'own', image.id)).toEqual(image);
    });
  }

  it('says why: too short, and which character is not allowed', async () => {
    const { catalogue } = await openCatalogue(newHome(), 'eu-west');
    expect(catalogue.nameProblem('x')).toMatch(/at least 3 characters/);
    expect(catalogue.nameProblem('$(rm -rf /)')).toMatch(/"\$" is not allowed/);
    expect(catalogue.nameProblem('web\nbase')).toMatch(/U\+000A is not allowed/);
    expect(catalogue.nameProblem('web base')).toBeUndefined();
  });

  it('refuses a label that is not a colour', async () => {
    const { catalogue, provider, store } = await openCatalogue(newHome(), 'eu-west');
    const image = await ownImage(catalogue, provider);
    await expect(catalogue.setLabel(image, 'magenta' as never)).rejects.toMatchObject({ kind: 'Invalid', field: 'label' });
    expect((await provider.getImage(image.id)).tags[LABEL_TAG]).toBeUndefined();
    expect(store.audit.list()).toEqual([]);
  });
});

describe('a tag write the provider refuses', () => {
  it('propagates the error and writes nothing locally', async () => {
    const { catalogue, provider, store } = await openCatalogue(newHome(), 'eu-west');
    const image = await ownImage(catalogue, provider);
    // the image goes away at the provider (another teammate deleted it) while this session still shows it
    await provider.deleteImage(image.id);
    await expect(catalogue.rename(image, 'too late')).rejects.toBeInstanceOf(StrataError);
    await expect(catalogue.setLabel(image, 'red')).rejects.toBeInstanceOf(StrataError);
    expect(store.getImageMeta('sandbox', 'eu-west', image.id)).toBeUndefined();
    expect(store.audit.list()).toEqual([]);
  });
});

describe('throttling', () => {
  it('retries throttled calls until they pass', async () => {
    const { catalogue } = await openCatalogue(newHome(), 'eu-west', {
      sandboxFaults: 'throttle=0.5',
      retry: { attempts: 40, baseDelayMs: 0 },
    });
    const images = await all(catalogue, 'own');
    expect(images.length).toBeGreaterThan(0);
    const image = images.find((i) => i.owned && i.name !== sanitize(HOSTILE_IMAGE_NAME, 256))!;
    expect((await catalogue.rename(image, 'after the storm')).nameSource).toBe('tag');
  });

  it('gives up after its attempts: the error propagates and nothing is written', async () => {
    const home = newHome();
    const calm = await openCatalogue(home, 'eu-west');
    const image = await ownImage(calm.catalogue, calm.provider);
    const { catalogue, store } = await openCatalogue(home, 'eu-west', { sandboxFaults: 'throttle=1', retry: { attempts: 2, baseDelayMs: 1 } });
    await expect(catalogue.listPage('own')).rejects.toMatchObject({ kind: 'Throttled' });
    await expect(catalogue.rename(image, 'never saved')).rejects.toMatchObject({ kind: 'Throttled' });
    await expect(catalogue.setLabel(image, 'red')).rejects.toMatchObject({ kind: 'Throttled' });
    expect(store.getImageMeta('sandbox', 'eu-west', image.id)).toBeUndefined();
    expect(store.audit.list()).toEqual([]);
    expect((await calm.provider.getImage(image.id)).tags[NAME_TAG]).toBe(image.tags[NAME_TAG]);
  });
});

describe('provider strings are sanitised', () => {
  for (const region of ['eu-west', 'ap-south']) {
    it(`the hostile own image of ${region} comes out with no escape or control characters`, async () => {
      const { catalogue, provider } = await openCatalogue(newHome(), region);
      const raw = (await provider.listImages({ scope: 'own', pageSize: 500 })).items;
      const hostile = raw.filter((i) => strings(i).some((s) => needsSanitising(s)));
      expect(hostile.length, 'the sandbox has a hostile own image').toBeGreaterThan(0);
      expect(strings(hostile).join('')).toContain('\u001b');

      const merged = await all(catalogue, 'own');
      for (const image of merged) {
        for (const s of strings(image)) {
          expect(s).not.toContain('\u001b');
          expect(needsSanitising(s), JSON.stringify(s)).toBe(false);
        }
      }
      for (const h of hostile) {
        const shown = merged.find((m) => m.id === sanitize(h.id, 256))!;
        expect(shown).toBeDefined();
        expect(shown.name).toBe(sanitize(h.name, 256));
        expect(shown.shownName.length).toBeGreaterThan(0);
      }
    });
  }

  it('a hostile image can still be renamed (the write goes to its real id)', async () => {
    const { catalogue, provider, store } = await openCatalogue(newHome(), 'ap-south');
    const raw = (await provider.listImages({ scope: 'own', pageSize: 500 })).items;
    const hostile = raw.find((i) => needsSanitising(i.name))!;
    const shown = (await all(catalogue, 'own')).find((m) => m.id === sanitize(hostile.id, 256))!;
    const renamed = await catalogue.rename(shown, 'tamed');
    expect(renamed.shownName).toBe('tamed');
    expect(store.getImageMeta('sandbox', 'ap-south', hostile.id)?.displayName).toBe('tamed');
  });
});

describe('paging', () => {
  it('yields page by page, caps at the limit and says it was capped', async () => {
    const { catalogue } = await openCatalogue(newHome(), 'eu-west');
    const sizes: number[] = [];
    let last: { next?: string } = {};
    for await (const page of catalogue.pages('public', { pageSize: 300, limit: 1000 })) {
      sizes.push(page.items.length);
      last = page;
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    expect(last.next).toBeDefined();
  });

  it('walks a whole scope once, every id once', async () => {
    const { catalogue, provider } = await openCatalogue(newHome(), 'eu-west');
    const viaPages = await all(catalogue, 'vendor');
    const ids = viaPages.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    const first = await provider.listImages({ scope: 'vendor', pageSize: 100_000 });
    expect(ids.sort()).toEqual(first.items.map((i: Image) => sanitize(i.id, 256)).sort());
  });

  it('stops when the signal aborts', async () => {
    const { catalogue } = await openCatalogue(newHome(), 'eu-west');
    const abort = new AbortController();
    let pages = 0;
    for await (const page of catalogue.pages('public', { pageSize: 100, signal: abort.signal })) {
      pages++;
      expect(page.items.length).toBeGreaterThan(0);
      if (pages === 2) abort.abort();
    }
    expect(pages).toBe(2);
  });

  it('listPage passes the query to the provider and merges local metadata', async () => {
    const { catalogue, store } = await openCatalogue(newHome(), 'eu-west');
    const page = await catalogue.listPage('public', { pageSize: 20 });
    const pick = page.items[3]!;
    store.setLabel('sandbox', 'eu-west', pick.id, 'brown');
    const again = await catalogue.listPage('public', { pageSize: 20 });
    expect(again.items.find((i) => i.id === pick.id)).toMatchObject({ label: 'brown', labelSource: 'local' });
    const word = pick.name.split(/[^A-Za-z0-9]+/).find((w) => w.length >= 4)!;
    const searched = await catalogue.listPage('public', { query: word, pageSize: 50 });
    expect(searched.items.length).toBeGreaterThan(0);
    for (const item of searched.items) expect(item.name.toLowerCase()).toContain(word.toLowerCase());
  });
});
