// Jobs: the seed's safe workflow as a resumable job (DESIGN.md, mission 5). From a vendor template:
//
//   launching -> waiting-ready -> capturing -> waiting-image -> labelling -> terminating -> done
//                                                                        (or failed, with a sentence; or cancelled)
//
// The job is written to the local store FIRST, with a fresh client token for the builder's launch; each
// step's result (the builder's server id, the image id) is written in the same transaction that moves the
// job to the next step. So a strata that quits, crashes or loses its SSH session in the middle goes on,
// at its next start, from the step it was at, and never does a step's work twice:
//   - launching again sends the same client token: the launcher (its journal) and the provider return the
//     server the first attempt started, never a second one;
//   - capturing again first looks for an own image with the job's name captured from the builder (a
//     capture whose answer was lost, or written down too late) and adopts it;
//   - waiting, labelling and terminating are idempotent.
// One strata process runs a job at a time (a lease in the store, renewed by a heartbeat); another process
// takes the job over once the runner's process is gone or its lease is stale, and until then follows it.
//
// The builder is never left running silently: a cancel says what becomes of it (terminated, or kept on
// purpose) and the job records which, before anything is done, so a strata that stops in between
// terminates it at its next start; a failed job's builder is terminated or kept for inspection at the
// user's word, and the job says which. A failed job can be retried from the step it failed in.
// A read-only session lists jobs and never runs, resumes, cancels or retries one (ReadOnlySession).
// Every step is in the audit log; nothing secret is (the parameters are names, ids and the launch form's
// request, which holds none).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ProviderDescription } from '../core/capabilities.js';
import { describeError, isRetryable, isStrataError, RefusedWithProblems, StrataError } from '../core/errors.js';
import type { LaunchProblem } from '../core/launch.js';
import { sanitize } from '../core/sanitize.js';
import { isLabelColour, type Image, type ImageKind, type LabelColour, type Phase, type Server } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';
import type { Store } from '../store/db.js';
import {
  isFinalJobState,
  JOB_STEPS,
  type BuilderFate,
  type JobFinalState,
  type JobRecords,
  type JobRunner,
  type JobState,
  type JobStep,
  type StoredJob,
} from '../store/jobs.js';
import { Capturer, sleep } from './capture.js';
import type { Catalogue } from './catalogue.js';
import { progressText } from './launch-words.js';
import { LaunchRefused, newClientToken, stripUndefined, type LaunchProgress, type Launcher, type LaunchRequest } from './launcher.js';
import { ReadOnlySession, refuseIfReadOnly } from './readonly.js';
import { backoffDelay, jittered, withRetry, type RetryPolicy } from './retry.js';
import { dedupeProblems } from '../core/launch.js';
import { launchRequestProblems, parseLaunchRequest } from './recipes.js';
import { processAlive } from '../core/process.js';

export { JOB_STEPS, isFinalJobState } from '../store/jobs.js';
export type { BuilderFate, JobFinalState, JobState, JobStep } from '../store/jobs.js';

export const SAFE_WORKFLOW = 'safe-workflow';

/** What the workflow form gives: the template, the builder's launch request, the image to make. */
export interface SafeWorkflowInput {
  templateImageId: string;
  /** The launch form's request for the builder; its imageId is the template's and its count 1 (both forced). */
  builder: LaunchRequest;
  /** The image's name; where absent, the builder's name and the date (NAME-2026-12-06): see defaultImageName. */
  imageName?: string;
  label?: LabelColour;
  /** Terminate the builder server once the image is available (never a server the job did not start). */
  terminateBuilder: boolean;
  /** Capture without stopping the builder, where the provider offers the choice. */
  noReboot?: boolean;
}

/** The parameters a job keeps: the input, with the builder's request as it is sent, and what the template was. */
export interface SafeWorkflowParams extends SafeWorkflowInput {
  imageName: string;
  templateName?: string;
  templateKind?: ImageKind;
}

export interface JobRecord {
  id: string;
  kind: typeof SAFE_WORKFLOW;
  provider: string;
  region: string;
  state: JobState;
  params: SafeWorkflowParams;
  /** The client token of the builder's launch. */
  clientToken: string;
  /** The builder server, once launched. */
  serverId?: string;
  /** The captured image, once captured. */
  imageId?: string;
  /** One sentence about the current step (the builder's phase, the image's state), or how the job ended. */
  note?: string;
  /** Why the job failed, one sentence. */
  error?: string;
  /** The step the job failed or was cancelled in. */
  failedStep?: JobStep;
  cancelRequested: boolean;
  /** What becomes (or became) of the builder, where that was decided: terminate (asked), terminated, kept, inspect. */
  builder?: BuilderFate;
  /** How often the job was retried from a failed step. */
  retries: number;
  /** The strata process running the job, where one does (it may be another process, on this host or not). */
  runner?: { pid: number; host: string; heartbeatAt: string; here: boolean };
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

/** Events within a step (for a progress line; nothing here is persisted). */
export interface JobProgress {
  jobId: string;
  step: JobStep;
  /** 'launch:<launcher step>' | 'builder-phase' | 'captured' | 'image-state' | 'retry' | 'following' */
  event: string;
  message: string;
  /** The builder's phase (builder-phase) or the image's state (image-state). */
  phase?: Phase;
  imageState?: Image['state'];
}

export interface RunOptions {
  /** Stops this run (quit, lost session): the job stays where it is, to be resumed later. */
  signal?: AbortSignal;
  /** Every persisted change of the job. */
  onUpdate?: (job: JobRecord) => void;
  onProgress?: (progress: JobProgress) => void;
}

/** A workflow refused before anything was written or sent: every problem with its field. */
export class WorkflowRefused extends RefusedWithProblems {
  constructor(problems: LaunchProblem[]) {
    super('The job was not started', problems);
  }
}

/** Whether an action may be taken on a job now, and where not, why (a sentence the UI shows at the key). */
export type JobAction = { allowed: true } | { allowed: false; reason: string };

/** What may be done with a job now (the jobs list's keys, each with its reason when disabled). */
export interface JobActions {
  cancel: JobAction;
  retry: JobAction;
  /** Terminate the builder (a failed or cancelled job's, or one kept). */
  terminateBuilder: JobAction;
  /** Keep a failed job's builder for inspection. */
  keepBuilder: JobAction;
}

/** What becomes of the builder when a job is cancelled: terminated, or kept on purpose. */
export type CancelChoice = 'terminate' | 'keep';

/** What Jobs needs of a session. */
export interface JobsSession {
  provider: ProviderService;
  description: ProviderDescription;
  launcher: Launcher;
  catalogue: Catalogue;
  /** Made from the others where absent. */
  capturer?: Capturer;
}

export interface JobsDeps extends JobsSession {
  store: Store;
  providerId: string;
  region: string;
  now?: () => Date;
  /** Real milliseconds between polls of the builder and the image (default 5000). */
  pollMs?: number;
  /** Give up on a builder not ready this long after its launch, on the provider's clock (default: twice the expected time). */
  readyLimitMs?: number;
  /** A runner whose heartbeat is older than this is taken to be gone (default 60 s). */
  leaseMs?: number;
  /** The longest pause while the provider throttles or does not answer (default 30 s). */
  maxBackoffMs?: number;
  /** The one retry policy (retry.ts) unless told otherwise (passed to the capturer). */
  retry?: RetryPolicy;
  /** A read-only session: jobs are listed, never run, resumed, cancelled or retried (ReadOnlySession). */
  readOnly?: boolean;
}

/** The run ends without a change of state: quit, or lost the lease. */
class Stopped extends Error {}
/** A cancel was asked for: the run marks the job cancelled. */
class CancelRequested extends Error {}
/** The step cannot succeed: the job fails with this sentence. */
class StepFailed extends Error {}

interface Active {
  promise: Promise<JobRecord>;
  listeners: Set<RunOptions>;
  stop: AbortController;
}

interface Ctx {
  runner: JobRunner;
  /** Aborted by the caller's signal or by a cancel in this process. */
  signal: AbortSignal;
  external?: AbortSignal;
  emit: (job: StoredJob) => void;
  progress: (step: JobStep, event: string, message: string, extra?: Partial<JobProgress>) => void;
}

/** The runs alive in this process (a lease held by this pid is live only while its run is here). */
const LIVE_RUNNERS = new Set<string>();

export class Jobs {
  private readonly deps: JobsDeps;
  readonly capturer: Capturer;
  private readonly now: () => Date;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly maxBackoffMs: number;
  private readonly host = hostname();
  private readonly active = new Map<string, Active>();

