// strata servers, server show|terminate, console, wait: the session's server services (one retry policy,
// terminate audited and its passphrase swept as the TUI does) and its watcher.
import { describeError, StrataError } from '../../core/errors.js';
import { serverRisks } from '../../core/lineage.js';
import { sanitize } from '../../core/sanitize.js';
import type { Phase, Server } from '../../core/types.js';
import type { Session } from '../../services/session.js';
import { EXIT, Refused, type Context } from '../context.js';
import type { Colour, Column } from '../output.js';
import { auditRow, clockOf, consoleLines, riskRow, serverRow, type ServerRow } from '../rows.js';
import { Known, listScope } from '../lookup.js';
import { waitForServers, type WaitTarget } from '../wait.js';
import { openPlaces, placeOf, sourceRows, type CliPlace } from '../places.js';
import { DEFAULT_CONCURRENCY, Limiter } from '../../services/limit.js';

export function phaseColour(phase: string): Colour | undefined {
  if (phase === 'ready') return 'green';
  if (phase === 'failed') return 'red';
  if (phase === 'stalled') return 'yellow';
  if (phase === 'terminated') return 'grey';
  return 'cyan';
}

export const SERVER_COLUMNS: Column<ServerRow>[] = [
  { title: 'ID', value: (r) => r.id },
  { title: 'NAME', value: (r) => r.name, flex: true },
  { title: 'PHASE', value: (r) => r.phase, colour: (r) => phaseColour(r.phase) },
  { title: 'READINESS', value: (r) => r.readiness.label, colour: (r) => (r.readiness.overdue ? 'yellow' : undefined) },
  { title: 'IMAGE', value: (r) => `${r.imageId}${r.imageGone ? ' (gone)' : ''}`, colour: (r) => (r.imageGone ? 'red' : undefined) },
  { title: 'SIZE', value: (r) => r.productId },
  { title: 'ADDRESS', value: (r) => r.privateAddress ?? r.publicAddress ?? '' },
  { title: 'GROUP', value: (r) => r.group ?? '' },
];

function where(session: Session): string {
  return `${sanitize(session.description.displayName)} ${sanitize(session.region)}`;
}

/** A server by id, as the provider lists it now (NotFound: exit status 3). */
export async function findServer(session: Session, id: string): Promise<Server> {
  const found = (await session.servers.list([id])).find((s) => s.id === id);
  if (!found) throw new StrataError('NotFound', `No server ${sanitize(id, 128)} in ${where(session)}.`);
  return found;
}

/** strata servers --fleet (or --source A,B): every place's servers in one batched call each, a few at a time. */
async function serversAcross(ctx: Context, phase: Phase | undefined): Promise<number> {
  const { out } = ctx;
  out.progress('opening the sources');
  const limiter = new Limiter(ctx.config?.fleet?.concurrency ?? DEFAULT_CONCURRENCY);
  const places = await openPlaces(ctx, ctx.sources()!, limiter);
  const errors = new Map<CliPlace, string>();
  const listed = await Promise.all(
    places.map(async (place) => {
      if (!place.session) return [];
      const session = place.session;
      try {
        const servers = await limiter.run(() => session.servers.list());
        const now = clockOf(servers);
        return servers.filter((s) => !phase || s.phase === phase).map((s) => serverRow(s, session.description.capabilities.servers.expectedReadySeconds, now, placeOf(session)));
      } catch (error) {
        errors.set(place, describeError(error, 'Listing the servers'));
        return [];
      }
    }),
  );
  const rows = listed.flat();
  if (ctx.values.ids === true) {
    out.io.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
  } else {
    if (out.mode === 'ndjson') for (const row of rows) out.event('server-row', { server: row });
    const sources = sourceRows(places, errors);
    out.document('servers', { provider: null, region: null, observedAt: null, phase: phase ?? null, count: rows.length, servers: out.mode === 'ndjson' ? undefined : rows, sources });
    out.table([{ title: 'SOURCE', value: (r: ServerRow) => `${r.source ?? ''}/${r.region ?? ''}` }, ...SERVER_COLUMNS], rows, { empty: `No servers${phase ? ` in phase ${phase}` : ''} in any source.` });
  }
  for (const place of places) {
    const error = place.error ?? errors.get(place);
    if (error) out.note(`${place.source.name}${place.region ? `/${place.region}` : ''}: ${sanitize(error, 1000)}`);
  }
  return [...errors.values()].length || places.some((p) => p.error) ? EXIT.failed : EXIT.done;
}

