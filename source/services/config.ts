// The user's configuration: ${configDir}/config.yaml, written by hand. A missing file is fine (defaults);
// a bad one is refused with a sentence that names the file, the line and the key. Read with the yaml
// package (which knows where every node is) and checked with zod.
//
//   billingCodes:            # known billing codes, each with an optional hard quota
//     ops-42:
//       maxServers: 10       # servers of this code that are not terminated, this launch included
//       maxMonthlyCost: 500  # hourly price x 730 per server, this launch included
//       currency: USD        # the label the figures are shown with (the provider's prices are used as they are)
//   groups: [web, batch]     # known groups (more are learnt from launches and from servers' tags)
//   sshKeyDirectory: ~/.ssh  # where keys created at launch are written (default ~/.ssh)
//   trustedVendorOwners: []  # vendor accounts whose templates are trusted (used by the lineage view)
//   libvirt:                 # the libvirt provider (every key has a default; see README "libvirt")
//     pool: strata           # the storage pool of own images (created on first use)
//     vendorPool: strata-vendor  # the pool whose volumes are vendor templates
//     poolDirectory: /var/lib/libvirt/images/strata  # where strata creates the pools it makes (absolute)
//     network: default       # the libvirt network servers join; none for servers without a network
//     sizes:                 # size presets by name (replace the defaults when given)
//       small: {vcpus: 1, memoryMiB: 2048, diskGiB: 20}
//   ssh:                     # s on a server (see README "ssh into a server")
//     options: {ServerAliveInterval: 30, Port: 2222}   # ssh_config keywords, for every server
//     proxyJump: bastion.example.net                   # ssh -J: the jump host
//     users: {ami-0abc12: admin, "rhel-9-*": cloud-user}  # the login user by image id or name (* any run)
//   sources:                 # the fleet (README "The fleet"): strata --source NAME, strata --fleet
//     - { name: prod-eu, provider: aws, profile: prod, regions: [eu-west-1, eu-central-1], readOnly: true }
//     - { name: lab, provider: libvirt, uri: qemu:///system }
//     - { name: lab-b, provider: libvirt, uri: qemu:///system, libvirt: { pool: strata-b } }  # its own pool
//     - { name: sandbox, provider: sandbox, regions: all }
//   fleet:
//     concurrency: 4         # provider calls in flight at once across the sources (default 4)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { StrataError } from '../core/errors.js';
import { sanitize } from '../core/sanitize.js';
import type { LibvirtSettings } from '../providers/provider.js';
import { expandHome } from '../store/paths.js';

export { expandHome };

export const CONFIG_FILE = 'config.yaml';
/** Hours in a month, as cloud price lists count them (8,760 / 12). */
export const HOURS_PER_MONTH = 730;
export const DEFAULT_CURRENCY = 'USD';

export interface BillingQuota {
  /** At most this many servers of the code that are not terminated. */
  maxServers?: number;
  /** At most this monthly cost (hourly price x 730, summed over the code's servers). */
  maxMonthlyCost?: number;
  /** The label figures are shown with; default USD. */
  currency?: string;
  description?: string;
}

/** One source of the fleet: a provider opened with its own options, a name and its own read-only. */
export interface SourceConfig {
  /** What strata calls it (the SOURCE column, --source NAME): 1 to 32 letters, digits, ., _ and -. */
  name: string;
  /** sandbox, aws or libvirt. */
  provider: string;
  /** The regions it opens; 'all' for every region the account may use; absent: the provider's default one. */
  regions?: string[] | 'all';
  /** aws: a profile of ~/.aws (its own account). */
  profile?: string;
  /** aws: an EC2-compatible endpoint. */
  endpoint?: string;
  /** libvirt: the host's connection URI. */
  uri?: string;
  /** sandbox: the directory of its own world (another "account"); absent: strata's own sandbox. */
  home?: string;
  /** Nothing is changed through this source (refused with its name). */
  readOnly?: boolean;
  /** sandbox: the options of its world and its faults (for tests and demonstrations). */
  sandbox?: { seed?: number; speed?: number; faults?: string; latency?: number; delay?: number };
  /**
   * libvirt: this source's own settings over config.yaml's libvirt section (another own pool on the same
   * host is another source: its images are kept apart, and copied between the two with C).
   */
  libvirt?: LibvirtSettings;
}

