// A copy between two libvirt sources of one real libvirtd (config.yaml's sources: one URI, each source with
// an own pool of its own), through the copy job service the fleet's C uses: the job ends done, the target
// pool holds exactly one copy, the same bytes as the original, labelled as it was and saying where it came
// from; asked again with the job's token, the provider answers with that copy and makes no second.
//
//   STRATA_LIBVIRT_URI          the connection (default qemu:///system)
//   STRATA_REQUIRE_LIBVIRT=1    fail instead of skipping where libvirt cannot be used (CI sets it)
//   STRATA_SKIP_LIBVIRT=1       leave the real libvirt tests out
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrataConfig } from '../../../source/services/config.js';
import { copiesFor } from '../../../source/services/copies.js';
import { Session } from '../../../source/services/session.js';
import { sourceSessionOptions, type SourceConfig } from '../../../source/services/sources.js';
import { openStore, type Store } from '../../../source/store/db.js';

const uri = process.env.STRATA_LIBVIRT_URI ?? 'qemu:///system';
const required = process.env.STRATA_REQUIRE_LIBVIRT === '1';
const RUN = Math.random().toString(36).slice(2, 7);

function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}
const quietly = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    // cleanup of what may not exist
  }
};

function unusable(): string | undefined {
  if (process.env.STRATA_SKIP_LIBVIRT === '1') return 'STRATA_SKIP_LIBVIRT=1 leaves the real libvirt tests out';
  try {
    virsh('version');
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    return e.code === 'ENOENT' ? 'virsh is not installed' : `libvirt at ${uri} does not answer (${String(e.stderr ?? '').trim().split('\n')[0]})`;
  }
  try {
    execFileSync('sh', ['-c', 'command -v qemu-img'], { stdio: 'ignore' });
  } catch {
    return 'qemu-img is not installed';
  }
  return undefined;
}

const reason = unusable();
if (reason !== undefined && !required) {
  console.log(`libvirt copies: skipped, ${reason}`);
  describe.skip('libvirt copies between sources', () => {
    it('runs where libvirt and qemu-img are available', () => undefined);
  });
} else if (reason !== undefined) {
  describe('libvirt copies between sources', () => {
    it('runs here (STRATA_REQUIRE_LIBVIRT=1)', () => {
      throw new Error(`libvirt is required here but ${reason}`);
    });
  });
} else {
  describe(`libvirt copies between sources (libvirt at ${uri})`, () => {
    let base: string;
    let store: Store;
    const pools = { a: `strata-cpa-${RUN}`, b: `strata-cpb-${RUN}`, vendor: `strata-cp-${RUN}-vendor` };
    const dropPools = () => {
      for (const pool of [pools.a, `${pools.a}-servers`, pools.b, `${pools.b}-servers`, pools.vendor]) {
        quietly(() => virsh('pool-destroy', pool));
        quietly(() => virsh('pool-undefine', pool));
      }
    };
    beforeAll(() => {
      base = mkdtempSync(join(tmpdir(), 'strata-libvirt-copies-'));
      dropPools();
      const vendorDir = join(base, 'pools', pools.vendor);
      mkdirSync(vendorDir, { recursive: true });
      virsh('pool-define-as', pools.vendor, 'dir', '--target', vendorDir);
      virsh('pool-start', pools.vendor);
      store = openStore(join(base, 'home'));
    });
    afterAll(() => {
      store?.close();
      dropPools();
      rmSync(base, { recursive: true, force: true });
    });

    it('copies an own image of one source\'s pool into another\'s as a job: done, exactly one copy, asked again the same', { timeout: 120_000 }, async () => {
      const home = join(base, 'home');
      const config: StrataConfig = {
        billingCodes: {},
        groups: [],
        trustedVendorOwners: [],
        libvirt: { poolDirectory: join(base, 'pools'), vendorPool: pools.vendor, network: 'none' },
      };
      const sources: SourceConfig[] = [
        { name: 'lab-a', provider: 'libvirt', uri, libvirt: { pool: pools.a } },
        { name: 'lab-b', provider: 'libvirt', uri, libvirt: { pool: pools.b } },
      ];
      config.sources = sources;
      const retry = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };
      const a = await Session.open({ ...sourceSessionOptions(sources[0]!, undefined, { home, config }), retry }, store);
      const b = await Session.open({ ...sourceSessionOptions(sources[1]!, undefined, { home, config }), retry }, store);
      try {
        // Two own pools of one host are two accounts: their records are apart, and one's image can go to the other.
        expect(a.storeId).toBe(`libvirt@uri=${uri},pool=${pools.a}`);
        expect(b.storeId).toBe(`libvirt@uri=${uri},pool=${pools.b}`);
        expect(a.address).toBe(uri);

        const file = join(base, 'web.qcow2');
        execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '64M']);
        execFileSync('qemu-io', ['-c', 'write -P 0x5a 0 1M', file], { stdio: 'ignore' });
        await a.provider.importImage({ path: file, name: 'web-1', description: 'the web tier' });
        const original = await a.catalogue.setLabel(await a.catalogue.image(`${pools.a}/web-1`), 'teal');

        const copies = copiesFor(b, { pollMs: 50, maxBackoffMs: 200 });
        const origin = { storeId: a.storeId, providerId: a.providerId, region: a.region, source: 'lab-a', address: a.address!, image: original };
        expect(copies.refusal(origin)).toBeUndefined();
        const started = await copies.start(origin);
        const done = await copies.run(started.id);
        expect(done.state, done.error).toBe('done');
        expect(done.imageId).toBe(`${pools.b}/web-1`);

        const inB = () => virsh('vol-list', pools.b).split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
        expect(inB()).toEqual(['web-1']);
        const copy = await b.catalogue.image(`${pools.b}/web-1`);
        expect(copy).toMatchObject({ name: 'web-1', owned: true, state: 'available', description: 'the web tier', label: 'teal', copiedFrom: { region: 'local', imageId: `${pools.a}/web-1` } });
        // The same bytes, in the same format (qemu-img compare exits 0 for identical contents).
        const paths = [join(base, 'pools', pools.a, 'web-1'), join(base, 'pools', pools.b, 'web-1')];
        execFileSync('qemu-img', ['compare', '-q', ...paths]);
        expect(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', paths[1]!], { encoding: 'utf8' })).format).toBe('qcow2');

        // Asked again with the job's token (a strata killed after the copy was made): the same copy, no second.
        const again = await b.provider.copyImage!({ region: a.region, imageId: original.id, address: a.address!, image: original }, { name: 'web-1', clientToken: started.clientToken });
        expect(again.id).toBe(`${pools.b}/web-1`);
        expect(inB()).toEqual(['web-1']);
        expect(await copies.resumeAll()).toEqual([]);
        expect(store.audit.list({ action: 'copy.done' })).toHaveLength(1);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
