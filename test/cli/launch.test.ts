// strata launch: the TUI's launcher, journal and client token. Run twice with the same --token, at once or
// one after the other, or killed (SIGKILL) at any step and run again with the same token: exactly one set
// of servers, one firewall, one keypair; each server its own volume passphrase.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { sandboxFirewalls, sandboxServers, secretsFile, storeBytes } from '../services/launcher.fixture.js';
import { jsonOf, launchableImage, linesOf, newHome, recipeYaml, strata, strataSync } from './helpers.js';

const CRASH_HOOK = fileURLToPath(new URL('./fixtures/crash-at.mjs', import.meta.url));

function keypairs(home: string, name: string): unknown[] {
  const db = new DatabaseSync(join(home, 'sandbox.db'), { readOnly: true });
  try {
    return db.prepare("SELECT id FROM keypairs WHERE region = 'eu-west' AND name = ?").all(name);
  } finally {
    db.close();
  }
}

/** Everything a launch can make: a keypair (its key file in the home), a new firewall, two encrypted servers. */
function fullRecipe(home: string): string {
  const path = join(home, 'full.yaml');
  writeFileSync(
    path,
    recipeYaml(launchableImage(home), {
      name: 'app',
      count: 2,
      newFirewall: { name: 'crash-fw', rules: [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: '203.0.113.0/24' }] },
      keypair: { mode: 'create', name: 'crash-key', directory: home },
      volumes: { count: 1, sizeGiB: 5, raid: 'none', filesystem: 'ext4', mountPoint: '/data', encrypt: true },
    }),
  );
  return path;
}

describe('strata launch --token', () => {
  it('two at once with the same token make one set of servers, and both say which', async () => {
    const home = newHome();
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(launchableImage(home), { count: 3 }));
    const token = 'ci-build-4711';
    const [a, b] = await Promise.all([
      strata(['launch', '--recipe', recipe, '--token', token, '--json'], { home }),
      strata(['launch', '--recipe', recipe, '--token', token, '--json'], { home }),
    ]);
    const one = jsonOf<{ servers: { id: string }[]; how: string }>(a, 'launch');
    const two = jsonOf<{ servers: { id: string }[]; how: string }>(b, 'launch');
    expect(one.servers.map((s) => s.id).sort()).toEqual(two.servers.map((s) => s.id).sort());
    expect(sandboxServers(home, token).map((s) => s.client_token)).toEqual([`${token}-1`, `${token}-2`, `${token}-3`]);
    // Once more, later: found, nothing sent.
    const again = jsonOf<{ how: string; servers: { id: string }[] }>(await strata(['launch', '--recipe', recipe, '--token', token, '--json'], { home }), 'launch');
    expect(again.how).toBe('found');
    expect(sandboxServers(home, token)).toHaveLength(3);
    // The same token for another request is refused, with a sentence.
    const other = await strata(['launch', '--recipe', recipe, '--token', token, '--set', 'name=other'], { home });
    expect(other.code).toBe(4);
    expect(other.stderr).toMatch(/^strata: Token ci-build-4711 belongs to another launch \(web\); a new launch needs a new token\./);
  });

  it('without --token: the token is made and said first; an interrupted launch of the same request is not started again under a new one', async () => {
    const home = newHome();
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(launchableImage(home)));
    const killed = await strata(['launch', '--recipe', recipe, '--ndjson'], { home, nodeArgs: ['--import', CRASH_HOOK], env: { STRATA_TEST_CRASH_AT: 'sending' } });
    expect(killed.signal).toBe('SIGKILL');
    const token = (linesOf({ ...killed, stdout: killed.stdout.split('\n').filter((l) => l.includes('"launch-token"')).join('\n') })[0] as { clientToken: string }).clientToken;
    const twice = await strata(['launch', '--recipe', recipe], { home });
    expect(twice.code).toBe(4);
    expect(twice.stderr).toContain(`An interrupted launch of this same request is in the journal (token ${token}, sent`);
    expect(twice.stderr).toContain(`Run again with --token ${token} to take it up`);
    const taken = jsonOf<{ how: string }>(await strata(['launch', '--recipe', recipe, '--token', token, '--json'], { home }), 'launch');
    expect(taken.how).toBe('launched');
    expect(sandboxServers(home, token)).toHaveLength(1);
  });

  it('--ndjson: the token, each step of the launcher, then the result', async () => {
    const home = newHome();
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(launchableImage(home), { count: 2 }));
    const r = await strata(['launch', '--recipe', recipe, '--ndjson'], { home });
    expect(r.code, r.stderr).toBe(0);
    const lines = linesOf(r);
    expect(lines[0]!.kind).toBe('launch-token');
    const steps = lines.filter((l) => l.kind === 'launch-progress').map((l) => (l.request ? `${String(l.step)}#${(l.request as { index: number }).index}` : String(l.step)));
    expect(steps).toEqual(['validating', 'journal', 'sending#1', 'answered#1', 'sending#2', 'answered#2', 'recording', 'done']);
    expect(lines.at(-1)).toMatchObject({ kind: 'launch', how: 'launched' });
  });
});

