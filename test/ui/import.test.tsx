// :import PATH [NAME] on the real sandbox: a real file becomes an own image listed at once, the message
// line says what is being imported, a missing file is named in a sentence, and neither a read-only session
// nor a region that cannot import imports anything.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import { selectedImage } from '../../source/ui/state/selectors.js';
import { start, type Harness } from './harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ui-import-'));
  dirs.push(dir);
  return dir;
}

/** A qcow2 file: a version 3 header and zeros. */
function qcow2File(dir: string, name: string): string {
  const b = Buffer.alloc(256 * 1024);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(4n * 1024n ** 3n, 24);
  const path = join(dir, name);
  writeFileSync(path, b);
  return path;
}

async function command(h: Harness, line: string): Promise<void> {
  await h.press(':');
  await h.waitFor(/^:/m, 'the command line');
  await h.type(line);
  await h.press('enter');
}

async function ownNames(home: string, region = 'eu-west'): Promise<string[]> {
  const provider = await createSandboxProvider({ home, region });
  try {
    return (await provider.listImages({ scope: 'own', pageSize: 5000 })).items.map((i) => i.name);
  } finally {
    await provider.close();
  }
}

describe(':import', () => {
  it('imports a real file: the message line says so while it runs, then "Imported NAME." and the image is listed', async () => {
    const path = qcow2File(tempDir(), 'golden.qcow2');
    const h = await start({ columns: 160 });
    await h.waitFor('img-');
    await command(h, `import ${path} golden import`);
    await h.waitFor('Imported golden import.');
    expect(h.frames().some((f) => f.includes(`Importing golden import from ${path}…`))).toBe(true);
    // The own list shows it, selected (the position moved to its row).
    await h.waitFor((f) => f.split('\n').some((l) => l.includes('golden import') && l.includes('img-')), 'the new image in the list');
    const image = h.controller.state.scopes.own.rows.items!.find((i) => i.name === 'golden import')!;
    expect(image).toMatchObject({ kind: 'own', state: 'available' });
    await h.waitFor(() => selectedImage(h.controller.state)?.id === image.id, 'the new image selected');
    expect(await ownNames(h.home)).toContain('golden import');
    expect(h.db.audit.list({ action: 'image.imported' })[0]).toMatchObject({ detail: { name: 'golden import', path } });
  });

  it('takes a path under ~/ and makes the name from the file name', async () => {
    const dir = tempDir();
    qcow2File(dir, 'Web Base 2025.img');
    const previous = process.env.HOME;
    process.env.HOME = dir;
    try {
      const h = await start({ columns: 160 });
      await h.waitFor('img-');
      await command(h, `import "~/Web Base 2025.img"`);
      await h.waitFor('Imported Web Base 2025.');
      expect(await ownNames(h.home)).toContain('Web Base 2025');
    } finally {
      process.env.HOME = previous;
    }
  });

  it('a missing file: a sentence that names the file; nothing is imported', async () => {
    const missing = join(tempDir(), 'missing.qcow2');
    const h = await start({ columns: 200 });
    await h.waitFor('img-');
    const before = await ownNames(h.home);
    await command(h, `import ${missing} ghost image`);
    await h.waitFor(`Importing ${missing} failed: The image file ${missing} does not exist.`);
    expect(await ownNames(h.home)).toEqual(before);
  });

  it('asks for a name where it cannot make one from the file name', async () => {
    const path = qcow2File(tempDir(), 'ab.qcow2');
    const h = await start({ columns: 200 });
    await h.waitFor('img-');
    await command(h, `import ${path}`);
    await h.waitFor(/strata cannot make an image name from ab\.qcow2 \(3 to 128 characters.*\); give one: :import PATH NAME\./);
    expect(h.controller.state.imports).toEqual([]);
  });

  it('is refused in a read-only session', async () => {
    const path = qcow2File(tempDir(), 'golden.qcow2');
    const h = await start({ readOnly: true, columns: 160 });
    await h.waitFor('img-');
    await command(h, `import ${path} golden import`);
    await h.waitFor('This session is read-only (--read-only): importing images is disabled.');
    // Whatever the arguments: even a bare :import is refused for being read-only first.
    await h.press('ctrl+u');
    await h.type('import');
    await h.press('enter');
    await h.waitFor((f) => f.includes('This session is read-only') && /^:import\s*$/m.test(f), 'the refusal of a bare :import');
    expect(await ownNames(h.home)).not.toContain('golden import');
    expect(h.db.audit.list({ action: 'image.imported' })).toEqual([]);
  });

  it('says so where the provider cannot import (the plain region)', async () => {
    const path = qcow2File(tempDir(), 'golden.qcow2');
    const h = await start({ region: 'ap-south', columns: 160 });
    await h.waitFor('img-');
    await command(h, `import ${path} golden-import`);
    await h.waitFor('Sandbox cloud cannot import image files (in ap-south); :import works where the provider can import images.');
    expect(await ownNames(h.home, 'ap-south')).not.toContain('golden-import');
  });
});
