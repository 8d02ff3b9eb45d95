// One command table: the help, the shell completions and the man page are made from it, and stay so. The
// bash completion is run in a real bash: it completes subcommands, options, their values and image ids
// (from the last listing kept in strata's data directory, else a quick listing).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../source/args.js';
import { fishScript, zshScript } from '../../source/cli/completion.js';
import { commandUsage } from '../../source/cli/help.js';
import { manPage } from '../../source/cli/man.js';
import { COMMANDS, optionsOf } from '../../source/cli/table.js';
import { APP, NODE, newHome, ROOT, strataSync } from './helpers.js';

describe('the help and the man page come from the table', () => {
  it('strata --help lists every command; each command\'s help lists every option it takes', () => {
    for (const c of COMMANDS.filter((x) => !x.hidden)) {
      expect(USAGE).toContain(`  ${c.path.join(' ')}`);
      const help = commandUsage(c);
      for (const o of optionsOf(c)) expect(help, `${c.path.join(' ')} --${o.name}`).toContain(`--${o.name}`);
    }
    expect(USAGE).not.toContain('__complete');
  });

  it('docs/strata.1 is the page the table makes (npm run man writes it), and groff reads it without a warning', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const file = join(ROOT, 'docs', 'strata.1');
    expect(readFileSync(file, 'utf8')).toBe(manPage(version));
    for (const c of COMMANDS.filter((x) => !x.hidden)) expect(readFileSync(file, 'utf8')).toContain(`.SS "strata ${c.path.join(' ')}`);
    const groff = spawnSync('groff', ['-man', '-ww', '-z', file], { encoding: 'utf8' });
    if (groff.error) return; // no groff on this machine
    expect(groff.stderr).toBe('');
  });
});

describe('shell completion', () => {
  /** Runs the bash completion for the words typed (the last one is being completed) and gives its candidates. */
  function complete(home: string, bin: string, words: string[]): string[] {
    const script = `source <(strata completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_strata
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, STRATA_HOME: home, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  function strataOnPath(home: string): string {
    const bin = join(home, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'strata'), `#!/bin/sh\nexec '${NODE}' --disable-warning=ExperimentalWarning '${APP}' "$@"\n`);
    chmodSync(join(bin, 'strata'), 0o755);
    return bin;
  }

  it('bash: subcommands, the words under a command, options and their values', () => {
    const home = newHome();
    const bin = strataOnPath(home);
    expect(complete(home, bin, ['strata', 'ima'])).toEqual(['images', 'image']);
    expect(complete(home, bin, ['strata', ''])).toEqual(COMMANDS.filter((c) => !c.hidden).map((c) => c.path[0]).filter((w, i, a) => a.indexOf(w) === i));
    expect(complete(home, bin, ['strata', 'image', ''])).toEqual(['show', 'rename', 'label', 'delete', 'deprecate', 'import']);
    expect(complete(home, bin, ['strata', '--region', 'eu-west', 'jobs', ''])).toEqual(['show', 'cancel', 'resume']);
    expect(complete(home, bin, ['strata', 'images', '--scope', 'v'])).toEqual(['vendor']);
    expect(complete(home, bin, ['strata', 'image', 'label', 'img-1', 'gr'])).toEqual(['green', 'grey']);
    expect(complete(home, bin, ['strata', 'jobs', 'cancel', 'job-1', '--builder', ''])).toEqual(['terminate', 'keep']);
    expect(complete(home, bin, ['strata', 'launch', '--dr'])).toEqual(['--dry-run']);
    expect(complete(home, bin, ['strata', '--pro'])).toEqual(['--provider', '--profile']);
    expect(complete(home, bin, ['strata', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('bash: image ids, from the last listing strata made, else from a quick one; per provider and region', () => {
    const home = newHome();
    const bin = strataOnPath(home);
    // Nothing listed yet: the completion lists (and keeps the ids for the next Tab).
    const own = strataSync(['images', '--ids'], { home: newHome() }).stdout.trim().split('\n');
    const first = complete(home, bin, ['strata', 'image', 'show', 'img-']);
    expect(first.length).toBeGreaterThan(own.length);
    expect(first).toEqual(expect.arrayContaining(own));
    expect(first.some((id) => id.startsWith('img-v-'))).toBe(true);
    // From the kept listing now: an image deleted meanwhile by another strata is still offered (no listing
    // was made for the Tab), one that `strata images` has listed since is not.
    const cache = join(home, 'completion');
    expect(existsSync(cache)).toBe(true);
    const victim = own.find((id) => strataSync(['image', 'show', id, '--json'], { home }).stdout.includes('"state":"available"'))!;
    expect(strataSync(['image', 'delete', victim, '--confirm', victim], { home }).code).toBe(0);
    expect(complete(home, bin, ['strata', 'image', 'show', victim.slice(0, 12)])).toContain(victim);
    strataSync(['images'], { home });
    expect(complete(home, bin, ['strata', 'image', 'show', victim.slice(0, 12)])).not.toContain(victim);
    // Another region keeps its own ids.
    const plain = complete(home, bin, ['strata', '--region', 'ap-south', 'image', 'delete', 'img-']);
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.some((id) => own.includes(id))).toBe(false);
    // Server ids the same way.
    rmSync(cache, { recursive: true, force: true });
    expect(complete(home, bin, ['strata', 'wait', ''])).toEqual([]);
  });

  it('zsh (through bashcompinit) and fish: every command is there', () => {
    const zsh = zshScript();
    const fish = fishScript();
    expect(zsh.startsWith('#compdef strata\n')).toBe(true);
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -F _strata strata');
    for (const c of COMMANDS.filter((x) => !x.hidden)) {
      expect(fish).toContain(`-a ${c.path[c.path.length - 1]}`);
      for (const o of c.options) expect(fish, `${c.path.join(' ')} --${o.name}`).toContain(`-l ${o.name}`);
    }
    // Where a shell is installed, its parser reads the script.
    for (const [shell, script, check] of [
      ['zsh', zsh, ['-n']],
      ['fish', fish, ['--no-execute']],
    ] as const) {
      const r = spawnSync(shell, [...check], { input: script, encoding: 'utf8' });
      if (r.error) continue;
      expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
    }
  });
});