export interface StrataConfig {
  billingCodes: Record<string, BillingQuota>;
  groups: string[];
  /** Absolute (a leading ~ is expanded); undefined means ~/.ssh. */
  sshKeyDirectory?: string;
  trustedVendorOwners: string[];
  /** The libvirt provider's settings (absent: its defaults). */
  libvirt?: LibvirtSettings;
  /** What s (ssh into a server) adds to ssh (absent: nothing). */
  ssh?: SshSettings;
  /** The fleet's sources (absent: none; strata works on one provider and region). */
  sources?: SourceConfig[];
  /** The fleet's settings. */
  fleet?: { concurrency?: number };
}

/** config.yaml's ssh section. */
export interface SshSettings {
  /** ssh_config keywords and values, given to ssh as -o Keyword=value for every server. */
  options?: Record<string, string>;
  /** The jump host (ssh -J). */
  proxyJump?: string;
  /** The login user by image id or image name (a * matches any run of characters). */
  users?: Record<string, string>;
}

/** ssh options strata sets itself to check the server's host key: config.yaml cannot set them. */
export const STRATA_SSH_OPTIONS = ['HostKeyAlias', 'UserKnownHostsFile', 'StrictHostKeyChecking', 'KnownHostsCommand', 'HashKnownHosts'];

export interface LoadedConfig {
  /** The file that was (or would be) read. */
  path: string;
  /** false where there is no file: the defaults apply. */
  exists: boolean;
  config: StrataConfig;
}

/** One thing wrong in a file, with where it is. */
export interface FileProblem {
  file: string;
  /** 1-based; absent where the problem has no place in the file (e.g. it is empty). */
  line?: number;
  /** The key path, e.g. "billingCodes.ops-42.maxServers"; '' for the whole document. */
  key: string;
  message: string;
}

/**
 * A file strata reads (config, recipe) that is not right; message is one or more sentences, each with its
 * place. Every part of every problem (the file's path, the key, the message, which may quote a key or the
 * YAML parser's words) is sanitised here: config.yaml's errors are printed before the TUI opens, straight
 * to the terminal, and a key may hold an escape sequence (an OSC title, a screen clear) or a line break.
 */
export class FileError extends StrataError {
  readonly problems: FileProblem[];
  constructor(problems: FileProblem[], field: string) {
    const clean = problems.map(cleanProblem);
    super('Invalid', clean.map(describeProblem).join(' '), { field });
    this.problems = clean;
  }
}

function cleanProblem(p: FileProblem): FileProblem {
  return {
    file: sanitize(p.file, 4096),
    ...(p.line !== undefined ? { line: p.line } : {}),
    key: sanitize(p.key, 256),
    message: sanitize(p.message, 1024),
  };
}

export function describeProblem(p: FileProblem): string {
  const where = p.line !== undefined ? `${p.file}, line ${p.line}` : p.file;
  const key = p.key ? `, ${p.key}` : '';
  return `${where}${key}: ${p.message}`;
}

export const EMPTY_CONFIG: StrataConfig = { billingCodes: {}, groups: [], trustedVendorOwners: [] };

/** Group and billing code: the rule core's launch validation applies on every provider. */
export const LABEL_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export const labelName = (what: string) =>
  z
    .string({ error: `${what} must be text` })
    .regex(LABEL_NAME, `${what} has 1 to 64 letters, digits, dots, underscores and hyphens`);

const quotaSchema = z.strictObject({
  maxServers: z
    .number({ error: 'maxServers must be a whole number' })
    .int('maxServers must be a whole number')
    .min(0, 'maxServers cannot be negative')
    .optional(),
  maxMonthlyCost: z
    .number({ error: 'maxMonthlyCost must be a number' })
    .min(0, 'maxMonthlyCost cannot be negative')
    .refine(Number.isFinite, 'maxMonthlyCost must be a finite number')
    .optional(),
  currency: z
    .string({ error: 'currency must be text, e.g. USD' })
    .regex(/^[A-Za-z$€£¥]{1,8}$/, 'currency must be a short code such as USD or EUR')
    .optional(),
  description: z.string({ error: 'description must be text' }).max(1024).optional(),
});

/** libvirt's names of pools and networks (and strata's size names): what virsh takes without quoting. */
export const LIBVIRT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const libvirtName = (what: string) =>
  z.string({ error: `${what} must be text` }).regex(LIBVIRT_NAME, `${what} has 1 to 64 letters, digits, dots, underscores and hyphens`);

const wholeNumber = (key: string, min: number, max: number, unit = '') =>
  z
    .number({ error: `${key} must be a whole number from ${min} to ${max}${unit}` })
    .int(`${key} must be a whole number from ${min} to ${max}${unit}`)
    .min(min, `${key} must be a whole number from ${min} to ${max}${unit}`)
    .max(max, `${key} must be a whole number from ${min} to ${max}${unit}`);

