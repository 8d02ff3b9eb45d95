// Copy jobs (migration 8): an own image copied to another region (or source) by services/copies.ts, one row
// per copy, so a copy survives a quit, a crash or a dropped SSH session and goes on from the step it was at.
// The client token is written with the job, before the provider is asked; the copy's id is written in the
// transaction that moves the job on. State moves only forward, and only from the state the writer last saw
// (a compare-and-set). One strata process runs a copy at a time: a lease, as jobs have (store/jobs.ts).
import type { DatabaseSync } from 'node:sqlite';
import { StrataError } from '../core/errors.js';
import type { JobRunner } from './jobs.js';

export const COPY_STEPS = ['copying', 'waiting', 'labelling'] as const;
export type CopyStep = (typeof COPY_STEPS)[number];
export type CopyState = CopyStep | 'done' | 'failed' | 'cancelled';
export const FINAL_COPY_STATES: readonly CopyState[] = ['done', 'failed', 'cancelled'];

export function isFinalCopyState(state: CopyState): boolean {
  return FINAL_COPY_STATES.includes(state);
}

export function isCopyStep(value: unknown): value is CopyStep {
  return typeof value === 'string' && (COPY_STEPS as readonly string[]).includes(value);
}

export interface StoredCopy {
  id: string;
  /** The target: the provider as the store knows it (Session.storeId) and the region. */
  provider: string;
  region: string;
  fromProvider: string;
  fromRegion: string;
  fromImage: string;
  state: CopyState;
  params: unknown;
  clientToken: string;
  /** The copy, once the provider answered. */
  imageId?: string;
  note?: string;
  error?: string;
  failedStep?: CopyStep;
  cancelRequested: boolean;
  runner?: JobRunner & { heartbeatAt: string };
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface NewCopy {
  id: string;
  provider: string;
  region: string;
  fromProvider: string;
  fromRegion: string;
  fromImage: string;
  params: unknown;
  clientToken: string;
}

export interface CopyPatch {
  state?: CopyState;
  imageId?: string;
  note?: string | null;
  error?: string | null;
  failedStep?: CopyStep | null;
}

export class CopyRecords {
  constructor(
    private readonly db: DatabaseSync,
    private readonly now: () => Date,
    private readonly transaction: <T>(fn: () => T) => T,
  ) {}

