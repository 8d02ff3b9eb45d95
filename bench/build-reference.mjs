// Bundles bench/reference/bare-ink.tsx into bench/.build/bare-ink.js with the very options of strata's own
// bundle (scripts/bundle-options.mjs), so the first-frame comparison is between like and like.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOptions } from '../scripts/bundle-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = join(root, 'bench', '.build');

/** Builds the reference and returns the path of its entry script. */
export async function buildReference() {
  mkdirSync(BUILD_DIR, { recursive: true });
  await build(bundleOptions(join(root, 'bench', 'reference', 'bare-ink.tsx'), BUILD_DIR));
  writeFileSync(join(BUILD_DIR, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  return join(BUILD_DIR, 'bare-ink.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await buildReference());
}