const libvirtSizeSchema = z.strictObject(
  {
    vcpus: wholeNumber('vcpus', 1, 256),
    memoryMiB: wholeNumber('memoryMiB', 64, 1_048_576, ' (MiB)'),
    diskGiB: wholeNumber('diskGiB', 1, 65_536, ' (GiB)'),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'a size is a map of vcpus, memoryMiB and diskGiB' : undefined) },
);

const libvirtSchema = z.strictObject(
  {
    pool: libvirtName('A pool name').optional(),
    vendorPool: libvirtName('A pool name').optional(),
    poolDirectory: z
      .string({ error: 'poolDirectory must be a path' })
      .refine((p) => isAbsolute(p) && !/[\0\n]/.test(p), 'poolDirectory must be an absolute path')
      .optional(),
    network: z
      .string({ error: 'network must be text' })
      .regex(LIBVIRT_NAME, 'network is a network name (1 to 64 letters, digits, dots, underscores and hyphens) or none')
      .optional(),
    sizes: z
      .record(libvirtName('A size name'), libvirtSizeSchema, {
        error: (issue) => (issue.code === 'invalid_type' ? 'sizes must be a map of size names, each with vcpus, memoryMiB and diskGiB' : undefined),
      })
      .refine((sizes) => Object.keys(sizes).length > 0, 'sizes needs at least one size (leave it out for the defaults)')
      .optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'libvirt must be a map of settings (pool, vendorPool, poolDirectory, network, sizes)' : undefined) },
);

const sshValue = (what: string) =>
  z
    .union([z.string(), z.number(), z.boolean()], { error: `${what} must be text, a number or yes/no` })
    .refine((v) => typeof v !== 'string' || (v !== '' && v.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(v)), `${what} must be one line of text (at most 1024 characters)`);

const sshSchema = z.strictObject(
  {
    options: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9]{1,63}$/, 'an ssh option is an ssh_config keyword, e.g. ServerAliveInterval')
          .refine((k) => !STRATA_SSH_OPTIONS.some((o) => o.toLowerCase() === k.toLowerCase()), 'strata sets HostKeyAlias, UserKnownHostsFile, StrictHostKeyChecking, KnownHostsCommand and HashKnownHosts itself, to check the host key'),
        sshValue('An ssh option'),
        { error: (issue) => (issue.code === 'invalid_type' ? 'ssh.options must be a map of ssh_config keywords and values' : undefined) },
      )
      .optional(),
    proxyJump: z
      .string({ error: 'proxyJump must be text: [user@]host[:port], comma-separated for more than one' })
      .regex(/^[A-Za-z0-9_.@:,[\]%-]{1,512}$/, 'proxyJump is [user@]host[:port], comma-separated for more than one')
      .refine((v) => !v.startsWith('-'), 'proxyJump cannot start with "-"')
      .optional(),
    users: z
      .record(
        z.string().min(1).max(512),
        z.string({ error: 'a login user must be text' }).regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, 'a login user has 1 to 32 letters, digits, dots, underscores and hyphens, and starts with a letter or _'),
        { error: (issue) => (issue.code === 'invalid_type' ? 'ssh.users must be a map of image ids or names to login users' : undefined) },
      )
      .optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'ssh must be a map of settings (options, proxyJump, users)' : undefined) },
);

/** A source's name: what the SOURCE column, --source and the header show. */
export const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const PROVIDERS = ['sandbox', 'aws', 'libvirt'] as const;

const sandboxOptionsSchema = z.strictObject(
  {
    seed: z.number({ error: 'seed must be a whole number, 0 or more' }).int('seed must be a whole number, 0 or more').min(0, 'seed must be a whole number, 0 or more').optional(),
    speed: z.number({ error: 'speed must be a number above 0' }).gt(0, 'speed must be a number above 0').max(1_000_000, 'speed is at most 1000000').optional(),
    faults: z
      .string({ error: 'faults must look like throttle=0.2,fail=0.5' })
      .regex(/^(?:[a-z]+=(?:0|1|0?\.\d+)(?:,|$))+$/, 'faults must look like throttle=0.2,fail=0.5 (probabilities from 0 to 1)')
      .optional(),
    latency: wholeNumber('latency', 0, 600_000, ' (ms)').optional(),
    delay: wholeNumber('delay', 0, 600_000, ' (ms)').optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'sandbox must be a map of seed, speed, faults, latency and delay' : undefined) },
);

const regionName = z
  .string({ error: 'a region is a name such as eu-west-1' })
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a region is a name such as eu-west-1 (lower-case letters, digits and hyphens)');