  create(input: NewCopy): StoredCopy {
    for (const field of ['id', 'provider', 'region', 'fromProvider', 'fromRegion', 'fromImage', 'clientToken'] as const) {
      if (typeof input[field] !== 'string' || input[field].length === 0) throw new StrataError('Invalid', `A copy needs a ${field}.`, { field });
    }
    return this.transaction(() => {
      if (this.get(input.id)) throw new StrataError('Conflict', `A copy with id ${input.id} already exists.`);
      const at = this.now().toISOString();
      this.db
        .prepare(
          `INSERT INTO copy_jobs (id, provider, region, from_provider, from_region, from_image, state, params, client_token, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(input.id, input.provider, input.region, input.fromProvider, input.fromRegion, input.fromImage, COPY_STEPS[0], JSON.stringify(input.params ?? null), input.clientToken, at, at);
      return this.get(input.id)!;
    });
  }

  get(id: string): StoredCopy | undefined {
    const row = this.db.prepare('SELECT * FROM copy_jobs WHERE id = ?').get(id);
    return row ? toCopy(row) : undefined;
  }

  /** Copies into a provider's region, newest first. */
  list(provider: string, region: string, limit = 100): StoredCopy[] {
    return this.db
      .prepare('SELECT * FROM copy_jobs WHERE provider = ? AND region = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(provider, region, Math.max(1, Math.floor(limit)))
      .map(toCopy);
  }

  /** Copies into a provider's region that have not ended, oldest first (to resume). */
  unfinished(provider: string, region: string): StoredCopy[] {
    return this.db
      .prepare(`SELECT * FROM copy_jobs WHERE provider = ? AND region = ? AND state NOT IN ('done', 'failed', 'cancelled') ORDER BY created_at, rowid`)
      .all(provider, region)
      .map(toCopy);
  }

  /** Unfinished copies of one image to one place (a second copy of the same image there is refused). */
  unfinishedOf(fromProvider: string, fromRegion: string, fromImage: string): StoredCopy[] {
    return this.db
      .prepare(
        `SELECT * FROM copy_jobs WHERE from_provider = ? AND from_region = ? AND from_image = ? AND state NOT IN ('done', 'failed', 'cancelled')
         ORDER BY created_at, rowid`,
      )
      .all(fromProvider, fromRegion, fromImage)
      .map(toCopy);
  }

  /** Changes a copy still in state `from` (compare-and-set): Conflict where it moved on meanwhile. */
  advance(id: string, from: CopyState, patch: CopyPatch): StoredCopy {
    return this.transaction(() => {
      const copy = this.get(id);
      if (!copy) throw new StrataError('NotFound', `No copy ${id} is recorded.`);
      if (copy.state !== from) throw new StrataError('Conflict', `Copy ${id} is ${copy.state}, not ${from}; another strata may be running it.`);
      if (isFinalCopyState(copy.state)) throw new StrataError('Conflict', `Copy ${id} has already ended (${copy.state}).`);
      const state = patch.state ?? copy.state;
      const at = this.now().toISOString();
      const keep = <T>(value: T | null | undefined, current: T | undefined): T | null => (value === undefined ? (current ?? null) : value);
      this.db
        .prepare('UPDATE copy_jobs SET state = ?, image_id = ?, note = ?, error = ?, failed_step = ?, updated_at = ?, finished_at = ? WHERE id = ?')
        .run(
          state,
          patch.imageId ?? copy.imageId ?? null,
          keep(patch.note, copy.note),
          keep(patch.error, copy.error),
          keep(patch.failedStep, copy.failedStep),
          at,
          isFinalCopyState(state) ? at : null,
          id,
        );
      return this.get(id)!;
    });
  }

  setNote(id: string, note: string | null): StoredCopy | undefined {
    this.db.prepare('UPDATE copy_jobs SET note = ?, updated_at = ? WHERE id = ?').run(note, this.now().toISOString(), id);
    return this.get(id);
  }

  requestCancel(id: string): StoredCopy {
    return this.transaction(() => {
      const copy = this.get(id);
      if (!copy) throw new StrataError('NotFound', `No copy ${id} is recorded.`);
      if (isFinalCopyState(copy.state)) return copy;
      this.db.prepare('UPDATE copy_jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?').run(this.now().toISOString(), id);
      return this.get(id)!;
    });
  }

  /** Takes a failed copy back to the step it failed in (a compare-and-set from 'failed'). */
  reopen(id: string, step: CopyStep): StoredCopy {
    return this.transaction(() => {
      const copy = this.get(id);
      if (!copy) throw new StrataError('NotFound', `No copy ${id} is recorded.`);
      if (copy.state !== 'failed') throw new StrataError('Conflict', `Copy ${id} is ${copy.state}; only a failed copy can be retried.`);
      this.db
        .prepare('UPDATE copy_jobs SET state = ?, error = NULL, failed_step = NULL, note = NULL, finished_at = NULL, cancel_requested = 0, updated_at = ? WHERE id = ?')
        .run(step, this.now().toISOString(), id);
      return this.get(id)!;
    });
  }

  /** Takes the lease (as JobRecords.claim): undefined where another live runner holds it. */
  claim(id: string, runner: JobRunner, options: { staleBefore: string; isGone: (runner: JobRunner) => boolean }): StoredCopy | undefined {
    return this.transaction(() => {
      const copy = this.get(id);
      if (!copy) throw new StrataError('NotFound', `No copy ${id} is recorded.`);
      const holder = copy.runner;
      if (holder && holder.id !== runner.id && holder.heartbeatAt >= options.staleBefore && !options.isGone(holder)) return undefined;
      this.db
        .prepare('UPDATE copy_jobs SET runner_id = ?, runner_pid = ?, runner_host = ?, heartbeat_at = ? WHERE id = ?')
        .run(runner.id, runner.pid, runner.host, this.now().toISOString(), id);
      return this.get(id)!;
    });
  }

  heartbeat(id: string, runnerId: string): boolean {
    const result = this.db.prepare('UPDATE copy_jobs SET heartbeat_at = ? WHERE id = ? AND runner_id = ?').run(this.now().toISOString(), id, runnerId);
    return Number(result.changes) > 0;
  }

  release(id: string, runnerId: string): void {
    this.db
      .prepare('UPDATE copy_jobs SET runner_id = NULL, runner_pid = NULL, runner_host = NULL, heartbeat_at = NULL WHERE id = ? AND runner_id = ?')
      .run(id, runnerId);
  }
}

function toCopy(row: Record<string, unknown>): StoredCopy {
  let params: unknown;
  try {
    params = JSON.parse(String(row.params));
  } catch {
    params = undefined;
  }
  const copy: StoredCopy = {
    id: String(row.id),
    provider: String(row.provider),
    region: String(row.region),
    fromProvider: String(row.from_provider),
    fromRegion: String(row.from_region),
    fromImage: String(row.from_image),
    state: String(row.state) as CopyState,
    params,
    clientToken: String(row.client_token),
    cancelRequested: Number(row.cancel_requested) === 1,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
  if (row.image_id !== null) copy.imageId = String(row.image_id);
  if (row.note !== null) copy.note = String(row.note);
  if (row.error !== null) copy.error = String(row.error);
  if (isCopyStep(row.failed_step)) copy.failedStep = row.failed_step;
  if (row.finished_at !== null) copy.finishedAt = String(row.finished_at);
  if (row.runner_id !== null && row.heartbeat_at !== null) {
    copy.runner = { id: String(row.runner_id), pid: Number(row.runner_pid), host: String(row.runner_host), heartbeatAt: String(row.heartbeat_at) };
  }
  return copy;
}
