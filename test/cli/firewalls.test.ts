// strata firewalls and strata firewall delete against the real sandbox, as a script runs them: the table and
// the JSON (checked against the schema the binary prints), the firewall a launch made listed as strata's
// with the server that uses it, a delete refused without the name typed, refused while the firewall is in
// use (the server named, exit status 4), then done once the server is terminated (audited).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOf, launchableImage, linesOf, newHome, recipeYaml, strata, strataSync } from './helpers.js';

type FirewallsDoc = {
  count: number;
  firewalls: { id: string; name: string; usedBy: { id: string; name: string }[]; madeByStrata: boolean; launch: string | null; default: boolean; deletable: boolean; refusal: string | null }[];
};

describe('strata firewalls and firewall delete', () => {
  it('lists, refuses and deletes as the TUI does', async () => {
    const home = newHome();
    const table = strataSync(['firewalls'], { home });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+USED BY\s+STRATA\s+RULES$/);
    expect(lines.find((l) => /\sdefault\s/.test(l))).toMatch(/default\s+-\s+no\s+1$/);

    // A launch that makes its own firewall.
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(launchableImage(home), { name: 'web', newFirewall: { name: 'web-fw', rules: [{ protocol: 'tcp', fromPort: 443, toPort: 443, source: '10.0.0.0/8' }] } }));
    const launched = await strata(['launch', '--recipe', recipe, '--json'], { home });
    const launch = jsonOf<{ clientToken: string; servers: { id: string; name: string }[] }>(launched, 'launch');
    const server = launch.servers[0]!;

    const doc = jsonOf<FirewallsDoc>(strataSync(['firewalls', '--json'], { home }), 'firewalls');
    expect(doc.count).toBe(doc.firewalls.length);
    const made = doc.firewalls.find((f) => f.name === 'web-fw')!;
    expect(made).toMatchObject({ madeByStrata: true, launch: launch.clientToken, default: false, deletable: false, usedBy: [{ id: server.id, name: 'web' }] });
    expect(doc.firewalls.find((f) => f.name === 'default')).toMatchObject({ default: true, deletable: false, madeByStrata: false });
    const shown = strataSync(['firewalls'], { home }).stdout;
    expect(shown).toMatch(new RegExp(`${made.id}\\s+web-fw\\s+1: web\\s+yes\\s+1`));
    const rows = linesOf(strataSync(['firewalls', '--ndjson'], { home }));
    expect(rows.filter((r) => r.kind === 'firewall-row')).toHaveLength(doc.count);
    expect(strataSync(['firewalls', '--ids'], { home }).stdout.trimEnd().split('\n')).toEqual(doc.firewalls.map((f) => f.id));

    // In use: refused, the server named, whatever is typed.
    const inUse = strataSync(['firewall', 'delete', made.id, '--confirm', 'web-fw'], { home });
    expect(inUse.code).toBe(4);
    expect(inUse.stderr).toBe('strata: web-fw is in use by server web; terminate it first. Nothing was deleted.\n');

    expect(strataSync(['server', 'terminate', server.id, '--confirm', 'web'], { home }).code).toBe(0);
    // Without the name, or with the id, or another word: refused, nothing deleted.
    const none = strataSync(['firewall', 'delete', made.id], { home });
    expect(none.code).toBe(4);
    expect(none.stderr).toBe(`strata: Deleting ${made.id} needs --confirm "web-fw" (the firewall's name, as the TUI makes you type it); without a terminal there is no prompt.\n`);
    const byId = strataSync(['firewall', 'delete', made.id, '--confirm', made.id, '--json'], { home });
    expect(byId.code).toBe(4);
    expect(jsonOf(byId, 'error')).toMatchObject({ exitCode: 4, error: 'That is the id, not the name; type web-fw exactly. Nothing was deleted.' });
    expect(strataSync(['firewall', 'delete', made.id, '--confirm', 'web'], { home }).stderr).toBe('strata: That is not the name; type web-fw exactly. Nothing was deleted.\n');
    expect(strataSync(['firewalls', '--ids'], { home }).stdout).toContain(made.id);

    // Read-only: refused before anything is asked.
    const ro = strataSync(['firewall', 'delete', made.id, '--confirm', 'web-fw', '--read-only'], { home });
    expect(ro.code).toBe(4);
    expect(ro.stderr).toBe('strata: Read-only session: strata does not delete firewalls here (it was started with --read-only).\n');

    const deleted = strataSync(['firewall', 'delete', made.id, '--confirm', 'web-fw', '--json'], { home });
    expect(jsonOf(deleted, 'firewall-changed')).toMatchObject({ action: 'deleted', firewall: { id: made.id, name: 'web-fw', madeByStrata: true } });
    expect(strataSync(['firewalls', '--ids'], { home }).stdout).not.toContain(made.id);
    const audit = jsonOf<{ entries: { action: string; target: string }[] }>(strataSync(['audit', '--action', 'firewall.deleted', '--json'], { home }), 'audit');
    expect(audit.entries.map((e) => e.target)).toEqual([made.id]);
    expect(strataSync(['firewall', 'delete', made.id, '--confirm', 'web-fw'], { home }).code).toBe(3);
  });
});
