import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach } from 'vitest';

/** A fresh temporary directory per call (mode 0700, from mkdtemp), removed after the test. */
export function useTempDirs(prefix = 'strata-secrets-'): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** Sets environment variables for one test and puts the old values back afterwards. */
export function useEnv(): (values: Record<string, string | undefined>) => void {
  const saved: Array<[string, string | undefined]> = [];
  afterEach(() => {
    for (const [name, value] of saved.splice(0).reverse()) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  return (values) => {
    for (const [name, value] of Object.entries(values)) {
      saved.push([name, process.env[name]]);
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Everything a caller could show or log about an error: message, detail, cause, fields, inspect output. */
export function everythingAbout(error: unknown): string {
  const parts = [String(error), inspect(error, { depth: 10, showHidden: true })];
  if (error instanceof Error) {
    parts.push(error.message, String(error.stack));
    try {
      parts.push(JSON.stringify(error, Object.getOwnPropertyNames(error)));
    } catch {
      // circular: inspect covered it
    }
  }
  return parts.join('\n');
}

/** The rejection of a promise (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The error a function throws (fails the test if it does not). */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but nothing was thrown');
}
