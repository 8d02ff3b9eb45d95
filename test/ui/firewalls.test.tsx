// :firewalls in the TUI, on the real sandbox: the list (name, id, used by, made by strata), a firewall in use
// refused with the servers named, one nothing uses deleted after its name is typed (a wrong name refused,
// nothing deleted), read-only refusing with its sentence, Esc closing. Drawn whole at 80x24 and 60x20.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import type { ProviderService } from '../../source/providers/provider.js';
import { widthOf } from '../../source/ui/components/text.js';
import { Command } from '../../source/ui/keymap.js';
import { start, type Harness } from './harness.js';

const homes: string[] = [];
const providers: ProviderService[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) await p.close();
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

const RULES = [{ protocol: 'tcp' as const, fromPort: 443, toPort: 443, source: '10.0.0.0/8' }];

/** A home where a launch made firewall "app-fw" (its server runs) and another launch's "old-fw" (its server terminated). */
async function world() {
  const home = mkdtempSync(join(tmpdir(), 'strata-ui-firewalls-'));
  homes.push(home);
  const provider = await createSandboxProvider({ home, region: 'eu-west' });
  providers.push(provider);
  const { items } = await provider.listImages({ scope: 'own', pageSize: 500 });
  const image = items.find((i) => i.state === 'available' && i.architecture === 'x86_64')!;
  const product = (await provider.listProducts()).find((p) => p.architecture === image.architecture)!;
  const base = { imageId: image.id, productId: product.id, firewallIds: [], count: 1 };
  const [app] = await provider.launch({ ...base, name: 'app', newFirewall: { name: 'app-fw', rules: RULES } }, 'ui-fw-1');
  const [old] = await provider.launch({ ...base, name: 'old', newFirewall: { name: 'old-fw', rules: RULES } }, 'ui-fw-2');
  await provider.terminate(old!.id);
  const id = async (name: string) => (await provider.listFirewalls()).find((f) => f.name === name)?.id;
  return { home, provider, app: app!, appFw: (await id('app-fw'))!, oldFw: (await id('old-fw'))!, id };
}

async function openFirewalls(h: Harness): Promise<string> {
  await h.waitFor('img-');
  await h.command('global', Command.CommandLine);
  await h.type('firewalls');
  await h.command('command', Command.Submit);
  return h.waitFor((f) => f.includes('Firewalls of Sandbox cloud eu-west (') && f.includes('old-fw'), 'the firewalls listed');
}

/** Moves the selection onto a firewall by name. */
async function select(h: Harness, name: string): Promise<void> {
  await h.command('firewalls', Command.Top);
  for (let i = 0; i < 10 && !new RegExp(`^> .*${name}`, 'm').test(h.frame()); i++) await h.command('firewalls', Command.Down);
  await h.waitFor(new RegExp(`^> .*${name}`, 'm'), `${name} selected`);
}

function fits(frame: string, columns: number, rows: number) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const line of lines) expect(widthOf(line), line).toBeLessThanOrEqual(columns);
}

