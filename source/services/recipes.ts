// Launch recipes: the whole launch form saved as YAML in ${configDir}/recipes/<name>.yaml, to be opened
// again by the form. A recipe is a LaunchRequest, which holds no secret by construction (keypairs are
// names, passphrases are generated at launch and go to the keychain, user data is a file path), and the
// schema is strict: a recipe with any other key is refused, so none can be smuggled in.
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { StrataError } from '../core/errors.js';
import type { LaunchRequest } from './launcher.js';
import { FileError, parseYamlWith, readTextFile } from './config.js';

export const RECIPES_DIR = 'recipes';
export const RECIPE_VERSION = 1;
const RECIPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The fields of a LaunchRequest in the form's order (a recipe reads like the form). */
const LAUNCH_FORM_FIELDS: readonly (keyof LaunchRequest)[] = [
  'name', 'imageId', 'productId', 'count', 'firewallIds', 'newFirewall', 'keypair', 'group', 'billingCode', 'volumes', 'userDataFile',
];

// A value is one line of plain text: a line break (or any other control character, an escape sequence)
// would break the form's layout, or reach the terminal. Such a recipe is refused at load, with its file,
// line and key; strata does not guess which line was meant.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const text = (what: string) =>
  z
    .string({ error: `${what} must be text` })
    .max(4096, `${what} is too long`)
    .refine((v) => !CONTROL.test(v), `${what} must be one line of text, without line breaks or control characters`);

const ruleSchema = z.strictObject({
  protocol: z.enum(['tcp', 'udp', 'icmp'], { error: 'protocol must be tcp, udp or icmp' }),
  fromPort: z.number({ error: 'fromPort must be a whole number' }).int('fromPort must be a whole number'),
  toPort: z.number({ error: 'toPort must be a whole number' }).int('toPort must be a whole number'),
  source: z
    .string({ error: 'source must be a CIDR block, e.g. 203.0.113.0/24' })
    .max(64, 'source must be a CIDR block, e.g. 203.0.113.0/24')
    .refine((v) => !CONTROL.test(v), 'source must be a CIDR block, e.g. 203.0.113.0/24'),
});

/** The shape of a LaunchRequest (the values are checked by the launcher's review, with the provider's rules). */
export const launchRequestSchema = z.strictObject({
  name: text('name'),
  imageId: text('imageId'),
  productId: text('productId'),
  count: z.number({ error: 'count must be a whole number' }).int('count must be a whole number'),
  firewallIds: z.array(text('a firewall id'), { error: 'firewallIds must be a list' }),
  newFirewall: z
    .strictObject({ name: text('newFirewall.name'), rules: z.array(ruleSchema, { error: 'rules must be a list' }).max(200) })
    .optional(),
  keypair: z.discriminatedUnion(
    'mode',
    [
      z.strictObject({ mode: z.literal('none') }),
      z.strictObject({ mode: z.literal('existing'), name: text('keypair.name') }),
      z.strictObject({ mode: z.literal('create'), name: text('keypair.name'), directory: text('keypair.directory').optional() }),
    ],
    { error: 'keypair must have mode none, existing (with a name) or create (with a name)' },
  ),
  group: text('group').optional(),
  billingCode: text('billingCode').optional(),
  volumes: z
    .strictObject({
      count: z.number({ error: 'volumes.count must be a whole number' }).int('volumes.count must be a whole number'),
      sizeGiB: z.number({ error: 'volumes.sizeGiB must be a whole number' }).int('volumes.sizeGiB must be a whole number'),
      raid: z.enum(['none', '0', '1', '5', '10'], { error: 'raid must be none, 0, 1, 5 or 10 (quote the number: "1")' }),
      filesystem: z.enum(['ext4', 'xfs'], { error: 'filesystem must be ext4 or xfs' }),
      mountPoint: text('volumes.mountPoint'),
      encrypt: z.boolean({ error: 'encrypt must be true or false' }),
    })
    .optional(),
  userDataFile: text('userDataFile').optional(),
}) satisfies z.ZodType<LaunchRequest>;

/** A recipe file: version, where it was saved from, and the request (its JSON Schema: strata schema recipe). */
export const recipeSchema = z.strictObject({
  strataRecipe: z.literal(RECIPE_VERSION, { error: `strataRecipe must be ${RECIPE_VERSION} (this strata reads version ${RECIPE_VERSION} recipes)` }),
  provider: text('provider').optional(),
  region: text('region').optional(),
  savedAt: text('savedAt').optional(),
  request: launchRequestSchema,
});

/** Every way a value is not the shape of a LaunchRequest, each with its field (empty when it is one). */
export function launchRequestProblems(value: unknown): { field: string; message: string }[] {
  const result = launchRequestSchema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'request';
    const message = issue.code === 'unrecognized_keys' ? `${issue.keys.map((k) => `"${k}"`).join(', ')} is not a field of the launch form` : issue.message;
    return { field, message: /[.!?]$/.test(message) ? message : `${message}.` };
  });
}

/** Checks a value that should be a LaunchRequest (e.g. from the journal); throws Invalid naming the field. */
export function parseLaunchRequest(value: unknown, where = 'The launch request'): LaunchRequest {
  const result = launchRequestSchema.safeParse(value);
  if (result.success) return result.data;
  const first = launchRequestProblems(value)[0]!;
  throw new StrataError('Invalid', `${where} is not valid: ${first.field}: ${first.message}`, { field: first.field });
}