  constructor(deps: JobsDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    this.pollMs = Math.max(1, deps.pollMs ?? 5000);
    this.leaseMs = Math.max(1000, deps.leaseMs ?? 60_000);
    this.maxBackoffMs = Math.max(this.pollMs, deps.maxBackoffMs ?? 30_000);
    this.capturer =
      deps.capturer ??
      new Capturer({
        provider: deps.provider,
        description: deps.description,
        catalogue: deps.catalogue,
        store: deps.store,
        providerId: deps.providerId,
        region: deps.region,
        ...(deps.retry ? { retry: deps.retry } : {}),
      });
  }

  private get records(): JobRecords {
    return this.deps.store.jobs();
  }

  private get readyLimitMs(): number {
    return this.deps.readyLimitMs ?? 2 * this.deps.description.capabilities.servers.expectedReadySeconds * 1000;
  }

  // ---- reading -------------------------------------------------------------------------------------------

  /** Every job of this provider and region (running, done, failed, cancelled), newest first. */
  list(limit = 10_000): JobRecord[] {
    return this.records.list(this.deps.providerId, this.deps.region, limit).map((j) => this.toRecord(j));
  }

  /** What may be done with a job now, each with the reason where it may not (a read-only session: none). */
  actions(job: JobRecord): JobActions {
    const no = (reason: string): JobAction => ({ allowed: false, reason });
    const yes: JobAction = { allowed: true };
    if (this.deps.readOnly) {
      const ro = no('The session is read-only (--read-only).');
      return { cancel: ro, retry: ro, terminateBuilder: ro, keepBuilder: ro };
    }
    const ended = isFinalJobState(job.state);
    const builderUp = job.serverId !== undefined && job.builder !== 'terminated' && job.builder !== 'terminate';
    return {
      cancel: ended ? no(`The job has ended (${job.state}).`) : job.cancelRequested ? no('The job is being cancelled.') : yes,
      retry: job.state === 'failed' ? yes : no(job.state === 'done' ? 'The job is done.' : ended ? `The job was ${job.state}; only a failed job is retried.` : 'The job is still running.'),
      terminateBuilder: !ended
        ? no('The job is running; cancel it to stop its builder.')
        : job.serverId === undefined
          ? no('The job started no builder.')
          : !builderUp
            ? no(`The builder ${job.serverId} is ${job.builder === 'terminate' ? 'being terminated' : 'terminated'}.`)
            : yes,
      keepBuilder:
        job.state !== 'failed'
          ? no('Only a failed job’s builder is kept for inspection.')
          : !builderUp
            ? no(job.serverId === undefined ? 'The job started no builder.' : `The builder ${job.serverId} is terminated.`)
            : job.builder === 'inspect'
              ? no('The builder is kept for inspection already.')
              : yes,
    };
  }

  /** The name a captured image gets unless one is given: NAME-2026-12-06 (the date of the capture), fitted to the provider's rules. */
  defaultImageName(base: string, at: Date = this.now()): string | undefined {
    return this.capturer.defaultName(base, at);
  }

  /** A job of this provider and region, if any. */
  get(id: string): JobRecord | undefined {
    const job = this.records.get(id);
    return job && this.isOurs(job) ? this.toRecord(job) : undefined;
  }

  /** Jobs of this provider and region that have not ended, oldest first. */
  unfinished(): JobRecord[] {
    return this.records.unfinished(this.deps.providerId, this.deps.region).map((j) => this.toRecord(j));
  }

  /** Whether a launch's client token is a job's builder (its launch is the job's to resume, not the user's to confirm). */
  isJobToken(clientToken: string): boolean {
    return this.records.byToken(clientToken) !== undefined;
  }

  /** Whether this process is running the job now. */
  isRunningHere(id: string): boolean {
    return this.active.has(id);
  }

  // ---- starting ------------------------------------------------------------------------------------------

  /** Every problem with the workflow's input, each at its field (reads only; nothing is written or sent). */
  async problems(input: SafeWorkflowInput): Promise<LaunchProblem[]> {
    return (await this.check(input)).problems;
  }

