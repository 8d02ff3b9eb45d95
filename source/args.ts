// The command line: parsed and checked before anything starts, each mistake said in a sentence. One parser,
// Node's util.parseArgs, driven by one table (cli/table.ts) for the TUI's options and every subcommand's.
import { parseArgs } from 'node:util';
import { sourceNames } from './services/sources.js';
import type { Scope } from './core/types.js';
import { commandUsage, groupUsage, tuiUsage } from './cli/help.js';
import {
  checkLibvirtUri,
  commandName,
  findCommand,
  optionsOf,
  OUTPUT_OPTIONS,
  subWords,
  topWords,
  TUI_OPTIONS,
  UsageError,
  type CommandSpec,
  type OptionSpec,
} from './cli/table.js';

export { UsageError };

export interface CliOptions {
  help: boolean;
  version: boolean;
  provider: string;
  region?: string;
  scope: Scope;
  readOnly: boolean;
  sandboxSpeed?: number;
  sandboxSeed?: number;
  sandboxFaults?: string;
  sandboxLatencyMs?: number;
  profile?: string;
  endpoint?: string;
  /** libvirt: the connection URI (--libvirt-uri, else STRATA_LIBVIRT_URI). */
  libvirtUri?: string;
  /** Whether the provider was named (--provider or STRATA_PROVIDER) rather than the default. */
  providerGiven?: boolean;
  /** --source NAME… (each name once, in the order given): open strata on these sources of config.yaml. */
  sources?: string[];
  /** --fleet: every source of config.yaml. */
  fleet?: boolean;
}

