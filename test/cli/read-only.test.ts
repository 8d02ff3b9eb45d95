// --read-only: every subcommand that changes anything is refused before it tries, with exit status 4 and
// a sentence; the ones that only read work as usual. The table says which is which, and this test keeps
// the list of readers by name, so a new command has to be put on one side or the other.
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandName } from '../../source/cli/table.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonOf, launchableImage, newHome, recipeYaml, strataSync } from './helpers.js';

const READERS = ['images', 'images stale', 'image show', 'servers', 'server show', 'console', 'firewalls', 'jobs', 'jobs show', 'wait', 'risk', 'audit', 'completion', 'schema', 'help', '__complete'];

/** Plausible arguments for each argument name (the refusal comes before any of them is looked at). */
const ARG: Record<string, string> = { ID: 'img-x', NAME: 'a-name', COLOUR: 'red', PATH: '/tmp/disk.qcow2', SERVER: 'srv-x', TEMPLATE: 'img-v-x' };

describe('a read-only session', () => {
  it('says which commands change something: every other one is a reader', () => {
    const changing = COMMANDS.filter((c) => c.changes).map(commandName);
    expect(COMMANDS.map(commandName).filter((n) => !changing.includes(n)).sort()).toEqual([...READERS].sort());
    expect(changing.sort()).toEqual(['capture', 'firewall delete', 'image delete', 'image deprecate', 'image import', 'image label', 'image rename', 'jobs cancel', 'jobs resume', 'launch', 'server terminate', 'workflow safe']);
  });

  it('refuses every changing command with exit status 4 and a sentence, before anything is asked or changed', () => {
    const home = newHome();
    const image = launchableImage(home);
    const before = strataSync(['images', '--json'], { home }).stdout;
    for (const command of COMMANDS.filter((c) => c.changes)) {
      const args = [...command.path, ...command.args.filter((a) => !a.optional).map((a) => (a.name === 'ID' && command.path[0] === 'image' ? image : ARG[a.name] ?? 'x'))];
      const extra = command.path[0] === 'launch' ? ['--recipe', '/nonexistent.yaml'] : [];
      const r = strataSync([...args, ...extra, '--read-only'], { home });
      expect(r.code, args.join(' ')).toBe(4);
      expect(r.stderr, args.join(' ')).toMatch(/^strata: Read-only session: strata does not [a-z ]+ here \(it was started with --read-only\)\.\n$/);
      expect(r.stdout, args.join(' ')).toBe('');
      // The JSON form says it too, in an error document.
      const json = strataSync([...args, ...extra, '--read-only', '--json'], { home });
      expect(jsonOf(json, 'error')).toMatchObject({ exitCode: 4, error: expect.stringMatching(/^Read-only session: /) });
    }
    // Nothing changed: the same images, and not one entry in the audit log.
    expect(strataSync(['images', '--json'], { home }).stdout).toBe(before);
    expect(jsonOf<{ entries: unknown[] }>(strataSync(['audit', '--json'], { home }), 'audit').entries).toEqual([]);
  });

  it('lets the readers run, and a launch --dry-run (it sends nothing)', () => {
    const home = newHome();
    const image = launchableImage(home);
    for (const args of [['images'], ['images', 'stale'], ['image', 'show', image], ['servers'], ['firewalls'], ['jobs'], ['audit'], ['risk', '--within', '1h']]) {
      const r = strataSync([...args, '--read-only'], { home });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(image));
    const review = strataSync(['launch', '--recipe', recipe, '--dry-run', '--read-only', '--json'], { home });
    expect(jsonOf(review, 'launch-review')).toMatchObject({ sent: false, wouldLaunch: true });
    expect(strataSync(['servers', '--ids'], { home }).stdout).toBe('');
  });
});