  /**
   * Checks the input and writes the job (state launching, a fresh client token for the builder) before
   * anything is sent; audit-logged. Refuses with WorkflowRefused (every problem at its field) and writes
   * nothing while a problem remains. Does not run the job: call run(id).
   */
  async startSafeWorkflow(input: SafeWorkflowInput): Promise<JobRecord> {
    refuseIfReadOnly(this.deps.readOnly, 'start jobs');
    if (!this.capturer.supported) {
      throw new StrataError('Unsupported', `${this.where()} cannot capture images, so the workflow cannot run here.`);
    }
    const { problems, params } = await this.check(input);
    if (problems.length > 0 || !params) throw new WorkflowRefused(problems);
    const id = `job-${randomUUID()}`;
    const clientToken = newClientToken();
    const job = this.deps.store.transaction(() => {
      // Another job may have taken the name while this one was checked.
      const clash = this.records
        .unfinished(this.deps.providerId, this.deps.region)
        .find((j) => (j.params as Partial<SafeWorkflowParams> | undefined)?.imageName === params.imageName);
      if (clash) throw new WorkflowRefused([{ field: 'imageName', message: nameInUseByJob(params.imageName, clash.id) }]);
      const created = this.records.create({
        id,
        kind: SAFE_WORKFLOW,
        provider: this.deps.providerId,
        region: this.deps.region,
        params,
        clientToken,
      });
      this.audit('job.started', id, {
        kind: SAFE_WORKFLOW,
        templateImageId: params.templateImageId,
        ...(params.templateName ? { template: params.templateName } : {}),
        builder: params.builder.name,
        productId: params.builder.productId,
        imageName: params.imageName,
        ...(params.label ? { label: params.label } : {}),
        terminateBuilder: params.terminateBuilder,
        clientToken,
      });
      return created;
    });
    return this.toRecord(job);
  }

  private async check(input: SafeWorkflowInput): Promise<{ problems: LaunchProblem[]; params?: SafeWorkflowParams }> {
    const problems: LaunchProblem[] = [];
    if (input === null || typeof input !== 'object') {
      return { problems: [{ field: 'templateImageId', message: 'The workflow needs a template, a builder and an image name.' }] };
    }
    // No name given: the builder's name and today's date (the capture follows within the hour).
    if (input.imageName === undefined && input.builder !== null && typeof input.builder === 'object' && typeof input.builder.name === 'string') {
      const name = this.defaultImageName(input.builder.name);
      if (name !== undefined) input = { ...input, imageName: name };
    }
    const nameReason =
      typeof input.imageName === 'string' ? this.capturer.nameProblem(input.imageName) : 'The image needs a name.';
    if (nameReason) problems.push({ field: 'imageName', message: nameReason });
    if (input.label !== undefined && !isLabelColour(input.label)) {
      problems.push({ field: 'label', message: `"${sanitize(input.label, 32)}" is not a label colour.` });
    }
    if (typeof input.terminateBuilder !== 'boolean') {
      problems.push({ field: 'terminateBuilder', message: 'Say whether the builder server is terminated once the image is available.' });
    }
    if (input.noReboot !== undefined && typeof input.noReboot !== 'boolean') {
      problems.push({ field: 'noReboot', message: 'noReboot is true or false.' });
    }

    let template: Image | undefined;
    if (typeof input.templateImageId !== 'string' || input.templateImageId === '') {
      problems.push({ field: 'templateImageId', message: 'Choose the template to start the builder from.' });
    } else {
      try {
        template = await this.withRetry(() => this.deps.provider.getImage(input.templateImageId));
        if (template.state === 'pending' || template.state === 'failed' || template.state === 'deleted') {
          problems.push({
            field: 'templateImageId',
            message: `The template ${sanitize(template.name, 128)} (${template.id}) is ${template.state}; a builder cannot start from it.`,
          });
        }
      } catch (error) {
        if (!isStrataError(error) || (error.kind !== 'NotFound' && error.kind !== 'Invalid')) throw error;
        problems.push({ field: 'templateImageId', message: describeError(error) });
      }
    }

    // The builder's launch request, as it will be sent: from the template, one server.
    const shape = launchRequestProblems(input.builder === null || typeof input.builder !== 'object' ? input.builder : { ...input.builder, imageId: input.templateImageId, count: 1 });
    let builder: LaunchRequest | undefined;
    if (shape.length > 0) {
      problems.push(...shape.map((p) => ({ field: `builder.${p.field}`, message: p.message })));
    } else {
      builder = parseLaunchRequest({ ...input.builder, imageId: input.templateImageId, count: 1 }, 'The builder');
      if (template) {
        const review = await this.deps.launcher.review(builder);
        for (const p of review.problems) {
          // The template's problems are already said at the template's field.
          if (p.field === 'imageId') {
            if (!problems.some((q) => q.field === 'templateImageId')) problems.push({ field: 'templateImageId', message: p.message });
          } else {
            problems.push({ field: `builder.${p.field}`, message: p.message });
          }
        }
      }
    }

    if (!nameReason && typeof input.imageName === 'string') {
      const taken = await this.capturer.nameTaken(input.imageName);
      if (taken) {
        problems.push({
          field: 'imageName',
          message: `An image named "${sanitize(input.imageName, 128)}" already exists among your images (${taken.id}); choose another name.`,
        });
      } else {
        const clash = this.records
          .unfinished(this.deps.providerId, this.deps.region)
          .find((j) => (j.params as Partial<SafeWorkflowParams> | undefined)?.imageName === input.imageName);
        if (clash) problems.push({ field: 'imageName', message: nameInUseByJob(input.imageName, clash.id) });
      }
    }

    if (problems.length > 0 || !builder || !template) return { problems: dedupeProblems(problems) };
    const params: SafeWorkflowParams = {
      templateImageId: template.id,
      builder: stripUndefined(builder),
      imageName: input.imageName!,
      ...(input.label !== undefined ? { label: input.label } : {}),
      terminateBuilder: input.terminateBuilder,
      ...(input.noReboot !== undefined ? { noReboot: input.noReboot } : {}),
      templateName: template.name,
      templateKind: template.kind,
    };
    return { problems: [], params };
  }

  // ---- running -------------------------------------------------------------------------------------------