/** strata servers */
export async function servers(ctx: Context): Promise<number> {
  const { out } = ctx;
  const phase = ctx.values.phase as Phase | undefined;
  if (ctx.fleet()) return serversAcross(ctx, phase);
  const session = await ctx.session();
  const listed = await session.servers.list();
  ctx.remember('servers', listed.map((s) => s.id));
  const now = clockOf(listed);
  const rows = listed.filter((s) => !phase || s.phase === phase).map((s) => serverRow(s, session.description.capabilities.servers.expectedReadySeconds, now, placeOf(session)));
  if (ctx.values.ids === true) {
    out.io.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
    return EXIT.done;
  }
  if (out.mode === 'ndjson') for (const row of rows) out.event('server-row', { server: row });
  out.document('servers', { provider: session.providerId, region: session.region, observedAt: listed.find((s) => s.observedAt)?.observedAt ?? null, phase: phase ?? null, count: rows.length, servers: out.mode === 'ndjson' ? undefined : rows, sources: null });
  out.table(SERVER_COLUMNS, rows, { empty: `No servers${phase ? ` in phase ${phase}` : ''} in ${where(session)}.` });
  return EXIT.done;
}

/** strata server show ID */
export async function show(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const server = await findServer(session, ctx.arg('ID'));
  const expected = session.description.capabilities.servers.expectedReadySeconds;
  const row = serverRow(server, expected, undefined, placeOf(session));
  // The launch as strata recorded it (a server started elsewhere has none).
  const record = ctx.store.launches().servers(session.storeId, session.region).get(server.id);
  const launch = record ? ctx.store.launches().get(record.clientToken) : undefined;
  const timeline = [
    { phase: 'requested', at: sanitize(server.launchedAt, 64) },
    ...(server.phase !== 'requested' ? [{ phase: server.phase, at: sanitize(server.phaseSince, 64) }] : []),
  ];
  const lines = (ctx.values.lines as number | undefined) ?? 20;
  let consoleTail: { lines: string[]; error: null } | { lines: null; error: string };
  try {
    consoleTail = { lines: consoleLines(await session.servers.consoleOutput(server.id)).slice(-lines), error: null };
  } catch (error) {
    consoleTail = { lines: null, error: sanitize(describeError(error), 600) };
  }
  const [own, vendor] = await Promise.all([listScope(session, 'own'), listScope(session, 'vendor')]);
  const known = new Known([...own, ...vendor]);
  await known.lookUp(session, [server.imageId]);
  const risks = serverRisks(server, known.lookup, clockOf([server]));
  const audit = [
    ...ctx.store.audit.list({ provider: session.storeId, region: session.region, target: server.id, limit: 50 }),
    ...(record ? ctx.store.audit.list({ provider: session.storeId, region: session.region, target: record.clientToken, limit: 50 }) : []),
  ].sort((a, b) => a.id - b.id);
  out.document('server', {
    provider: session.providerId,
    region: session.region,
    server: row,
    launch: record
      ? {
          clientToken: sanitize(record.clientToken, 128),
          group: record.group ? sanitize(record.group, 128) : null,
          billingCode: record.billingCode ? sanitize(record.billingCode, 128) : null,
          productId: record.productId ? sanitize(record.productId, 128) : null,
          hourlyPrice: record.hourlyPrice ?? null,
          request: launch ? JSON.parse(JSON.stringify(launch.request, (_k, v: unknown) => (typeof v === 'string' ? sanitize(v, 4096) : v))) : null,
        }
      : null,
    timeline,
    console: consoleTail,
    risks: risks.map(riskRow),
    audit: audit.map(auditRow),
  });
  if (out.mode !== 'table') return EXIT.done;
  out.fields([
    ['Server', row.id],
    ['Name', row.name],
    ['Phase', `${row.phase} (${row.readiness.label})`, phaseColour(row.phase)],
    ['Failure', row.failureReason, 'red'],
    ['Image', `${row.imageId}${row.imageGone ? ' (gone: the provider no longer has it)' : ''}`],
    ['Size', row.productId],
    ['Launched', row.launchedAt],
    ['Addresses', [row.privateAddress, row.publicAddress].filter(Boolean).join(', ')],
    ['Firewalls', row.firewallIds.join(', ')],
    ['Keypair', row.keypairName],
    ['Group', row.group],
    ['Billing code', row.billingCode],
    ['Client token', row.clientToken ?? (record ? sanitize(record.clientToken, 128) : null)],
  ]);
  out.line();
  out.line('Timeline:');
  for (const t of timeline) out.line(`  ${t.at}  ${t.phase}`);
  if (risks.length) {
    out.line();
    out.line('At risk:');
    for (const r of risks) out.line(`  ${out.paint(sanitize(r.sentence, 600), r.kind === 'image-gone' ? 'red' : 'yellow')}`);
  }
  out.line();
  if (consoleTail.error !== null) out.line(`Console: ${consoleTail.error}`);
  else {
    out.line(`Console (last ${consoleTail.lines.length} line${consoleTail.lines.length === 1 ? '' : 's'}):`);
    for (const l of consoleTail.lines) out.line(`  ${l}`);
  }
  return EXIT.done;
}

