// Each subcommand against the real sandbox, as a script or a user runs it: its table (what a terminal
// shows) and its JSON, the JSON checked against the schema the same binary prints. Provider strings are
// sanitised in both: the sandbox's world holds hostile names and descriptions (escape sequences, line
// breaks), and no ESC byte may reach stdout.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOf, launchableImage, linesOf, newHome, recipeYaml, strata, strataSync } from './helpers.js';

const ESC = '\u001b';

type ImagesDoc = {
  images: { id: string; shownName: string; name: string; kind: string; label: string | null; sourceImageId: string | null; description: string | null; architecture: string; state: string; deleteAt: string | null }[];
  count: number;
  complete: boolean;
};

describe('listing and changing images', () => {
  it('strata images: a table and a JSON document of the same images, sanitised in both', () => {
    const home = newHome();
    const table = strataSync(['images'], { home });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+LABEL\s+KIND\s+ARCH\s+STATE\s+CREATED\s+LIFECYCLE$/);
    const json = strataSync(['images', '--json'], { home });
    const doc = jsonOf<ImagesDoc>(json, 'images');
    expect(doc).toMatchObject({ provider: 'sandbox', region: 'eu-west', scope: 'own', complete: true });
    expect(doc.count).toBe(doc.images.length);
    expect(lines.length - 1).toBe(doc.count);
    // The same rows, in the same order; every column aligned under its title.
    doc.images.forEach((image, i) => expect(lines[i + 1]!.startsWith(`${image.id}  `)).toBe(true));
    const nameAt = lines[0]!.indexOf('NAME');
    for (const line of lines.slice(1)) expect(line[nameAt - 1]).toBe(' ');
    // The hostile strings of the sandbox's world: no escape sequence reaches either output.
    expect(table.stdout).not.toContain(ESC);
    expect(json.stdout).not.toContain(ESC);
    expect(doc.images.some((i) => (i.description ?? '').includes('\ufffd'))).toBe(true);
    // --ids: one id a line, the same ids.
    const ids = strataSync(['images', '--ids'], { home });
    expect(ids.stdout.trim().split('\n')).toEqual(doc.images.map((i) => i.id));
  });

  it('vendor templates, the public catalogue with a query and a limit, and --ndjson rows', () => {
    const home = newHome();
    const vendor = jsonOf<ImagesDoc>(strataSync(['images', '--scope', 'vendor', '--json'], { home }), 'images');
    expect(vendor.images.length).toBeGreaterThan(0);
    expect(vendor.images.every((i) => i.kind === 'vendor')).toBe(true);
    const limited = jsonOf<ImagesDoc>(strataSync(['images', '--scope', 'public', '--query', 'ubuntu', '--limit', '25', '--json'], { home }), 'images');
    expect(limited).toMatchObject({ scope: 'public', query: 'ubuntu', count: 25, complete: false });
    expect(limited.images.every((i) => /ubuntu/i.test(i.name))).toBe(true);
    const ndjson = strataSync(['images', '--scope', 'vendor', '--ndjson'], { home });
    const events = linesOf(ndjson);
    expect(events.slice(0, -1).every((e) => e.kind === 'image-row')).toBe(true);
    expect(events.at(-1)).toMatchObject({ kind: 'images', count: vendor.count, complete: true });
    expect(events.at(-1)).not.toHaveProperty('images');
    expect(events.slice(0, -1).map((e) => (e.image as { id: string }).id)).toEqual(vendor.images.map((i) => i.id));
  });

  it('image show, rename, label: the TUI\'s names and labels (tags, shared), audited, shown with lineage', () => {
    const home = newHome();
    const own = jsonOf<ImagesDoc>(strataSync(['images', '--json'], { home }), 'images');
    const image = own.images.find((i) => i.sourceImageId !== null)!;
    const show = strataSync(['image', 'show', image.id], { home });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`Image:        ${image.id}`);
    expect(show.stdout).toMatch(/Lineage \(where it came from\):\n {2}captured from .*img-v-/);
    const doc = jsonOf<{ image: { id: string }; lineage: { id: string }[] }>(strataSync(['image', 'show', image.id, '--json'], { home }), 'image');
    expect(doc.image.id).toBe(image.id);
    expect(doc.lineage[0]!.id).toBe(image.sourceImageId);

    const renamed = strataSync(['image', 'rename', image.id, 'golden web', '--json'], { home });
    expect(jsonOf(renamed, 'image-changed')).toMatchObject({ action: 'renamed', from: image.shownName, image: { shownName: 'golden web', nameSource: 'tag' } });
    const labelled = strataSync(['image', 'label', image.id, 'teal'], { home });
    expect(labelled.code).toBe(0);
    expect(labelled.stderr).toBe(`Labelled ${image.id} teal (tag, shared).\n`);
    const listed = jsonOf<ImagesDoc>(strataSync(['images', '--json'], { home }), 'images');
    expect(listed.images.find((i) => i.id === image.id)).toMatchObject({ shownName: 'golden web', label: 'teal' });
    // Refused names are said, nothing is written.
    const bad = strataSync(['image', 'rename', image.id, 'x'.repeat(300)], { home });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/^strata: Name refused: /);
    const none = strataSync(['image', 'label', image.id, 'none'], { home });
    expect(none.stderr).toBe(`Took the label off ${image.id}.\n`);
    const audit = jsonOf<{ entries: { action: string; target: string }[] }>(strataSync(['audit', '--json'], { home }), 'audit');
    expect(audit.entries.filter((e) => e.target === image.id).map((e) => e.action)).toEqual(['image.label', 'image.label', 'image.rename']);
    // An id the provider does not have: exit status 3, a sentence.
    const missing = strataSync(['image', 'show', 'img-nope'], { home });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^strata: .*img-nope/);
  });

  it('image delete: the id typed with --confirm, as the TUI asks; without it, or wrong, nothing is deleted (exit status 4)', () => {
    const home = newHome();
    const own = jsonOf<ImagesDoc>(strataSync(['images', '--json'], { home }), 'images');
    const image = own.images.find((i) => i.state === 'available')!;
    const without = strataSync(['image', 'delete', image.id], { home });
    expect(without.code).toBe(4);
    expect(without.stderr).toContain(`needs --confirm ${image.id} (the image's id, as the TUI makes you type it); without a terminal there is no prompt.`);
    const name = strataSync(['image', 'delete', image.id, '--confirm', image.shownName, '--json'], { home });
    expect(name.code).toBe(4);
    expect(jsonOf(name, 'error')).toMatchObject({ exitCode: 4, error: `That is the name, not the id; type ${image.id} exactly. Nothing was deleted.` });
    const vendorId = jsonOf<ImagesDoc>(strataSync(['images', '--scope', 'vendor', '--json'], { home }), 'images').images[0]!.id;
    const template = strataSync(['image', 'delete', vendorId, '--confirm', vendorId], { home });
    expect(template.code).toBe(4);
    expect(template.stderr).toContain('strata deletes only your own images');
    const done = strataSync(['image', 'delete', image.id, '--confirm', image.id, '--json'], { home });
    expect(jsonOf(done, 'image-changed')).toMatchObject({ action: 'deleted', imageId: image.id });
    expect(strataSync(['images', '--ids'], { home }).stdout).not.toContain(image.id);
    expect(strataSync(['image', 'show', image.id], { home }).code).toBe(3);
  });

  it('image import: a qcow2 file of this machine becomes an own image (a relative path, the name from the file)', () => {
    const home = newHome();
    const b = Buffer.alloc(64 * 1024);
    b.write('QFI\xfb', 0, 'latin1');
    b.writeUInt32BE(3, 4);
    b.writeBigUInt64BE(8n * 1024n ** 3n, 24);
    writeFileSync(join(home, 'golden-base.qcow2'), b);
    const r = strataSync(['image', 'import', join(home, 'golden-base.qcow2'), 'golden base', '--json'], { home });
    expect(jsonOf(r, 'image-changed')).toMatchObject({ action: 'imported', image: { shownName: 'golden base', kind: 'own' } });
    const table = strataSync(['image', 'import', join(home, 'golden-base.qcow2'), 'golden two'], { home });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+NAME[\s\S]*golden two/);
    const plain = strataSync(['image', 'import', join(home, 'golden-base.qcow2'), '--region', 'ap-south'], { home });
    expect(plain.code).toBe(4);
    expect(plain.stderr).toMatch(/^strata: .*cannot import image files/);
  });
});