  /**
   * Runs a job from the step it is at to its end, and resolves with the job as it then is (done, failed,
   * cancelled — or unfinished when the signal stopped the run). Running a job this process already runs
   * joins that run. Where another live strata process runs it, this one follows it (onUpdate on every
   * change) and takes it over if that process goes away.
   */
  run(id: string, options: RunOptions = {}): Promise<JobRecord> {
    if (this.deps.readOnly) return Promise.reject(new ReadOnlySession('run jobs'));
    const running = this.active.get(id);
    if (running) {
      running.listeners.add(options);
      return running.promise.finally(() => running.listeners.delete(options));
    }
    const stop = new AbortController();
    const listeners = new Set<RunOptions>([options]);
    const entry: Active = { promise: Promise.resolve(undefined as unknown as JobRecord), listeners, stop };
    entry.promise = this.runOwned(id, entry, options.signal).finally(() => {
      if (this.active.get(id) === entry) this.active.delete(id);
    });
    this.active.set(id, entry);
    return entry.promise;
  }

  /**
   * Runs every unfinished job of this provider and region (at start), and finishes what a cancel left
   * undone (a builder to terminate); resolves with each unfinished job as it ended. Refused in a read-only
   * session (it lists them with unfinished() instead).
   */
  async resumeAll(options: RunOptions = {}): Promise<JobRecord[]> {
    refuseIfReadOnly(this.deps.readOnly, 'resume jobs');
    for (const job of this.records.builderTerminationsDue(this.deps.providerId, this.deps.region)) {
      try {
        await this.terminateBuilder(job, job.state === 'cancelled' ? 'cancelled' : 'asked');
      } catch (error) {
        if (!isRetryable(error)) throw error; // still throttled: left for the next start
      }
    }
    const jobs = this.records.unfinished(this.deps.providerId, this.deps.region);
    return Promise.all(jobs.map((job) => this.run(job.id, options)));
  }

  /**
   * Asks a job to stop after its current step (a wait stops at once), with what becomes of its builder:
   * 'terminate' (the builder the job started, and only that, is terminated once the job is cancelled) or
   * 'keep' (kept on purpose). The choice is written with the request, before anything else, so a strata
   * that stops in between still terminates the builder at its next start (resumeAll). Resolves with the
   * job once it is cancelled where this process runs it or nobody does; where another strata process runs
   * it, with the job as it is (that process stops it and does what was asked).
   */
  async cancel(id: string, options: { builder?: CancelChoice; /** @deprecated builder: 'terminate' */ terminateBuilder?: boolean } = {}): Promise<JobRecord> {
    refuseIfReadOnly(this.deps.readOnly, 'cancel jobs');
    const before = this.records.get(id);
    if (!before || !this.isOurs(before)) throw new StrataError('NotFound', `No job ${id} in ${this.where()}.`);
    if (isFinalJobState(before.state)) return this.toRecord(before);
    const choice: CancelChoice = options.builder ?? (options.terminateBuilder ? 'terminate' : 'keep');
    this.deps.store.transaction(() => {
      this.records.requestCancel(id, choice === 'terminate' ? 'terminate' : 'kept');
      this.audit('job.cancel-requested', id, { step: before.state, builder: choice === 'terminate' ? 'terminate' : 'keep' });
    });
    let job: StoredJob;
    const running = this.active.get(id);
    if (running) {
      running.stop.abort(new CancelRequested());
      const ended = await running.promise;
      job = this.records.get(ended.id)!;
    } else {
      // Nobody here runs it: take it (if no other live process does) and mark it cancelled now.
      const runner = this.newRunner();
      const claimed = this.claim(id, runner);
      if (!claimed) return this.toRecord(this.records.get(id)!);
      try {
        job = isFinalJobState(claimed.state) ? claimed : this.markCancelled(claimed);
      } finally {
        this.records.release(id, runner.id);
      }
    }
    if (job.state === 'cancelled' && job.builder === 'terminate') {
      await this.terminateBuilder(job, 'cancelled');
      job = this.records.get(id)!;
    }
    return this.toRecord(job);
  }

  /**
   * What becomes of the builder of a job that has ended: 'terminate' it (the job's own builder, never
   * anything else), or 'inspect' (a failed job's builder, kept so its console and disks can be looked at;
   * the job says so). Recorded before it is done; audit-logged.
   */
  async settleBuilder(id: string, fate: 'terminate' | 'inspect'): Promise<JobRecord> {
    refuseIfReadOnly(this.deps.readOnly, fate === 'terminate' ? 'terminate builders' : 'change jobs');
    const job = this.records.get(id);
    if (!job || !this.isOurs(job)) throw new StrataError('NotFound', `No job ${id} in ${this.where()}.`);
    const action = this.actions(this.toRecord(job))[fate === 'terminate' ? 'terminateBuilder' : 'keepBuilder'];
    if (!action.allowed) throw new StrataError('Conflict', action.reason);
    if (fate === 'inspect') {
      const next = this.deps.store.transaction(() => {
        const kept = this.records.setBuilder(id, 'inspect');
        this.audit('job.builder-kept', id, { serverId: job.serverId, why: 'inspection' });
        return this.records.setNote(id, `The builder ${job.serverId} is kept for inspection; terminate it when done.`) ?? kept;
      });
      return this.toRecord(next);
    }
    this.deps.store.transaction(() => {
      this.records.setBuilder(id, 'terminate');
      this.audit('job.builder-terminate-requested', id, { serverId: job.serverId });
    });
    await this.terminateBuilder(this.records.get(id)!, 'asked');
    return this.toRecord(this.records.get(id)!);
  }

