// End-to-end, the fleet: the real binary in a pseudo-terminal, opened with --fleet on sources of config.yaml
// (every region of one sandbox "account", a second account read-only, a third whose faults make it fail).
// The merged list with its SOURCE column, each source's state, the failing one's sentence, a column
// filter, a read-only refusal with the source's name; whole at 80x24 and after a resize to 60x20.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('the fleet view in a terminal', () => {
  it('opens on every source, filters by column, refuses a change on a read-only source by its name, and fits 80x24 and 60x20', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-e2e-fleet-'));
    dirs.push(home);
    writeFileSync(
      join(home, 'config.yaml'),
      [
        'sources:',
        '  - { name: a, provider: sandbox, regions: all }',
        `  - { name: b, provider: sandbox, home: ${join(home, 'b')}, regions: [us-east], readOnly: true }`,
        `  - { name: broken, provider: sandbox, home: ${join(home, 'c')}, regions: [eu-west], sandbox: { faults: "throttle=1" } }`,
      ].join('\n'),
    );
    const app = startApp({ home, env: ENV, args: ['--fleet'], cols: 80, rows: 24 });
    const first = await app.waitForText(/Sources: a ok · b ok \(read-only\) · broken error/, { timeout: 30_000 });
    expect(first).toMatch(/^strata {2}Fleet/m);
    expect(first).toMatch(/^>a\/eu-west\s+img /m);
    expect(first).toMatch(/broken: .*throttling/);
    // The rows start below the sources' lines and the headings, however many lines the states take.
    const settled = await app.waitFor((s) => s.replace(/\s+/g, ' ').includes('(listing servers): rate exceeded.) SOURCE NAME'), { description: 'the whole error, then the headings' });
    expect(settled).toMatch(/^ SOURCE\s+NAME\s+STATE\s+INFO$/m);
    for (const line of first.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    // A column filter: the read-only source's rows only.
    app.press(keyFor('fleet', Command.Filter));
    app.write('source:b');
    app.press('enter');
    const filtered = await app.waitForText('filter /source:b');
    const rows = filtered.split('\n').filter((l) => /^[> ][a-z]+\/[a-z-]+\s+(img|srv) /.test(l));
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.every((l) => /^[> ]b\/us-east /.test(l))).toBe(true);
    app.press(keyFor('fleet', Command.Rename));
    await app.waitForText('b is read-only (readOnly in config.yaml): renaming is disabled there.');

    // Smaller: everything still fits, the states and the selected row still there.
    app.resize(60, 20);
    const small = await app.waitFor((s) => s.split('\n').length <= 20 && /^>b\/us-east/m.test(s) && s.includes('Sources:'), { description: 'the fleet at 60x20' });
    for (const line of small.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    app.press('q');
    expect((await app.waitForExit()).exitCode).toBe(0);
  }, 90_000);
});
