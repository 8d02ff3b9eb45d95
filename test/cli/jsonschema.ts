// A small JSON Schema (2020-12) validator for the tests: the keywords `strata schema` emits (zod's
// toJSONSchema): $ref to $defs, type, properties, required, additionalProperties, propertyNames, items,
// enum, const, oneOf, anyOf, minimum, maximum, minLength, maxLength, maxItems, pattern. An unknown keyword
// fails the validation, so a schema that grows past this validator cannot pass by being ignored.
type Schema = Record<string, unknown> | boolean;

const KNOWN = new Set([
  '$schema', '$id', '$ref', '$defs', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties',
  'propertyNames', 'items', 'enum', 'const', 'oneOf', 'anyOf', 'minimum', 'maximum', 'minLength', 'maxLength', 'maxItems',
  'minItems', 'pattern', 'id', 'default', 'exclusiveMinimum', 'exclusiveMaximum', 'format',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Every way `value` breaks `schema`, each with its JSON path (empty when it is valid). */
export function validate(schema: Schema, value: unknown, root: Schema = schema, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  const errors: string[] = [];
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) errors.push(`${path}: the validator does not know the keyword "${key}"`);
  if (typeof schema.$ref === 'string') {
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m && typeof root === 'object' ? (root.$defs as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
    if (!target) return [...errors, `${path}: unresolved $ref ${schema.$ref}`];
    errors.push(...validate(target, value, root, path));
  }
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const ok = types.some((want) => want === t || (want === 'number' && t === 'integer'));
    if (!ok) return [...errors, `${path}: ${t} is not ${types.join(' or ')}`];
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) errors.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (t === 'number' || t === 'integer') {
    const n = value as number;
    if (typeof schema.minimum === 'number' && n < schema.minimum) errors.push(`${path}: ${n} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && n > schema.maximum) errors.push(`${path}: ${n} > ${schema.maximum}`);
  }
  if (t === 'string') {
    const s = value as string;
    if (typeof schema.minLength === 'number' && [...s].length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && [...s].length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(s)) errors.push(`${path}: does not match ${schema.pattern}`);
  }
  if (t === 'array') {
    const a = value as unknown[];
    if (typeof schema.maxItems === 'number' && a.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    if (typeof schema.minItems === 'number' && a.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.items !== undefined) a.forEach((item, i) => errors.push(...validate(schema.items as Schema, item, root, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in o)) errors.push(`${path}: "${key}" is missing`);
    for (const [key, v] of Object.entries(o)) {
      if (schema.propertyNames !== undefined) errors.push(...validate(schema.propertyNames as Schema, key, root, `${path}{${key}}`));
      if (key in props) errors.push(...validate(props[key]!, v, root, `${path}.${key}`));
      else if (schema.additionalProperties !== undefined) errors.push(...validate(schema.additionalProperties as Schema, v, root, `${path}.${key}`));
    }
  }
  for (const [keyword, needed] of [['oneOf', 1], ['anyOf', 0]] as const) {
    const branches = schema[keyword] as Schema[] | undefined;
    if (!branches) continue;
    const passing = branches.filter((b) => validate(b, value, root, path).length === 0).length;
    if (keyword === 'oneOf' ? passing !== needed : passing === 0) errors.push(`${path}: matches ${passing} of the ${keyword} branches`);
  }
  return errors;
}
