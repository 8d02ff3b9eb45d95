// The ids the shell completion offers, from the last listing a subcommand made (strata images, servers,
// jobs): a small file per provider and region in strata's data directory, so a Tab never waits on a
// cloud. Ids only: nothing secret, nothing that changes anything.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = 'completion';

function fileOf(dataDir: string, provider: string, region: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return join(dataDir, DIR, `${safe(provider)}--${safe(region)}.json`);
}

type Cache = Record<string, { at: string; ids: string[] }>;

function read(path: string): Cache {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Cache) : {};
  } catch {
    return {};
  }
}

/** Keeps the ids of a listing (a completion cache never fails a command: errors are ignored). */
export function writeCompletionCache(dataDir: string, provider: string, region: string, kind: string, ids: readonly string[]): void {
  try {
    const path = fileOf(dataDir, provider, region);
    mkdirSync(join(dataDir, DIR), { recursive: true, mode: 0o700 });
    const cache = read(path);
    cache[kind] = { at: new Date().toISOString(), ids: ids.slice(0, 20_000) };
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(cache), { mode: 0o600 });
    renameSync(temp, path);
  } catch {
    // the completion is a convenience
  }
}

/** The ids of the last listings of these kinds, where there were any (undefined: never listed). */
export function readCompletionCache(dataDir: string, provider: string, region: string, kinds: readonly string[]): string[] | undefined {
  const cache = read(fileOf(dataDir, provider, region));
  const found = kinds.filter((k) => Array.isArray(cache[k]?.ids));
  if (found.length === 0) return undefined;
  return [...new Set(found.flatMap((k) => cache[k]!.ids.filter((id) => typeof id === 'string')))];
}
