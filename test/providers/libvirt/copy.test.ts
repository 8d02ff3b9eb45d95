// The libvirt provider's copies (copyImage) against recorded hosts (copy.fake.ts): from another own pool of
// this host (qemu-img convert of its file), from a pool of another host by URI (virsh vol-download), once per
// client token — also when a strata is killed at each step of a copy (copy.child.ts, a real process killed
// with SIGKILL) and the copy is asked for again: exactly one volume, no partial file listed or left.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Image } from '../../../source/core/types.js';
import { isLocalUri } from '../../../source/providers/libvirt/copy.js';
import { LibvirtProvider } from '../../../source/providers/libvirt/index.js';
import { FAR, HERE, fakeHosts, providerOptions, type FakeHosts } from './copy.fake.js';

const CHILD = fileURLToPath(new URL('./copy.child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let root: string;
let hosts: FakeHosts;
let bytes: Buffer;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-libvirt-copy-'));
  hosts = fakeHosts(root);
  bytes = randomBytes(96 * 1024);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const own = (image: Partial<Image> & { id: string }) => ({ name: image.id.split('/')[1]!, kind: 'own', owned: true, state: 'available', ...image }) as Image;

/** A provider on a recorded host, its pools made; with an own image web-1 where `withImage`. */
async function open(uri: string, pool: string, withImage = false): Promise<LibvirtProvider> {
  const provider = new LibvirtProvider(providerOptions(root, hosts, uri, pool), hosts.run);
  await provider.describe();
  if (withImage) writeFileSync(join(hosts.dirOf(uri), pool, 'web-1'), bytes);
  return provider;
}

const ownIds = async (provider: LibvirtProvider) => (await provider.listImages({ scope: 'own' })).items.map((i) => i.id);
const filesOf = (uri: string, pool: string) => readdirSync(join(hosts.dirOf(uri), pool)).sort();
const tools = (file: string, verb: string) => hosts.calls.filter((c) => c[0] === file && c.join(' ').includes(verb)).length;

describe('libvirt copies: which URIs are this machine (whose pool files are read here)', () => {
  it('takes a URI without a host, or with localhost, as this machine; any other host streams through libvirt', () => {
    for (const uri of ['qemu:///system', 'qemu:///session', 'qemu+unix:///system?socket=/run/x', 'test:///default', 'qemu+ssh://root@localhost/system', 'qemu+tcp://127.0.0.1:16509/system']) expect([uri, isLocalUri(uri)]).toEqual([uri, true]);
    for (const uri of ['qemu+ssh://root@kvm-1/system', 'qemu+tls://kvm-1.example.net/system', 'qemu+tcp://10.0.0.5/system', 'not a uri']) expect([uri, isLocalUri(uri)]).toEqual([uri, false]);
  });
});

describe('libvirt copies (recorded hosts)', () => {
  it('copies an own image of another pool of this host once per token: asked again, the same volume', async () => {
    await open(HERE, 'strata', true);
    const target = await open(HERE, 'strata-b');
    expect((await target.describe()).capabilities.images.copy).toEqual({ regions: false, sources: true });
    const source = { region: 'local', imageId: 'strata/web-1', address: HERE, image: own({ id: 'strata/web-1', description: 'the web tier, built 2026-12-01' }) };

    const copy = await target.copyImage(source, { name: 'web-1', clientToken: 'tok-1' });
    expect(copy).toMatchObject({ id: 'strata-b/web-1', name: 'web-1', kind: 'own', state: 'available', description: 'the web tier, built 2026-12-01', copiedFrom: { region: 'local', imageId: 'strata/web-1' } });
    expect(readFileSync(join(hosts.dirOf(HERE), 'strata-b', 'web-1'))).toEqual(bytes);
    expect(tools('qemu-img', 'convert')).toBe(1);

    // Asked again (a lost answer, a retry): the same copy, nothing copied again; a name given again is the first's.
    expect(await target.copyImage(source, { name: 'web-1', clientToken: 'tok-1' })).toMatchObject({ id: 'strata-b/web-1' });
    expect(await target.copyImage(source, { name: 'web-1-again', clientToken: 'tok-1' })).toMatchObject({ id: 'strata-b/web-1' });
    expect(tools('qemu-img', 'convert')).toBe(1);
    expect(await ownIds(target)).toEqual(['strata-b/web-1']);
    expect(await target.getImage('strata-b/web-1')).toMatchObject({ copiedFrom: { region: 'local', imageId: 'strata/web-1' } });

    // Another token for a name the pool has: refused, naming the pool. The token of another copy: Conflict.
    await expect(target.copyImage(source, { name: 'web-1', clientToken: 'tok-2' })).rejects.toMatchObject({
      kind: 'Invalid',
      field: 'name',
      message: 'An image named "web-1" already exists in pool strata-b; image names are unique in a pool.',
    });
    writeFileSync(join(hosts.dirOf(HERE), 'strata', 'db-1'), bytes);
    await expect(target.copyImage({ ...source, imageId: 'strata/db-1', image: own({ id: 'strata/db-1' }) }, { name: 'db-1', clientToken: 'tok-1' })).rejects.toMatchObject({ kind: 'Conflict' });
    // Into the pool it is in: nothing to copy.
    const same = await open(HERE, 'strata');
    await expect(same.copyImage(source, { name: 'web-2', clientToken: 'tok-3' })).rejects.toMatchObject({ kind: 'Invalid', message: expect.stringMatching(/is in pool strata at test:\/\/\/here already/) });
    expect(await ownIds(target)).toEqual(['strata-b/web-1']);
  });

  it('streams an image of another host by its URI (virsh vol-download from there), never reading a path of that host here', async () => {
    await open(FAR, 'strata', true);
    const target = await open(HERE, 'strata');
    const copy = await target.copyImage({ region: 'local', imageId: 'strata/web-1', address: FAR, image: own({ id: 'strata/web-1' }) }, { name: 'web-1', clientToken: 'tok-far' });
    expect(copy).toMatchObject({ id: 'strata/web-1', copiedFrom: { region: 'local', imageId: 'strata/web-1' }, description: `Copied from strata/web-1 at ${FAR}` });
    expect(readFileSync(join(hosts.dirOf(HERE), 'strata', 'web-1'))).toEqual(bytes);
    const downloads = hosts.calls.filter((c) => c[0] === 'virsh' && c.join(' ').includes('vol-download'));
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.slice(1, 4)).toEqual(['-q', '-c', FAR]);
    expect(tools('qemu-img', 'convert')).toBe(0);
    expect(await target.copyImage({ region: 'local', imageId: 'strata/web-1', address: FAR, image: own({ id: 'strata/web-1' }) }, { name: 'web-1', clientToken: 'tok-far' })).toMatchObject({ id: 'strata/web-1' });
    expect(hosts.calls.filter((c) => c.join(' ').includes('vol-download'))).toHaveLength(1);
  });

  it('says a source that is gone in a sentence (NotFound), and keeps nothing of the copy', async () => {
    await open(FAR, 'strata', true);
    const target = await open(HERE, 'strata');
    rmSync(join(hosts.dirOf(FAR), 'strata', 'web-1'));
    const source = { region: 'local', imageId: 'strata/web-1', address: FAR, image: own({ id: 'strata/web-1' }) };
    await expect(target.copyImage(source, { name: 'web-1', clientToken: 'tok-gone' })).rejects.toMatchObject({
      kind: 'NotFound',
      message: `Image strata/web-1 is gone from ${FAR} (deleted, or its pool strata is gone); nothing was copied.`,
    });
    await expect(target.copyImage({ ...source, imageId: 'gone-pool/web-1' }, { name: 'web-1', clientToken: 'tok-gone' })).rejects.toMatchObject({
      kind: 'NotFound',
      message: `Image gone-pool/web-1 is gone from ${FAR} (deleted, or its pool gone-pool is gone); nothing was copied.`,
    });
    expect(filesOf(HERE, 'strata')).toEqual([]);
    expect(await ownIds(target)).toEqual([]);
    // The name is free for a copy that can be made.
    writeFileSync(join(hosts.dirOf(FAR), 'strata', 'web-1'), bytes);
    expect(await target.copyImage(source, { name: 'web-1', clientToken: 'tok-back' })).toMatchObject({ id: 'strata/web-1' });
  });
});

function crashingRun(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const run = { code: null as number | null, signal: null as NodeJS.Signals | null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (run.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (run.stderr += c));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ ...run, code, signal }));
  });
}

