// strata help, completion, schema and the completion's helper (__complete).
import { sanitize } from '../../core/sanitize.js';
import { completionScript } from '../completion.js';
import { EXIT, type Context } from '../context.js';
import { commandUsage, groupUsage, tuiUsage } from '../help.js';
import type { Io } from '../output.js';
import { readCompletionCache } from '../cache.js';
import { findCommand, subWords, topWords, UsageError } from '../table.js';

/** strata help [COMMAND…] */
export function help(io: Io, words: readonly string[]): number {
  if (words.length === 0) {
    io.stdout.write(tuiUsage());
    return EXIT.done;
  }
  const command = findCommand(words);
  if (command && !command.hidden) {
    io.stdout.write(commandUsage(command));
    return EXIT.done;
  }
  if (words.length === 1 && subWords(words[0]!).length > 0) {
    io.stdout.write(groupUsage(words[0]!));
    return EXIT.done;
  }
  throw new UsageError(`strata has no command "${sanitize(words.join(' '), 80)}"; the commands are ${topWords().join(', ')}.`);
}

/** strata completion bash|zsh|fish */
export function completion(io: Io, shell: string): number {
  io.stdout.write(completionScript(shell));
  return EXIT.done;
}

/** strata schema [NAME] */
export async function schema(io: Io, name: string | undefined): Promise<number> {
  const { jsonSchema, schemaNames } = await import('../schemas.js');
  if (name === undefined) {
    const names = schemaNames();
    const width = Math.max(...names.map((n) => n.name.length)) + 2;
    io.stdout.write(`${names.map((n) => `${n.name.padEnd(width)}${n.about}`).join('\n')}\n`);
    return EXIT.done;
  }
  const found = jsonSchema(name);
  if (!found) throw new UsageError(`strata has no schema "${sanitize(name, 80)}"; strata schema lists them.`);
  io.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  return EXIT.done;
}

/** strata __complete image-id|server-id|job-id: ids for a Tab, from the last listing, else a quick one. */
export async function complete(ctx: Context): Promise<number> {
  const kind = ctx.arg('KIND');
  if (kind === 'source') {
    // config.yaml's sources: no provider is asked.
    ctx.out.io.stdout.write((ctx.config?.sources ?? []).map((s) => `${sanitize(s.name, 64)}\n`).join(''));
    return EXIT.done;
  }
  const kinds = kind === 'image-id' ? ['images-own', 'images-vendor'] : kind === 'server-id' ? ['servers'] : ['jobs'];
  const given = ctx.parsed.session;
  const write = (ids: readonly string[]) => ctx.out.io.stdout.write(ids.map((id) => `${sanitize(id, 256)}\n`).join(''));
  const cached = readCompletionCache(ctx.home.data, given.provider, given.region ?? '', kinds);
  if (cached) {
    write(cached);
    return EXIT.done;
  }
  try {
    const session = await ctx.session();
    if (kind === 'image-id') {
      const { listScope } = await import('../lookup.js');
      const ids = [...(await listScope(session, 'own', (k, v) => ctx.remember(k, v))), ...(await listScope(session, 'vendor', (k, v) => ctx.remember(k, v)))].map((i) => i.id);
      write(ids);
    } else if (kind === 'server-id') {
      const ids = (await session.servers.list()).map((s) => s.id);
      ctx.remember('servers', ids);
      write(ids);
    } else {
      const ids = (await session.services()).jobs.list().map((j) => j.id);
      ctx.remember('jobs', ids);
      write(ids);
    }
  } catch {
    // a Tab says nothing rather than an error
  }
  return EXIT.done;
}
