// strata jobs [show|cancel|resume], strata workflow safe: the TUI's resumable safe-workflow job, through
// the same Jobs service (written down before anything is sent, one runner at a time by a lease, every
// step audited). A cancel says what becomes of the builder, as the TUI's does.
import { spawn } from 'node:child_process';
import { describeError, StrataError } from '../../core/errors.js';
import { sanitize } from '../../core/sanitize.js';
import type { LabelColour } from '../../core/types.js';
import type { JobProgress, JobRecord, SafeWorkflowInput } from '../../services/jobs.js';
import type { LaunchServices } from '../../services/launching.js';
import type { LaunchRequest } from '../../services/launcher.js';
import type { Session } from '../../services/session.js';
import { draftToRequest, newDraft, type FormContext } from '../../ui/panes/launch/draft.js';
import { EXIT, Refused, type Context } from '../context.js';
import type { Colour, Column } from '../output.js';
import { actionsRow, jobRow, type JobRow } from '../rows.js';
import { UsageError } from '../table.js';
import { applySets, loadRecipe } from './recipe.js';

function stateColour(state: string): Colour | undefined {
  return state === 'done' ? 'green' : state === 'failed' ? 'red' : state === 'cancelled' ? 'grey' : 'cyan';
}

const COLUMNS: Column<JobRow>[] = [
  { title: 'ID', value: (r) => r.id },
  { title: 'STATE', value: (r) => r.state, colour: (r) => stateColour(r.state) },
  { title: 'IMAGE NAME', value: (r) => r.imageName },
  { title: 'BUILDER', value: (r) => (r.serverId ? `${r.serverId}${r.builder ? ` (${r.builder})` : ''}` : '') },
  { title: 'NOTE', value: (r) => r.error ?? r.note ?? '', flex: true },
];

/** A job by its id or the start of it (with or without "job-"); NotFound where none, a usage error where several. */
export function resolveJob(services: LaunchServices, given: string, where: string): JobRecord {
  const exact = services.jobs.get(given);
  if (exact) return exact;
  const all = services.jobs.list();
  const matches = all.filter((j) => j.id.startsWith(given) || j.id.startsWith(`job-${given}`));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`"${sanitize(given, 80)}" is the start of ${matches.length} jobs' ids; give more of it.`);
  throw new StrataError('NotFound', `No job ${sanitize(given, 80)} in ${where}.`);
}

function whereOf(session: Session): string {
  return `${sanitize(session.description.displayName)} ${sanitize(session.region)}`;
}

/** One line for a job (as the TUI's monitor says it). */
function jobLine(job: JobRecord): string {
  const what = `job ${job.id} "${sanitize(job.params.imageName, 60)}"`;
  if (job.state === 'done') return `${what}: done, image ${sanitize(job.imageId ?? '')}`;
  if (job.state === 'failed') return `${what}: failed in ${job.failedStep ?? 'a step'}: ${sanitize(job.error ?? '', 300)}`;
  if (job.state === 'cancelled') return `${what}: cancelled${job.note ? ` (${sanitize(job.note, 300)})` : ''}`;
  return `${what}: ${job.state}${job.note ? ` (${sanitize(job.note, 200)})` : ''}`;
}

function printJob(ctx: Context, services: LaunchServices, job: JobRecord): void {
  const row = jobRow(job);
  ctx.out.document('job', { job: row, actions: actionsRow(services.jobs.actions(job)) });
  ctx.out.fields([
    ['Job', row.id],
    ['State', row.state, stateColour(row.state)],
    ['Template', `${row.templateName ? `${row.templateName} (${row.templateImageId})` : row.templateImageId}`],
    ['Image name', row.imageName],
    ['Label', row.label],
    ['Builder', row.serverId ? `${row.builderName} (${row.serverId})${row.builder ? `, ${row.builder}` : ''}` : `${row.builderName} (not launched yet)`],
    ['Then', row.terminateBuilder ? 'terminate the builder' : 'keep the builder running'],
    ['Image', row.imageId],
    ['Note', row.note],
    ['Error', row.error, 'red'],
    ['Failed in', row.failedStep],
    ['Runner', row.runner ? `pid ${row.runner.pid} on ${row.runner.host}${row.runner.here ? ' (this process)' : ''}, heartbeat ${row.runner.heartbeatAt}` : null],
    ['Client token', row.clientToken],
    ['Created', row.createdAt],
    ['Finished', row.finishedAt],
  ]);
}

/** strata jobs */
export async function list(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const services = await session.services();
  const rows = services.jobs.list().map(jobRow);
  ctx.remember('jobs', rows.map((r) => r.id));
  if (ctx.out.mode === 'ndjson') for (const job of rows) ctx.out.event('job-row', { job });
  ctx.out.document('jobs', { provider: session.providerId, region: session.region, count: rows.length, jobs: ctx.out.mode === 'ndjson' ? undefined : rows });
  ctx.out.table(COLUMNS, rows, { empty: `No safe-workflow jobs in ${whereOf(session)}.` });
  return EXIT.done;
}

