// End-to-end, the monitor and lineage: launch from a vendor template, watch the phases move to ready,
// capture an image, find it with its lineage; let the sandbox's clock run until the vendor deletes the
// template, and see the server flagged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp, useAppCleanup } from './harness.js';
import { Command, keyFor } from '../keys.js';

useAppCleanup();

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ENV = { NO_COLOR: '1', STRATA_SECRETS: 'file' };

function rowOf(screen: string, id: string): string {
  return screen.split('\n').find((l) => l.includes(id)) ?? '';
}

describe('the readiness monitor and lineage', () => {
  it('watches a launch become ready, captures an image with its lineage, and flags the server when the template is deleted', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-e2e-monitor-'));
    dirs.push(home);
    // 150 simulated seconds a second: a server is ready in a few seconds, its phases still visible.
    const app = startApp({ home, env: ENV, args: ['--scope', 'vendor', '--sandbox-speed', '150'] });
    const list = await app.waitForText(/^>.*img-v-/m);
    const templateRow = list.split('\n').find((l) => l.startsWith('>'))!;
    const templateId = /img-v-[0-9a-f]+/.exec(templateRow)![0];
    const templateName = templateRow.slice(4).split(/\s{2,}/)[0].trim();

    // Launch from the template directly (the advice is read, "use template" ticked).
    app.press('l');
    await app.waitForText(/^> Safe workflow/m);
    app.press(['tab', 'space']);
    await app.waitForText(/Use template \*\s+\[x\]/);
    app.press('ctrl+r');
    await app.waitForText('The request the provider will receive');
    app.press('L');
    const launched = await app.waitForText(/Launched: 1 server \(token/, { timeout: 20_000 });
    const serverId = /srv-[0-9a-f]+/.exec(launched)![0];
    app.press('esc');
    app.press('tab');

    // The phases move: first one on the way, then ready, with the server flagged as standing on a template.
    await app.waitFor((s) => /requested|pending|booting|running|initializing/.test(rowOf(s, serverId)), { description: 'a phase on the way to ready' });
    const ready = await app.waitFor((s) => /\bready\b/.test(rowOf(s, serverId)), { timeout: 30_000, description: 'ready' });
    expect(rowOf(ready, serverId)).toMatch(/\[#{10}\]/);
    expect(rowOf(ready, serverId)).toContain('on a template');

    // The detail: the launch spec and the timeline of phases.
    app.press('enter');
    const detail = await app.waitForText('Timeline');
    expect(detail).toContain(`Image ${templateId}`);
    expect(detail).toMatch(/requested[\s\S]*ready/);

    // Capture an image from it.
    app.press(keyFor('detail', Command.Capture));
    await app.waitForText("Type the new image's name");
    app.press('ctrl+u');
    app.write('e2e-own-image');
    app.press(keyFor('capture', Command.LabelNext)); // the label: red
    await app.waitForText('Label: red (Tab changes it)');
    app.press('enter');
    await app.waitForText(/is available among own images, captured from srv-/, { timeout: 30_000 });
    app.press('esc');
    app.press(['tab', 'tab']); // risk, then the images
    await app.waitForText(/Images\s+own\s+\[vendor\]/);
    app.press('1');
    app.press('/');
    app.write('e2e-own-image');
    app.press('enter');
    await app.waitForText('filter /e2e-own-image');
    app.press('i');
    const info = await app.waitForText('Lineage (where it came from)');
    expect(info).toContain(`captured from ${templateName} (${templateId}, vendor`);
    expect(info).toContain(`from server ${serverId}`);
    expect(info).toContain('strata:label = red');
    app.press('esc');
    // Esc and q in one read would be Alt+q: wait for the details to close first.
    await app.waitForNoText('Lineage (where it came from)');
    app.press('q');
    await app.waitForExit();

    // Months pass in seconds: the vendor publishes newer builds, deprecates this one, then deletes it.
    const later = startApp({ home, env: ENV, args: ['--sandbox-speed', '1000000'] });
    await later.waitForText(/ 1\/\d+/);
    // Once the vendor has deleted it, the next poll says the server's image is gone, and that reaches the
    // lists: the template leaves the vendor's list and the image captured from it is marked, with no :refresh.
    await later.waitFor((s) => /src gone/.test(rowOf(s, 'e2e-own-image')), { timeout: 60_000, description: 'the captured image marked "src gone"' });
    later.press('tab');
    const flagged = await later.waitFor((s) => rowOf(s, serverId).includes('image gone'), { timeout: 20_000, description: 'the server flagged "image gone"' });
    expect(rowOf(flagged, serverId)).toMatch(/ready/);
    later.press('tab');
    const risk = await later.waitForText(/At risk: \d+ template/);
    expect(risk).toContain(serverId);
    expect(risk).toContain(templateId);
  }, 150_000);
});