/** strata server terminate ID --confirm NAME */
export async function terminate(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const server = await findServer(session, ctx.arg('ID'));
  const name = sanitize(server.name, 256);
  if (server.phase === 'terminated') {
    out.document('server-changed', { action: 'terminated', server: serverRow(server, session.description.capabilities.servers.expectedReadySeconds, undefined, placeOf(session)), already: true });
    out.note(`${name} (${sanitize(server.id)}) is terminated already.`);
    return EXIT.done;
  }
  const typed = (ctx.values.confirm as string | undefined) ?? (await out.ask(`Type the server's name (${name}) to terminate ${sanitize(server.id)}: `));
  if (typed === undefined) {
    throw new Refused(`Terminating ${sanitize(server.id)} needs --confirm ${JSON.stringify(name)} (the server's name, as the TUI makes you type it); without a terminal there is no prompt.`);
  }
  if (typed !== server.name) {
    throw new Refused(`${typed === server.id ? 'That is the id, not the name' : 'That is not the name'}; type ${name} exactly. Nothing was terminated.`);
  }
  await session.servers.terminate(server);
  out.document('server-changed', { action: 'terminated', server: serverRow(server, session.description.capabilities.servers.expectedReadySeconds, undefined, placeOf(session)), already: false });
  out.note(`Terminating ${name} (${sanitize(server.id)}).`);
  return EXIT.done;
}

/** strata console ID [--follow] */
export async function consoleOutput(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const id = ctx.arg('ID');
  const follow = ctx.values.follow === true;
  if (follow && out.mode === 'json') throw new Refused('--follow prints as it goes: use --ndjson (a line per console line), or neither.');
  await findServer(session, id);
  const first = consoleLines(await session.servers.consoleOutput(id));
  if (!follow) {
    out.document('console', { serverId: sanitize(id, 256), lines: first });
    if (out.mode === 'table') out.io.stdout.write(first.map((l) => `${l}\n`).join(''));
    return EXIT.done;
  }
  let shown: string[] = [];
  const print = (lines: string[]) => {
    for (const line of lines) out.event('console-line', { serverId: sanitize(id, 256), line });
    if (out.mode === 'table') out.io.stdout.write(lines.map((l) => `${l}\n`).join(''));
  };
  const interval = (ctx.values.interval as number | undefined) ?? 2000;
  const update = (lines: string[]) => {
    // New lines after the ones shown; a console that was cut or rotated is shown again from its start.
    const continues = shown.length <= lines.length && shown.every((l, i) => lines[i] === l);
    print(continues ? lines.slice(shown.length) : lines);
    shown = lines;
  };
  update(first);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, interval));
    try {
      update(consoleLines(await session.servers.consoleOutput(id)));
    } catch (error) {
      out.note(sanitize(describeError(error, 'Reading the console'), 600));
      return EXIT.failed;
    }
  }
}

/** strata wait SERVER… --for ready|terminated [--timeout D] */
export async function wait(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const ids = (ctx.parsed.args.SERVER as string[] | undefined) ?? [];
  const target = (ctx.values.for as WaitTarget | undefined) ?? 'ready';
  const result = await waitForServers(ctx, session, ids, target, ctx.values.timeout as number | undefined);
  ctx.out.document('wait', result.payload);
  ctx.out.table(
    [...SERVER_COLUMNS.slice(0, 4), { title: target.toUpperCase(), value: (r: ServerRow & { reached: boolean }) => (r.reached ? 'yes' : 'no'), colour: (r) => (r.reached ? 'green' : 'yellow') }],
    result.payload.servers,
  );
  ctx.out.note(result.sentence);
  return result.code;
}
