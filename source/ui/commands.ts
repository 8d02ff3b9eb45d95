// The `:` command line: commands with aliases, arguments and completion (k9s's `:` commands are the model).
import type { Scope } from '../core/types.js';

export interface CommandContext {
  regions: string[];
  providers: string[];
  panes: string[];
}

export interface CommandSpec {
  name: string;
  aliases: string[];
  args?: string;
  description: string;
  /** Candidates for the first argument. */
  complete?: (ctx: CommandContext) => string[];
  /** Changes something: refused in --read-only. */
  mutating?: boolean;
  /** What it does, for the read-only refusal ("importing images"). */
  doing?: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'images', aliases: ['img', 'image'], description: 'Go to the image list' },
  { name: 'monitor', aliases: ['mon', 'servers'], description: 'Go to the readiness monitor (every server of the region)' },
  { name: 'risk', aliases: ['risks'], description: 'Servers and images that stand on a deprecated, doomed or deleted template' },
  { name: 'jobs', aliases: ['job'], description: 'Every safe-workflow job of the region: cancel, retry a failed one, settle its builder' },
  { name: 'own', aliases: [], description: 'Show own images' },
  { name: 'vendor', aliases: ['templates'], description: 'Show vendor templates' },
  { name: 'public', aliases: ['catalogue', 'catalog'], description: 'Show the public catalogue' },
  { name: 'scope', aliases: [], args: '<own|vendor|public>', description: 'Show a scope', complete: () => ['own', 'vendor', 'public'] },
  { name: 'region', aliases: ['rg'], args: '<region>', description: 'Switch region', complete: (ctx) => ctx.regions },
  { name: 'provider', aliases: ['pv'], args: '<provider>', description: 'Switch provider', complete: (ctx) => ctx.providers },
  {
    name: 'import',
    aliases: [],
    args: '<path> [name]',
    description: 'Import an image file of this machine (qcow2 or raw; ~/ and quotes allowed) as an own image; the name defaults to the file name',
    mutating: true,
    doing: 'importing images',
  },
  {
    name: 'stale',
    aliases: [],
    args: '[days]',
    description: 'Own images nothing uses, older than 90 days (or the days given), but the newest of each family: listed with the storage they take, and marked (D deletes them)',
  },
  {
    name: 'ssh-user',
    aliases: [],
    args: '<user|->',
    description: "The login user s uses on servers of the selected image (in the monitor: the selected server's image); - clears it",
    mutating: true,
    doing: 'setting login users',
  },
  {
    name: 'firewalls',
    aliases: ['firewall', 'fw', 'security-groups', 'sg'],
    description: 'The firewalls (security groups) of the region: the servers that use each, whether strata made it; d deletes one nothing uses',
  },
  { name: 'refresh', aliases: ['reload'], description: 'Reload from the provider' },
  { name: 'help', aliases: ['?'], description: 'Show every key binding' },
  { name: 'messages', aliases: ['msg', 'log'], description: 'The recent messages, whole (also M)' },
  { name: 'quit', aliases: ['q', 'exit'], description: 'Quit strata' },
  { name: 'fleet', aliases: ['sources'], description: "The fleet: every source and region of config.yaml's sources in one list (also F)" },
  { name: 'versions', aliases: ['families'], description: 'Image families across the fleet: which regions run which version, oldest first' },
];

export type ParsedCommand =
  | { kind: 'pane'; pane: string }
  | { kind: 'scope'; scope: Scope }
  | { kind: 'region'; region: string }
  | { kind: 'provider'; provider: string }
  | { kind: 'import'; path: string; name?: string }
  | { kind: 'stale'; days?: number }
  | { kind: 'ssh-user'; user?: string }
  | { kind: 'refresh' }
  | { kind: 'help' }
  | { kind: 'messages' }
  | { kind: 'quit' }
  | { kind: 'versions' }
  | { kind: 'firewalls' }
  | { kind: 'error'; message: string };

function find(word: string): CommandSpec | undefined {
  const w = word.toLowerCase();
  return COMMANDS.find((c) => c.name === w || c.aliases.includes(w));
}

/** The command a line runs (whatever its arguments), or undefined for an unknown one. */
export function commandOf(line: string): CommandSpec | undefined {
  const head = line.trim().replace(/^:/, '').split(/\s+/)[0];
  return head ? find(head) : undefined;
}

/** One word of a command line: up to the next space, or a quoted stretch ("…" or '…'); what follows it. */
function firstWord(text: string): { word: string; rest: string } | { error: string } {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    if (end < 0) return { error: `The quote before ${text.slice(1, 40)} is not closed.` };
    return { word: text.slice(1, end), rest: text.slice(end + 1).trim() };
  }
  const space = text.search(/\s/);
  return space < 0 ? { word: text, rest: '' } : { word: text.slice(0, space), rest: text.slice(space + 1).trim() };
}

/** :import PATH [NAME]: the path is one word (quoted where it has spaces); the name is the rest of the line. */
function parseImport(args: string): ParsedCommand {
  if (!args) return { kind: 'error', message: ':import needs the path of an image file (qcow2 or raw): :import PATH [NAME].' };
  const path = firstWord(args);
  if ('error' in path) return { kind: 'error', message: path.error };
  if (!path.word) return { kind: 'error', message: ':import needs the path of an image file; the quotes hold nothing.' };
  let name = path.rest;
  if (name) {
    const quoted = firstWord(name);
    if ('error' in quoted) return { kind: 'error', message: quoted.error };
    if (name[0] === '"' || name[0] === "'") {
      if (quoted.rest) return { kind: 'error', message: `After the quoted name comes nothing; got "${quoted.rest}".` };
      name = quoted.word;
    }
  }
  return { kind: 'import', path: path.word, ...(name ? { name } : {}) };
}