const sourceSchema = z
  .strictObject(
    {
      name: z.string({ error: 'name must be text' }).regex(SOURCE_NAME, 'a source name has 1 to 32 letters, digits, dots, underscores and hyphens, starting with a letter or digit'),
      provider: z.enum(PROVIDERS, { error: `provider is one of ${PROVIDERS.join(', ')}` }),
      regions: z
        .union([z.literal('all'), z.array(regionName).min(1, 'regions needs at least one region (or all)')], { error: 'regions is a list of regions, or all' })
        .optional(),
      profile: z.string({ error: 'profile must be text' }).regex(/^[A-Za-z0-9._@+=,-]{1,128}$/, 'profile is the name of a profile of ~/.aws/config').optional(),
      endpoint: z.string({ error: 'endpoint must be a URL' }).regex(/^https?:\/\/[^\s/]+\S*$/, 'endpoint must be an http:// or https:// URL').optional(),
      uri: z.string({ error: 'uri must be text' }).regex(/^[a-z][a-z0-9.-]*(?:\+[a-z][a-z0-9-]*)?:\/\/\S*$/i, 'uri must be a libvirt connection URI such as qemu:///system or qemu+ssh://user@host/system').optional(),
      home: z
        .string({ error: 'home must be a path' })
        .refine((p) => p === '~' || p.startsWith('~/') || isAbsolute(p), 'home must be an absolute path or start with ~/')
        .optional(),
      readOnly: z.boolean({ error: 'readOnly is true or false' }).optional(),
      sandbox: sandboxOptionsSchema.optional(),
      libvirt: libvirtSchema.optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'a source is a map: { name, provider, regions, … }' : undefined) },
  )
  .superRefine((source, ctx) => {
    // Each provider's own keys: one given to another provider is a mistake worth a sentence.
    const only: Record<string, (typeof PROVIDERS)[number]> = { profile: 'aws', endpoint: 'aws', uri: 'libvirt', libvirt: 'libvirt', home: 'sandbox', sandbox: 'sandbox' };
    for (const [key, provider] of Object.entries(only)) {
      if ((source as Record<string, unknown>)[key] !== undefined && source.provider !== provider) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} is for ${provider} sources; this one's provider is ${source.provider}` });
      }
    }
    if (source.provider === 'libvirt' && Array.isArray(source.regions) && source.regions.some((r) => r !== 'local')) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'libvirt has one region, local: the host is chosen with uri' });
    }
  });