describe('servers: launch, list, show, console, wait, capture, terminate', () => {
  it('each in its table and its JSON form', async () => {
    const home = newHome();
    const imageId = launchableImage(home);
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(imageId, { name: 'web', count: 2 }));

    expect(strataSync(['servers'], { home }).stdout).toBe('No servers in Sandbox cloud eu-west.\n');
    const review = strataSync(['launch', '--recipe', recipe, '--dry-run', '--json'], { home });
    const r = jsonOf<{ wouldLaunch: boolean; requests: unknown[]; summary: string[] }>(review, 'launch-review');
    expect(r.wouldLaunch).toBe(true);
    expect(r.requests).toHaveLength(2);
    expect(r.summary[0]).toMatch(/^Launch 2 servers \(web-1 … web-2\) from /);
    expect(strataSync(['servers', '--ids'], { home }).stdout).toBe('');

    // 600 simulated seconds a second (kept in the world): ready in a few seconds.
    const launched = await strata(['launch', '--recipe', recipe, '--sandbox-speed', '600', '--wait', 'ready', '--timeout', '90s', '--json'], { home });
    const doc = jsonOf<{ how: string; clientToken: string; servers: { id: string; name: string; phase: string }[]; wait: { done: boolean } }>(launched, 'launch');
    expect(doc.how).toBe('launched');
    expect(doc.servers.map((s) => [s.name, s.phase])).toEqual([
      ['web-1', 'ready'],
      ['web-2', 'ready'],
    ]);
    expect(doc.wait.done).toBe(true);
    expect(launched.stderr).toContain(`Client token ${doc.clientToken}: after an interruption, run again with --token ${doc.clientToken}`);

    const list = strataSync(['servers'], { home });
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PHASE\s+READINESS\s+IMAGE\s+SIZE\s+ADDRESS\s+GROUP$/);
    expect(list.stdout).toMatch(/web-1\s+ready\s+ready after/);
    const servers = jsonOf<{ servers: { id: string; name: string }[] }>(strataSync(['servers', '--phase', 'ready', '--json'], { home }), 'servers');
    expect(servers.servers).toHaveLength(2);
    const web1 = servers.servers.find((s) => s.name === 'web-1')!;

    const show = strataSync(['server', 'show', web1.id, '--lines', '3'], { home });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/Timeline:\n {2}\S+ {2}requested\n {2}\S+ {2}ready/);
    expect(show.stdout).toMatch(/Console \(last 3 lines\):/);
    const shown = jsonOf<{ launch: { clientToken: string; request: { name: string } }; console: { lines: string[] } }>(strataSync(['server', 'show', web1.id, '--json'], { home }), 'server');
    expect(shown.launch).toMatchObject({ clientToken: doc.clientToken, request: { name: 'web' } });
    expect(shown.console.lines.length).toBeGreaterThan(0);
    const consoleTable = strataSync(['console', web1.id], { home });
    expect(consoleTable.stdout.trimEnd().split('\n')).toEqual(jsonOf<{ lines: string[] }>(strataSync(['console', web1.id, '--json'], { home }), 'console').lines);

    const waited = jsonOf<{ done: boolean; servers: { reached: boolean }[] }>(strataSync(['wait', ...servers.servers.map((s) => s.id), '--json'], { home }), 'wait');
    expect(waited.done).toBe(true);
    expect(waited.servers.every((s) => s.reached)).toBe(true);
    const unknown = strataSync(['wait', 'srv-nope', '--timeout', '30s'], { home });
    expect(unknown.code).toBe(3);

    const captured = await strata(['capture', web1.id, '--name', 'web-one-image', '--label', 'green', '--wait', 'available', '--timeout', '90s', '--json'], { home });
    expect(jsonOf(captured, 'capture')).toMatchObject({ serverId: web1.id, available: true, image: { shownName: 'web-one-image', label: 'green', sourceServerId: web1.id } });

    const refused = strataSync(['server', 'terminate', web1.id, '--confirm', web1.id], { home });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe('strata: That is the id, not the name; type web-1 exactly. Nothing was terminated.\n');
    const terminated = strataSync(['server', 'terminate', web1.id, '--confirm', 'web-1', '--json'], { home });
    expect(jsonOf(terminated, 'server-changed')).toMatchObject({ action: 'terminated', already: false });
    const gone = await strata(['wait', web1.id, '--for', 'terminated', '--timeout', '60s', '--ndjson'], { home });
    expect(gone.code, gone.stderr).toBe(0);
    expect(linesOf(gone).at(-1)).toMatchObject({ kind: 'wait', for: 'terminated', done: true });
  });
});