  /**
   * Takes a failed job up again from the step it failed in, and runs it (resolves as run() does). Where
   * that step needs a builder that is gone (terminated, failed, never made), the job goes back to launching
   * a new one (the old one's fate, where it still runs, is `builder`: terminated, or kept for inspection).
   */
  async retry(id: string, options: RunOptions & { builder?: 'terminate' | 'inspect' } = {}): Promise<JobRecord> {
    refuseIfReadOnly(this.deps.readOnly, 'retry jobs');
    const job = this.records.get(id);
    if (!job || !this.isOurs(job)) throw new StrataError('NotFound', `No job ${id} in ${this.where()}.`);
    const action = this.actions(this.toRecord(job)).retry;
    if (!action.allowed) throw new StrataError('Conflict', action.reason);
    let step: JobStep = job.failedStep ?? 'launching';
    let newToken = false;
    const journal = this.deps.store.journal(this.deps.providerId, this.deps.region);
    if (step === 'launching') {
      // A launch the provider refused started nothing: a new token sends it afresh.
      newToken = journal.get(job.clientToken)?.state === 'failed';
    } else if (step === 'waiting-ready' || step === 'capturing') {
      const server = job.serverId
        ? (await withRetry(() => this.deps.provider.listServers([job.serverId!]), this.deps.retry, { operation: 'listing servers' })).find(
            (s) => s.id === job.serverId,
          )
        : undefined;
      const usable = server !== undefined && server.phase !== 'failed' && server.phase !== 'terminated' && job.builder !== 'terminated';
      if (!usable) {
        if (server && server.phase !== 'terminated' && job.builder !== 'terminated' && job.builder !== 'inspect') {
          if (!options.builder) {
            throw new StrataError(
              'Conflict',
              `The builder ${job.serverId} ${server.phase === 'failed' ? 'failed' : 'cannot be used'}; say whether it is terminated or kept for inspection, and a new one is launched.`,
              { field: 'builder' },
            );
          }
          await this.settleBuilder(id, options.builder);
        }
        step = 'launching';
        newToken = true;
      }
    }
    const reopened = this.deps.store.transaction(() => {
      const next = this.records.reopen(id, step, { ...(newToken ? { clientToken: newClientToken(), clearServer: true } : {}) });
      this.audit('job.retried', id, { step, ...(newToken ? { clientToken: next.clientToken, newBuilder: true } : {}), retries: next.retries });
      return next;
    });
    void reopened;
    return this.run(id, options);
  }

  private async runOwned(id: string, entry: Active, external: AbortSignal | undefined): Promise<JobRecord> {
    let job = this.records.get(id);
    if (!job || !this.isOurs(job)) throw new StrataError('NotFound', `No job ${id} in ${this.where()}.`);
    const emit = (j: StoredJob) => {
      const record = this.toRecord(j);
      for (const l of entry.listeners) l.onUpdate?.(record);
    };
    if (isFinalJobState(job.state)) return this.toRecord(job);
    const signal = external ? AbortSignal.any([external, entry.stop.signal]) : entry.stop.signal;
    const runner = this.newRunner();
    const ctx: Ctx = {
      runner,
      signal,
      ...(external ? { external } : {}),
      emit,
      progress: (step, event, message, extra = {}) => {
        for (const l of entry.listeners) l.onProgress?.({ jobId: id, step, event, message, ...extra });
      },
    };

    // Take the lease; while another live strata holds it, follow the job.
    const previous = job.runner;
    let claimed = this.claim(id, runner);
    if (!claimed) {
      claimed = await this.follow(id, runner, ctx);
      if (!claimed) return this.toRecord(this.records.get(id)!);
    }
    job = claimed;
    if (isFinalJobState(job.state)) {
      this.records.release(id, runner.id);
      return this.toRecord(job);
    }
    LIVE_RUNNERS.add(runner.id);
    const beat = setInterval(() => {
      if (!this.records.heartbeat(id, runner.id)) entry.stop.abort(new Stopped('lost the lease'));
    }, Math.max(250, Math.min(10_000, Math.floor(this.leaseMs / 3))));
    beat.unref?.();
    try {
      const launchSeen = this.deps.store.journal(this.deps.providerId, this.deps.region).get(job.clientToken) !== undefined;
      if (job.state !== JOB_STEPS[0] || previous !== undefined || launchSeen) {
        this.audit('job.resumed', id, { step: job.state, ...(job.serverId ? { serverId: job.serverId } : {}), ...(job.imageId ? { imageId: job.imageId } : {}) });
      }
      emit(job);
      await this.drive(job, ctx);
    } finally {
      clearInterval(beat);
      LIVE_RUNNERS.delete(runner.id);
      this.records.release(id, runner.id);
    }
    return this.toRecord(this.records.get(id)!);
  }

  /** The state machine: one step at a time, each step's result persisted with the move to the next. */
  private async drive(start: StoredJob, ctx: Ctx): Promise<StoredJob> {
    let job = start;
    let failures = 0;
    while (!isFinalJobState(job.state)) {
      const step = job.state as JobStep;
      try {
        if (ctx.external?.aborted) throw new Stopped();
        if (this.records.get(job.id)?.cancelRequested || ctx.signal.reason instanceof CancelRequested) throw new CancelRequested();
        const params = this.paramsOf(job);
        job = await this.runStep(step, job, params, ctx);
        failures = 0;
        ctx.emit(job);
      } catch (error) {
        const current = this.records.get(job.id)!;
        if (error instanceof Stopped || (ctx.external?.aborted && !(ctx.signal.reason instanceof CancelRequested))) return current;
        if (error instanceof CancelRequested || (current.cancelRequested && ctx.signal.aborted)) {
          job = this.markCancelled(current);
          ctx.emit(job);
          // The builder's fate was chosen with the cancel (in this process or another): done here.
          if (job.builder === 'terminate') {
            try {
              await this.terminateBuilder(job, 'cancelled');
            } catch {
              // left 'terminate': the next start (resumeAll) or the canceller does it
            }
            job = this.records.get(job.id) ?? job;
            ctx.emit(job);
          }
          return job;
        }
        if (isStrataError(error) && error.kind === 'Conflict' && current.state !== step) return current; // moved on elsewhere
        if (!(error instanceof StepFailed) && isRetryable(error)) {
          failures++;
          const pause = jittered(Math.min(this.maxBackoffMs, this.pollMs * 2 ** Math.min(failures, 10)), this.deps.retry);
          const message = `${describeError(error)} Trying again in ${seconds(pause)}.`;
          ctx.progress(step, 'retry', message);
          job = this.records.setNote(job.id, message) ?? current;
          ctx.emit(job);
          await sleep(pause, ctx.signal);
          continue;
        }
        job = this.markFailed(current, step, error instanceof StepFailed ? error.message : describeError(error, DOING[step]));
        ctx.emit(job);
        return job;
      }
    }
    return job;
  }

  private runStep(step: JobStep, job: StoredJob, params: SafeWorkflowParams, ctx: Ctx): Promise<StoredJob> {
    switch (step) {
      case 'launching':
        return this.launchBuilder(job, params, ctx);
      case 'waiting-ready':
        return this.waitReady(job, ctx);
      case 'capturing':
        return this.captureImage(job, params, ctx);
      case 'waiting-image':
        return this.waitImage(job, ctx);
      case 'labelling':
        return this.labelImage(job, params, ctx);
      case 'terminating':
        return this.finish(job, params, ctx);
    }
  }

