// Bundles bench/reference/bare-ink.tsx into bench/.build/bare-ink.js with the options scripts/build.mjs
// uses for dist/cli.js (ESM, node22, module-first main fields, the devtools stub, production React, the
// createRequire banner, code splitting), so the first-frame comparison is between like and like.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = join(root, 'bench', '.build');

/** Builds the reference and returns the path of its entry script. */
export async function buildReference() {
  mkdirSync(BUILD_DIR, { recursive: true });
  await build({
    entryPoints: [join(root, 'bench', 'reference', 'bare-ink.tsx')],
    outdir: BUILD_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    alias: { 'react-devtools-core': join(root, 'scripts', 'devtools-stub.mjs') },
    define: { 'process.env.NODE_ENV': '"production"' },
    banner: {
      js: [
        '#!/usr/bin/env -S node --disable-warning=ExperimentalWarning',
        "import { createRequire as __strataCreateRequire } from 'node:module';",
        'const require = __strataCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
  });
  writeFileSync(join(BUILD_DIR, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  return join(BUILD_DIR, 'bare-ink.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await buildReference());
}