describe('launch --dry-run', () => {
  it('prints the review and sends nothing: the exact request, the user data with its secret hidden, every problem at its field', () => {
    const home = newHome();
    const recipe = join(home, 'db.yaml');
    writeFileSync(recipe, recipeYaml(launchableImage(home), { name: 'db', volumes: { count: 2, sizeGiB: 10, raid: '1', filesystem: 'xfs', mountPoint: '/data', encrypt: true } }));
    const r = strataSync(['launch', '--recipe', recipe, '--dry-run', '--json'], { home });
    const doc = jsonOf<{ wouldLaunch: boolean; userData: string; request: { spec: { userData: string } }; summary: string[] }>(r, 'launch-review');
    expect(doc.wouldLaunch).toBe(true);
    // The user data as it will be sent, line for line, with the volume passphrase's place said, never a passphrase.
    expect(doc.request.spec.userData).toBe(doc.userData);
    expect(doc.userData.split('\n')[0]).toBe('#cloud-config');
    expect(doc.userData).toContain('[kept in the keychain]');
    expect(doc.summary.join(' ')).toMatch(/encrypted \(LUKS/);
    const table = strataSync(['launch', '--recipe', recipe, '--dry-run'], { home });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^The launch, reviewed \(nothing was sent\):\n/);
    expect(table.stdout).toContain('The user data (cloud-init), secrets hidden:\n  #cloud-config\n');
    expect(strataSync(['servers', '--ids'], { home }).stdout).toBe('');
    // A problem stops it: exit status 4, each problem at its field; --set changes a field with the recipe's own rules.
    const wrong = strataSync(['launch', '--recipe', recipe, '--dry-run', '--set', 'productId=sb.a.small', '--json'], { home });
    expect(wrong.code).toBe(4);
    expect(jsonOf<{ problems: { field: string }[] }>(wrong, 'launch-review').problems.map((p) => p.field)).toEqual(['productId']);
    const bad = strataSync(['launch', '--recipe', recipe, '--dry-run', '--set', 'volumes.sizeGiB=big'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('strata: --set volumes.sizeGiB must be a whole number; got "big".\n');
    const unknown = strataSync(['launch', '--recipe', recipe, '--dry-run', '--set', 'colour=red'], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^strata: --set colour: "colour" is not a field of the launch form; the fields are name, imageId, productId, count,/);
  });
});

describe('risk, audit, schema, help', () => {
  it('strata risk: the :risk report; exit status 6 only where something is gone or due within the window', () => {
    const home = newHome();
    const quiet = strataSync(['risk', '--within', '1d', '--json'], { home });
    const doc = jsonOf<{ due: boolean; groups: { due: boolean; worst: string; date: string | null }[]; now: string }>(quiet, 'risk');
    // The sandbox's world: templates deprecated and doomed, own images captured from templates long gone.
    expect(doc.groups.length).toBeGreaterThan(0);
    const soonest = doc.groups.filter((g) => g.worst === 'scheduled-deletion').map((g) => Date.parse(g.date!) - Date.parse(doc.now)).sort((a, b) => a - b)[0]!;
    expect(soonest).toBeGreaterThan(86_400_000);
    expect(quiet.code).toBe(doc.due ? 6 : 0);
    expect(doc.due).toBe(false);
    const wide = strataSync(['risk', '--within', `${Math.ceil(soonest / 86_400_000)}d`], { home });
    expect(wide.code).toBe(6);
    expect(wide.stdout).toMatch(/^! .* will be deleted on/m);
    expect(wide.stderr).toMatch(/gone or due for deletion within .* \(exit status 6\)\.\n$/);
  });

  it('strata risk: a server started from a template that is then deleted makes it exit 6 whatever the window', async () => {
    const home = newHome();
    const vendor = jsonOf<ImagesDoc>(strataSync(['images', '--scope', 'vendor', '--json'], { home }), 'images');
    const doomed = vendor.images.filter((i) => i.deleteAt !== null && i.architecture === 'x86_64' && i.state !== 'deleted').sort((a, b) => Date.parse(a.deleteAt!) - Date.parse(b.deleteAt!))[0]!;
    const recipe = join(home, 'direct.yaml');
    writeFileSync(recipe, recipeYaml(doomed.id, { name: 'direct' }));
    const launched = jsonOf<{ servers: { id: string }[] }>(await strata(['launch', '--recipe', recipe, '--json'], { home }), 'launch');
    const before = jsonOf<{ due: boolean; now: string; groups: { imageId: string; worst: string; servers: { id: string }[] }[] }>(strataSync(['risk', '--within', '1h', '--json'], { home }), 'risk');
    const group = before.groups.find((g) => g.imageId === doomed.id)!;
    expect(group.servers.map((s) => s.id)).toEqual([launched.servers[0]!.id]);
    expect(group.worst).toBe('scheduled-deletion');
    const days = Math.ceil((Date.parse(doomed.deleteAt!) - Date.parse(before.now)) / 86_400_000);
    expect(strataSync(['risk', '--within', `${days}d`], { home }).code).toBe(6);
    // The sandbox's clock runs on (100,000 simulated seconds a second) until its vendor deletes the template.
    const deadline = Date.now() + 60_000;
    let after: { code: number | null; groups: { imageId: string; worst: string }[] } = { code: null, groups: [] };
    while (Date.now() < deadline) {
      const r = strataSync(['risk', '--within', '1h', '--json', '--sandbox-speed', '100000'], { home });
      after = { code: r.code, groups: jsonOf<{ groups: { imageId: string; worst: string }[] }>(r, 'risk').groups };
      if (after.groups.find((g) => g.imageId === doomed.id)?.worst === 'image-gone') break;
    }
    expect(after.groups.find((g) => g.imageId === doomed.id)?.worst).toBe('image-gone');
    expect(after.code).toBe(6);
  });

  it('strata audit: newest first, --since, in a table and as JSON', () => {
    const home = newHome();
    const id = launchableImage(home);
    strataSync(['image', 'label', id, 'red'], { home });
    const table = strataSync(['audit'], { home });
    expect(table.stdout).toMatch(/^AT\s+ACTOR\s+WHERE\s+ACTION\s+TARGET\s+DETAIL\n.*sandbox eu-west\s+image\.label\s+img-/);
    expect(jsonOf<{ entries: unknown[] }>(strataSync(['audit', '--since', '1h', '--json'], { home }), 'audit').entries).toHaveLength(1);
    expect(jsonOf<{ entries: unknown[] }>(strataSync(['audit', '--since', '2999-01-01', '--json'], { home }), 'audit').entries).toHaveLength(0);
    expect(strataSync(['audit', '--since', 'yesterday'], { home })).toMatchObject({ code: 2 });
  });

  it('strata schema: every name gives a JSON Schema; config and recipes from the schemas strata reads them with', () => {
    const home = newHome();
    const names = strataSync(['schema'], { home }).stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]!);
    expect(names).toEqual(expect.arrayContaining(['images', 'image', 'servers', 'server', 'launch', 'launch-review', 'wait', 'jobs', 'job', 'risk', 'audit', 'error', 'events', 'config', 'recipe']));
    for (const name of names) {
      const r = strataSync(['schema', name], { home });
      expect(r.code, name).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema' });
    }
    const recipe = JSON.parse(strataSync(['schema', 'recipe'], { home }).stdout) as { required: string[]; additionalProperties: boolean };
    expect(recipe).toMatchObject({ required: ['strataRecipe', 'request'], additionalProperties: false });
    expect(strataSync(['schema', 'nope'], { home }).code).toBe(2);
  });

  it('help and usage: from the one table; a mistake is exit status 2 with a sentence', () => {
    const home = newHome();
    const help = strataSync(['--help'], { home });
    expect(help.stdout).toMatch(/^Usage: strata \[options\]\n {7}strata COMMAND \[ARGS\] \[options\]/);
    expect(help.stdout).toContain('  image delete ID           delete an own image; --confirm ID');
    expect(strataSync(['help', 'image', 'show'], { home }).stdout).toMatch(/^Usage: strata image show ID \[options\]/);
    expect(strataSync(['image', 'show', '--help'], { home }).stdout).toMatch(/^Usage: strata image show ID \[options\]/);
    expect(strataSync(['image', '--help'], { home }).stdout).toMatch(/^Usage: strata image COMMAND/);
    expect(strataSync(['--version'], { home }).stdout).toMatch(/^strata \S+\n$/);
    for (const [args, said] of [
      [['imagez'], 'strata: strata has no command "imagez". See strata --help.'],
      [['image'], 'strata: strata image needs a command: show, rename, label, delete, deprecate, import. See strata image --help.'],
      [['image', 'show'], 'strata: strata image show needs ID: the image. See strata image show --help.'],
      [['images', '--scope', 'mine'], 'strata: --scope must be one of own, vendor, public; got "mine".'],
      [['images', '--bogus'], "strata: Unknown option '--bogus'. See strata images --help."],
      [['wait', 'srv-1', '--timeout', 'soon'], 'strata: --timeout must be a duration such as 90s, 15m, 2h or 14d; got "soon".'],
      [['images', '--json', '--ndjson'], 'strata: --json and --ndjson cannot both be given. See strata images --help.'],
    ] as const) {
      const r = strataSync(args, { home });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(said);
    }
  });
});
