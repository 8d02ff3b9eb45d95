// The libvirt provider on a real libvirtd: what a launch takes until the guest is ready, and what one poll
// of the monitor (listServers for every server) costs as servers are added, measured against the cheapest
// libvirt query there is (`virsh list --all`, one process) in the same go. Uses the test guest of
// scripts/libvirt-test-guest.sh (built on first use) in pools, a directory and no network of its own, with
// names of its own per run (as the tests have), and removes what it made afterwards — only that: other
// domains on the host, whatever their names, are left alone.
//
//   PATH=$PWD/node_modules/.bin:$PATH tsx bench/libvirt.mjs [--servers 6] [--polls 15] [--json]
//   (npm run bench:libvirt; needs libvirt and QEMU, as .ci/run installs them)
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execaRunner } from '../source/providers/libvirt/exec.ts';
import { LibvirtProvider } from '../source/providers/libvirt/index.ts';

const { values } = parseArgs({ options: { servers: { type: 'string', default: '6' }, polls: { type: 'string', default: '15' }, json: { type: 'boolean', default: false } } });
const servers = Number(values.servers);
const polls = Number(values.polls);
const uri = process.env.STRATA_LIBVIRT_URI ?? 'qemu:///system';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const guest = process.env.STRATA_LIBVIRT_TEST_GUEST ?? join(root, '.cache/libvirt-test-guest/test-guest.qcow2');
if (!existsSync(guest)) execFileSync(join(root, 'scripts/libvirt-test-guest.sh'), [dirname(guest)], { stdio: 'inherit' });

const virsh = (...args) => execFileSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** This run's names: two benches (or a bench and the tests) on one host do not meet. */
const RUN = Math.random().toString(36).slice(2, 7);
const base = mkdtempSync(join(tmpdir(), 'strata-bench-libvirt-'));
chmodSync(base, 0o755);
const pools = [`strata-bench-${RUN}`, `strata-bench-${RUN}-vendor`, `strata-bench-${RUN}-servers`];
const settings = { pool: pools[0], vendorPool: pools[1], poolDirectory: join(base, 'pools'), network: 'none', sizes: { test: { vcpus: 1, memoryMiB: 256, diskGiB: 1 } } };
/** The domains this run launched, by name: the only ones its cleanup removes. */
const made = new Set();
let calls = 0;
const counting = async (file, args, options) => {
  calls++;
  return execaRunner(file, args, options);
};
// The vendor pool is this run's own too (strata makes a vendor pool named in config.yaml only when asked).
const provider = new LibvirtProvider({ home: join(base, 'home'), libvirtUri: uri, libvirt: settings, libvirtCreateVendorPool: true }, counting);
const rows = [];
try {
  await provider.describe();
  const image = await provider.importImage({ path: guest, name: 'bench-base' });
  const ids = [];
  const launchToReady = [];
  for (let n = 1; n <= servers; n++) {
    const t0 = process.hrtime.bigint();
    const name = `bench-${RUN}-${n}`;
    made.add(name);
    const [server] = await provider.launch({ name, imageId: image.id, productId: 'test', firewallIds: [], count: 1 }, `bench-${RUN}-${n}`);
    const launched = ms(t0);
    ids.push(server.id);
    for (;;) {
      const [s] = await provider.listServers([server.id]);
      if (s.phase === 'ready') break;
      if (s.phase === 'failed') throw new Error(`${name} failed: ${s.failureReason}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    launchToReady.push({ launched, ready: ms(t0) });
    // One poll of the monitor (every server) against one `virsh list --all`, alternated.
    const poll = [];
    const ref = [];
    let perPoll = 0;
    for (let i = 0; i < polls; i++) {
      let t = process.hrtime.bigint();
      virsh('list', '--all');
      ref.push(ms(t));
      calls = 0;
      t = process.hrtime.bigint();
      await provider.listServers();
      poll.push(ms(t));
      perPoll = calls;
    }
    rows.push({ servers: n, pollMs: median(poll), referenceMs: median(ref), ratio: median(poll) / median(ref), processesPerPoll: perPoll });
  }
  const result = { date: new Date().toISOString(), uri, launchToReady, polls: rows };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`launch (define and start) ${launchToReady.map((l) => Math.round(l.launched)).join(', ')} ms; launch to ready ${launchToReady.map((l) => (l.ready / 1000).toFixed(1)).join(', ')} s`);
    console.log('servers  poll (median)  virsh list --all  ratio  processes per poll');
    for (const r of rows) console.log(`${String(r.servers).padStart(7)}  ${r.pollMs.toFixed(1).padStart(10)} ms  ${r.referenceMs.toFixed(1).padStart(13)} ms  ${r.ratio.toFixed(2).padStart(5)}x  ${r.processesPerPoll}`);
  }
} finally {
  // Only what this run made: its domains (by name, and with their disks in this run's directory), its pools.
  for (const name of virsh('list', '--all', '--name').split('\n').map((l) => l.trim()).filter((n) => made.has(n))) {
    let xml = '';
    try {
      xml = virsh('dumpxml', '--inactive', name);
    } catch {}
    if (!xml.includes(base)) continue;
    try {
      virsh('destroy', name);
    } catch {}
    try {
      virsh('undefine', name);
    } catch {}
  }
  for (const pool of pools) {
    try {
      virsh('pool-destroy', pool);
    } catch {}
    try {
      virsh('pool-undefine', pool);
    } catch {}
  }
  rmSync(base, { recursive: true, force: true });
}