export function parseCommand(line: string, ctx: CommandContext): ParsedCommand {
  const words = line.trim().replace(/^:/, '').split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: 'error', message: 'Type a command, e.g. :region eu-west (Tab completes).' };
  const [head, ...rest] = words;
  const spec = find(head);
  if (!spec) {
    const near = COMMANDS.filter((c) => c.name.startsWith(head.toLowerCase())).map((c) => c.name);
    return {
      kind: 'error',
      message: `Unknown command ":${head}".${near.length ? ` Did you mean :${near.join(', :')}?` : ' Try :help.'}`,
    };
  }
  const arg = rest[0];
  const needArg = (what: string, options: string[]) =>
    ({ kind: 'error', message: `:${spec.name} needs ${what}: ${options.join(', ')}.` }) as const;
  switch (spec.name) {
    case 'images':
    case 'monitor':
    case 'risk':
    case 'jobs':
      return { kind: 'pane', pane: spec.name };
    case 'own':
    case 'vendor':
    case 'public':
      return { kind: 'scope', scope: spec.name };
    case 'scope': {
      if (arg === 'own' || arg === 'vendor' || arg === 'public') return { kind: 'scope', scope: arg };
      return arg ? { kind: 'error', message: `"${arg}" is not a scope: own, vendor or public.` } : needArg('a scope', ['own', 'vendor', 'public']);
    }
    case 'region': {
      if (!arg) return needArg('a region', ctx.regions);
      if (!ctx.regions.includes(arg)) return { kind: 'error', message: `"${arg}" is not a region of this provider: ${ctx.regions.join(', ')}.` };
      return { kind: 'region', region: arg };
    }
    case 'provider': {
      if (!arg) return needArg('a provider', ctx.providers);
      if (!ctx.providers.includes(arg)) return { kind: 'error', message: `"${arg}" is not a provider strata knows: ${ctx.providers.join(', ')}.` };
      return { kind: 'provider', provider: arg };
    }
    case 'import':
      return parseImport(line.trim().replace(/^:/, '').replace(/^\S+\s*/, ''));
    case 'stale': {
      if (arg === undefined) return { kind: 'stale' };
      const days = /^\d{1,5}$/.test(arg) ? Number(arg) : Number.NaN;
      if (!Number.isInteger(days) || days > 36_500 || rest.length > 1) {
        return { kind: 'error', message: `:stale takes a number of days (e.g. :stale 30, the default is 90); got "${rest.join(' ')}".` };
      }
      return { kind: 'stale', days };
    }
    case 'ssh-user': {
      if (!arg) return { kind: 'error', message: ':ssh-user needs a login user (e.g. :ssh-user admin), or - to clear the one set.' };
      if (rest.length > 1) return { kind: 'error', message: `:ssh-user takes one login user; got "${rest.join(' ')}".` };
      if (arg === '-') return { kind: 'ssh-user' };
      if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(arg)) return { kind: 'error', message: `"${arg}" is not a login user: 1 to 32 letters, digits, dots, underscores and hyphens, starting with a letter or _.` };
      return { kind: 'ssh-user', user: arg };
    }
    case 'refresh':
      return { kind: 'refresh' };
    case 'help':
      return { kind: 'help' };
    case 'messages':
      return { kind: 'messages' };
    case 'quit':
      return { kind: 'quit' };
    case 'fleet':
      return { kind: 'pane', pane: 'fleet' };
    case 'versions':
      return { kind: 'versions' };
    case 'firewalls':
      return { kind: 'firewalls' };
    default:
      return { kind: 'error', message: `Unknown command ":${head}".` };
  }
}

function commonPrefix(words: string[]): string {
  if (words.length === 0) return '';
  let prefix = words[0];
  for (const w of words.slice(1)) {
    let i = 0;
    while (i < prefix.length && i < w.length && prefix[i] === w[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

export interface Completion {
  /** The line after completion (unchanged when nothing more can be completed). */
  line: string;
  /** What could follow, to show under the command line. */
  candidates: string[];
}

export function complete(line: string, ctx: CommandContext): Completion {
  const endsWithSpace = /\s$/.test(line);
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || (words.length === 1 && !endsWithSpace)) {
    const partial = (words[0] ?? '').toLowerCase();
    const candidates = COMMANDS.map((c) => c.name).filter((n) => n.startsWith(partial));
    if (candidates.length === 1) {
      const spec = find(candidates[0])!;
      return { line: candidates[0] + (spec.args ? ' ' : ''), candidates };
    }
    const prefix = commonPrefix(candidates);
    return { line: prefix.length > partial.length ? prefix : line, candidates };
  }
  const spec = find(words[0]);
  if (!spec?.complete) return { line, candidates: [] };
  const partial = endsWithSpace ? '' : (words[1] ?? '');
  const options = spec.complete(ctx).filter((o) => o.startsWith(partial));
  if (options.length === 1) return { line: `${words[0]} ${options[0]}`, candidates: options };
  const prefix = commonPrefix(options);
  return { line: prefix.length > partial.length ? `${words[0]} ${prefix}` : line, candidates: options };
}

/** Candidates to show while typing (without changing the line). */
export function suggestions(line: string, ctx: CommandContext): string[] {
  return complete(line, ctx).candidates;
}