/** config.yaml (its JSON Schema: strata schema config). */
export const configSchema = z.strictObject({
  billingCodes: z
    .record(labelName('A billing code'), quotaSchema.nullable(), {
      error: (issue) => (issue.code === 'invalid_type' ? 'billingCodes must be a map of codes, each with its quota (or nothing)' : undefined),
    })
    .optional(),
  groups: z.array(labelName('A group'), { error: 'groups must be a list' }).optional(),
  sshKeyDirectory: z
    .string({ error: 'sshKeyDirectory must be a path' })
    .refine((p) => p === '~' || p.startsWith('~/') || isAbsolute(p), 'sshKeyDirectory must be an absolute path or start with ~/')
    .optional(),
  trustedVendorOwners: z.array(z.string({ error: 'an owner must be text' }), { error: 'trustedVendorOwners must be a list' }).optional(),
  libvirt: libvirtSchema.nullable().optional(),
  ssh: sshSchema.nullable().optional(),
  sources: z
    .array(sourceSchema, { error: 'sources must be a list of sources, each { name, provider, regions, … }' })
    .superRefine((sources, ctx) => {
      const seen = new Map<string, number>();
      sources.forEach((s, i) => {
        const key = s.name.toLowerCase();
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the name ${s.name} is taken by source ${first + 1}; each source needs its own name` });
        else seen.set(key, i);
      });
    })
    .nullable()
    .optional(),
  fleet: z
    .strictObject(
      { concurrency: wholeNumber('concurrency', 1, 64).optional() },
      { error: (issue) => (issue.code === 'invalid_type' ? 'fleet must be a map of settings (concurrency)' : undefined) },
    )
    .nullable()
    .optional(),
});


/**
 * Reads ${configDir}/config.yaml. A missing file gives the defaults; a bad one throws a FileError whose
 * message names the file, the line and the key of every problem.
 */
export function loadConfig(configDir: string, env: Record<string, string | undefined> = process.env): LoadedConfig {
  const path = join(configDir, CONFIG_FILE);
  if (!existsSync(path)) return { path, exists: false, config: structuredClone(EMPTY_CONFIG) };
  const text = readTextFile(path, 'config');
  const parsed = parseYamlWith(text, path, configSchema, 'config');
  const config: StrataConfig = {
    billingCodes: Object.fromEntries(Object.entries(parsed?.billingCodes ?? {}).map(([k, v]) => [k, v ?? {}])),
    groups: [...new Set(parsed?.groups ?? [])],
    trustedVendorOwners: parsed?.trustedVendorOwners ?? [],
  };
  if (parsed?.sshKeyDirectory !== undefined) config.sshKeyDirectory = expandHome(parsed.sshKeyDirectory, env);
  if (parsed?.libvirt) config.libvirt = parsed.libvirt;
  if (parsed?.ssh) {
    const { options, ...rest } = parsed.ssh;
    config.ssh = { ...rest, ...(options ? { options: Object.fromEntries(Object.entries(options).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)])) } : {}) };
  }
  if (parsed?.sources && parsed.sources.length > 0) {
    config.sources = parsed.sources.map((s) => ({ ...s, ...(s.home !== undefined ? { home: expandHome(s.home, env) } : {}) }) as SourceConfig);
  }
  if (parsed?.fleet && parsed.fleet.concurrency !== undefined) config.fleet = { concurrency: parsed.fleet.concurrency };
  return { path, exists: true, config };
}

/** Reads a small text file strata was pointed at, refusing what is not one with a sentence. */
export function readTextFile(path: string, field: string, maxBytes = 1024 * 1024): string {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new FileError([{ file: path, key: '', message: 'this is not a regular file.' }], field);
    size = st.size;
  } catch (error) {
    if (error instanceof FileError) throw error;
    throw new FileError([{ file: path, key: '', message: `it cannot be read (${codeOf(error)}).` }], field);
  }
  if (size > maxBytes) {
    throw new FileError([{ file: path, key: '', message: `it is ${size} bytes; at most ${maxBytes} are read.` }], field);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FileError([{ file: path, key: '', message: `it cannot be read (${codeOf(error)}).` }], field);
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

/**
 * Parses YAML text and checks it with a zod schema. Syntax errors and every schema problem become one
 * FileError whose problems carry the line (from the YAML node) and the key path. An empty document is
 * undefined (the caller decides whether that is allowed).
 */
export function parseYamlWith<T>(text: string, file: string, schema: z.ZodType<T>, field: string): T | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new FileError(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0]?.line ?? (typeof e.pos?.[0] === 'number' ? lineCounter.linePos(e.pos[0]).line : undefined),
        key: '',
        message: `the YAML cannot be read: ${firstLine(e.message)}.`,
      })),
      field,
    );
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (value === null || value === undefined) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems: FileProblem[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const full = [...path, key];
        problems.push({
          file,
          line: lineOf(doc, full, lineCounter),
          key: keyPath(full),
          message: `"${key}" is not a key strata knows here${suggest(key, schema, path)}.`,
        });
      }
      continue;
    }
    // A refused map key (e.g. a billing code): the key's own rule says why.
    const message = issue.code === 'invalid_key' && issue.issues[0] ? issue.issues[0].message : issue.message;
    problems.push({ file, line: lineOf(doc, path, lineCounter), key: keyPath(path), message: sentence(message) });
  }
  throw new FileError(problems, field);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/[.:]+$/, '');
}

function sentence(message: string): string {
  const m = message.trim();
  return /[.!?]$/.test(m) ? m : `${m}.`;
}

export function keyPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The known keys of an object schema at a path, offered when a key is misspelt. */
function suggest(key: string, schema: z.ZodType<unknown>, path: (string | number)[]): string {
  const shape = shapeAt(schema, path);
  if (!shape) return '';
  return `; the keys are ${Object.keys(shape).join(', ')}`;
}

/** The shape of the object schema at a key path (through optional, nullable and the values of a map). */
function shapeAt(schema: unknown, path: readonly (string | number)[]): Record<string, unknown> | undefined {
  type Node = { shape?: Record<string, unknown>; unwrap?: () => unknown; valueType?: unknown } | undefined;
  const unwrap = (node: Node): Node => {
    while (node && !node.shape && typeof node.unwrap === 'function') node = node.unwrap() as Node;
    return node;
  };
  let node = unwrap(schema as Node);
  for (const segment of path) {
    // A list's item: the list was unwrapped to its item's schema already.
    if (typeof segment === 'number' && node?.shape) continue;
    if (node?.shape && typeof segment === 'string') node = unwrap(node.shape[segment] as Node);
    else if (node?.valueType) node = unwrap(node.valueType as Node);
    else return undefined;
  }
  return node?.shape;
}

/** The 1-based line of the node at a key path (the key's own line for a map entry), as near as it exists. */
function lineOf(doc: Document, path: readonly (string | number)[], lc: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
