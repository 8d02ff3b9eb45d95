// Running the built strata (dist/cli.js, `npm run build`) as a user's shell or script would: a real
// process on the pinned Node 22, a STRATA_HOME of its own, the real sandbox and store. Its JSON is checked
// against the JSON Schema the same binary prints (`strata schema NAME`).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { appPath, nodePath, repoRoot } from '../e2e/harness.js';
import { validate } from './jsonschema.js';

export const ROOT = repoRoot();
export const APP = appPath();
export const NODE = nodePath();

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** A fresh STRATA_HOME (removed after the test). */
export function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  homes.push(home);
  return home;
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  home: string;
  env?: Record<string, string | undefined>;
  /** Arguments to node before the script (a loader hook, --import). */
  nodeArgs?: string[];
  input?: string;
}

function envFor(options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, STRATA_HOME: options.home, STRATA_SECRETS: 'file', NO_COLOR: '1', TERM: 'xterm-256color' };
  delete env.STRATA_PROVIDER;
  delete env.STRATA_LIBVIRT_URI;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs strata with these arguments and resolves when it exits. */
export function strata(args: readonly string[], options: RunOptions): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [...(options.nodeArgs ?? []), '--disable-warning=ExperimentalWarning', APP, ...args], {
      cwd: ROOT,
      env: envFor(options),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const result: Result = { code: null, signal: null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (result.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (result.stderr += c));
    child.stdin.end(options.input ?? '');
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ ...result, code, signal }));
  });
}

/** The same, synchronously (for small commands in a row). */
export function strataSync(args: readonly string[], options: RunOptions): Result {
  const r = spawnSync(NODE, [...(options.nodeArgs ?? []), '--disable-warning=ExperimentalWarning', APP, ...args], {
    cwd: ROOT,
    env: envFor(options),
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: 120_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const schemas = new Map<string, Record<string, unknown>>();

/** The JSON Schema the binary prints for a document. */
export function schemaOf(name: string): Record<string, unknown> {
  let schema = schemas.get(name);
  if (!schema) {
    const r = strataSync(['schema', name], { home: newHome() });
    expect(r.code, r.stderr).toBe(0);
    schema = JSON.parse(r.stdout) as Record<string, unknown>;
    schemas.set(name, schema);
  }
  return schema;
}

/** Parses one JSON document from stdout and checks it against its kind's schema (and the kind expected). */
export function jsonOf<T = Record<string, unknown>>(result: Result, kind: string): T {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`stdout is not one JSON document (${(error as Error).message}); exit ${result.code}; stderr: ${result.stderr}\n${result.stdout.slice(0, 2000)}`);
  }
  expect(doc.kind, result.stderr).toBe(kind);
  expect(doc.schemaVersion).toBe(2);
  expect(validate(schemaOf(kind), doc)).toEqual([]);
  return doc as T;
}

/** Every line of --ndjson output, each checked against the events schema. */
export function linesOf(result: Result): Record<string, unknown>[] {
  const schema = schemaOf('events');
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const doc = JSON.parse(line) as Record<string, unknown>;
      expect(validate(schema, doc), line.slice(0, 300)).toEqual([]);
      expect(validate(schemaOf(String(doc.kind)), doc), line.slice(0, 300)).toEqual([]);
      return doc;
    });
}

/** A launch recipe file for an own image (x86_64, available) of the sandbox's eu-west. */
export function recipeYaml(imageId: string, fields: Record<string, unknown> = {}): string {
  const request = { name: 'web', imageId, productId: 'sb.small', count: 1, firewallIds: [], keypair: { mode: 'none' }, ...fields };
  return `strataRecipe: 1\nrequest: ${JSON.stringify(request)}\n`;
}

/** An own image of the sandbox's world that a launch accepts (x86_64, available). */
export function launchableImage(home: string): string {
  const r = strataSync(['images', '--json'], { home });
  const doc = JSON.parse(r.stdout) as { images: { id: string; architecture: string; state: string; shownName: string }[] };
  const image = doc.images.find((i) => i.architecture === 'x86_64' && i.state === 'available' && /^[\x20-\x7e]+$/.test(i.shownName));
  if (!image) throw new Error('the sandbox world has no launchable own image');
  return image.id;
}
