// Where strata keeps its files. STRATA_HOME overrides everything (one directory for data and config);
// otherwise the XDG base directories, defaulting to ~/.local/share/strata and ~/.config/strata.
import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export interface StrataHome {
  /** The database, logs, key files: what strata writes. */
  data: string;
  /** The configuration file(s): what the user writes. */
  config: string;
}

type Env = Record<string, string | undefined>;

/** An XDG variable counts only when set to an absolute path (the XDG spec says to ignore relative ones). */
function xdg(env: Env, name: string): string | undefined {
  const value = env[name];
  return value && isAbsolute(value) ? value : undefined;
}

/**
 * Resolves strata's data and config directories and creates them (mode 0700: they hold the audit log and
 * may hold key files). A directory that already exists keeps its mode: it is the user's.
 */
export function strataHome(env: Env = process.env): StrataHome {
  let data: string;
  let config: string;
  const override = env.STRATA_HOME;
  if (override) {
    data = config = expandHome(override, env);
  } else {
    const home = env.HOME || homedir();
    data = join(xdg(env, 'XDG_DATA_HOME') ?? join(home, '.local', 'share'), 'strata');
    config = join(xdg(env, 'XDG_CONFIG_HOME') ?? join(home, '.config'), 'strata');
  }
  ensurePrivateDir(data);
  if (config !== data) ensurePrivateDir(config);
  return { data, config };
}

/** Expands a leading ~ (the user's home): "~" and "~/…"; any other path is returned as it is. */
export function expandHome(path: string, env: Env = process.env): string {
  if (path === '~') return env.HOME || homedir();
  if (path.startsWith('~/')) return join(env.HOME || homedir(), path.slice(2));
  return path;
}

/** Creates a directory (and its missing parents) with mode 0700; leaves an existing one as it is. */
export function ensurePrivateDir(path: string): void {
  const created = mkdirSync(path, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; a fresh directory gets exactly 0700 whatever the umask.
  if (created !== undefined) chmodSync(path, 0o700);
}