describe(':firewalls', () => {
  it('lists who uses each firewall and whether strata made it; refuses one in use; deletes one after its name is typed', async () => {
    const w = await world();
    const h = await start({ home: w.home, columns: 80, rows: 24 });
    const frame = await openFirewalls(h);
    fits(frame, 80, 24);
    expect(frame).toMatch(/NAME\s+ID\s+USED BY\s+STRATA/);
    expect(frame).toMatch(new RegExp(`app-fw\\s+${w.appFw}\\s+1: app\\s+yes`));
    expect(frame).toMatch(new RegExp(`old-fw\\s+${w.oldFw}\\s+-\\s+yes`));
    expect(frame).toMatch(/default\s+sg-\S+\s+-\s+no/);

    // In use: d is refused, the server named; nothing is asked.
    await select(h, 'app-fw');
    await h.waitFor('app-fw is in use by server app; terminate it first.');
    await h.command('firewalls', Command.DeleteFirewall);
    await h.waitFor((f) => !f.includes('Type app-fw'), 'no prompt');
    expect(h.controller.state.overlay?.kind).toBe('firewalls');
    expect(await w.id('app-fw')).toBe(w.appFw);

    // Nothing uses old-fw: its name typed deletes it; a wrong name first is refused.
    await select(h, 'old-fw');
    await h.command('firewalls', Command.DeleteFirewall);
    const prompt = await h.waitFor(`Type old-fw and Enter to delete firewall old-fw (${w.oldFw})`);
    fits(prompt, 80, 24);
    await h.type(w.oldFw);
    await h.command('prompt', Command.Submit);
    await h.waitFor('That is the id, not the name; type old-fw exactly.');
    expect(await w.id('old-fw')).toBe(w.oldFw);
    await h.command('prompt', Command.DeleteToStart);
    await h.type('old-fw');
    await h.command('prompt', Command.Submit);
    await h.waitFor(`Deleted firewall old-fw (${w.oldFw}).`);
    await h.waitFor((f) => f.includes('Firewalls of Sandbox cloud eu-west (3)') && !/old-fw\s+sg-/.test(f), 'old-fw gone from the list');
    expect(await w.id('old-fw')).toBeUndefined();
    expect(h.db.audit.list({ limit: 10, action: 'firewall.deleted' }).map((e) => e.target)).toEqual([w.oldFw]);

    // Esc closes it.
    await h.command('firewalls', Command.Close);
    await h.waitFor((f) => !f.includes('Firewalls of'), 'the list closed');
    expect(h.controller.state.overlay).toBeUndefined();
  });

  it('Esc in the prompt goes back to the list and deletes nothing', async () => {
    const w = await world();
    const h = await start({ home: w.home, columns: 60, rows: 20 });
    fits(await openFirewalls(h), 60, 20);
    await select(h, 'old-fw');
    await h.command('firewalls', Command.DeleteFirewall);
    fits(await h.waitFor('Type old-fw and Enter'), 60, 20);
    await h.type('old-fw');
    await h.command('prompt', Command.Cancel);
    await h.waitFor((f) => !f.includes('Type old-fw') && f.includes('Firewalls of'), 'back to the list');
    expect(h.controller.state.overlay?.kind).toBe('firewalls');
    expect(await w.id('old-fw')).toBe(w.oldFw);
  });

  it('at 60x20 the selected firewall is said whole: why d cannot delete it, its description and who made it', async () => {
    const w = await world();
    const h = await start({ home: w.home, columns: 60, rows: 20 });
    await openFirewalls(h);
    await select(h, 'default');
    const frame = await h.waitFor((f) => f.replace(/\s+/g, ' ').includes('1 inbound rule · not made by strata'), 'the detail whole', 10_000);
    fits(frame, 60, 20);
    expect(frame.replace(/\s+/g, ' ')).toContain("default is the provider's default firewall, which is never deleted.");
  });

  it('on sources, the list says whose firewalls they are (the source and region)', async () => {
    const w = await world();
    const h = await start({ home: w.home, sources: [{ name: 'lab', provider: 'sandbox', home: w.home, regions: ['eu-west'] }], open: true });
    await h.waitFor('lab ok');
    await h.command('global', Command.CommandLine);
    await h.type('firewalls');
    await h.command('command', Command.Submit);
    await h.waitFor((f) => f.includes('Firewalls of lab/eu-west (') && f.includes('old-fw'), 'the source named');
  });

  it('in a read-only session, d is disabled with the read-only sentence', async () => {
    const w = await world();
    const h = await start({ home: w.home, readOnly: true });
    await openFirewalls(h);
    await select(h, 'old-fw');
    await h.waitFor('This session is read-only (--read-only): deleting firewalls is disabled.');
    await h.command('firewalls', Command.DeleteFirewall);
    expect(h.controller.state.overlay?.kind).toBe('firewalls');
    expect(await w.id('old-fw')).toBe(w.oldFw);
  });
});
