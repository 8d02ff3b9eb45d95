// The destructive actions ask first: terminating a server wants its name typed, deleting an image wants
// its id typed and names what depends on it. A wrong answer changes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import type { ProviderService } from '../../source/providers/provider.js';
import { start } from './harness.js';
import { Command } from '../../source/ui/keymap.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** A home with one server launched from an own image; returns the image and the server. */
async function world(): Promise<{ home: string; provider: ProviderService; imageId: string; imageName: string; serverId: string; serverName: string }> {
  const home = mkdtempSync(join(tmpdir(), 'strata-destructive-'));
  homes.push(home);
  const provider = await createSandboxProvider({ home, region: 'eu-west', sandboxSpeed: 2000 });
  const { items } = await provider.listImages({ scope: 'own', pageSize: 500 });
  const image = items.find((i) => i.state === 'available' && i.architecture === 'x86_64' && !/[^\x20-\x7e]/.test(i.displayName ?? i.name))!;
  const product = (await provider.listProducts()).find((p) => p.architecture === image.architecture)!;
  const [server] = await provider.launch({ name: 'victim', imageId: image.id, productId: product.id, firewallIds: [], count: 1 }, 'destructive-test-1');
  return { home, provider, imageId: image.id, imageName: image.displayName ?? image.name, serverId: server.id, serverName: server.name };
}

describe('destructive actions', () => {
  it('terminate asks for the server name; a wrong one is refused and nothing happens', async () => {
    const w = await world();
    const h = await start({ home: w.home });
    await h.waitFor('img-');
    await h.press('tab');
    await h.waitFor(w.serverId);
    await h.command('monitor', Command.Terminate);
    await h.waitFor('Type victim and Enter to terminate it');
    await h.type('not-the-name');
    await h.press('enter');
    await h.waitFor('That is not the name; type victim exactly.');
    expect((await w.provider.listServers([w.serverId]))[0].phase).not.toBe('terminated');
    await h.press('ctrl+u');
    await h.type(w.serverName);
    await h.press('enter');
    await h.waitFor(`Terminating ${w.serverName}`);
    expect((await w.provider.listServers([w.serverId]))[0].phase).toBe('terminated');
    await w.provider.close();
  });

  it('deleting an image names the server that depends on it and wants the id typed', async () => {
    const w = await world();
    const h = await start({ home: w.home });
    await h.waitFor('img-');
    // The monitor has seen the server (it watches from the start); pick the image.
    await h.waitFor(() => h.controller.state.monitor.servers.some((s) => s.id === w.serverId), 'the server in the monitor');
    await h.press('/');
    await h.type(w.imageId);
    await h.press('enter');
    await h.waitFor(`filter /${w.imageId}`);
    await h.command('list', Command.DeleteImage);
    const prompt = await h.waitFor(/Type img-\S+ and Enter to delete it/);
    // The instruction comes first, then what depends on it, whole (wrapped, never cut).
    expect(prompt.replace(/\s+/g, ' ')).toContain(`Type ${w.imageId} and Enter to delete it (Esc cancels). 1 depends on it and will stand on a deleted image: server victim (${w.serverId}).`);
    await h.type(w.imageName);
    await h.command('prompt', Command.Submit);
    await h.waitFor(`That is the name, not the id; type ${w.imageId} exactly.`);
    await h.press('ctrl+u');
    await h.type('img-wrong');
    await h.command('prompt', Command.Submit);
    await h.waitFor(`That is not the id; type ${w.imageId} exactly.`);
    expect((await w.provider.getImage(w.imageId)).id).toBe(w.imageId);
    await h.press('ctrl+u');
    await h.type(w.imageId);
    await h.press('enter');
    await h.waitFor(`Deleted ${w.imageId}; 1 dependant now stands on a deleted image`);
    await expect(w.provider.getImage(w.imageId)).rejects.toMatchObject({ kind: 'NotFound' });
    await w.provider.close();
  });

  it('a vendor template cannot be deleted from here: it is not yours', async () => {
    const h = await start({ scope: 'vendor' });
    await h.waitFor('img-v-');
    await h.command('list', Command.DeleteImage);
    await h.waitFor(/is not yours to delete \(a vendor image\)/);
  });
});