/** strata jobs show ID */
export async function show(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const services = await session.services();
  printJob(ctx, services, resolveJob(services, ctx.arg('ID'), whereOf(session)));
  return EXIT.done;
}

/** strata jobs cancel ID --builder terminate|keep [--confirm NAME] */
export async function cancel(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const services = await session.services();
  const job = resolveJob(services, ctx.arg('ID'), whereOf(session));
  const allowed = services.jobs.actions(job).cancel;
  if (!allowed.allowed) throw new Refused(`Job ${job.id} cannot be cancelled: ${sanitize(allowed.reason, 300)}`);
  let choice = ctx.values.builder as 'terminate' | 'keep' | undefined;
  let builderName: string | undefined;
  if (job.serverId) {
    const server = (await session.servers.list([job.serverId])).find((s) => s.id === job.serverId);
    builderName = server?.name ?? job.serverId;
    const shown = sanitize(builderName, 128);
    if (!choice) {
      throw new Refused(
        `Job ${job.id} has a builder, ${shown} (${sanitize(job.serverId)}): say what becomes of it: --builder terminate --confirm ${JSON.stringify(shown)}, or --builder keep (it keeps running, on purpose).`,
      );
    }
    if (choice === 'terminate') {
      const typed = (ctx.values.confirm as string | undefined) ?? (await out.ask(`Type the builder's name (${shown}) to terminate it with the job: `));
      if (typed === undefined) {
        throw new Refused(`Terminating the builder ${shown} needs --confirm ${JSON.stringify(shown)} (its name, as the TUI makes you type it); without a terminal there is no prompt.`);
      }
      if (typed !== builderName && typed !== job.serverId) throw new Refused(`That is not the builder's name; type ${shown} exactly (or --builder keep). Nothing was cancelled.`);
    }
  } else {
    choice ??= 'keep';
  }
  const done = await services.jobs.cancel(job.id, { builder: choice });
  printJob(ctx, services, done);
  const builder = !job.serverId
    ? 'It had started no builder.'
    : choice === 'terminate'
      ? `Its builder ${sanitize(builderName ?? job.serverId, 128)} is terminated.`
      : `Its builder ${sanitize(builderName ?? job.serverId, 128)} keeps running, on purpose: terminate it when you are done with it (strata server terminate ${sanitize(job.serverId)}).`;
  out.note(`Cancelled job ${job.id}${done.state === 'cancelled' ? '' : ' (the strata that runs it stops it after its current step)'}. ${builder}`);
  return EXIT.done;
}

/** Runs (or follows) jobs here until they end; progress on stderr, events with --ndjson. */
async function runHere(ctx: Context, services: LaunchServices, start: (options: { signal: AbortSignal; onUpdate: (job: JobRecord) => void; onProgress: (p: JobProgress) => void }) => Promise<JobRecord[]>): Promise<number> {
  const { out } = ctx;
  const timeoutMs = ctx.values.timeout as number | undefined;
  const stop = new AbortController();
  const timer = timeoutMs !== undefined ? setTimeout(() => stop.abort(), timeoutMs) : undefined;
  let ended: JobRecord[];
  try {
    ended = await start({
      signal: stop.signal,
      onUpdate: (job) => {
        out.event('job-update', { job: jobRow(job) });
        out.progress(jobLine(job));
      },
      onProgress: (p) => {
        out.event('job-progress', { jobId: p.jobId, step: p.step, event: p.event, message: sanitize(p.message, 1000) });
        out.progress(`job ${p.jobId}: ${p.step}: ${sanitize(p.message, 300)}`);
      },
    });
  } finally {
    if (timer) clearTimeout(timer);
    out.done();
  }
  for (const job of ended) {
    if (ended.length === 1) printJob(ctx, services, job);
    else {
      out.event('job', { job: jobRow(job), actions: actionsRow(services.jobs.actions(job)) });
      out.line(jobLine(job));
    }
  }
  if (ended.length !== 1) out.document('jobs', { count: ended.length, jobs: out.mode === 'ndjson' ? undefined : ended.map(jobRow) });
  if (stop.signal.aborted) {
    out.note(`Stopped after ${Math.round((timeoutMs ?? 0) / 1000)} s (--timeout); the job stays where it is: strata jobs resume goes on from there.`);
    return EXIT.timedOut;
  }
  for (const job of ended) out.note(jobLine(job));
  return ended.every((j) => j.state === 'done') ? EXIT.done : EXIT.failed;
}

