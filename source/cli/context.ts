// What a subcommand runs with: the store, the configuration, the session (opened on first use, through
// services/session.ts like the TUI's), the output, and the documented exit statuses.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedCommand } from '../args.js';
import { describeError, isStrataError, RefusedWithProblems, StrataError } from '../core/errors.js';
import { sanitize } from '../core/sanitize.js';
import type { StrataConfig } from '../services/config.js';
import { createLogger, type Logger } from '../services/log.js';
import { isReadOnlyRefusal } from '../services/readonly.js';
import type { Session } from '../services/session.js';
import { openStore, type Store } from '../store/db.js';
import { strataHome, type StrataHome } from '../store/paths.js';
import type { Output } from './output.js';
import { writeCompletionCache } from './cache.js';
import { opensFleet, selectedSources, sessionOptionsFor } from './session-options.js';
import type { SourceConfig } from '../services/config.js';
import { UsageError } from './table.js';

/** The exit statuses, documented in `strata --help`, the man page and the README. */
export const EXIT = {
  done: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  refused: 4,
  timedOut: 5,
  risk: 6,
} as const;

/** strata refused to act (a confirmation missing or wrong, a read-only session, a refusal of its own). */
export class Refused extends Error {
  readonly problems?: { field: string; message: string }[];
  constructor(message: string, problems?: { field: string; message: string }[]) {
    super(message);
    this.name = 'Refused';
    if (problems) this.problems = problems;
  }
}

/** A wait that ran out of time (exit status 5). */
export class TimedOut extends Error {
  constructor(
    message: string,
    /** The document to print all the same (where the servers stood). */
    readonly result?: { kind: string; payload: Record<string, unknown> },
  ) {
    super(message);
    this.name = 'TimedOut';
  }
}

/** A failure after which a document is printed all the same (a server failed on the way to ready). */
export class FailedWith extends Error {
  constructor(
    message: string,
    readonly result: { kind: string; payload: Record<string, unknown> },
  ) {
    super(message);
  }
}

/** The exit status and the sentence for an error. */
export function exitFor(error: unknown): { code: number; message: string; problems?: { field: string; message: string }[] } {
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message };
  if (error instanceof Refused) return { code: EXIT.refused, message: error.message, ...(error.problems ? { problems: error.problems } : {}) };
  if (error instanceof TimedOut) return { code: EXIT.timedOut, message: error.message };
  if (isReadOnlyRefusal(error)) return { code: EXIT.refused, message: error.message };
  if (error instanceof RefusedWithProblems) {
    return { code: EXIT.refused, message: sanitize(error.message, 4000), problems: error.problems.map((p) => ({ field: p.field, message: sanitize(p.message, 1000) })) };
  }
  if (isStrataError(error)) {
    const message = sanitize(describeError(error), 4000);
    // Invalid: what was given (an option, a recipe or config.yaml, a name the provider's rules refuse) is
    // not right; fix it and run again.
    switch (error.kind) {
      case 'NotFound':
        return { code: EXIT.notFound, message };
      case 'Invalid':
        return { code: EXIT.usage, message };
      case 'Unsupported':
      case 'Conflict':
        return { code: EXIT.refused, message };
      default:
        return { code: EXIT.failed, message };
    }
  }
  return { code: EXIT.failed, message: sanitize(describeError(error), 4000) };
}

export class Context {
  readonly home: StrataHome;
  readonly store: Store;
  readonly config?: StrataConfig;
  readonly logger: Logger;
  private opened?: Promise<Session>;

  private constructor(
    readonly parsed: ParsedCommand,
    readonly out: Output,
    home: StrataHome,
    store: Store,
    config: StrataConfig | undefined,
  ) {
    this.home = home;
    this.store = store;
    if (config) this.config = config;
    this.logger = createLogger(join(home.data, 'strata.log'));
  }

  static async open(parsed: ParsedCommand, out: Output): Promise<Context> {
    let home: StrataHome;
    let store: Store;
    try {
      home = strataHome(out.io.env);
      store = openStore(home.data);
    } catch (error) {
      throw new StrataError('Transient', `strata could not open its data store: ${(error as Error).message}`);
    }
    let config: StrataConfig | undefined;
    try {
      // config.yaml is read only where there is one (its parser, yaml and zod, loads then), as the TUI does.
      if (existsSync(join(home.config, 'config.yaml'))) config = (await import('../services/config.js')).loadConfig(home.config, out.io.env).config;
    } catch (error) {
      store.close();
      throw error;
    }
    return new Context(parsed, out, home, store, config);
  }

  get values(): Record<string, unknown> {
    return this.parsed.values;
  }

  arg(name: string): string {
    const value = this.parsed.args[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  }

  /** The sources --source or --fleet names (undefined: neither); an unknown name is an Invalid error (exit 2). */
  sources(): SourceConfig[] | undefined {
    return selectedSources(this.parsed.session, this.config);
  }

  /** Whether the command runs across several places (--fleet, several sources, a source of several regions). */
  fleet(): boolean {
    return opensFleet(this.parsed.session, this.sources());
  }

  /** Sessions opened across the fleet, closed with the context. */
  private readonly adopted: Session[] = [];

  adopt(session: Session): void {
    this.adopted.push(session);
  }

  /** The session: the provider in its region with its services, opened once, as the TUI opens it. */
  session(): Promise<Session> {
    return (this.opened ??= (async () => {
      const { Session } = await import('../services/session.js');
      const sources = this.sources();
      if (sources && this.fleet()) {
        throw new StrataError(
          'Invalid',
          `strata ${this.parsed.command.path.join(' ')} works on one source and region: give --source NAME${sources.some((s) => s.regions === 'all' || (Array.isArray(s.regions) && s.regions.length > 1)) ? ' and --region REGION' : ''} (${sources.map((s) => s.name).join(', ')}).`,
          { field: 'source' },
        );
      }
      const session = await Session.open(sessionOptionsFor(this.parsed.session, this.home, this.config, sources), this.store);
      this.openedRegion = session.region;
      // Every retry of every service is said on the progress line while it waits.
      session.onRetry((notice) => this.out.progress(`${notice.operation ?? 'a call'}: ${notice.kind === 'Throttled' ? 'the provider is throttling' : 'no answer'}; retrying in ${(notice.delayMs / 1000).toFixed(1)} s (attempt ${notice.attempt} of ${notice.attempts})`));
      return session;
    })());
  }

  /**
   * Keeps the ids of a listing for the shell completion, under the region as given (none: the default)
   * and the region the session opened.
   */
  remember(kind: string, ids: string[]): void {
    const session = this.parsed.session;
    const regions = new Set([session.region ?? '', this.openedRegion ?? '']);
    for (const region of regions) writeCompletionCache(this.home.data, session.provider, region, kind, ids);
  }

  private openedRegion?: string;

  async close(): Promise<void> {
    for (const session of this.adopted) await session.close().catch(() => undefined);
    if (this.opened) {
      try {
        await (await this.opened).close();
      } catch {
        // the session never opened, or its provider is gone: nothing to release
      }
    }
    this.store.close();
  }
}
