// strata's command-line twin (DESIGN.md "The command-line twin"): `strata COMMAND …` runs the services the
// TUI runs, without Ink or React, prints and exits. Loaded by the entry (cli.tsx) instead of the TUI when
// the arguments name a command (or ask for help or the version): nothing here touches the terminal's mode.
import { CommandUsageError, HelpRequest, parseCli, parseCommand, route, USAGE, type ParsedCommand } from '../args.js';
import { sanitize } from '../core/sanitize.js';
import { ReadOnlySession } from '../services/readonly.js';
import { Context, EXIT, exitFor } from './context.js';
import { commandUsage } from './help.js';
import { Output, processIo, type Io } from './output.js';
import { commandName, UsageError } from './table.js';
import { VERSION } from './version.js';

type Handler = (ctx: Context) => Promise<number>;

/** Each command's handler, loaded when it runs (a listing never loads the launcher). */
const HANDLERS: Record<string, () => Promise<Handler>> = {
  images: async () => (await import('./commands/images.js')).images,
  'images stale': async () => (await import('./commands/images.js')).stale,
  'image show': async () => (await import('./commands/images.js')).show,
  'image deprecate': async () => (await import('./commands/images.js')).deprecate,
  'image rename': async () => (await import('./commands/images.js')).rename,
  'image label': async () => (await import('./commands/images.js')).label,
  'image delete': async () => (await import('./commands/images.js')).remove,
  'image import': async () => (await import('./commands/images.js')).importImage,
  servers: async () => (await import('./commands/servers.js')).servers,
  'server show': async () => (await import('./commands/servers.js')).show,
  'server terminate': async () => (await import('./commands/servers.js')).terminate,
  console: async () => (await import('./commands/servers.js')).consoleOutput,
  firewalls: async () => (await import('./commands/firewalls.js')).list,
  'firewall delete': async () => (await import('./commands/firewalls.js')).remove,
  wait: async () => (await import('./commands/servers.js')).wait,
  launch: async () => (await import('./commands/launch.js')).launch,
  capture: async () => (await import('./commands/launch.js')).capture,
  'workflow safe': async () => (await import('./commands/jobs.js')).workflow,
  jobs: async () => (await import('./commands/jobs.js')).list,
  'jobs show': async () => (await import('./commands/jobs.js')).show,
  'jobs cancel': async () => (await import('./commands/jobs.js')).cancel,
  'jobs resume': async () => (await import('./commands/jobs.js')).resume,
  risk: async () => (await import('./commands/risk.js')).risk,
  audit: async () => (await import('./commands/audit.js')).audit,
  __complete: async () => (await import('./commands/misc.js')).complete,
};

/** Says what went wrong (stderr, a sentence; with --json/--ndjson also an error document) and gives its exit status. */
function fail(out: Output, error: unknown): number {
  const { code, message, problems } = exitFor(error);
  out.done();
  out.io.stderr.write(`strata: ${message}\n`);
  for (const p of problems ?? []) out.io.stderr.write(`  ${p.field}: ${p.message}\n`);
  out.document('error', { exitCode: code, error: message, problems: problems ?? [] });
  return code;
}

function onPipeError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(EXIT.done);
  throw error;
}

/** Runs the command line's arguments (everything after `strata`); resolves with the exit status. */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const where = route(argv);
  if (where.kind === 'tui') {
    // Here only for --help, --version or a mistake in the TUI's options (the TUI itself runs from main.tsx).
    try {
      const options = parseCli([...argv], io.env);
      if (options.version) io.stdout.write(`strata ${VERSION}\n`);
      else io.stdout.write(USAGE);
      return EXIT.done;
    } catch (error) {
      io.stderr.write(`strata: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT.usage;
    }
  }

  let parsed: ParsedCommand;
  try {
    parsed = parseCommand(argv, io.env);
  } catch (error) {
    if (error instanceof HelpRequest) {
      io.stdout.write(error.text);
      return EXIT.done;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`strata: ${sanitize(error.message, 2000)}\n`);
      if (error instanceof CommandUsageError && /needs a command|has no command/.test(error.message)) io.stderr.write(`\n${error.help}`);
      return EXIT.usage;
    }
    throw error;
  }
  const { command } = parsed;
  const name = commandName(command);
  if (parsed.help) {
    io.stdout.write(commandUsage(command));
    return EXIT.done;
  }
  const out = new Output(io, parsed.output);
  // A reader that stops early (strata images | head): strata stops too, quietly. (The error may come after
  // the command has returned: the listener stays.)
  if (io.stdout === process.stdout && !process.stdout.listeners('error').includes(onPipeError)) process.stdout.on('error', onPipeError);
  const onSignal = (signal: NodeJS.Signals) => {
    // A wait or a follow interrupted: the progress line goes, the status says how it ended.
    out.done();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Commands that need no provider.
    if (name === 'help') return (await import('./commands/misc.js')).help(io, (parsed.args.COMMAND as string[] | undefined) ?? []);
    if (name === 'completion') return (await import('./commands/misc.js')).completion(io, String(parsed.args.SHELL));
    if (name === 'schema') return await (await import('./commands/misc.js')).schema(io, parsed.args.NAME as string | undefined);

    // A read-only session refuses every command that changes anything, before it tries.
    const changes = command.changes;
    if (parsed.session.readOnly && changes && !changes.unless?.(parsed.values)) return fail(out, new ReadOnlySession(changes.what));

    const load = HANDLERS[name];
    if (!load) throw new UsageError(`strata ${name} is not built into this strata.`);
    let ctx: Context;
    try {
      ctx = await Context.open(parsed, out);
    } catch (error) {
      return fail(out, error);
    }
    ctx.logger.log('info', 'command', { command: name, provider: parsed.session.provider, region: parsed.session.region, readOnly: parsed.session.readOnly, sources: parsed.session.sources ?? (parsed.session.fleet ? 'all' : undefined) });
    try {
      // A source that is read-only in config.yaml refuses every command that changes anything, with its name.
      const target = changes && !changes.unless?.(parsed.values) ? ctx.sources()?.[0] : undefined;
      if (target?.readOnly) return fail(out, new ReadOnlySession(changes!.what, target.name));
      return await (await load())(ctx);
    } catch (error) {
      ctx.logger.log('error', `strata ${name} failed`, error);
      return fail(out, error);
    } finally {
      out.done();
      await ctx.close();
    }
  } catch (error) {
    return fail(out, error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