/** `strata --help`. */
export const USAGE = tuiUsage();

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parseArgsOptions(options: readonly OptionSpec[]): ParseArgsOptions {
  const out: NonNullable<ParseArgsOptions> = {};
  for (const o of options) out[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  return out;
}

/** Node's own sentence for an unknown option goes on about positionals; its first sentence only. */
function usageFrom(error: unknown, help: string): UsageError {
  const first = (error as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
  return new UsageError(`${first}. See ${help}.`);
}

/** Checks every option given against its choices and its own rule; returns the values, converted. */
function checkValues(values: Record<string, unknown>, options: readonly OptionSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const o of options) {
    const value = values[o.name];
    if (value === undefined || o.type !== 'string') continue;
    const one = (v: string) => {
      const where = `--${o.name}`;
      if (o.choices && !o.choices.includes(v)) throw new UsageError(`${where} must be one of ${o.choices.join(', ')}; got "${v}".`);
      return o.check ? o.check(v, where) : v;
    };
    out[o.name] = Array.isArray(value) ? value.map((v) => one(String(v))) : one(String(value));
  }
  return out;
}

/** The session's options (the TUI's, which every subcommand takes) from checked values. */
function sessionOptions(values: Record<string, unknown>, env: NodeJS.ProcessEnv, scope: Scope): CliOptions {
  const sources = sourceNames(values.source as string[] | undefined);
  const fleet = values.fleet === true;
  if (fleet && sources.length > 0) throw new UsageError('--fleet opens every source; give it, or --source NAME, not both.');
  if (fleet || sources.length > 0) {
    // A source is opened as config.yaml describes it: its provider, account and sandbox are its own.
    const own = ['provider', 'profile', 'endpoint', 'libvirt-uri', 'sandbox-speed', 'sandbox-seed', 'sandbox-faults', 'sandbox-latency'].find((o) => values[o] !== undefined);
    if (own) throw new UsageError(`--${own} is set by each source in config.yaml; leave it out with ${fleet ? '--fleet' : '--source'}.`);
    if (fleet && values.region !== undefined) throw new UsageError('--region picks a region of one source; with --fleet every region of every source opens.');
  }
  const libvirtUri =
    (values['libvirt-uri'] as string | undefined) ?? (env.STRATA_LIBVIRT_URI ? checkLibvirtUri(env.STRATA_LIBVIRT_URI, 'STRATA_LIBVIRT_URI') : undefined);
  const named = (values.provider as string | undefined) ?? (env.STRATA_PROVIDER || undefined);
  return {
    help: values.help === true,
    version: values.version === true,
    provider: named ?? 'sandbox',
    providerGiven: named !== undefined,
    region: values.region as string | undefined,
    scope,
    readOnly: values['read-only'] === true,
    sandboxSpeed: values['sandbox-speed'] as number | undefined,
    sandboxSeed: values['sandbox-seed'] as number | undefined,
    sandboxFaults: values['sandbox-faults'] as string | undefined,
    profile: values.profile as string | undefined,
    endpoint: values.endpoint as string | undefined,
    ...(libvirtUri !== undefined ? { libvirtUri } : {}),
    sandboxLatencyMs: values['sandbox-latency'] as number | undefined,
    ...(sources.length ? { sources } : {}),
    ...(fleet ? { fleet: true } : {}),
  };
}

/** The TUI's options (no subcommand). A subcommand's word here is a UsageError: route() tells them apart first. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: parseArgsOptions(TUI_OPTIONS) });
  } catch (error) {
    throw usageFrom(error, 'strata --help');
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    const word = positionals[0]!;
    throw new UsageError(
      topWords(true).includes(word)
        ? `"${word}" is a command, which runs without the TUI; put the TUI's options after it. See strata --help.`
        : `strata has no command "${word}". See strata --help.`,
    );
  }
  const checked = checkValues(values, TUI_OPTIONS);
  return sessionOptions(checked, env, (checked.scope as Scope | undefined) ?? 'own');
}

// ---- subcommands ----------------------------------------------------------------------------------------

/** What the arguments ask for: the TUI, a subcommand (and where its words are), or a word strata does not know. */
export type Route =
  | { kind: 'tui' }
  | { kind: 'command'; command: CommandSpec; at: number }
  | { kind: 'group'; word: string; at: number; next?: string }
  | { kind: 'unknown'; word: string };

const LEADING = new Map([...TUI_OPTIONS, ...OUTPUT_OPTIONS].map((o) => [o.name, o]));
const LEADING_SHORT = new Map(TUI_OPTIONS.filter((o) => o.short).map((o) => [o.short!, o]));

/**
 * Finds the subcommand in the arguments: the first word that is not an option (the TUI's options may come
 * before it), and the word after it where the two name a command (image show). Cheap: it runs on the
 * TUI's path before anything else loads.
 */
export function route(argv: readonly string[]): Route {
  let i = 0;
  while (i < argv.length) {
    const token = argv[i]!;
    if (token === '--') return { kind: 'tui' };
    if (token.startsWith('--')) {
      const name = token.slice(2).split('=')[0]!;
      i += LEADING.get(name)?.type === 'string' && !token.includes('=') ? 2 : 1;
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      i += LEADING_SHORT.get(token.slice(1))?.type === 'string' ? 2 : 1;
      continue;
    }
    break;
  }
  if (i >= argv.length) return { kind: 'tui' };
  const word = argv[i]!;
  if (!topWords(true).includes(word)) return { kind: 'unknown', word };
  const next = argv[i + 1];
  if (next !== undefined && !next.startsWith('-')) {
    const two = findCommand([word, next]);
    if (two) return { kind: 'command', command: two, at: i };
  }
  const one = findCommand([word]);
  if (one) return { kind: 'command', command: one, at: i };
  return { kind: 'group', word, at: i, ...(next !== undefined && !next.startsWith('-') ? { next } : {}) };
}

/** Whether these arguments run a subcommand (or ask for help on one) rather than the TUI. */
export function isSubcommand(argv: readonly string[]): boolean {
  return route(argv).kind !== 'tui';
}

export type OutputMode = 'table' | 'json' | 'ndjson';

export interface ParsedCommand {
  command: CommandSpec;
  /** The session's options (the TUI's). */
  session: CliOptions;
  /** The command's own options, checked and converted (durations in ms, numbers, dates). */
  values: Record<string, unknown>;
  /** The arguments by name (a variadic one is a list). */
  args: Record<string, string | string[] | undefined>;
  output: OutputMode;
  /** --help was given: print commandUsage(command) and do nothing else. */
  help: boolean;
}

/** A usage error that knows which help to point at. */
export class CommandUsageError extends UsageError {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

/** `strata image --help`: not a mistake, the help of the commands under a word. */
export class HelpRequest extends Error {
  constructor(readonly text: string) {
    super('help');
  }
}

/** Parses a subcommand's arguments against the table; every mistake is a UsageError with a sentence. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const found = route(argv);
  if (found.kind === 'tui') throw new UsageError('No command given. See strata --help.');
  if (found.kind === 'unknown') throw new UsageError(`strata has no command "${found.word}". See strata --help.`);
  if (found.kind === 'group') {
    if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequest(groupUsage(found.word));
    const subs = subWords(found.word).join(', ');
    throw new CommandUsageError(
      found.next !== undefined
          ? `strata ${found.word} has no command "${found.next}"; it has ${subs}. See strata ${found.word} --help.`
          : `strata ${found.word} needs a command: ${subs}. See strata ${found.word} --help.`,
      groupUsage(found.word),
    );
  }
  const { command, at } = found;
  const rest = [...argv.slice(0, at), ...argv.slice(at + command.path.length)];
  const name = commandName(command);
  const help = `strata ${name} --help`;
  const options = optionsOf(command);
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: parseArgsOptions(options) }) as typeof parsed;
  } catch (error) {
    throw new CommandUsageError(usageFrom(error, help).message, commandUsage(command));
  }
  const session = sessionOptions({}, env, 'own');
  if (parsed.values.help === true) return { command, session, values: {}, args: {}, output: 'table', help: true };
  let values: Record<string, unknown>;
  try {
    values = checkValues(parsed.values, options);
  } catch (error) {
    if (error instanceof UsageError) throw new CommandUsageError(error.message, commandUsage(command));
    throw error;
  }
  if (values.json === true && values.ndjson === true) throw new CommandUsageError(`--json and --ndjson cannot both be given. See ${help}.`, commandUsage(command));

  const args: Record<string, string | string[] | undefined> = {};
  const positionals = [...parsed.positionals];
  for (const spec of command.args) {
    if (spec.variadic) {
      if (positionals.length === 0 && !spec.optional) throw new CommandUsageError(`strata ${name} needs ${spec.name} (at least one). See ${help}.`, commandUsage(command));
      args[spec.name] = positionals.splice(0);
      continue;
    }
    const value = positionals.shift();
    if (value === undefined) {
      if (spec.optional) continue;
      throw new CommandUsageError(`strata ${name} needs ${spec.name}: ${spec.help}. See ${help}.`, commandUsage(command));
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw new CommandUsageError(`${spec.name} must be one of ${spec.choices.join(', ')}; got "${value}".`, commandUsage(command));
    }
    args[spec.name] = value;
  }
  if (positionals.length > 0) {
    throw new CommandUsageError(`strata ${name} takes ${command.args.length === 0 ? 'no arguments' : `${command.args.map((a) => a.name).join(' ')} only`}; got "${positionals[0]}" too. See ${help}.`, commandUsage(command));
  }
  return {
    command,
    session: sessionOptions(values, env, 'own'),
    values,
    args,
    output: values.json === true ? 'json' : values.ndjson === true ? 'ndjson' : 'table',
    help: false,
  };
}
