// Jobs (migration 4): the capture workflow of services/jobs.ts, one row per job, so a job survives a quit,
// a crash or a dropped SSH session and goes on from the step it was at. Each step's result (the builder's
// server id, the captured image's id) is written before the next step starts; state moves only forward,
// and only from the state the writer last saw (a compare-and-set), so two writers cannot both advance it.
//
// A job is run by one strata process at a time: the runner holds a lease (its id, pid, host and a
// heartbeat). Another process may take the job over once the lease is stale or its process is gone.
//
// Also here: the lineage of captured images (where they came from), kept locally for providers whose
// images cannot hold tags. Nothing in either table is a secret: parameters are names, ids and the launch
// form's request (which holds no secrets by construction).
import type { DatabaseSync } from 'node:sqlite';
import { StrataError } from '../core/errors.js';

/** The steps of the capture workflow, in order. */
export const JOB_STEPS = ['launching', 'waiting-ready', 'capturing', 'waiting-image', 'labelling', 'terminating'] as const;
export type JobStep = (typeof JOB_STEPS)[number];
export type JobFinalState = 'done' | 'failed' | 'cancelled';
export type JobState = JobStep | JobFinalState;
export const FINAL_JOB_STATES: readonly JobFinalState[] = ['done', 'failed', 'cancelled'];

export function isFinalJobState(state: JobState): state is JobFinalState {
  return (FINAL_JOB_STATES as readonly string[]).includes(state);
}

export function isJobStep(value: unknown): value is JobStep {
  return typeof value === 'string' && (JOB_STEPS as readonly string[]).includes(value);
}

/**
 * What becomes of a job's builder server (migration 6): 'terminate' asked and not yet done (a strata that
 * stops meanwhile does it at its next start), 'terminated', 'kept' on purpose, or 'inspect' (a failed
 * builder kept so its console and disks can be looked at).
 */
export type BuilderFate = 'terminate' | 'terminated' | 'kept' | 'inspect';
export const BUILDER_FATES: readonly BuilderFate[] = ['terminate', 'terminated', 'kept', 'inspect'];

/** Who runs a job: one strata process. */
export interface JobRunner {
  /** Unique per run (a process may run several jobs; each run has its own id). */
  id: string;
  pid: number;
  host: string;
}

export interface StoredJob {
  id: string;
  kind: string;
  provider: string;
  region: string;
  state: JobState;
  /** The job's parameters as JSON data (services parse them). */
  params: unknown;
  /** The client token of the builder's launch (written before the launch, so it is never launched twice). */
  clientToken: string;
  serverId?: string;
  imageId?: string;
  /** One sentence about what the current step is doing (e.g. the builder's phase). */
  note?: string;
  /** Why the job failed, one sentence. */
  error?: string;
  /** The step the job failed or was cancelled in. */
  failedStep?: JobStep;
  cancelRequested: boolean;
  /** What becomes (or became) of the builder, where that was decided. */
  builder?: BuilderFate;
  /** How often the job was retried from a failed step. */
  retries: number;
  runner?: JobRunner & { heartbeatAt: string };
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface NewJob {
  id: string;
  kind: string;
  provider: string;
  region: string;
  params: unknown;
  clientToken: string;
}

/** A change to a job: a value sets, null clears, an absent field is left as it is. */
export interface JobPatch {
  state?: JobState;
  serverId?: string;
  imageId?: string;
  note?: string | null;
  error?: string | null;
  failedStep?: JobStep | null;
}

export interface ClaimOptions {
  /** A heartbeat older than this (ISO 8601) is stale: its runner is taken to be gone. */
  staleBefore: string;
  /** Whether a runner's process is known to be gone (same host, no such pid). */
  isGone: (runner: JobRunner) => boolean;
}

export class JobRecords {
  constructor(
    private readonly db: DatabaseSync,
    private readonly now: () => Date,
    private readonly transaction: <T>(fn: () => T) => T,
  ) {}

