// The esbuild options of strata's bundle, shared by scripts/build.mjs (dist/cli.js) and the bench's bare
// Ink reference (bench/build-reference.mjs), so the first-frame comparison is between like and like.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** ESM for Node 22, code splitting, the devtools stub, production React, and a createRequire banner. */
export function bundleOptions(entry, outdir) {
  return {
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    alias: { 'react-devtools-core': join(ROOT, 'scripts', 'devtools-stub.mjs') },
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
  };
}
