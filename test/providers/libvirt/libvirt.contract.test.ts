// The libvirt provider against a real libvirtd and QEMU: the provider contract, then what only libvirt
// has (overlays and their backing images, the NoCloud seed, nwfilters, a launch cut short). The guest is
// scripts/libvirt-test-guest.sh's tiny disk (a Debian kernel and busybox) that boots in seconds under TCG
// and prints cloud-init's lines from the seed it reads. Everything here runs in pools, a network and a
// directory of its own, and is destroyed afterwards, also when a test fails.
//
//   STRATA_LIBVIRT_URI          the connection (default qemu:///system)
//   STRATA_LIBVIRT_TEST_GUEST   the guest disk (default .cache/libvirt-test-guest/test-guest.qcow2, built
//                               on first use by scripts/libvirt-test-guest.sh)
//   STRATA_REQUIRE_LIBVIRT=1    fail instead of skipping where libvirt cannot be used (CI sets it)
//   STRATA_SKIP_LIBVIRT=1       leave the real guests out (a few minutes), where libvirt answers
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError, type ErrorKind } from '../../../source/core/errors.js';
import type { LaunchSpec, Server } from '../../../source/core/types.js';
import { createLibvirtProvider } from '../../../source/providers/libvirt/index.js';
import { ToolFailure, execaRunner, type Runner } from '../../../source/providers/libvirt/exec.js';
import type { LibvirtSettings, ProviderService } from '../../../source/providers/provider.js';
import { describeProviderContract, expectStrataError, freshOpenSshPublicKey, pollUntil } from '../../contract/contract.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const uri = process.env.STRATA_LIBVIRT_URI ?? 'qemu:///system';
const required = process.env.STRATA_REQUIRE_LIBVIRT === '1';
const guest = process.env.STRATA_LIBVIRT_TEST_GUEST ?? join(root, '.cache/libvirt-test-guest/test-guest.qcow2');
const UP_MS = 240_000;
/** Names of this run (pools, network, servers, filters): two runs on one host do not meet. */
const RUN = Math.random().toString(36).slice(2, 7);
const TEST_MS = 2 * UP_MS;

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

