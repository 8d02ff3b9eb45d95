// Crashes: a real strata process (copies.child.ts) runs a copy of an own image from the sandbox's eu-west to
// its us-east and is killed with SIGKILL at each step — or after the provider made the copy but before the
// job wrote it down — as a crash or a dropped SSH session would end it. Then this process, a fresh strata on
// the same home, resumes: the copy ends done, and us-east holds exactly one copy of the image.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogueImage } from '../../source/services/catalogue.js';
import { openStore, type Store } from '../../source/store/db.js';
import { copyWorld, type CopyWorld } from './copies.world.js';

const CHILD = fileURLToPath(new URL('./copies.child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setUp(): Promise<{ world: CopyWorld; store: Store; image: CatalogueImage }> {
  const home = mkdtempSync(join(tmpdir(), 'strata-copies-'));
  const store = openStore(home);
  const world = await copyWorld(home, store);
  cleanups.push(async () => {
    await world.close();
    store.close();
    rmSync(home, { recursive: true, force: true });
  });
  const own = (await world.from.catalogue.listPage('own', { pageSize: 500 })).items;
  const image = own.find((i) => i.state === 'available' && /^[a-z0-9-]+$/.test(i.name) && i.label === undefined)!;
  expect(image, 'an available own image with a plain name').toBeDefined();
  // A label, so the copy shows it was carried over (a tag in eu-west and us-east).
  const labelled = await world.from.catalogue.setLabel(image, 'teal');
  return { world, store, image: labelled };
}

function crashingRun(home: string, copyId: string, crashAt: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', CHILD, home, copyId, crashAt], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const run = { code: null as number | null, signal: null as NodeJS.Signals | null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (run.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (run.stderr += c));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ ...run, code, signal }));
  });
}

/** Every image of a sandbox region that copies another, straight from its database. */
function copiesIn(home: string, region: string): { id: string; copied_from: string; copy_token: string }[] {
  const db = new DatabaseSync(join(home, 'sandbox.db'), { readOnly: true });
  try {
    return db.prepare('SELECT id, copied_from, copy_token FROM images WHERE region = ? AND copied_from IS NOT NULL').all(region) as never;
  } finally {
    db.close();
  }
}

describe('a strata that dies in the middle of a copy', () => {
  for (const crashAt of ['copying', 'copied', 'waiting', 'labelling']) {
    it(`at ${crashAt}: the next start goes on from there — exactly one copy, labelled`, async () => {
      const { world, store, image } = await setUp();
      const started = await world.copies.start({ storeId: 'sandbox', providerId: 'sandbox', region: 'eu-west', image });
      const run = await crashingRun(world.home, started.id, crashAt);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(`crashing at ${crashAt}\n`);
      expect(run.signal).toBe('SIGKILL');
      expect(world.copies.get(started.id)!.runner?.here).toBe(false);

      const resumed = await world.copies.resumeAll();
      expect(resumed).toHaveLength(1);
      const done = resumed[0]!;
      expect(done.state, done.error).toBe('done');

      const rows = copiesIn(world.home, 'us-east');
      expect(rows).toEqual([{ id: done.imageId, copied_from: `eu-west/${image.id}`, copy_token: started.clientToken }]);
      const copy = await world.to.catalogue.image(done.imageId!);
      expect(copy).toMatchObject({ name: image.name, state: 'available', copiedFrom: { region: 'eu-west', imageId: image.id }, label: 'teal' });
      expect(store.audit.list({ action: 'copy.done' })).toHaveLength(1);
      expect(store.audit.list({ action: 'copy.resumed' })).toHaveLength(1);
      expect(await world.copies.resumeAll()).toEqual([]);
    });
  }
});
