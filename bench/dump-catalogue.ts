// Dumps the sandbox's public image catalogue of one region, so fzf and the bare Ink reference can be
// measured over the same images strata shows. Run with tsx (bench/run.mjs does):
//
//   node --import tsx bench/dump-catalogue.ts --region eu-west --out bench/.build/catalogue-eu-west
//
// Writes <out>.names (one image name per line) and <out>.rows (one row per image with the columns strata
// draws: name, id, kind, architecture, state, created, deprecation; ~105 characters), control characters
// replaced, and prints {"count": N}.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider } from '../source/providers/registry.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

// Provider strings may carry escape sequences; the dump feeds other programs' screens.
// eslint-disable-next-line no-control-regex
const clean = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

const region = arg('--region', 'eu-west');
const out = arg('--out', join(process.cwd(), `catalogue-${region}`));
const pageSize = Number(arg('--page-size', '5000'));
const home = mkdtempSync(join(tmpdir(), 'strata-bench-dump-'));
try {
  const provider = await createProvider('sandbox', { region, home });
  const names: string[] = [];
  const rows: string[] = [];
  let page: string | undefined;
  do {
    const result = await provider.listImages({ scope: 'public', page, pageSize });
    for (const image of result.items) {
      const name = clean(image.name);
      names.push(name);
      // The columns strata's image list draws at 120 columns: name, id, kind, arch, state, created, deprecation.
      const date = (image.createdAt ?? '').slice(0, 10);
      const dep = image.deprecatedAt ? `dep ${image.deprecatedAt.slice(0, 10)}` : '';
      const shown = name.length > 46 ? `${name.slice(0, 45)}…` : name.padEnd(46);
      const row = [shown, clean(image.id).padEnd(18), image.kind.padEnd(6), image.architecture.padEnd(6), image.state.padEnd(10), date, dep]
        .join(' ')
        .trimEnd();
      rows.push(row);
    }
    page = result.next;
  } while (page);
  await provider.close();
  writeFileSync(`${out}.names`, names.join('\n') + '\n');
  writeFileSync(`${out}.rows`, rows.join('\n') + '\n');
  process.stdout.write(JSON.stringify({ count: names.length }) + '\n');
} finally {
  rmSync(home, { recursive: true, force: true });
}
