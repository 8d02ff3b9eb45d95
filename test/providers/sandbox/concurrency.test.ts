// Two strata processes at once on one home: the world is created once, and a launch with one client token
// starts exactly one set of servers however many processes send it at the same moment.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../../source/providers/sandbox/index.js';
import { pollUntil } from '../../contract/contract.js';
import { ownAvailable, useSandbox } from './helpers.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const node = join(root, 'node_modules', '.bin', 'node');
const child = join(import.meta.dirname, 'fixtures', 'launch-child.ts');

function spawnLauncher(home: string, token: string, readyFile: string, goFile: string, count: number) {
  return run(node, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', child, home, token, readyFile, goFile, String(count)], {
    cwd: root,
    timeout: 60_000,
  }).then(({ stdout }) => JSON.parse(stdout.trim()) as { ids: string[]; publicNames: string[] });
}

describe('sandbox concurrency', () => {
  const { home, open } = useSandbox();

  it('starts one set of servers when processes launch with the same token at the same moment', { timeout: 90_000 }, async () => {
    const dir = home();
    const goFile = join(dir, 'go');
    // The children open a home no one created yet: they race to create the world too.
    const readyFiles = [1, 2, 3].map((n) => join(dir, `ready-${n}`));
    const children = readyFiles.map((ready) => spawnLauncher(dir, 'race-token', ready, goFile, 4));
    // Wait until every child has opened the sandbox and waits for the signal, then start them together;
    // this process joins the race as well.
    const provider = await open({ home: dir });
    const image = await ownAvailable(provider);
    await pollUntil(async () => readyFiles.every((f) => existsSync(f)), (ready) => ready, { timeoutMs: 60_000, intervalMs: 20, what: 'the child processes to be ready' });
    writeFileSync(goFile, '');
    const mine = await provider
      .launch({ name: 'race', imageId: image.id, productId: 'sb.small', firewallIds: [], count: 4 }, 'race-token')
      .then((servers) => servers.map((s) => s.id));
    const results = await Promise.all(children);

    for (const result of results) expect(result.ids).toEqual(mine);
    const servers = await provider.listServers();
    expect(servers).toHaveLength(4);
    expect(servers.map((s) => s.id).sort()).toEqual([...mine].sort());
    // Every process computed the same public catalogue from the shared seed.
    for (const result of results) expect(result.publicNames).toEqual(results[0].publicNames);
    const inProcess = (await provider.listImages({ scope: 'public', query: 'bitnami', pageSize: 20 })).items.map((i) => i.name);
    expect(results[0].publicNames).toEqual(inProcess);
  });

  it('starts one set per token when two providers in one process launch at once', async () => {
    const dir = home();
    const a = await open({ home: dir });
    const b = await createSandboxProvider({ home: dir });
    try {
      const image = await ownAvailable(a);
      const spec = { name: 'pair', imageId: image.id, productId: 'sb.small', firewallIds: [], count: 2 };
      const [x, y, z] = await Promise.all([a.launch(spec, 't-1'), b.launch(spec, 't-1'), b.launch(spec, 't-2')]);
      expect(y.map((s) => s.id)).toEqual(x.map((s) => s.id));
      expect(z.map((s) => s.id)).not.toEqual(x.map((s) => s.id));
      expect(await a.listServers()).toHaveLength(4);
    } finally {
      await b.close();
    }
  });
});