/** strata jobs resume [ID] */
export async function resume(ctx: Context): Promise<number> {
  const session = await ctx.session();
  const services = await session.services();
  const given = ctx.parsed.args.ID as string | undefined;
  if (given === undefined) {
    const unfinished = services.jobs.unfinished();
    if (unfinished.length === 0) {
      ctx.out.document('jobs', { count: 0, jobs: [] });
      ctx.out.note(`No unfinished jobs in ${whereOf(session)}.`);
      return EXIT.done;
    }
    return runHere(ctx, services, (o) => services.jobs.resumeAll(o));
  }
  const job = resolveJob(services, given, whereOf(session));
  if (job.state === 'done' || job.state === 'cancelled') {
    printJob(ctx, services, job);
    ctx.out.note(`Job ${job.id} has ended (${job.state}); there is nothing to resume.`);
    return job.state === 'done' ? EXIT.done : EXIT.failed;
  }
  const fate = ctx.values.builder as 'terminate' | 'inspect' | undefined;
  return runHere(ctx, services, async (o) => [
    job.state === 'failed' ? await services.jobs.retry(job.id, { ...o, ...(fate ? { builder: fate } : {}) }) : await services.jobs.run(job.id, o),
  ]);
}

/** The builder's launch request: the recipe's where one is given, else the launch form's defaults for the template. */
async function builderRequest(ctx: Context, session: Session, services: LaunchServices, templateId: string): Promise<LaunchRequest> {
  const recipe = ctx.values.recipe as string | undefined;
  let request: LaunchRequest;
  if (recipe !== undefined) {
    request = loadRecipe(services, recipe).request;
  } else {
    const template = await session.catalogue.image(templateId);
    const options = await services.launcher.formOptions();
    for (const w of options.warnings) ctx.out.note(sanitize(w, 600));
    const formCtx: FormContext = {
      description: session.description,
      image: template,
      products: options.products,
      firewalls: options.firewalls,
      keypairs: options.keypairs,
      groups: options.known.groups.map((g) => g.name),
      billingCodes: options.known.billingCodes.map((c) => c.name),
      keyDirectory: options.keyDirectory,
    };
    const draft = newDraft(formCtx);
    request = draftToRequest(draft, session.description, true).request;
  }
  return applySets({ ...request, imageId: templateId, count: 1 }, (ctx.values.set as string[] | undefined) ?? []);
}

/** strata workflow safe TEMPLATE --name N [--label C] [--keep-builder] [--wait] */
export async function workflow(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const services = await session.services();
  const templateId = ctx.arg('TEMPLATE');
  const builder = await builderRequest(ctx, session, services, templateId);
  const input: SafeWorkflowInput = {
    templateImageId: templateId,
    builder,
    ...(ctx.values.name !== undefined ? { imageName: ctx.values.name as string } : {}),
    ...(ctx.values.label !== undefined ? { label: ctx.values.label as LabelColour } : {}),
    terminateBuilder: ctx.values['keep-builder'] !== true,
  };
  out.progress('checking the workflow');
  const job = await services.jobs.startSafeWorkflow(input);
  out.done();
  out.event('job-started', { job: jobRow(job) });
  out.note(
    `Started the safe workflow, job ${job.id}: it launches the builder ${sanitize(builder.name)}, waits until it is ready, captures "${sanitize(job.params.imageName)}"${job.params.label ? `, labels it ${job.params.label}` : ''}${job.params.terminateBuilder ? ' and terminates the builder' : ' and keeps the builder running'}.`,
  );
  if (ctx.values.wait === true) return runHere(ctx, services, async (o) => [await services.jobs.run(job.id, o)]);
  const pid = runInBackground(ctx, session, job.id);
  printJob(ctx, services, services.jobs.get(job.id) ?? job);
  out.note(
    pid !== undefined
      ? `It runs in the background (pid ${pid}); follow it with strata jobs show ${job.id}, or run it here with strata jobs resume ${job.id}.`
      : `It waits for a runner: strata jobs resume ${job.id} (or the TUI's next start) runs it.`,
  );
  return EXIT.done;
}

/** A strata of its own that runs the job to its end (detached: it outlives this command and its terminal). */
function runInBackground(ctx: Context, session: Session, jobId: string): number | undefined {
  const s = ctx.parsed.session;
  const args = ['jobs', 'resume', jobId, '--provider', s.provider, '--region', session.region];
  if (s.profile) args.push('--profile', s.profile);
  if (s.endpoint) args.push('--endpoint', s.endpoint);
  if (s.libvirtUri) args.push('--libvirt-uri', s.libvirtUri);
  if (s.sandboxFaults) args.push('--sandbox-faults', s.sandboxFaults);
  if (s.sandboxLatencyMs !== undefined) args.push('--sandbox-latency', String(s.sandboxLatencyMs));
  if (s.sandboxSeed !== undefined) args.push('--sandbox-seed', String(s.sandboxSeed));
  try {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
      detached: true,
      stdio: 'ignore',
      env: ctx.out.io.env,
    });
    child.on('error', (error) => ctx.logger.log('error', describeError(error, 'Starting the job runner')));
    child.unref();
    return child.pid;
  } catch (error) {
    ctx.logger.log('error', describeError(error, 'Starting the job runner'));
    return undefined;
  }
}