/** Why libvirt cannot be used here, or undefined when it can (the guest is built on first use). */
function unusable(): string | undefined {
  if (process.env.STRATA_SKIP_LIBVIRT === '1') return 'STRATA_SKIP_LIBVIRT=1 leaves the real guests out';
  try {
    virsh('version');
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    return e.code === 'ENOENT' ? 'virsh is not installed' : `libvirt at ${uri} does not answer (${String(e.stderr ?? '').trim().split('\n')[0]})`;
  }
  for (const tool of ['qemu-img', 'mkfs.vfat', 'mcopy']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  if (!existsSync(guest)) {
    try {
      execFileSync(join(root, 'scripts/libvirt-test-guest.sh'), [dirname(guest)], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      return `the test guest could not be built (${String((error as { stderr?: string }).stderr ?? '').trim()})`;
    }
  }
  return undefined;
}

interface World {
  provider: ProviderService;
  /** The world's isolated network is 10.213.<subnet>.0/24; the host is .1 on it. */
  subnet: number;
  settings: Required<Pick<LibvirtSettings, 'pool' | 'vendorPool' | 'poolDirectory' | 'network'>> & LibvirtSettings;
  base: string;
  cleanup: () => Promise<void>;
}

/** Pools, an isolated network and a directory of their own; the guest imported as an own image and dropped into the vendor pool. */
async function makeWorld(name: string, run: Runner = execaRunner): Promise<World> {
  const base = mkdtempSync(join(tmpdir(), `strata-libvirt-${name}-`));
  // QEMU runs as its own user: the directories on the way to the disks must let it through.
  chmodSync(base, 0o755);
  const settings = {
    pool: `strata-${name}-${RUN}`,
    vendorPool: `strata-${name}-${RUN}-vendor`,
    poolDirectory: join(base, 'pools'),
    network: `strata-${name}-${RUN}`,
    sizes: { test: { vcpus: 1, memoryMiB: 256, diskGiB: 1 } },
  };
  const filtersBefore = new Set(virsh('nwfilter-list').split('\n').map((l) => l.trim().split(/\s+/)[1]));
  const teardown = () => {
    // Every domain with a disk in this world's directory, then its filters, pools and network.
    for (const domain of virsh('list', '--all', '--name').split('\n').map((l) => l.trim()).filter(Boolean)) {
      let xml = '';
      quietly(() => (xml = virsh('dumpxml', '--inactive', domain)));
      if (!xml.includes(base)) continue;
      quietly(() => virsh('destroy', domain));
      quietly(() => virsh('undefine', domain));
    }
    const filters = virsh('nwfilter-list').split('\n').map((l) => l.trim().split(/\s+/)[1]).filter((f): f is string => !!f && f.startsWith('strata-') && !filtersBefore.has(f));
    for (const f of [...filters.filter((f) => f.startsWith('strata-srv-')), ...filters.filter((f) => !f.startsWith('strata-srv-'))]) quietly(() => virsh('nwfilter-undefine', f));
    for (const pool of [settings.pool, settings.vendorPool, `${settings.pool}-servers`]) {
      quietly(() => virsh('pool-destroy', pool));
      quietly(() => virsh('pool-undefine', pool));
    }
    quietly(() => virsh('net-destroy', settings.network));
    quietly(() => virsh('net-undefine', settings.network));
  };
  // What a crashed earlier run left under these names goes first.
  for (const pool of [settings.pool, settings.vendorPool, `${settings.pool}-servers`]) {
    quietly(() => virsh('pool-destroy', pool));
    quietly(() => virsh('pool-undefine', pool));
  }
  quietly(() => virsh('net-destroy', settings.network));
  quietly(() => virsh('net-undefine', settings.network));
  const bridge = `vbr${Math.random().toString(36).slice(2, 10)}`;
  const subnet = 100 + Math.floor(Math.random() * 100);
  const netXml = join(base, 'net.xml');
  execFileSync('sh', [
    '-c',
    `cat > ${netXml} <<'EOF'
<network><name>${settings.network}</name><bridge name='${bridge}'/><dns enable='no'/><ip address='10.213.${subnet}.1' netmask='255.255.255.0'/></network>
EOF`,
  ]);
  virsh('net-define', netXml);
  virsh('net-start', settings.network);
  // The vendor pool is the user's to make (strata makes only its own pools): made here as the README says.
  virsh('pool-define-as', settings.vendorPool, 'dir', '--target', join(settings.poolDirectory, settings.vendorPool));
  virsh('pool-build', settings.vendorPool);
  virsh('pool-start', settings.vendorPool);
  const home = join(base, 'home');
  mkdirSync(home);
  const provider = await createLibvirtProvider({ home, libvirtUri: uri, libvirt: settings }, run);
  try {
    await provider.describe();
    await provider.importImage({ path: guest, name: 'guest-base' });
    copyFileSync(guest, join(settings.poolDirectory, settings.vendorPool, 'vendor-guest-2026'));
  } catch (error) {
    teardown();
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
  return {
    provider,
    subnet,
    settings,
    base,
    cleanup: async () => {
      await provider.close();
      teardown();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

const UP = ['running', 'initializing', 'ready'];
const waitFor = (provider: ProviderService, ids: string[], phases: string[], what: string) =>
  pollUntil(
    async () => {
      const servers = await provider.listServers(ids);
      const failed = servers.find((s) => s.phase === 'failed' && !phases.includes('failed'));
      if (failed) throw new Error(`${failed.name} failed while waiting for ${what}: ${failed.failureReason}`);
      return servers;
    },
    (servers) => servers.length === ids.length && servers.every((s) => phases.includes(s.phase)),
    { timeoutMs: UP_MS, intervalMs: 500, what },
  );

const reason = unusable();
if (reason !== undefined && !required) {
  console.log(`libvirt contract: skipped, ${reason}`);
  describe.skip('provider contract: libvirt', () => {
    it('runs where libvirt, QEMU and the test guest are available', () => undefined);
  });
} else if (reason !== undefined) {
  describe('provider contract: libvirt', () => {
    it('runs here (STRATA_REQUIRE_LIBVIRT=1)', () => {
      throw new Error(`libvirt is required here but ${reason}`);
    });
  });
} else {
  describeProviderContract(
    `libvirt at ${uri}`,
    async () => {
      const world = await makeWorld('contract');
      return { provider: world.provider, cleanup: world.cleanup };
    },
    { upTimeoutMs: UP_MS, pollMs: 500, missingImageId: 'strata-contract/no-such-image', missingServerId: '00000000-0000-4000-8000-00000000c0de' },
  );

  describe('libvirt: the connection and the host (a failed connection says libvirt\'s reason and what to do)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'strata-libvirt-connect-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const failure = async (at: string, kinds: ErrorKind[], run: Runner = execaRunner) => {
      const provider = await createLibvirtProvider({ home: join(dir, 'home'), libvirtUri: at }, run);
      return expectStrataError(provider.describe(), kinds);
    };

    it('a URI with a typo: libvirt\'s own reason and the fix, not "is libvirtd running?"', async () => {
      const path = await failure('qemu:///sytem', ['Invalid']);
      expect(path.message).toContain('qemu:///sytem');
      expect(path.message).toMatch(/unexpected qemu URI path '\/sytem', try qemu:\/\/\/system/);
      expect(path.message).not.toMatch(/libvirtd running/);
      const driver = await failure('qmeu:///system', ['Invalid']);
      expect(driver.message).toMatch(/no connection driver available for qmeu:\/\/\/system/);
      expect(driver.message).not.toMatch(/libvirtd running/);
    });

    it('a host that cannot be found, or where nothing listens: the host, libvirt\'s reason, and what to check', async () => {
      const unknown = await failure('qemu+tcp://no-such-host.invalid/system', ['Invalid', 'Transient']);
      expect(unknown.message).toContain('no-such-host.invalid');
      expect(unknown.message).toMatch(/resolve/i);
      expect(unknown.message).not.toMatch(/libvirtd running/);
      const closed = await failure('qemu+tcp://127.0.0.1:1/system', ['Transient']);
      expect(closed.message).toContain('127.0.0.1:1');
      expect(closed.message).toMatch(/Connection refused/);
      expect(closed.message).not.toMatch(/libvirtd running/);
    });

    it('a socket that does not exist or refuses: is libvirtd running?', async () => {
      const missing = await failure(`qemu+unix:///system?socket=${dir}/no-such-sock`, ['Transient']);
      expect(missing.message).toMatch(/libvirtd running/);
      expect(missing.message).toContain(`${dir}/no-such-sock`);
      // A socket file nobody listens on: a daemon that died without cleaning up.
      const stale = join(dir, 'stale-sock');
      execFileSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`]);
      const refused = await failure(`qemu+unix:///system?socket=${stale}`, ['Transient']);
      expect(refused.message).toMatch(/libvirtd running/);
      expect(refused.message).toMatch(/refuse/);
    });

    it('the host starts a network that serves DHCP, as libvirt\'s default does (dnsmasq: .ci/run installs dnsmasq-base)', () => {
      const name = `strata-dhcp-${RUN}`;
      const file = join(dir, 'dhcp-net.xml');
      const subnet = 100 + Math.floor(Math.random() * 100);
      writeFileSync(
        file,
        `<network><name>${name}</name><bridge name='vbr${Math.random().toString(36).slice(2, 10)}'/><ip address='10.214.${subnet}.1' netmask='255.255.255.0'><dhcp><range start='10.214.${subnet}.100' end='10.214.${subnet}.110'/></dhcp></ip></network>`,
      );
      try {
        virsh('net-define', file);
        try {
          virsh('net-start', name);
        } catch (error) {
          throw new Error(`libvirt cannot start a network with DHCP here (is dnsmasq-base installed?): ${String((error as { stderr?: string }).stderr ?? error).trim()}`);
        }
        expect(virsh('net-info', name)).toMatch(/^Active:\s+yes/m);
      } finally {
        quietly(() => virsh('net-destroy', name));
        quietly(() => virsh('net-undefine', name));
      }
    });

    const setpriv = (() => {
      try {
        execFileSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' });
        return process.getuid?.() === 0;
      } catch {
        return false;
      }
    })();
    it.skipIf(!setpriv)('a user libvirt refuses: libvirt\'s reason and what to do (run as nobody)', async () => {
      const asNobody: Runner = async (file, args, options) => {
        try {
          return await execaRunner('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', file, ...args], options);
        } catch (error) {
          if (error instanceof ToolFailure) throw new ToolFailure(file, error.stderr, error.exitCode, error.reason);
          throw error;
        }
      };
      const socket = await failure('qemu+unix:///system?socket=/var/run/libvirt/libvirt-admin-sock', ['AuthFailed'], asNobody);
      expect(socket.message).toMatch(/Permission denied/);
      expect(socket.message).toMatch(/libvirt group/);
      expect(socket.message).not.toMatch(/libvirtd running/);
      const system = await failure(uri, ['AuthFailed'], asNobody);
      expect(system.message).toMatch(/libvirt group|root/);
      expect(system.message).not.toMatch(/libvirtd running/);
    });
  });

  describe('libvirt: overlays, seeds, filters', () => {
    let world: World;
    let provider: ProviderService;
    let pool: string;
    let vendorPool: string;
    const token = (what: string) => `lv-${what}-${Date.now().toString(36)}`;
    const spec = (name: string, imageId: string, extra: Partial<LaunchSpec> = {}): LaunchSpec => ({
      name: `${name}-${RUN}`,
      imageId,
      productId: 'test',
      firewallIds: [],
      count: 1,
      ...extra,
    });

    beforeAll(async () => {
      world = await makeWorld('lv');
      provider = world.provider;
      pool = world.settings.pool;
      vendorPool = world.settings.vendorPool;
    }, 120_000);
    afterAll(async () => {
      await world?.cleanup();
    }, 120_000);

    it('says what an own image\'s file takes up on the host (not its virtual size), and keeps its deprecation date where every strata on the home sees it', async () => {
      const image = await provider.getImage(`${pool}/guest-base`);
      const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', join(world.settings.poolDirectory, pool, 'guest-base')], { encoding: 'utf8' }));
      expect(image.storageGiB).toBe(Math.round((info['actual-size'] / 1024 ** 3) * 100) / 100);
      expect(info['actual-size']).toBeLessThan(info['virtual-size']);
      const at = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const set = await provider.setImageDeprecation!(image.id, at);
      const other = await createLibvirtProvider({ home: join(world.base, 'home'), libvirtUri: uri, libvirt: world.settings });
      try {
        expect((await other.getImage(image.id)).deprecatedAt).toBe(set.deprecatedAt);
        await other.setImageDeprecation!(image.id, new Date(Date.now() - 1000).toISOString());
        const now = (await provider.listImages({ scope: 'own' })).items.find((i) => i.id === image.id)!;
        expect(now.state).toBe('deprecated');
        await other.setImageDeprecation!(image.id, null);
        expect((await provider.getImage(image.id)).state).toBe('available');
      } finally {
        await other.close();
      }
    });

    it('boots a server from an own image: its disk is an overlay, the guest reads its seed (hostname, key), and a capture is flattened', { timeout: TEST_MS }, async () => {
      const key = freshOpenSshPublicKey('seed@test');
      await provider.importKeypair('seed-key', key);
      const [server] = await provider.launch(spec('seeded', `${pool}/guest-base`, { keypairName: 'seed-key', group: 'g', billingCode: 'b-1' }), token('seed'));
      const [ready] = await waitFor(provider, [server!.id], ['ready'], 'the seeded server to be ready');
      expect(ready!.group).toBe('g');
      expect(ready!.keypairName).toBe('seed-key');
      const console = await provider.consoleOutput(server!.id);
      expect(console).toMatch(new RegExp(`local-hostname seeded-${RUN}`));
      expect(console).toMatch(/Cloud-init v\. \S+ finished at .*DataSourceNoCloud/);
      expect(console).toMatch(/wrote BOOTS.TXT on \/dev\/vda/);
      const disks = join(world.settings.poolDirectory, `${pool}-servers`);
      const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', join(disks, `seeded-${RUN}.root.qcow2`)], { encoding: 'utf8' }));
      expect(info['backing-filename']).toBe(join(world.settings.poolDirectory, pool, 'guest-base'));
      // The seed carries the public key as cloud-init's NoCloud meta-data, and is 0600 (it may hold a passphrase).
      const seed = join(disks, `seeded-${RUN}.seed.img`);
      expect(execFileSync('mtype', ['-i', seed, '::meta-data'], { encoding: 'utf8' })).toContain(key.split(' ')[1]);
      expect((await import('node:fs')).statSync(seed).mode & 0o777).toBe(0o600);

      // The default capture pauses the guest while its disk is copied (QEMU flushes it on pause): what the
      // server wrote to its own disk is in the image, which is standalone (no backing file).
      const image = await provider.captureImage(server!.id, { name: 'seeded-image' });
      expect(image.sourceImageId).toBe(`${pool}/guest-base`);
      expect(image.sourceServerId).toBe(server!.id);
      const captured = join(world.settings.poolDirectory, pool, 'seeded-image');
      const flat = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', captured], { encoding: 'utf8' }));
      expect(flat['backing-filename']).toBeUndefined();
      const raw = join(world.base, 'captured.raw');
      execFileSync('qemu-img', ['convert', '-O', 'raw', captured, raw]);
      expect(execFileSync('mtype', ['-i', raw, '::BOOTS.TXT'], { encoding: 'utf8' })).toMatch(/seeded/);
      expect((await provider.listServers([server!.id]))[0]!.phase).toBe('ready');
      // No-reboot copies it while it runs (crash-consistent), also standalone, and the server runs on.
      const live = await provider.captureImage(server!.id, { name: 'seeded-live', noReboot: true });
      expect(live.sourceServerId).toBe(server!.id);
      const liveInfo = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', join(world.settings.poolDirectory, pool, 'seeded-live')], { encoding: 'utf8' }));
      expect(liveInfo['backing-filename']).toBeUndefined();
      expect((await provider.listServers([server!.id]))[0]!.phase).toBe('ready');
      await provider.terminate(server!.id);
      expect(existsSync(join(disks, `seeded-${RUN}.root.qcow2`))).toBe(false);
      expect(existsSync(seed)).toBe(false);
    });

    it('refuses to delete an image that an overlay depends on, naming the server; a template deleted behind strata\'s back leaves its servers "image gone"', { timeout: TEST_MS }, async () => {
      // An own image with a server on it: the delete is refused with the server's name.
      const [onOwn] = await provider.launch(spec('on-own', `${pool}/guest-base`), token('own'));
      const refused = await expectStrataError(provider.deleteImage(`${pool}/guest-base`), 'Conflict');
      expect(refused.message).toMatch(/on-own/);
      expect(refused.message).toMatch(/overlay/);
      await provider.getImage(`${pool}/guest-base`);

      // A vendor template, deleted by its vendor while a server still runs on it.
      copyFileSync(guest, join(world.settings.poolDirectory, vendorPool, 'doomed-template'));
      const template = (await provider.listImages({ scope: 'vendor', query: 'doomed' })).items[0]!;
      expect(template.kind).toBe('vendor');
      await expectStrataError(provider.deleteImage(template.id), 'Unsupported');
      const [onTemplate] = await provider.launch(spec('on-template', template.id), token('vendor'));
      await waitFor(provider, [onTemplate!.id], UP, 'the server on the template to run');
      virsh('vol-delete', '--pool', vendorPool, 'doomed-template');
      await expectStrataError(provider.getImage(template.id), 'NotFound');
      // Still running (QEMU holds the file open), but flagged; once stopped it is failed, with that reason.
      const [running] = await provider.listServers([onTemplate!.id]);
      expect(UP).toContain(running!.phase);
      expect(running!.failureReason).toMatch(/image .* is gone/);
      expect(running!.imageGone).toBe(true);
      virsh('destroy', onTemplate!.id);
      const [stopped] = await provider.listServers([onTemplate!.id]);
      expect(stopped!.phase).toBe('failed');
      expect(stopped!.failureReason).toMatch(new RegExp(`image ${vendorPool}/doomed-template is gone: the backing file .* no longer exists`));
      // libvirt's own answer to starting it is the raw error this sentence replaces.
      expect(() => virsh('start', onTemplate!.id)).toThrow(/backing file/i);
      // A new launch from the gone template is refused before anything is made.
      await expectStrataError(provider.launch(spec('too-late', template.id), token('late')), 'Invalid', 'imageId');
      await provider.terminate(onTemplate!.id);
      await provider.terminate(onOwn!.id);
      await provider.deleteImage(`${pool}/seeded-image`);
    });

    it('puts a server behind its firewalls: a filter on its interface joins them, lets through what they allow and nothing else, and goes with the server', { timeout: TEST_MS }, async () => {
      const net = `10.213.${world.subnet}`;
      const firewall = await provider.createFirewall(`ssh-${RUN}`, [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: `${net}.0/24` }]);
      const [server] = await provider.launch(
        spec('walled', `${pool}/guest-base`, {
          firewallIds: [firewall.id],
          newFirewall: { name: `extra-${RUN}`, rules: [{ protocol: 'udp', fromPort: 53, toPort: 53, source: '10.0.0.0/8' }] },
          // The test guest takes an address from this comment and listens on ports 22 and 23 there.
          userData: `#cloud-config\n# strata-test-ip: ${net}.2/24\n`,
        }),
        token('fw'),
      );
      await waitFor(provider, [server!.id], ['ready'], 'the walled server to be ready');
      expect(await provider.consoleOutput(server!.id)).toMatch(/listening on 22 and 23/);
      expect(virsh('dumpxml', server!.id)).toMatch(new RegExp(`<filterref filter='strata-srv-walled-${RUN}'`));
      const filter = virsh('nwfilter-dumpxml', `strata-srv-walled-${RUN}`);
      expect(filter).toMatch(new RegExp(`filter='strata-fw-ssh-${RUN}'`));
      expect(filter).toMatch(new RegExp(`filter='strata-fw-extra-${RUN}'`));
      expect((await provider.listFirewalls()).map((f) => f.name)).toEqual(expect.arrayContaining([`ssh-${RUN}`, `extra-${RUN}`]));
      // From another guest on the network (bridged traffic passes the walled server's filter; the host's
      // own does not): port 22, which a rule allows from the network, answers; port 23 does not.
      const [client] = await provider.launch(
        spec('client', `${pool}/guest-base`, { userData: `#cloud-config\n# strata-test-ip: ${net}.3/24\n# strata-test-probe: ${net}.2 22 23\n` }),
        token('client'),
      );
      await waitFor(provider, [client!.id], ['ready'], 'the client to be ready');
      const probed = await provider.consoleOutput(client!.id);
      expect(probed).toContain(`probe ${net}.2:22 open`);
      expect(probed).toContain(`probe ${net}.2:23 closed`);
      await provider.terminate(client!.id);
      await provider.terminate(server!.id);
      expect(virsh('nwfilter-list')).not.toMatch(`strata-srv-walled-${RUN}`);
    });

    it('completes a launch cut short instead of repeating it: the same token never makes a second server of a name', { timeout: TEST_MS }, async () => {
      // The second server's define fails once, as if strata had been killed there.
      let killed = false;
      const flaky: Runner = async (file, args, options) => {
        const definesPair2 = file === 'virsh' && args.includes('define') && readFileSync(args[args.length - 1]!, 'utf8').includes(`<name>pair-${RUN}-2</name>`);
        if (definesPair2 && !killed) {
          killed = true;
          throw new Error('strata was killed here');
        }
        return execaRunner(file, args, options);
      };
      const cut = await createLibvirtProvider({ home: join(world.base, 'home'), libvirtUri: uri, libvirt: world.settings }, flaky);
      const t = token('cut');
      const pair = spec('pair', `${pool}/guest-base`, { count: 2 });
      await expect(cut.launch(pair, t)).rejects.toThrow(/killed/);
      const first = await provider.serversByToken(t);
      expect(first.map((s) => s.name)).toEqual([`pair-${RUN}-1`]);
      const both = await provider.launch(pair, t);
      expect(both.map((s) => s.name)).toEqual([`pair-${RUN}-1`, `pair-${RUN}-2`]);
      expect(both[0]!.id).toBe(first[0]!.id);
      expect((await provider.launch(pair, t)).map((s) => s.id)).toEqual(both.map((s) => s.id));
      const all: Server[] = await provider.listServers();
      expect(all.filter((s) => s.clientToken === t)).toHaveLength(2);
      for (const s of both) await provider.terminate(s.id);
    });

    it('refuses a name another server on the host has, and a network that is not active', { timeout: TEST_MS }, async () => {
      const [one] = await provider.launch(spec('taken', `${pool}/guest-base`), token('taken'));
      await expectStrataError(provider.launch(spec('taken', `${pool}/guest-base`), token('taken-2')), 'Invalid', 'name');
      await provider.terminate(one!.id);
      const offline = await createLibvirtProvider(
        { home: join(world.base, 'home'), libvirtUri: uri, libvirt: { ...world.settings, network: 'strata-no-such-network' } },
      );
      const error = await expectStrataError(offline.launch(spec('netless', `${pool}/guest-base`), token('net')), 'Invalid', 'network');
      expect(error.message).toMatch(/strata-no-such-network/);
    });

    it('imports an image file, refusing a missing file, an overlay and a taken name with sentences', { timeout: TEST_MS }, async () => {
      await expectStrataError(provider.importImage({ path: join(world.base, 'nope.qcow2'), name: 'x' }), 'Invalid', 'path');
      await expectStrataError(provider.importImage({ path: guest, name: 'guest-base' }), 'Invalid', 'name');
      const overlay = join(world.base, 'overlay.qcow2');
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', guest, overlay]);
      const error = await expectStrataError(provider.importImage({ path: overlay, name: 'an-overlay' }), 'Invalid', 'path');
      expect(error.message).toMatch(/overlay/);
      const raw = join(world.base, 'plain.raw');
      execFileSync('qemu-img', ['convert', '-O', 'raw', guest, raw]);
      const image = await provider.importImage({ path: raw, name: 'from-raw' });
      expect(image.platform).toBe('qcow2');
      expect(readFileSync(join(world.settings.poolDirectory, pool, 'from-raw')).subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
      await provider.deleteImage(image.id);
    });

    it('refuses a vendorPool that does not exist, naming it and where the name came from; makes it only when asked', { timeout: TEST_MS }, async () => {
      const missing = `strata-lv-${RUN}-no-vendor`;
      const home = join(world.base, 'home');
      try {
        const named = await createLibvirtProvider({ home, libvirtUri: uri, libvirt: { ...world.settings, vendorPool: missing } });
        const error = await expectStrataError(named.describe(), 'NotFound', 'libvirt.vendorPool');
        expect(error.message).toContain(missing);
        expect(error.message).toMatch(/libvirt\.vendorPool in config\.yaml/);
        expect(error.message).toMatch(new RegExp(`virsh -c \\S+ pool-define-as ${missing} dir --target`));
        // Nothing was made: the pool is still not there.
        expect(() => virsh('pool-info', missing)).toThrow(/not found|failed to get pool/i);
        const asked = await createLibvirtProvider({ home, libvirtUri: uri, libvirt: { ...world.settings, vendorPool: missing }, libvirtCreateVendorPool: true });
        await asked.describe();
        expect(virsh('pool-info', missing)).toMatch(/State:\s+running/);
        expect((await asked.listImages({ scope: 'vendor' })).items).toEqual([]);
      } finally {
        quietly(() => virsh('pool-destroy', missing));
        quietly(() => virsh('pool-undefine', missing));
      }
    });

    it('does not call a server\'s image gone when it is in a pool strata does not use and its file exists; gone is what libvirt does not have', { timeout: TEST_MS }, async () => {
      const foreign = `strata-lv-${RUN}-foreign`;
      const dir = join(world.base, 'foreign');
      try {
        virsh('pool-define-as', foreign, 'dir', '--target', dir);
        virsh('pool-build', foreign);
        virsh('pool-start', foreign);
        copyFileSync(guest, join(dir, 'foreign-guest'));
        virsh('pool-refresh', foreign);
        // Another strata on this host (another config) launches from its own vendor pool.
        const other = await createLibvirtProvider({ home: join(world.base, 'home-other'), libvirtUri: uri, libvirt: { ...world.settings, vendorPool: foreign } });
        const [server] = await other.launch(spec('foreign', `${foreign}/foreign-guest`), token('foreign'));
        const [seen] = await provider.listServers([server!.id]);
        expect(seen!.imageId).toBe(`${foreign}/foreign-guest`);
        expect(seen!.imageGone).toBeFalsy();
        expect(seen!.failureReason ?? '').not.toMatch(/gone/);
        // Asked for, it is not NotFound (which the screen takes for gone): strata does not know it.
        const looked = await provider.getImage(`${foreign}/foreign-guest`).then(
          (image) => image.id,
          (error: unknown) => error,
        );
        if (typeof looked !== 'string') {
          expect(looked).toBeInstanceOf(StrataError);
          expect((looked as StrataError).kind).not.toBe('NotFound');
          expect((looked as StrataError).message).toContain(foreign);
        }
        // What libvirt does not have is gone: a volume not in that pool, a pool the host does not have.
        await expectStrataError(provider.getImage(`${foreign}/no-such-volume`), 'NotFound');
        await expectStrataError(provider.getImage(`strata-lv-${RUN}-no-such-pool/x`), 'NotFound');
        await provider.terminate(server!.id);
      } finally {
        quietly(() => virsh('pool-destroy', foreign));
        quietly(() => virsh('pool-undefine', foreign));
      }
    });
  });
}