  private async launchBuilder(job: StoredJob, params: SafeWorkflowParams, ctx: Ctx): Promise<StoredJob> {
    const request: LaunchRequest = { ...params.builder, imageId: params.templateImageId, count: 1 };
    let outcome;
    try {
      outcome = await this.deps.launcher.launch(request, {
        clientToken: job.clientToken,
        onProgress: (p: LaunchProgress) => ctx.progress('launching', `launch:${p.step}`, progressText(p)),
      });
    } catch (error) {
      if (error instanceof LaunchRefused) throw new StepFailed(`The builder server was not launched: ${error.problems.map((p) => p.message).join(' ')}`);
      throw error;
    }
    const server = outcome.servers[0];
    if (!server) throw new StepFailed('The provider answered the builder launch without a server.');
    return this.deps.store.transaction(() => {
      const next = this.records.advance(job.id, 'launching', {
        state: 'waiting-ready',
        serverId: server.id,
        note: `Builder ${sanitize(server.name, 64)} (${server.id}) launched from ${sanitize(params.templateName ?? params.templateImageId, 128)}.`,
      });
      this.audit('job.builder-launched', job.id, {
        serverId: server.id,
        name: server.name,
        templateImageId: params.templateImageId,
        clientToken: job.clientToken,
        how: outcome.how,
      });
      return next;
    });
  }

  private async waitReady(job: StoredJob, ctx: Ctx): Promise<StoredJob> {
    const serverId = job.serverId!;
    const expected = this.deps.description.capabilities.servers.expectedReadySeconds * 1000;
    let lastNote = job.note;
    let failures = 0;
    for (;;) {
      let server: Server | undefined;
      try {
        server = (await this.deps.provider.listServers([serverId])).find((s) => s.id === serverId);
        failures = 0;
      } catch (error) {
        if (!isRetryable(error)) throw error;
        failures++;
        ctx.progress('waiting-ready', 'retry', `${describeError(error)} Asking again.`);
      }
      if (failures === 0) {
        if (!server) throw new StepFailed(`The builder server ${serverId} is gone (terminated outside this job?); nothing was captured.`);
        const elapsed = elapsedMs(server, this.now());
        const label = `${sanitize(server.name, 64)} (${server.id})`;
        if (server.phase === 'ready') {
          return this.deps.store.transaction(() => {
            const next = this.records.advance(job.id, 'waiting-ready', {
              state: 'capturing',
              note: `Builder ${label} is ready after ${minutesText(elapsed)}; capturing the image.`,
            });
            this.audit('job.builder-ready', job.id, { serverId, elapsedSeconds: Math.round(elapsed / 1000) });
            return next;
          });
        }
        if (server.phase === 'failed') {
          throw new StepFailed(
            `The builder server ${label} failed: ${sanitize(server.failureReason ?? 'the provider gave no reason.', 512)} It was kept so its console can be read; nothing was captured.`,
          );
        }
        if (server.phase === 'terminated') {
          throw new StepFailed(`The builder server ${label} was terminated before it was ready; nothing was captured.`);
        }
        // Each retry of the job waits a full limit more.
        if (elapsed > this.readyLimitMs * (1 + job.retries)) {
          throw new StepFailed(
            `The builder server ${label} is still ${server.phase} after ${minutesText(elapsed)} (expected about ${minutesText(expected)}); strata stopped waiting. It was kept so its console can be read; nothing was captured.`,
          );
        }
        const note = `Builder ${label} is ${server.phase}: ${minutesText(elapsed)} since launch, about ${minutesText(expected)} expected.`;
        ctx.progress('waiting-ready', 'builder-phase', note, { phase: server.phase });
        if (note !== lastNote) {
          lastNote = note;
          ctx.emit(this.records.setNote(job.id, note) ?? job);
        }
      }
      await sleep(failures > 0 ? jittered(Math.min(this.maxBackoffMs, this.pollMs * 2 ** Math.min(failures, 10)), this.deps.retry) : this.pollMs, ctx.signal);
      this.checkStop(job.id, ctx);
    }
  }

  private async captureImage(job: StoredJob, params: SafeWorkflowParams, ctx: Ctx): Promise<StoredJob> {
    const serverId = job.serverId!;
    const template = params.templateImageId;
    // A capture made before (its answer lost, or the strata that made it died first) is adopted.
    const found = job.imageId
      ? await this.withRetry(() => this.deps.provider.getImage(job.imageId!))
      : await this.capturer.findCaptured(serverId, params.imageName, ctx.signal);
    if (found) {
      const image = this.capturer.keepLineage(found, template, serverId);
      ctx.progress('capturing', 'captured', `Found the image ${image.id} this job captured before.`);
      return this.deps.store.transaction(() => {
        const next = this.records.advance(job.id, 'capturing', {
          state: 'waiting-image',
          imageId: image.id,
          note: `Image ${sanitize(params.imageName, 128)} (${image.id}) is ${image.state}.`,
        });
        this.audit('job.image-adopted', job.id, { imageId: image.id, name: params.imageName, serverId });
        return next;
      });
    }
    const image = await this.capturer.capture(serverId, {
      name: params.imageName,
      description: `Captured by strata from builder ${serverId}, started from ${params.templateName ?? template} (${template})`,
      ...(params.noReboot !== undefined ? { noReboot: params.noReboot } : {}),
    });
    ctx.progress('capturing', 'captured', `Captured image ${image.id}.`);
    return this.deps.store.transaction(() => {
      const next = this.records.advance(job.id, 'capturing', {
        state: 'waiting-image',
        imageId: image.id,
        note: `Image ${sanitize(params.imageName, 128)} (${image.id}) is ${image.state}.`,
      });
      this.audit('job.image-captured', job.id, { imageId: image.id, name: params.imageName, serverId });
      return next;
    });
  }

