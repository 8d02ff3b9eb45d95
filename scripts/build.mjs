// Builds dist/cli.js: one ESM bundle (first frame in about half the time of the unbundled sources).
import { build } from 'esbuild';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleOptions, ROOT } from './bundle-options.mjs';

/** zod's z.locales is English alone in the bundle (scripts/zod-locales.mjs says why). */
const onlyEnglishZodLocales = {
  name: 'zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: join(ROOT, 'scripts', 'zod-locales.mjs') } : undefined,
    );
  },
};

const dist = join(ROOT, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await build({
  ...bundleOptions(join(ROOT, 'source', 'cli.tsx'), dist),
  // Heavy SDKs stay outside the bundle and load only when their provider is chosen.
  external: ['@aws-sdk/*', '@napi-rs/keyring', '@napi-rs/keyring/*', 'node-pty'],
  // Which sources went into which chunk: test/cli/bundle.test.ts reads it to show that a subcommand's
  // chunks hold no Ink and no React.
  metafile: true,
  plugins: [onlyEnglishZodLocales],
});
writeFileSync(join(dist, 'meta.json'), JSON.stringify(result.metafile));
chmodSync(join(dist, 'cli.js'), 0o755);
writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