describe('strata launch killed (SIGKILL) at every step and run again with the same token', () => {
  const STEPS = [
    'validating',
    'journal',
    'keypair',
    'keypair:made',
    'firewall',
    'firewall:made',
    'passphrase#1',
    'passphrase#2',
    'sending#1',
    'answered#1',
    'sending#2',
    'answered#2',
    'recording',
    'done',
  ];
  for (const step of STEPS) {
    it(`at ${step}: one set of servers, one firewall, one keypair; each server its own passphrase`, async () => {
      const home = newHome();
      const recipe = fullRecipe(home);
      const token = `crash-${step.replace(/[^a-z0-9]/g, '-')}`;
      const killed = await strata(['launch', '--recipe', recipe, '--token', token, '--ndjson'], {
        home,
        nodeArgs: ['--import', CRASH_HOOK],
        env: { STRATA_TEST_CRASH_AT: step },
      });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(killed.stderr).toBe(`crashing at ${step}\n`);

      const again = await strata(['launch', '--recipe', recipe, '--token', token, '--json'], { home });
      const doc = jsonOf<{ how: string; servers: { id: string; name: string }[]; keyFile: { path: string } }>(again, 'launch');
      expect(doc.servers.map((s) => s.name)).toEqual(['app-1', 'app-2']);
      // What the second run says it did: the launch anew where nothing was written, else taken up.
      expect(doc.how).toBe(
        step === 'validating' || step === 'journal'
          ? 'launched'
          : step === 'done'
            ? 'found'
            : ['answered#2', 'recording'].includes(step)
              ? 'adopted'
              : ['answered#1', 'sending#2'].includes(step)
                ? 'completed'
                : 'launched',
      );
      expect(doc.keyFile.path).toBe(join(home, 'crash-key'));

      // A third run finds it done and makes nothing.
      expect(jsonOf<{ how: string }>(await strata(['launch', '--recipe', recipe, '--token', token, '--json'], { home }), 'launch').how).toBe('found');

      const rows = sandboxServers(home, token);
      expect(rows.map((r) => [r.name, r.client_token])).toEqual([
        ['app-1', `${token}-1`],
        ['app-2', `${token}-2`],
      ]);
      expect(sandboxFirewalls(home, 'eu-west').filter((f) => f.name === 'crash-fw')).toHaveLength(1);
      expect(keypairs(home, 'crash-key')).toHaveLength(1);
      const secrets = secretsFile(home);
      const passphrases = rows.map((r) => secrets[`luks:${r.id}`]!);
      expect(passphrases[0]).not.toBe(passphrases[1]);
      rows.forEach((r, i) => expect(r.user_data).toContain(passphrases[i]!));
      for (const p of passphrases) expect(storeBytes(home)).not.toContain(p);
      const servers = jsonOf<{ servers: unknown[] }>(strataSync(['servers', '--json'], { home }), 'servers');
      expect(servers.servers).toHaveLength(2);
    });
  }
});
