// Component tests of the launch form: sections, capability-driven fields, inline problems, the vendor
// template advice, the review, recipes. On the real sandbox, in a temporary home.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import { describe, expect, it } from 'vitest';
import { start, type Harness } from './harness.js';
import { Command } from '../../source/ui/keymap.js';

process.env.STRATA_SECRETS = 'file';

async function openOn(h: Harness, filter: string, title: string): Promise<string> {
  await h.waitFor('img-');
  await h.press('/');
  await h.type(filter);
  await h.press('enter');
  await h.waitFor(`filter /${filter}`);
  await h.press('l');
  return h.waitFor(`Launch from ${title}`);
}

/** Presses Tab until the focused line matches. */
async function focus(h: Harness, label: RegExp): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if (h.frame().split('\n').some((l) => l.startsWith('>') && label.test(l))) return;
    await h.press('tab');
  }
  throw new Error(`no field ${label} in:\n${h.frame()}`);
}

describe('the launch form', () => {
  it('shows every section in a rich region, with required fields marked', async () => {
    const h = await start();
    const f = await openOn(h, 'Postgres primary', 'Postgres primary');
    await h.waitFor('Ready to review');
    for (const section of ['Image', 'Server', 'Hardware', 'Firewall', 'Root keypair', 'Group and billing', 'Volumes', 'User data']) {
      expect(h.frame()).toMatch(new RegExp(`^${section}$`, 'm'));
    }
    expect(f).toMatch(/Name \*/);
    expect(f).toMatch(/Size \*\s+sb\.a\.small/);
    expect(f).not.toContain('Not offered here');
  });

  it('starts with the default firewall and no root keypair, never with what another run made and sorts first', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-ui-'));
    const provider = await createSandboxProvider({ home, region: 'eu-west' });
    await provider.createFirewall('aaa-other-run', [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, source: '10.0.0.0/8' }]);
    await provider.createKeypair('aaa-someone-elses-root');
    await provider.close();
    const h = await start({ home });
    await openOn(h, 'Postgres primary', 'Postgres primary');
    const f = await h.waitFor(/Firewalls\s+default/);
    expect(f).not.toContain('aaa-other-run');
    expect(f).not.toContain('aaa-someone-elses-root');
    expect(f).toMatch(/Keypair\s+\[none\]/);
    // The default firewall lets SSH in from anywhere: said at its field, without stopping the review.
    expect(f.replace(/\n\s+/g, ' ')).toMatch(/Firewall default: SSH \(port 22\) is open to the whole internet from 0\.0\.0\.0\/0/);
    rmSync(home, { recursive: true, force: true });
  });

  it("a new firewall's first rule is SSH from the user's own address; SSH open to the world gets a warning, and Enter keeps what Space unticked", async () => {
    const saved = process.env.SSH_CLIENT;
    process.env.SSH_CLIENT = '203.0.113.7 51234 22';
    try {
      const h = await start();
      await openOn(h, 'Postgres primary', 'Postgres primary');
      await focus(h, /New firewall/);
      await h.command('form', Command.Toggle);
      await h.waitFor(/its rules \*\s+tcp 22 203\.0\.113\.7\/32/);
      await focus(h, /its rules/);
      await h.command('form', Command.DeleteToStart);
      await h.type('tcp 22 0.0.0.0/0');
      await h.waitFor((f) => /SSH \(port 22\) is open to the whole internet from 0\.0\.0\.0\/0/.test(f.replace(/\n\s+/g, ' ')), 'the warning at the field');
      // The firewall picker: Space unticks the default one, Enter closes the list as it is (nothing ticked).
      await focus(h, /Firewalls/);
      await h.command('form', Command.Activate);
      await h.waitFor('Space ticks, Enter closes');
      await h.command('picker', Command.Toggle);
      await h.waitFor(/\[ \] default/);
      await h.command('picker', Command.Choose);
      await h.waitFor(/Firewalls\s+\(none: Enter picks\)/);
      expect(h.controller.state.launch?.draft?.firewallIds).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.SSH_CLIENT;
      else process.env.SSH_CLIENT = saved;
    }
  });

  it('offers in the plain region only what it can do, and says why the rest is missing', async () => {
    const h = await start({ region: 'ap-south' });
    await h.waitFor('ap-south');
    await h.waitFor('img-');
    await h.press('l');
    // Long sentences wrap: read them as one text.
    const f = (await h.waitFor('Not offered here')).replace(/\n\s+/g, ' ');
    expect(f).toMatch(/RAID: Sandbox cloud in ap-south cannot assemble volumes into RAID\./);
    expect(f).toMatch(/Encryption: .* cannot encrypt volumes at launch\./);
    expect(f).toMatch(/Keypair creation: .* cannot create keypairs; strata generates one with ssh-keygen and imports the public half\./);
    expect(f).toMatch(/Tags: .* holds no tags; group and billing code are kept in strata's local store\./);
    await focus(h, /Volumes/);
    await h.press('space');
    const v = await h.waitFor('how many *');
    expect(v).not.toMatch(/RAID \*/);
    expect(v).not.toMatch(/^\s+encrypt\s+\[/m);
  });

  it('says what is wrong at each field as you type, and the review refuses until it is fixed', async () => {
    const h = await start();
    await openOn(h, 'Postgres primary', 'Postgres primary');
    await h.press('ctrl+u');
    await h.type('bad name!');
    await h.waitFor(/A space is not allowed in a name/);
    await h.press('tab', 'ctrl+u');
    await h.type('x');
    await h.waitFor('Count must be a whole number; "x" is not.');
    await focus(h, /Volumes/);
    await h.press('space', 'tab', 'ctrl+u');
    await h.type('2');
    await focus(h, /RAID/);
    await h.press('right', 'right'); // 1 -> 5 -> 10
    await h.waitFor(/RAID 10 needs an even number of volumes, at least 4; the form has 2\.|RAID 10 needs/);
    await focus(h, /mount point/);
    await h.press('ctrl+u');
    await h.type('/data; rm -rf /');
    await h.waitFor(/mount point/i);
    const f = await h.waitFor(/\d problems to fix before the launch/);
    expect(f).not.toContain('Review the launch\n');
    await h.command('form', Command.Review);
    await h.waitFor(/fields need fixing before the review/);
    expect(h.frame()).not.toContain('The request the provider will receive');
  });

  it('shows the seed\'s advice on a vendor template and asks for a deliberate choice before a review', async () => {
    const h = await start({ scope: 'vendor' });
    await h.waitFor('[vendor]');
    await h.waitFor('img-v-');
    await h.press('l');
    const f = await h.waitFor('is a vendor template');
    // The advice wraps: read it as one text.
    expect(f.replace(/\n\s+/g, ' ')).toMatch(/start a server from it, capture your own image from it, and launch production from your image/);
    expect(f).toMatch(/Use template \*\s+\[ \]/);
    await h.command('form', Command.Review);
    await h.waitFor(/This image is not yours: its publisher will delete it one day/);
    await focus(h, /Use template/);
    await h.press('space');
    await h.waitFor(/Use template \*\s+\[x\]/);
    await h.command('form', Command.Review);
    await h.waitFor('The request the provider will receive');
  });

  it("gives the seed's advice on a public image too, and wants the same deliberate choice", async () => {
    const h = await start({ scope: 'public', preloadLimit: 2000 });
    await h.waitFor('img-p-');
    await h.command('list', Command.Launch);
    const f = await h.waitFor('is a public image, published by');
    expect(f.replace(/\n\s+/g, ' ')).toMatch(/capture your own image from it, and launch production from your image/);
    await h.command('form', Command.Review);
    await h.waitFor(/This image is not yours: its publisher will delete it one day/);
  });

  it('reviews with the exact request, then saves the form as a recipe that opens again', async () => {
    const h = await start();
    await openOn(h, 'Postgres primary', 'Postgres primary');
    await h.press('ctrl+u');
    await h.type('recipe-web');
    await h.command('form', Command.Review);
    const r = await h.waitFor('The request the provider will receive');
    expect(r).toContain('"name": "recipe-web"');
    expect(r).toContain("(this provider has no CLI of its own)");
    await h.command('review', Command.SaveRecipe);
    await h.waitFor('Type a name for the recipe');
    await h.type('-eu');
    await h.press('enter');
    await h.waitFor('Saved the form as recipe "recipe-web-eu"');
    const file = join(h.home, 'recipes', 'recipe-web-eu.yaml');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/name: recipe-web/);
    // Back in the form, change the name, then open the recipe again.
    await h.press('esc');
    await h.waitFor(/^> Name/m);
    await h.press('ctrl+u');
    await h.type('changed');
    await h.command('form', Command.OpenRecipe);
    await h.waitFor('Open a launch recipe');
    await h.press('enter');
    await h.waitFor('Opened recipe "recipe-web-eu"');
    await h.waitFor(/Name \*\s+recipe-web$/m);
  });

  it('opens afresh on the same image after a launch (it does not stay loading)', async () => {
    const h = await start();
    await openOn(h, 'Postgres primary', 'Postgres primary');
    await h.press('ctrl+u');
    await h.type('again-1');
    await h.command('form', Command.Review);
    await h.waitFor('The request the provider will receive');
    await h.command('review', Command.Launch);
    await h.waitFor(/Launched/);
    // Leave by Tab (the form stays, done), through the other panes, back to the images.
    for (let i = 0; i < 6 && !/Images \[own\]/.test(h.frame()); i++) await h.press('tab');
    await h.waitFor('img-');
    await h.press('l');
    const f = await h.waitFor('Launch from Postgres primary');
    await h.waitFor(/^> Name/m);
    expect(h.frame()).not.toContain('Loading sizes, firewalls and keypairs');
    expect(f).toBeTruthy();
  });

  it('read-only: the form does not open', async () => {
    const h = await start({ readOnly: true });
    await h.waitFor('img-');
    await h.press('l');
    await h.waitFor('read-only (--read-only): launching is disabled');
    expect(h.frame()).not.toContain('Launch from');
  });
});
