// The command line across sources: --fleet and --source run the listing of every place (a source's region),
// each row with its source and region (schemaVersion 2, checked against the schema the binary prints); a
// source that fails is said and listed as failed, never hiding the others; a read-only source refuses a
// change with its name; a command that works on one place asks which.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOf, newHome, strata } from './helpers.js';

function configure(home: string): void {
  writeFileSync(
    join(home, 'config.yaml'),
    [
      'sources:',
      '  - { name: a, provider: sandbox, regions: all, sandbox: { seed: 7 } }',
      `  - { name: b, provider: sandbox, home: ${join(home, 'account-b')}, regions: [eu-west, us-east], readOnly: true, sandbox: { seed: 7 } }`,
      `  - { name: broken, provider: sandbox, home: ${join(home, 'account-c')}, regions: [eu-west], sandbox: { seed: 7, faults: "throttle=1" } }`,
      'fleet: { concurrency: 2 }',
    ].join('\n'),
  );
}

describe('strata across sources', () => {
  it('images --fleet: every place, each row with its source and region; the failing source said, the others printed (exit 1)', async () => {
    const home = newHome();
    configure(home);
    const result = await strata(['images', '--fleet', '--json'], { home });
    expect(result.code, result.stderr).toBe(1);
    const doc = jsonOf<{ provider: null; region: null; images: { source: string; region: string; id: string }[]; sources: { name: string; state: string; regions: string[]; readOnly: boolean; error: string | null }[] }>(result, 'images');
    expect(doc.provider).toBeNull();
    expect([...new Set(doc.images.map((i) => `${i.source}/${i.region}`))]).toEqual(['a/eu-west', 'a/us-east', 'a/ap-south', 'b/eu-west', 'b/us-east']);
    expect(doc.sources.map((s) => [s.name, s.state, s.regions, s.readOnly])).toEqual([
      ['a', 'ok', ['eu-west', 'us-east', 'ap-south'], false],
      ['b', 'ok', ['eu-west', 'us-east'], true],
      ['broken', 'error', ['eu-west'], false],
    ]);
    expect(doc.sources[2]!.error).toMatch(/throttling/);
    expect(result.stderr).toMatch(/^broken\/eu-west: .*throttling/m);
  }, 120_000);

  it('images --source a,b in a table: a SOURCE column; --source b --region us-east lists that place alone', async () => {
    const home = newHome();
    configure(home);
    const table = await strata(['images', '--source', 'a,b'], { home });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SOURCE\s+ID\s+NAME/);
    expect(lines.slice(1).every((l) => /^(a\/(eu-west|us-east|ap-south)|b\/(eu-west|us-east)) /.test(l))).toBe(true);
    expect((await strata(['servers', '--source', 'a,b'], { home })).stdout).toBe('No servers in any source.\n');
    const one = await strata(['images', '--source', 'b', '--region', 'us-east', '--json'], { home });
    const doc = jsonOf<{ provider: string; region: string; sources: null; images: { source: string; region: string }[] }>(one, 'images');
    expect([doc.provider, doc.region, doc.sources]).toEqual(['sandbox', 'us-east', null]);
    expect(doc.images.every((i) => i.source === 'b' && i.region === 'us-east')).toBe(true);
  }, 120_000);

  it("a read-only source refuses a change with its name (exit 4); one place is asked for where there are several; an unknown source is named", async () => {
    const home = newHome();
    configure(home);
    const refused = await strata(['image', 'rename', 'img-x', 'y', '--source', 'b', '--region', 'eu-west'], { home });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe('strata: b is read-only (readOnly in config.yaml): strata does not rename images there.\n');
    const which = await strata(['image', 'show', 'img-x', '--source', 'b'], { home });
    expect(which.code).toBe(2);
    expect(which.stderr).toBe('strata: strata image show works on one source and region: give --source NAME and --region REGION (b).\n');
    const unknown = await strata(['images', '--source', 'nope'], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('strata: There is no source "nope" in config.yaml; the sources are a, b, broken.\n');
    const mixed = await strata(['images', '--fleet', '--provider', 'aws'], { home });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--provider is set by each source in config.yaml; leave it out with --fleet.');
  }, 120_000);

  it('risk --fleet: one group per template across sources, each server with its place', async () => {
    const home = newHome();
    configure(home);
    const result = await strata(['risk', '--fleet', '--json'], { home });
    expect([1, 6]).toContain(result.code);
    const doc = jsonOf<{ groups: { places: { source: string; region: string }[]; sentence: string }[]; sources: { state: string }[] }>(result, 'risk');
    expect(doc.sources.map((s) => s.state)).toEqual(['ok', 'ok', 'error']);
    // The seeded own images descend from templates of the same names in every region: grouped across places.
    expect(doc.groups.some((g) => new Set(g.places.map((p) => `${p.source}/${p.region}`)).size > 1)).toBe(true);
  }, 120_000);
});
