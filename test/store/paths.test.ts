import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strataHome } from '../../source/store/paths.js';
import { useTempDirs } from './helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('strataHome', () => {
  const tempDir = useTempDirs();

  it('uses STRATA_HOME for both data and config, creating it with mode 0700', () => {
    const root = join(tempDir(), 'home', 'strata');
    const home = strataHome({ STRATA_HOME: root, XDG_DATA_HOME: '/nowhere/data', HOME: '/nowhere' });
    expect(home).toEqual({ data: root, config: root });
    expect(mode(root)).toBe(0o700);
  });

  it('uses the XDG base directories when STRATA_HOME is not set', () => {
    const base = tempDir();
    const home = strataHome({ XDG_DATA_HOME: join(base, 'd'), XDG_CONFIG_HOME: join(base, 'c'), HOME: '/nowhere' });
    expect(home).toEqual({ data: join(base, 'd', 'strata'), config: join(base, 'c', 'strata') });
    expect(mode(home.data)).toBe(0o700);
    expect(mode(home.config)).toBe(0o700);
  });

  it('defaults to ~/.local/share/strata and ~/.config/strata, ignoring relative XDG paths', () => {
    const base = tempDir();
    const home = strataHome({ HOME: base, XDG_DATA_HOME: 'relative/data', XDG_CONFIG_HOME: '' });
    expect(home).toEqual({ data: join(base, '.local', 'share', 'strata'), config: join(base, '.config', 'strata') });
    expect(mode(home.data)).toBe(0o700);
    expect(mode(home.config)).toBe(0o700);
  });

  it('expands a leading ~ in STRATA_HOME', () => {
    const base = tempDir();
    expect(strataHome({ HOME: base, STRATA_HOME: '~/s' }).data).toBe(join(base, 's'));
  });

  it('leaves the mode of a directory that already exists alone', () => {
    const root = join(tempDir(), 'existing');
    mkdirSync(root, { mode: 0o750 });
    strataHome({ STRATA_HOME: root });
    expect(mode(root)).toBe(0o750 & ~process.umask());
  });
});
