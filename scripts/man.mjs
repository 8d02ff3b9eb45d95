// Writes docs/strata.1, the man page, from the command table (source/cli/table.ts through source/cli/man.ts).
// Run with `npm run man` after changing a command or an option; test/cli/table.test.ts fails while the file
// in the repository is not the one the table makes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle-options.mjs';
import { manPage } from '../source/cli/man.ts';

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
writeFileSync(join(ROOT, 'docs', 'strata.1'), manPage(version));
process.stdout.write('wrote docs/strata.1\n');
