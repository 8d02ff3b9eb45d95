// A vendor pool that config.yaml names and libvirt does not have is never made silently: opening libvirt
// says so and asks; y makes it (and the session opens), n leaves it. Against the real libvirtd where one
// answers (CI); skipped with a line elsewhere, unless STRATA_REQUIRE_LIBVIRT=1.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Command } from '../keys.js';
import { start } from './harness.js';

const uri = process.env.STRATA_LIBVIRT_URI ?? 'qemu:///system';
const answers = process.env.STRATA_SKIP_LIBVIRT !== '1' && spawnSync('virsh', ['-c', uri, 'version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
if (!answers && process.env.STRATA_REQUIRE_LIBVIRT === '1') throw new Error(`libvirt at ${uri} does not answer, and STRATA_REQUIRE_LIBVIRT=1 wants this test run.`);
if (!answers) console.log(`libvirt vendor pool (UI): skipped, libvirt at ${uri} does not answer (or STRATA_SKIP_LIBVIRT=1).`);

const run = `vp${Date.now().toString(36).slice(-5)}${process.pid}`;
// The own pool, the servers' pool strata names after it, and the vendor pool.
const pools = [run, `${run}-servers`, `${run}-vendor`];
const dirs: string[] = [];

afterEach(() => {
  for (const pool of pools) {
    spawnSync('virsh', ['-c', uri, 'pool-destroy', pool], { stdio: 'ignore' });
    spawnSync('virsh', ['-c', uri, 'pool-undefine', pool], { stdio: 'ignore' });
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!answers)('libvirt: a vendor pool config.yaml names that does not exist', () => {
  it('is not made silently: strata asks, and y makes it', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-vendor-pool-'));
    dirs.push(dir);
    process.env.STRATA_LIBVIRT_URI = uri;
    const h = await start({
      config: { billingCodes: {}, groups: [], trustedVendorOwners: [], libvirt: { pool: pools[0], vendorPool: pools[2], poolDirectory: dir, network: 'none' } },
    });
    await h.waitFor('img-');
    await h.command('global', Command.CommandLine);
    await h.type('provider libvirt');
    await h.command('command', Command.Submit);
    await h.waitFor((f) => f.replace(/\s+/g, ' ').includes(`The vendor pool "${pools[2]}"`) && f.includes('Press y to create it'), 'the question', 60_000);
    // Nothing was made before the answer.
    expect(spawnSync('virsh', ['-c', uri, 'pool-info', pools[2]], { stdio: 'ignore' }).status).not.toBe(0);
    await h.command('confirm', Command.Confirm);
    await h.waitFor(() => h.controller.state.session.providerId === 'libvirt' && h.controller.state.session.status === 'ready', 'the libvirt session', 60_000);
    expect(execFileSync('virsh', ['-c', uri, 'pool-info', pools[2]], { encoding: 'utf8' })).toMatch(/State:\s+running/);
  });
});
