// Builds dist/cli.js: one ESM bundle (first frame in about half the time of the unbundled sources).
import { build } from 'esbuild';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stub = join(root, 'scripts', 'devtools-stub.mjs');
rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist'), { recursive: true });

await build({
  entryPoints: [join(root, 'source', 'cli.tsx')],
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  alias: { 'react-devtools-core': stub },
  // Heavy SDKs stay outside the bundle and load only when their provider is chosen.
  external: ['@aws-sdk/*', '@napi-rs/keyring', '@napi-rs/keyring/*', 'node-pty'],
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
chmodSync(join(root, 'dist', 'cli.js'), 0o755);
writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