describe('a strata killed in the middle of a libvirt copy, asked again with the token', () => {
  for (const [from, pool] of [
    [HERE, 'strata'],
    [FAR, 'strata'],
  ] as const) {
    for (const killAt of ['copying', 'half', 'renamed', 'answered'] as const) {
      it(`from ${from === HERE ? 'another pool of this host' : 'another host'}, killed at ${killAt}: exactly one copy, no partial file listed or left`, { timeout: 60_000 }, async () => {
        await open(from, pool, true);
        const target = await open(HERE, 'strata-b');
        const run = await crashingRun([root, HERE, 'strata-b', from, `${pool}/web-1`, 'web-1', 'tok-kill', killAt]);
        expect(run.stderr).toBe('');
        expect(run.stdout).toBe(`crashing at ${killAt}\n`);
        expect(run.signal).toBe('SIGKILL');
        // What the dead strata left: a partial file (hidden, never listed), or the whole copy.
        const left = filesOf(HERE, 'strata-b');
        if (killAt === 'half') expect(left).toEqual([expect.stringMatching(/^\.web-1\.\d+\.partial$/)]);
        if (killAt === 'renamed' || killAt === 'answered') expect(left).toEqual(['web-1']);
        expect(await ownIds(target)).toEqual(killAt === 'renamed' || killAt === 'answered' ? ['strata-b/web-1'] : []);

        hosts.calls.length = 0;
        const source = { region: 'local', imageId: `${pool}/web-1`, address: from, image: own({ id: `${pool}/web-1` }) };
        const copy = await target.copyImage(source, { name: 'web-1', clientToken: 'tok-kill' });
        expect(copy).toMatchObject({ id: 'strata-b/web-1', state: 'available', copiedFrom: { region: 'local', imageId: `${pool}/web-1` } });
        // Made again only where it was not whole.
        const copiedAgain = hosts.calls.filter((c) => c.join(' ').includes('vol-download') || (c[0] === 'qemu-img' && c[1] === 'convert')).length;
        expect(copiedAgain).toBe(killAt === 'copying' || killAt === 'half' ? 1 : 0);
        expect(filesOf(HERE, 'strata-b')).toEqual(['web-1']);
        expect(readFileSync(join(hosts.dirOf(HERE), 'strata-b', 'web-1'))).toEqual(bytes);
        expect(await ownIds(target)).toEqual(['strata-b/web-1']);
        // And again: still the one.
        expect(await target.copyImage(source, { name: 'web-1', clientToken: 'tok-kill' })).toMatchObject({ id: 'strata-b/web-1' });
        expect(filesOf(HERE, 'strata-b')).toEqual(['web-1']);
      });
    }
  }
});