  /** Writes a new job at its first step. */
  create(input: NewJob): StoredJob {
    for (const field of ['id', 'kind', 'provider', 'region', 'clientToken'] as const) {
      if (typeof input[field] !== 'string' || input[field].length === 0) {
        throw new StrataError('Invalid', `A job needs a ${field}.`, { field });
      }
    }
    return this.transaction(() => {
      if (this.get(input.id)) throw new StrataError('Conflict', `A job with id ${input.id} already exists.`);
      if (this.byToken(input.clientToken)) {
        throw new StrataError('Conflict', `The client token ${input.clientToken} already belongs to another job.`);
      }
      const at = this.now().toISOString();
      this.db
        .prepare(
          `INSERT INTO jobs (id, kind, provider, region, state, params, client_token, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(input.id, input.kind, input.provider, input.region, JOB_STEPS[0], JSON.stringify(input.params ?? null), input.clientToken, at, at);
      return this.get(input.id)!;
    });
  }

  get(id: string): StoredJob | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id);
    return row ? toJob(row) : undefined;
  }

  /** The job whose builder launch uses this client token, if any. */
  byToken(clientToken: string): StoredJob | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE client_token = ?').get(clientToken);
    return row ? toJob(row) : undefined;
  }

  /** Jobs of a provider and region, newest first. */
  list(provider: string, region: string, limit = 100): StoredJob[] {
    return this.db
      .prepare('SELECT * FROM jobs WHERE provider = ? AND region = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(provider, region, Math.max(1, Math.floor(limit)))
      .map(toJob);
  }

  /** Jobs of a provider and region that have not ended, oldest first (to resume). */
  unfinished(provider: string, region: string): StoredJob[] {
    return this.db
      .prepare(
        `SELECT * FROM jobs WHERE provider = ? AND region = ? AND state NOT IN ('done', 'failed', 'cancelled')
         ORDER BY created_at, rowid`,
      )
      .all(provider, region)
      .map(toJob);
  }

  /**
   * Changes a job that is still in state `from` (compare-and-set). Throws Conflict when the job has moved
   * on meanwhile (another writer), NotFound when there is no such job. A final state stamps finished_at.
   */
  advance(id: string, from: JobState, patch: JobPatch): StoredJob {
    return this.transaction(() => {
      const job = this.get(id);
      if (!job) throw new StrataError('NotFound', `No job ${id} is recorded.`);
      if (job.state !== from) {
        throw new StrataError('Conflict', `Job ${id} is ${job.state}, not ${from}; another strata may be running it.`);
      }
      if (isFinalJobState(job.state)) throw new StrataError('Conflict', `Job ${id} has already ended (${job.state}).`);
      this.write(job, patch);
      return this.get(id)!;
    });
  }

  /** Sets the note of the current step (no state change); harmless on a job that ended. */
  setNote(id: string, note: string | null): StoredJob | undefined {
    this.db.prepare('UPDATE jobs SET note = ?, updated_at = ? WHERE id = ?').run(note, this.now().toISOString(), id);
    return this.get(id);
  }

  /**
   * Asks the runner to stop after its current step, with what becomes of the builder ('terminate' or
   * 'kept'), written together so a strata that stops in between still knows. Returns the job (unchanged
   * where it had ended).
   */
  requestCancel(id: string, builder?: 'terminate' | 'kept'): StoredJob {
    return this.transaction(() => {
      const job = this.get(id);
      if (!job) throw new StrataError('NotFound', `No job ${id} is recorded.`);
      if (isFinalJobState(job.state)) return job;
      if (job.cancelRequested && (builder === undefined || job.builder === builder)) return job;
      this.db
        .prepare('UPDATE jobs SET cancel_requested = 1, builder = COALESCE(?, builder), updated_at = ? WHERE id = ?')
        .run(builder ?? null, this.now().toISOString(), id);
      return this.get(id)!;
    });
  }

  /** Records what becomes (or became) of the job's builder; `from`, where given, must be the current value. */
  setBuilder(id: string, builder: BuilderFate, from?: BuilderFate | null): StoredJob {
    return this.transaction(() => {
      const job = this.get(id);
      if (!job) throw new StrataError('NotFound', `No job ${id} is recorded.`);
      if (from !== undefined && (job.builder ?? null) !== from) {
        throw new StrataError('Conflict', `The builder of job ${id} is already ${job.builder ?? 'undecided'}.`);
      }
      this.db.prepare('UPDATE jobs SET builder = ?, updated_at = ? WHERE id = ?').run(builder, this.now().toISOString(), id);
      return this.get(id)!;
    });
  }

  /**
   * Takes a failed job back to a step (the one it failed in), clearing its error: a compare-and-set from
   * 'failed'. A new client token may be given (a new builder is launched: `clearServer` forgets the old one
   * and what was captured from it, whose fate stays recorded in `builder`).
   */
  reopen(id: string, step: JobStep, change: { clientToken?: string; clearServer?: boolean } = {}): StoredJob {
    return this.transaction(() => {
      const job = this.get(id);
      if (!job) throw new StrataError('NotFound', `No job ${id} is recorded.`);
      if (job.state !== 'failed') throw new StrataError('Conflict', `Job ${id} is ${job.state}; only a failed job can be retried.`);
      if (change.clientToken !== undefined && change.clientToken !== job.clientToken && this.byToken(change.clientToken)) {
        throw new StrataError('Conflict', `The client token ${change.clientToken} already belongs to another job.`);
      }
      this.db
        .prepare(
          `UPDATE jobs SET state = ?, error = NULL, failed_step = NULL, note = NULL, finished_at = NULL, cancel_requested = 0,
             builder = CASE WHEN ? THEN builder ELSE NULL END, server_id = CASE WHEN ? THEN NULL ELSE server_id END,
             image_id = CASE WHEN ? THEN NULL ELSE image_id END, retries = retries + 1, client_token = ?, updated_at = ? WHERE id = ?`,
        )
        .run(step, change.clearServer ? 1 : 0, change.clearServer ? 1 : 0, change.clearServer ? 1 : 0, change.clientToken ?? job.clientToken, this.now().toISOString(), id);
      return this.get(id)!;
    });
  }

  /** Jobs of a provider and region that ended with their builder's termination asked and not yet done. */
  builderTerminationsDue(provider: string, region: string): StoredJob[] {
    return this.db
      .prepare(`SELECT * FROM jobs WHERE provider = ? AND region = ? AND builder = 'terminate' ORDER BY created_at, rowid`)
      .all(provider, region)
      .map(toJob);
  }

  /**
   * Takes the lease of a job for `runner`. Succeeds where nobody holds it, the runner already does, or the
   * holder is gone (stale heartbeat, or its process no longer exists). Returns the job when taken, or
   * undefined when another live runner holds it.
   */
  claim(id: string, runner: JobRunner, options: ClaimOptions): StoredJob | undefined {
    return this.transaction(() => {
      const job = this.get(id);
      if (!job) throw new StrataError('NotFound', `No job ${id} is recorded.`);
      const holder = job.runner;
      if (holder && holder.id !== runner.id && holder.heartbeatAt >= options.staleBefore && !options.isGone(holder)) {
        return undefined;
      }
      this.db
        .prepare('UPDATE jobs SET runner_id = ?, runner_pid = ?, runner_host = ?, heartbeat_at = ? WHERE id = ?')
        .run(runner.id, runner.pid, runner.host, this.now().toISOString(), id);
      return this.get(id)!;
    });
  }

  /** Renews the lease; false when the runner no longer holds it. */
  heartbeat(id: string, runnerId: string): boolean {
    const result = this.db
      .prepare('UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND runner_id = ?')
      .run(this.now().toISOString(), id, runnerId);
    return Number(result.changes) > 0;
  }

  /** Gives the lease up (the job stays as it is; another run may take it). */
  release(id: string, runnerId: string): void {
    this.db
      .prepare('UPDATE jobs SET runner_id = NULL, runner_pid = NULL, runner_host = NULL, heartbeat_at = NULL WHERE id = ? AND runner_id = ?')
      .run(id, runnerId);
  }

  private write(job: StoredJob, patch: JobPatch): void {
    const state = patch.state ?? job.state;
    const at = this.now().toISOString();
    const keep = <T>(value: T | null | undefined, current: T | undefined): T | null =>
      value === undefined ? (current ?? null) : value;
    this.db
      .prepare(
        `UPDATE jobs SET state = ?, server_id = ?, image_id = ?, note = ?, error = ?, failed_step = ?, updated_at = ?,
           finished_at = ? WHERE id = ?`,
      )
      .run(
        state,
        patch.serverId ?? job.serverId ?? null,
        patch.imageId ?? job.imageId ?? null,
        keep(patch.note, job.note),
        keep(patch.error, job.error),
        keep(patch.failedStep, job.failedStep),
        at,
        isFinalJobState(state) ? at : null,
        job.id,
      );
  }
}

function toJob(row: Record<string, unknown>): StoredJob {
  let params: unknown;
  try {
    params = JSON.parse(String(row.params));
  } catch {
    params = undefined;
  }
  const job: StoredJob = {
    id: String(row.id),
    kind: String(row.kind),
    provider: String(row.provider),
    region: String(row.region),
    state: String(row.state) as JobState,
    params,
    clientToken: String(row.client_token),
    cancelRequested: Number(row.cancel_requested) === 1,
    retries: Number(row.retries ?? 0) || 0,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
  if (row.server_id !== null) job.serverId = String(row.server_id);
  if (row.image_id !== null) job.imageId = String(row.image_id);
  if (row.note !== null) job.note = String(row.note);
  if (row.error !== null) job.error = String(row.error);
  if (isJobStep(row.failed_step)) job.failedStep = row.failed_step;
  if (typeof row.builder === 'string' && (BUILDER_FATES as readonly string[]).includes(row.builder)) job.builder = row.builder as BuilderFate;
  if (row.finished_at !== null) job.finishedAt = String(row.finished_at);
  if (row.runner_id !== null && row.heartbeat_at !== null) {
    job.runner = {
      id: String(row.runner_id),
      pid: Number(row.runner_pid),
      host: String(row.runner_host),
      heartbeatAt: String(row.heartbeat_at),
    };
  }
  return job;
}

// ---- lineage ------------------------------------------------------------------------------------------

export interface LineageRecord {
  provider: string;
  region: string;
  imageId: string;
  sourceImageId?: string;
  sourceServerId?: string;
  /** ISO 8601. */
  capturedAt: string;
}

/** Where captured images came from, for providers that cannot hold it in tags. */
export class ImageLineage {
  constructor(
    private readonly db: DatabaseSync,
    private readonly now: () => Date,
  ) {}

  /** Records (or replaces) where an image came from. */
  record(input: { provider: string; region: string; imageId: string; sourceImageId?: string; sourceServerId?: string }): LineageRecord {
    for (const field of ['provider', 'region', 'imageId'] as const) {
      if (typeof input[field] !== 'string' || input[field].length === 0) {
        throw new StrataError('Invalid', `A lineage record needs a ${field}.`, { field });
      }
    }
    this.db
      .prepare(
        `INSERT INTO image_lineage (provider, region, image_id, source_image_id, source_server_id, captured_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (provider, region, image_id)
         DO UPDATE SET source_image_id = excluded.source_image_id, source_server_id = excluded.source_server_id`,
      )
      .run(input.provider, input.region, input.imageId, input.sourceImageId ?? null, input.sourceServerId ?? null, this.now().toISOString());
    return this.get(input.provider, input.region, input.imageId)!;
  }

  get(provider: string, region: string, imageId: string): LineageRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM image_lineage WHERE provider = ? AND region = ? AND image_id = ?')
      .get(provider, region, imageId);
    return row ? toLineage(row) : undefined;
  }

  /** Every recorded image of a provider's region, by image id. */
  list(provider: string, region: string): Map<string, LineageRecord> {
    const out = new Map<string, LineageRecord>();
    for (const row of this.db.prepare('SELECT * FROM image_lineage WHERE provider = ? AND region = ?').all(provider, region)) {
      const record = toLineage(row);
      out.set(record.imageId, record);
    }
    return out;
  }
}

function toLineage(row: Record<string, unknown>): LineageRecord {
  const record: LineageRecord = {
    provider: String(row.provider),
    region: String(row.region),
    imageId: String(row.image_id),
    capturedAt: String(row.captured_at),
  };
  if (row.source_image_id !== null) record.sourceImageId = String(row.source_image_id);
  if (row.source_server_id !== null) record.sourceServerId = String(row.source_server_id);
  return record;
}