  private async waitImage(job: StoredJob, ctx: Ctx): Promise<StoredJob> {
    const imageId = job.imageId!;
    let lastState: string | undefined;
    let image: Image;
    try {
      image = await this.capturer.waitAvailable(imageId, {
        signal: ctx.signal,
        intervalMs: this.pollMs,
        maxIntervalMs: this.maxBackoffMs,
        onProgress: (im) => {
          ctx.progress('waiting-image', 'image-state', `Image ${sanitize(im.name, 128)} (${im.id}) is ${im.state}.`, { imageState: im.state });
          if (im.state !== lastState) {
            lastState = im.state;
            ctx.emit(this.records.setNote(job.id, `Image ${sanitize(im.name, 128)} (${im.id}) is ${im.state}.`) ?? job);
          }
          this.checkStop(job.id, ctx, false);
        },
      });
    } catch (error) {
      if (ctx.signal.aborted) this.checkStop(job.id, ctx);
      if (isStrataError(error) && (error.kind === 'NotFound' || error.kind === 'Conflict')) throw new StepFailed(error.message);
      throw error;
    }
    return this.deps.store.transaction(() => {
      const next = this.records.advance(job.id, 'waiting-image', {
        state: 'labelling',
        note: `Image ${sanitize(image.name, 128)} (${image.id}) is available.`,
      });
      this.audit('job.image-available', job.id, { imageId: image.id });
      return next;
    });
  }

  private async labelImage(job: StoredJob, params: SafeWorkflowParams, _ctx: Ctx): Promise<StoredJob> {
    if (params.label !== undefined) {
      const image = await this.withRetry(() => this.deps.provider.getImage(job.imageId!));
      const merged = this.deps.catalogue.merge(image);
      if (merged.label !== params.label) await this.deps.catalogue.setLabel(merged, params.label);
    }
    return this.deps.store.transaction(() => {
      const next = this.records.advance(job.id, 'labelling', {
        state: 'terminating',
        note: params.label ? `Image ${job.imageId} labelled ${params.label}.` : `Image ${job.imageId} is available.`,
      });
      if (params.label) this.audit('job.image-labelled', job.id, { imageId: job.imageId, label: params.label });
      return next;
    });
  }

  private async finish(job: StoredJob, params: SafeWorkflowParams, _ctx: Ctx): Promise<StoredJob> {
    if (params.terminateBuilder) await this.terminateBuilder(job, 'done', false);
    const builder = params.terminateBuilder ? `the builder ${job.serverId} was terminated` : `the builder ${job.serverId} is still running, kept as asked`;
    return this.deps.store.transaction(() => {
      const next = this.records.advance(job.id, 'terminating', {
        state: 'done',
        note: `Image ${sanitize(params.imageName, 128)} (${job.imageId}) is available${params.label ? `, labelled ${params.label}` : ''}, captured from ${sanitize(params.templateName ?? params.templateImageId, 128)}; ${builder}.`,
      });
      this.records.setBuilder(job.id, params.terminateBuilder ? 'terminated' : 'kept');
      this.audit('job.done', job.id, { imageId: job.imageId, serverId: job.serverId, builderTerminated: params.terminateBuilder });
      return this.records.get(job.id) ?? next;
    });
  }

  /**
   * Terminates the builder this job started (never anything else); gone already is fine. Where the job
   * has no builder recorded but its launch may have made one (a launch cut short), the launch is settled
   * first: its server adopted (and terminated), or the launch abandoned. Records it terminated.
   */
  private async terminateBuilder(job: StoredJob, why: 'done' | 'cancelled' | 'asked', record = true): Promise<void> {
    let serverId = job.serverId;
    if (!serverId) serverId = await this.settleBuilderLaunch(job);
    if (serverId) {
      const id = serverId;
      try {
        await this.withRetry(() => this.deps.provider.terminate(id));
      } catch (error) {
        if (!isStrataError(error) || error.kind !== 'NotFound') throw error;
      }
      this.deps.store.launches().noteTerminated(this.deps.providerId, this.deps.region, id);
      this.audit('job.builder-terminated', job.id, { serverId: id, why });
      // A builder with encrypted volumes: its passphrase goes with them.
      if (this.deps.store.launches().keptPassphrases(this.deps.providerId, this.deps.region).some((k) => k.serverId === id)) {
        await this.deps.launcher.sweepPassphrases().catch(() => undefined);
      }
    }
    if (record) {
      this.deps.store.transaction(() => {
        this.records.setBuilder(job.id, 'terminated');
        const current = this.records.get(job.id);
        if (current && isFinalJobState(current.state) && serverId) {
          const note = current.note ?? '';
          const said = `the builder ${serverId} is being terminated`;
          this.records.setNote(
            job.id,
            note.includes(said)
              ? note.replace(said, `the builder ${serverId} was terminated`)
              : `${note ? `${note.replace(/\.$/, '')}; ` : ''}the builder ${serverId} was terminated.`,
          );
        }
      });
    }
  }

  /** A job stopped in its launch with no builder written down: the launch's server, if the provider made one. */
  private async settleBuilderLaunch(job: StoredJob): Promise<string | undefined> {
    const entry = this.deps.store.journal(this.deps.providerId, this.deps.region).get(job.clientToken);
    if (!entry) return undefined;
    if (entry.state === 'done') return entry.serverIds[0];
    if (entry.state === 'failed') return undefined;
    const settled = await this.deps.launcher.abandon(job.clientToken);
    return settled.state === 'adopted' ? settled.servers[0]?.id : undefined;
  }

  // ---- plumbing ------------------------------------------------------------------------------------------

  /** Throws Stopped / CancelRequested where the run must end (after a wait). */
  private checkStop(id: string, ctx: Ctx, wake = true): void {
    if (ctx.external?.aborted) throw new Stopped();
    if (ctx.signal.reason instanceof Stopped) throw new Stopped();
    if (ctx.signal.reason instanceof CancelRequested) throw new CancelRequested();
    const row = this.records.get(id);
    if (row?.cancelRequested) {
      // Asked by another process: wake any wait in this run, then stop.
      if (!wake) {
        const entry = this.active.get(id);
        entry?.stop.abort(new CancelRequested());
        return;
      }
      throw new CancelRequested();
    }
    if (row && row.runner?.id !== ctx.runner.id) throw new Stopped(); // the lease was taken over
  }