export interface Recipe {
  name: string;
  path: string;
  /** Where it was saved from (the form may say so when it is opened elsewhere). */
  provider?: string;
  region?: string;
  savedAt?: string;
  request: LaunchRequest;
}

export interface RecipeListing {
  name: string;
  path: string;
  /** The recipe, where it could be read. */
  recipe?: Recipe;
  /** Otherwise the sentence that says why not. */
  problem?: string;
}

export class Recipes {
  readonly directory: string;
  private readonly now: () => Date;

  constructor(configDir: string, options: { now?: () => Date } = {}) {
    this.directory = join(configDir, RECIPES_DIR);
    this.now = options.now ?? (() => new Date());
  }

  /** Why a recipe name is refused, or undefined. */
  nameProblem(name: string): string | undefined {
    if (typeof name !== 'string' || name === '') return 'A recipe needs a name.';
    if (!RECIPE_NAME.test(name)) {
      return 'A recipe name has 1 to 64 characters: letters, digits and . _ - (not first), e.g. "web-eu".';
    }
    return undefined;
  }

  pathOf(name: string): string {
    const problem = this.nameProblem(name);
    if (problem) throw new StrataError('Invalid', problem, { field: 'recipe' });
    return join(this.directory, `${name}.yaml`);
  }

  exists(name: string): boolean {
    return existsSync(this.pathOf(name));
  }

  /**
   * Saves the form. An existing recipe of that name is kept (Conflict) unless overwrite is true. The
   * file appears whole or not at all (written beside it, then linked or renamed into place).
   */
  save(name: string, request: LaunchRequest, options: { provider?: string; region?: string; overwrite?: boolean } = {}): Recipe {
    const path = this.pathOf(name);
    const checked = parseLaunchRequest(stripUndefined(request), 'The launch form');
    const recipe: Recipe = {
      name,
      path,
      ...(options.provider ? { provider: options.provider } : {}),
      ...(options.region ? { region: options.region } : {}),
      savedAt: this.now().toISOString(),
      request: checked,
    };
    const document = {
      strataRecipe: RECIPE_VERSION,
      ...(recipe.provider ? { provider: recipe.provider } : {}),
      ...(recipe.region ? { region: recipe.region } : {}),
      savedAt: recipe.savedAt,
      request: orderFields(checked),
    };
    const body = `# strata launch recipe "${name}": open it from the launch form (it holds no secrets).\n${stringify(document, { lineWidth: 0 })}`;
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const temp = join(this.directory, `.${name}.yaml.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temp, body, { mode: 0o600, flag: 'wx' });
    try {
      chmodSync(temp, 0o600); // the umask can only take bits away; make the mode exact
      if (options.overwrite) {
        renameSync(temp, path);
      } else {
        try {
          linkSync(temp, path); // fails with EEXIST, atomically, where the recipe exists
        } catch (error) {
          if ((error as { code?: string }).code === 'EEXIST') {
            throw new StrataError('Conflict', `A recipe named "${name}" already exists (${path}); choose another name, or overwrite it.`, {
              field: 'recipe',
            });
          }
          throw error;
        }
      }
    } finally {
      rmSync(temp, { force: true });
    }
    return recipe;
  }

  /** Opens a recipe; a bad one throws a FileError naming the file, the line and the field. */
  load(name: string): Recipe {
    const path = this.pathOf(name);
    if (!existsSync(path)) {
      throw new StrataError('NotFound', `There is no recipe named "${name}" (${path} does not exist).`, { field: 'recipe' });
    }
    return this.read(name, path);
  }

  /**
   * Opens a recipe file anywhere (strata launch --recipe FILE); a bad one throws a FileError naming the
   * file, the line and the field, a missing one NotFound.
   */
  loadFile(path: string): Recipe {
    if (!existsSync(path)) {
      throw new StrataError('NotFound', `There is no recipe file ${path}.`, { field: 'recipe' });
    }
    const base = path.slice(path.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');
    return this.read(base, path);
  }

  /** Every recipe in the directory, by name; the unreadable ones with the sentence that says why. */
  list(): RecipeListing[] {
    let files: string[];
    try {
      files = readdirSync(this.directory);
    } catch {
      return [];
    }
    return files
      .filter((f) => f.endsWith('.yaml') && !f.startsWith('.'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .filter((name) => this.nameProblem(name) === undefined)
      .sort((a, b) => a.localeCompare(b))
      .map((name) => {
        const path = join(this.directory, `${name}.yaml`);
        try {
          return { name, path, recipe: this.read(name, path) };
        } catch (error) {
          return { name, path, problem: error instanceof Error ? error.message : String(error) };
        }
      });
  }

  delete(name: string): void {
    rmSync(this.pathOf(name), { force: true });
  }

  private read(name: string, path: string): Recipe {
    const parsed = parseYamlWith(readTextFile(path, 'recipe', 256 * 1024), path, recipeSchema, 'recipe');
    if (parsed === undefined) throw new FileError([{ file: path, key: '', message: 'the recipe is empty.' }], 'recipe');
    return {
      name,
      path,
      ...(parsed.provider !== undefined ? { provider: parsed.provider } : {}),
      ...(parsed.region !== undefined ? { region: parsed.region } : {}),
      ...(parsed.savedAt !== undefined ? { savedAt: parsed.savedAt } : {}),
      request: parsed.request,
    };
  }
}

function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The form's order, so a recipe reads like the form. */
function orderFields(request: LaunchRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of LAUNCH_FORM_FIELDS) {
    const value = (request as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
