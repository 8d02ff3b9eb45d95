// A launch recipe for the command line: a YAML file (or a recipe of the recipes directory by name), with
// --set KEY=VALUE overrides. A value's type comes from the recipe's own schema (services/recipes.ts), and
// the result is checked with the recipe's own validation: a command line cannot make a request the
// launch form could not.
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { StrataError } from '../../core/errors.js';
import type { LaunchServices } from '../../services/launching.js';
import type { LaunchRequest } from '../../services/launcher.js';
import { launchRequestProblems, launchRequestSchema, type Recipe } from '../../services/recipes.js';
import { UsageError } from '../table.js';

/** --recipe FILE: a file where there is one, else a recipe of that name in the recipes directory. */
export function loadRecipe(services: LaunchServices, given: string): Recipe {
  if (existsSync(given) && statSync(given).isFile()) return services.recipes.loadFile(given);
  if (services.recipes.nameProblem(given) === undefined && services.recipes.exists(given)) return services.recipes.load(given);
  throw new StrataError('NotFound', `There is no recipe file ${given}${services.recipes.nameProblem(given) === undefined ? `, nor a recipe named "${given}" in ${services.recipes.directory}` : ''}.`, {
    field: 'recipe',
  });
}

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; oneOf?: JsonSchema[]; anyOf?: JsonSchema[]; items?: JsonSchema; required?: string[] };

let requestJsonSchema: JsonSchema | undefined;

function schemaAt(path: readonly string[]): JsonSchema | undefined {
  requestJsonSchema ??= z.toJSONSchema(launchRequestSchema) as JsonSchema;
  let node: JsonSchema | undefined = requestJsonSchema;
  for (const key of path) {
    const branches: JsonSchema[] = node ? [node, ...(node.oneOf ?? []), ...(node.anyOf ?? [])] : [];
    node = branches.map((b) => b.properties?.[key]).find((p) => p !== undefined);
    if (!node) return undefined;
  }
  return node;
}

function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.type)) return schema.type[0] ?? 'string';
  if (schema.type) return schema.type;
  if (schema.oneOf || schema.anyOf || schema.properties) return 'object';
  return 'string';
}

/** The fields --set can change, for the sentence that says a key is not one. */
function knownKeys(): string[] {
  const out: string[] = [];
  const walk = (schema: JsonSchema | undefined, prefix: string) => {
    const branches = schema ? [schema, ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])] : [];
    const seen = new Set<string>();
    for (const b of branches) {
      for (const [key, child] of Object.entries(b.properties ?? {})) {
        if (seen.has(key)) continue;
        seen.add(key);
        const path = prefix ? `${prefix}.${key}` : key;
        out.push(path);
        if (typeOf(child) === 'object') walk(child, path);
      }
    }
  };
  requestJsonSchema ??= z.toJSONSchema(launchRequestSchema) as JsonSchema;
  walk(requestJsonSchema, '');
  return out;
}

function valueFor(key: string, raw: string, schema: JsonSchema): unknown {
  const type = typeOf(schema);
  const where = `--set ${key}`;
  if (type === 'integer' || type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) throw new UsageError(`${where} must be a ${type === 'integer' ? 'whole number' : 'number'}; got "${raw}".`);
    return n;
  }
  if (type === 'boolean') {
    if (/^(true|yes|1)$/i.test(raw)) return true;
    if (/^(false|no|0)$/i.test(raw)) return false;
    throw new UsageError(`${where} must be true or false; got "${raw}".`);
  }
  if (type === 'array' && schema.items && typeOf(schema.items) === 'string' && !raw.trim().startsWith('[')) {
    return raw.split(',').map((v) => v.trim()).filter(Boolean);
  }
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new UsageError(`${where} takes JSON here (e.g. ${type === 'array' ? '[…]' : '{"mode":"existing","name":"ops"}'}); got "${raw}".`);
    }
  }
  return raw;
}

/** Applies --set KEY=VALUE overrides in order; the result must be a request the recipe's validation accepts. */
export function applySets(request: LaunchRequest, sets: readonly string[]): LaunchRequest {
  const out = JSON.parse(JSON.stringify(request)) as Record<string, unknown>;
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes KEY=VALUE (e.g. --set productId=sb.small); got "${set}".`);
    const key = set.slice(0, eq);
    const raw = set.slice(eq + 1);
    const path = key.split('.');
    const schema = schemaAt(path);
    if (!schema) throw new UsageError(`--set ${key}: "${key}" is not a field of the launch form; the fields are ${knownKeys().join(', ')}.`);
    let parent = out;
    for (const part of path.slice(0, -1)) {
      const next = parent[part];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) parent[part] = {};
      parent = parent[part] as Record<string, unknown>;
    }
    const leaf = path[path.length - 1]!;
    if (raw === '' && typeOf(schema) !== 'string') delete parent[leaf];
    else if (raw === '' && !['name', 'imageId', 'productId'].includes(key)) delete parent[leaf];
    else parent[leaf] = valueFor(key, raw, schema);
  }
  const problems = launchRequestProblems(out);
  if (problems.length > 0) {
    const said = problems.map((p) => `${p.field}: ${p.message}`).join(' ');
    throw new UsageError(`The launch request is not valid${sets.length ? ' (after --set)' : ''}: ${said}`);
  }
  return out as unknown as LaunchRequest;
}