  /** Follows a job another live strata runs; resolves with the claim once it can take the job (or undefined). */
  private async follow(id: string, runner: JobRunner, ctx: Ctx): Promise<StoredJob | undefined> {
    let last = this.records.get(id)!;
    ctx.emit(last);
    ctx.progress(last.state as JobStep, 'following', `Job ${id} is being run by another strata (pid ${last.runner?.pid ?? '?'} on ${last.runner?.host ?? '?'}).`);
    for (;;) {
      await sleep(this.pollMs, ctx.signal);
      if (ctx.signal.aborted) return undefined;
      const now = this.records.get(id)!;
      if (now.updatedAt !== last.updatedAt || now.state !== last.state) ctx.emit(now);
      last = now;
      if (isFinalJobState(now.state)) return undefined;
      const claimed = this.claim(id, runner);
      if (claimed) return claimed;
    }
  }

  private claim(id: string, runner: JobRunner): StoredJob | undefined {
    return this.records.claim(id, runner, {
      staleBefore: new Date(this.now().getTime() - this.leaseMs).toISOString(),
      isGone: (holder) =>
        holder.host === this.host && (holder.pid === process.pid ? !LIVE_RUNNERS.has(holder.id) : !processAlive(holder.pid)),
    });
  }

  private newRunner(): JobRunner {
    return { id: randomUUID(), pid: process.pid, host: this.host };
  }

  private markFailed(job: StoredJob, step: JobStep, reason: string): StoredJob {
    return this.deps.store.transaction(() => {
      const next = this.records.advance(job.id, job.state, { state: 'failed', error: reason, failedStep: step, note: null });
      this.audit('job.failed', job.id, {
        step,
        reason,
        ...(job.serverId ? { serverId: job.serverId } : {}),
        ...(job.imageId ? { imageId: job.imageId } : {}),
      });
      return next;
    });
  }

  private markCancelled(job: StoredJob): StoredJob {
    const step = job.state as JobStep;
    const fate = this.records.get(job.id)?.builder ?? job.builder;
    const left = [
      job.serverId
        ? fate === 'terminate'
          ? `the builder ${job.serverId} is being terminated`
          : `the builder ${job.serverId} is kept running, as asked`
        : '',
      job.imageId ? `the image ${job.imageId} was kept` : '',
    ].filter(Boolean);
    return this.deps.store.transaction(() => {
      const next = this.records.advance(job.id, job.state, {
        state: 'cancelled',
        failedStep: step,
        note: `Cancelled at ${step}${left.length ? `; ${left.join(', ')}` : ''}.`,
      });
      this.audit('job.cancelled', job.id, { step, ...(job.serverId ? { serverId: job.serverId } : {}), ...(job.imageId ? { imageId: job.imageId } : {}) });
      return next;
    });
  }

  private paramsOf(job: StoredJob): SafeWorkflowParams {
    const p = job.params as Partial<SafeWorkflowParams> | undefined;
    if (!p || typeof p !== 'object' || typeof p.templateImageId !== 'string' || typeof p.imageName !== 'string' || !p.builder) {
      throw new StepFailed(`The parameters of job ${job.id} cannot be read (written by another version of strata?).`);
    }
    try {
      return { ...(p as SafeWorkflowParams), builder: parseLaunchRequest(p.builder, `The builder request of job ${job.id}`) };
    } catch (error) {
      throw new StepFailed(describeError(error));
    }
  }

  private toRecord(job: StoredJob): JobRecord {
    const record: JobRecord = {
      id: job.id,
      kind: SAFE_WORKFLOW,
      provider: job.provider,
      region: job.region,
      state: job.state,
      params: (job.params ?? {}) as SafeWorkflowParams,
      clientToken: job.clientToken,
      cancelRequested: job.cancelRequested,
      retries: job.retries,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
    };
    if (job.serverId !== undefined) record.serverId = job.serverId;
    if (job.imageId !== undefined) record.imageId = job.imageId;
    if (job.note !== undefined) record.note = job.note;
    if (job.error !== undefined) record.error = job.error;
    if (job.failedStep !== undefined) record.failedStep = job.failedStep;
    if (job.builder !== undefined) record.builder = job.builder;
    if (job.finishedAt !== undefined) record.finishedAt = job.finishedAt;
    if (job.runner) {
      record.runner = {
        pid: job.runner.pid,
        host: job.runner.host,
        heartbeatAt: job.runner.heartbeatAt,
        here: job.runner.pid === process.pid && job.runner.host === this.host,
      };
    }
    return record;
  }

  private isOurs(job: StoredJob): boolean {
    return job.provider === this.deps.providerId && job.region === this.deps.region;
  }

  private withRetry<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(call, this.deps.retry);
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    this.deps.store.audit.append({ provider: this.deps.providerId, region: this.deps.region, action, target, detail });
  }

  private where(): string {
    return `${this.deps.description.displayName} ${this.deps.region}`;
  }
}

/**
 * Jobs for a session: its provider, description, catalogue and ids (and its capturer where it has one),
 * with the launcher of its launch services (loaded on first use).
 */
export function jobsFor(
  session: Omit<JobsSession, 'launcher'> & { providerId: string; region: string },
  launcher: Launcher,
  store: Store,
  options: Pick<JobsDeps, 'now' | 'pollMs' | 'readyLimitMs' | 'leaseMs' | 'maxBackoffMs' | 'retry' | 'readOnly'> = {},
): Jobs {
  return new Jobs({
    provider: session.provider,
    description: session.description,
    launcher,
    catalogue: session.catalogue,
    ...(session.capturer ? { capturer: session.capturer } : {}),
    store,
    providerId: session.providerId,
    region: session.region,
    ...options,
  });
}

const DOING: Record<JobStep, string> = {
  launching: 'Launching the builder server',
  'waiting-ready': 'Waiting for the builder server',
  capturing: 'Capturing the image',
  'waiting-image': 'Waiting for the image',
  labelling: 'Labelling the image',
  terminating: 'Terminating the builder server',
};

/** How long a server has been up to, on the provider's clock where it says what its clock reads. */
function elapsedMs(server: Server, now: Date): number {
  const observed = server.observedAt ? Date.parse(server.observedAt) : now.getTime();
  const launched = Date.parse(server.launchedAt);
  return Number.isFinite(observed) && Number.isFinite(launched) ? Math.max(0, observed - launched) : 0;
}


function nameInUseByJob(name: string, jobId: string): string {
  return `Job ${jobId} is already making an image named "${sanitize(name, 128)}"; choose another name.`;
}

function minutesText(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? 'under a minute' : `${m} minute${m === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}


