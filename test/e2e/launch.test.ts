// End-to-end launches: the form filled with the keyboard in a real terminal, on the sandbox, and the
// server found at the provider with exactly what was chosen — once, even when strata is killed mid-launch.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import type { Server } from '../../source/core/types.js';
import { startApp, useAppCleanup, type App } from './harness.js';

useAppCleanup();

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Secrets go to the file store: no keychain probe in these tests (the keychain has tests of its own). */
const ENV = { NO_COLOR: '1', STRATA_SECRETS: 'file' };

async function serversNamed(home: string, prefix: string): Promise<Server[]> {
  const provider = await createSandboxProvider({ home, region: 'eu-west' });
  try {
    return (await provider.listServers()).filter((s) => s.name.startsWith(prefix));
  } finally {
    await provider.close();
  }
}

/** Selects an own image by filtering for its name, and opens the launch form on it. */
async function openForm(app: App, imageName: string): Promise<void> {
  await app.waitForText(/ 1\/\d+/);
  app.press('/');
  app.write(imageName);
  await app.waitForText(new RegExp(`^/${imageName}`, 'm'));
  app.press('enter');
  await app.waitForText(`filter /${imageName}`);
  app.press('l');
  await app.waitForText(`Launch from ${imageName}`);
  await app.waitForText(/^> Name \*/m);
}

/** Replaces the focused text field's content. */
function retype(app: App, text: string): void {
  app.press('ctrl+u');
  app.write(text);
}

describe('launching from the form', () => {
  it('fills every section with the keyboard, launches, and the provider has exactly that server, once', async () => {
    const home = tempDir('strata-e2e-launch-');
    const sshDir = tempDir('strata-e2e-ssh-');
    const app = startApp({ home, env: ENV });
    await openForm(app, 'Postgres primary');

    retype(app, 'e2e-db'); // name
    app.press('tab'); // count stays 1
    app.press('tab'); // size: pick the second size of the list
    app.press('enter');
    await app.waitForText('Pick one (type to filter)');
    app.press(['down', 'enter']);
    await app.waitForNoText('Pick one (type to filter)');
    const size = /Size \*\s+(\S+)/.exec(app.screen())![1];
    // The picker moved on to the firewalls: the default one is ticked already.
    await app.waitForText(/^> Firewalls\s+default/m);
    app.press('tab'); // new firewall
    app.press('space');
    await app.waitForText('its name *');
    app.press('tab');
    app.write('e2e-fw');
    app.press('tab');
    retype(app, 'tcp 22 203.0.113.0/24, tcp 443 0.0.0.0/0');
    app.press('tab'); // keypair: none by default (never a root key nobody chose); then existing, then create at launch
    await app.waitForText(/^> Keypair\s+\[none\]/m);
    app.press(['right', 'right']);
    await app.waitForText(/\[create at launch\]/);
    app.press('tab');
    app.write('e2e-key');
    app.press('tab');
    retype(app, sshDir);
    app.press('tab');
    app.write('e2e-group');
    app.press('tab');
    app.write('cc-e2e');
    app.press('tab'); // volumes on
    app.press('space');
    await app.waitForText('how many *');
    app.press('tab');
    retype(app, '2');
    app.press('tab');
    retype(app, '50');
    app.press('tab'); // RAID: 1 is the default in a rich region
    await app.waitForText(/RAID \*\s+none\s+0\s+\[1\]/);
    app.press('tab'); // filesystem: xfs
    app.press('right');
    await app.waitForText(/\[xfs\]/);
    app.press('tab');
    retype(app, '/srv/data');
    app.press('tab'); // encrypt
    app.press('space');
    await app.waitForText(/encrypt\s+\[x\]/);
    await app.waitForText('Ready to review (Ctrl+R)');

    app.press('ctrl+r');
    const review = await app.waitForText('The request the provider will receive');
    expect(review).toMatch(/Volumes: 2 x 50 GiB, RAID 1, xfs at \/srv\/data, encrypted/);
    const token = /Client token ([0-9a-f-]{36})/.exec(review)![1];
    app.press('L');
    const done = await app.waitForText(/Launched: 1 server \(token/, { timeout: 20_000 });
    expect(done).toContain(`Private key: ${join(sshDir, 'e2e-key')} (mode 0600`);
    expect(done).toMatch(/Fingerprint: SHA256:/);
    expect(done).toMatch(/Volume passphrase: kept in the file .*secrets\.json/);

    // The provider has exactly one server from this launch, with exactly what the form said.
    const servers = await serversNamed(home, 'e2e-db');
    expect(servers).toHaveLength(1);
    const [server] = servers;
    expect(server.clientToken).toBe(token);
    expect(server.productId).toBe(size);
    expect(server.keypairName).toBe('e2e-key');
    expect(server.group).toBe('e2e-group');
    expect(server.billingCode).toBe('cc-e2e');
    expect(server.volumes).toEqual({ count: 2, sizeGiB: 50, raid: '1', filesystem: 'xfs', mountPoint: '/srv/data', encrypt: true });
    expect(server.firewallIds).toHaveLength(2);
    const provider = await createSandboxProvider({ home, region: 'eu-west' });
    const firewalls = await provider.listFirewalls();
    await provider.close();
    const names = server.firewallIds.map((id) => firewalls.find((f) => f.id === id)?.name);
    expect(names.sort()).toEqual(['default', 'e2e-fw']);
    expect(firewalls.find((f) => f.name === 'e2e-fw')?.rules).toHaveLength(2);
    // The private key is readable by its owner alone.
    expect(statSync(join(sshDir, 'e2e-key')).mode & 0o777).toBe(0o600);

    app.press('esc');
    await app.waitForText(/ 1\/\d+/);
  });

  it('killed right after the request is sent, strata adopts the server when it starts again: still exactly one', async () => {
    const home = tempDir('strata-e2e-crash-');
    // The launch's answer takes 5 s to come back: strata is killed while it is on its way.
    const first = startApp({ home, env: ENV, args: ['--sandbox-latency', '5000'] });
    await openForm(first, 'Postgres primary');
    retype(first, 'e2e-crash');
    first.press('ctrl+r');
    const review = await first.waitForText('The request the provider will receive');
    const token = /Client token ([0-9a-f-]{36})/.exec(review)![1];
    first.press('L');
    const provider = await createSandboxProvider({ home, region: 'eu-west' });
    try {
      const deadline = Date.now() + 15_000;
      while ((await provider.serversByToken(token)).length === 0) {
        if (Date.now() > deadline) throw new Error(`the launch never reached the sandbox; the screen was:\n${first.screen()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(first.exitStatus()).toBeUndefined();
      first.kill('SIGKILL');
      await first.waitForExit();

      const second = startApp({ home, env: ENV });
      await second.waitForText(/An interrupted launch of "e2e-crash" .*adopted srv-/, { timeout: 20_000 });
      expect(await provider.serversByToken(token)).toHaveLength(1);
      expect((await provider.listServers()).filter((s) => s.name.startsWith('e2e-crash'))).toHaveLength(1);
      second.press('q');
      await second.waitForExit();
    } finally {
      await provider.close();
    }
  });
});
