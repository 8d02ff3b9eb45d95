// Copies: an own image copied to another region (or source) where the provider can (capabilities.images.copy:
// EC2 CopyImage, the sandbox between its regions, libvirt between pools and hosts), as a resumable job — the
// seed's "use the resulting image in your work", and work spans regions.
//
//   copying -> waiting -> labelling -> done            (or failed, with a sentence; or cancelled)
//
// The copy is written to the local store FIRST, with a fresh client token and everything it needs from the
// image it copies (its name, tags, encryption, label, the name you gave it), so the steps need only the
// target. Each step's result is written in the same transaction that moves the job on:
//   - copying asks the target's provider to copy with the job's client token; asked again after a kill, a
//     lost answer or a throttle, the provider answers with the copy the first request made (never a second);
//   - waiting polls the copy until it is available; labelling writes its label and name where the target
//     keeps them (tags, or the local store where it holds none). Both are idempotent.
// One strata process runs a copy at a time (a lease, renewed by a heartbeat); another takes it over once the
// runner's process is gone or its lease is stale. A read-only target refuses copies (with its source's name).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { nameFromFile, type ProviderDescription } from '../core/capabilities.js';
import { describeError, isRetryable, isStrataError, StrataError } from '../core/errors.js';
import { sanitize } from '../core/sanitize.js';
import { isLabelColour, type Image, type LabelColour } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';
import type { JobRunner } from '../store/jobs.js';
import { isFinalCopyState, COPY_STEPS, type CopyState, type CopyStep, type StoredCopy } from '../store/copies.js';
import type { Store } from '../store/db.js';
import type { Capturer } from './capture.js';
import type { Catalogue, CatalogueImage } from './catalogue.js';
import { refuseIfReadOnly } from './readonly.js';
import { jittered, sleep, withRetry, type RetryPolicy } from './retry.js';
import { processAlive } from '../core/process.js';

export { COPY_STEPS, isFinalCopyState } from '../store/copies.js';
export type { CopyState, CopyStep } from '../store/copies.js';

/** Where a copy goes (a session: a region of a source), as the copy service needs it. */
export interface CopyTarget {
  provider: ProviderService;
  description: ProviderDescription;
  catalogue: Catalogue;
  capturer: Capturer;
  store: Store;
  /** The provider as the store knows it (Session.storeId). */
  storeId: string;
  providerId: string;
  region: string;
  /** The source's name, where strata was opened on sources. */
  source?: string;
  readOnly?: boolean;
  readOnlySource?: string;
}

/** What is copied: an own image of a region (a session), as the list shows it. */
export interface CopyOrigin {
  storeId: string;
  providerId: string;
  region: string;
  source?: string;
  /** Where the origin's source is reached (Session.address: a libvirt URI), where its provider says. */
  address?: string;
  image: CatalogueImage;
}

/** What a copy job keeps (JSON in the store): enough to run every step with the target alone. */
export interface CopyParams {
  from: { storeId: string; providerId: string; region: string; source?: string; address?: string; imageId: string; name: string; shownName: string };
  to: { storeId: string; providerId: string; region: string; source?: string };
  /** The copy's name at the provider. */
  name: string;
  description?: string;
  /** The image as its region described it (tags, encryption), for the provider's copy. */
  image: Image;
  label?: LabelColour;
  /** The name the user sees on the original where it is not the provider's (a Name tag, a local name). */
  displayName?: string;
}

export interface CopyRecord {
  id: string;
  state: CopyState;
  params: CopyParams;
  clientToken: string;
  /** The copy, once the provider answered. */
  imageId?: string;
  note?: string;
  error?: string;
  failedStep?: CopyStep;
  cancelRequested: boolean;
  runner?: { pid: number; host: string; heartbeatAt: string; here: boolean };
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface CopyProgress {
  copyId: string;
  step: CopyStep;
  /** 'copied' (the provider answered with the copy), 'image-state', 'retry', 'following' */
  event: string;
  message: string;
}

export interface CopyRunOptions {
  signal?: AbortSignal;
  onUpdate?: (copy: CopyRecord) => void;
  onProgress?: (progress: CopyProgress) => void;
}

export interface CopiesOptions {
  now?: () => Date;
  /** Real milliseconds between polls of the copy (default 5000). */
  pollMs?: number;
  /** A runner whose heartbeat is older than this is taken to be gone (default 60 s). */
  leaseMs?: number;
  /** The longest pause while the provider throttles (default 30 s). */
  maxBackoffMs?: number;
  retry?: RetryPolicy;
}

class Stopped extends Error {}
class CancelRequested extends Error {}
class StepFailed extends Error {}

/** Runs alive in this process (a lease held by this pid is live only while its run is here). */
const LIVE_RUNNERS = new Set<string>();

/** "lab/us-east" (a source's region) or "us-east" (no sources). */
function placeOf(p: { source?: string; region: string }): string {
  return p.source ? `${p.source}/${p.region}` : p.region;
}

/**
 * Why a copy of an image from one place to another cannot be made, in a sentence, or undefined where it
 * can: the target's capability decides (the UI never asks which provider it is).
 */
export function copyRefusal(
  from: { storeId: string; providerId: string; region: string; source?: string },
  to: { storeId: string; providerId: string; region: string; source?: string; description: ProviderDescription },
  image?: Pick<Image, 'kind' | 'owned' | 'state' | 'id'> & { shownName?: string; name: string },
): string | undefined {
  const copy = to.description.capabilities.images.copy;
  const target = placeOf(to);
  if (image && (!image.owned || image.kind !== 'own')) return `${sanitize(image.shownName ?? image.name, 80)} is not yours to copy (a ${image.kind} image); copy your own images.`;
  if (image && image.state !== 'available') return `${sanitize(image.shownName ?? image.name, 80)} is ${image.state}; an image is copied once it is available.`;
  if (from.providerId !== to.providerId) return `An image of ${from.providerId} cannot be copied to ${to.description.displayName} (${target}).`;
  if (from.storeId === to.storeId && from.region === to.region) return `The image is in ${target} already.`;
  if (from.storeId === to.storeId) return copy?.regions ? undefined : `${to.description.displayName} cannot copy images between its regions.`;
  return copy?.sources ? undefined : `${to.description.displayName} cannot copy an image of another account or host into ${target}.`;
}

export class Copies {
  private readonly now: () => Date;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly maxBackoffMs: number;
  private readonly host = hostname();
  private readonly active = new Map<string, { promise: Promise<CopyRecord>; listeners: Set<CopyRunOptions>; stop: AbortController }>();

  constructor(
    private readonly target: CopyTarget,
    private readonly options: CopiesOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.pollMs = Math.max(1, options.pollMs ?? 5000);
    this.leaseMs = Math.max(1000, options.leaseMs ?? 60_000);
    this.maxBackoffMs = Math.max(this.pollMs, options.maxBackoffMs ?? 30_000);
  }

  private get records() {
    return this.target.store.copies();
  }

  /** Copies into this region, newest first. */
  list(limit = 1000): CopyRecord[] {
    return this.records.list(this.target.storeId, this.target.region, limit).map((c) => this.toRecord(c));
  }

  get(id: string): CopyRecord | undefined {
    const copy = this.records.get(id);
    return copy && this.isOurs(copy) ? this.toRecord(copy) : undefined;
  }

  unfinished(): CopyRecord[] {
    return this.records.unfinished(this.target.storeId, this.target.region).map((c) => this.toRecord(c));
  }

  /** The name a copy gets unless one is given: the image's own, fitted to the target's rules where it can be. */
  defaultName(image: Pick<Image, 'name'>): string | undefined {
    if (this.target.capturer.nameProblem(image.name) === undefined) return image.name;
    const fitted = nameFromFile(`${image.name}.x`, this.target.description.capabilities.images.nameRules);
    return fitted !== undefined && this.target.capturer.nameProblem(fitted) === undefined ? fitted : undefined;
  }

  /** Why the image cannot be copied here, or undefined (before a name is asked for). */
  refusal(origin: Omit<CopyOrigin, 'image'> & { image?: CatalogueImage }): string | undefined {
    if (this.target.readOnly) {
      return this.target.readOnlySource
        ? `${this.target.readOnlySource} is read-only (readOnly in config.yaml): strata does not copy images there.`
        : 'This session is read-only (--read-only): copying images is disabled.';
    }
    return copyRefusal(origin, { ...this.target, description: this.target.description }, origin.image);
  }

  /**
   * Writes a copy job (a fresh client token, everything the steps need) before anything is sent; refused
   * with a sentence where the copy cannot be made (StrataError: Unsupported, Invalid with field "name",
   * Conflict where the image is being copied here already). Does not run it: call run(id).
   */
  async start(origin: CopyOrigin, request: { name?: string } = {}): Promise<CopyRecord> {
    refuseIfReadOnly(this.target.readOnly, 'copy images', this.target.readOnlySource);
    const why = copyRefusal(origin, { ...this.target, description: this.target.description }, origin.image);
    if (why) throw new StrataError('Unsupported', why);
    if (typeof this.target.provider.copyImage !== 'function') throw new StrataError('Unsupported', `${this.target.description.displayName} cannot copy images.`);
    const image = origin.image;
    const name = request.name ?? this.defaultName(image);
    if (name === undefined) {
      throw new StrataError('Invalid', `The name ${sanitize(image.name, 80)} is not allowed in ${placeOf(this.target)} (${this.target.description.capabilities.images.nameRules.description}); give the copy a name.`, { field: 'name' });
    }
    const problem = this.target.capturer.nameProblem(name);
    if (problem) throw new StrataError('Invalid', `The name "${sanitize(name, 80)}" is refused in ${placeOf(this.target)}: ${problem}`, { field: 'name' });
    const busy = this.records
      .unfinishedOf(origin.storeId, origin.region, image.id)
      .find((c) => c.provider === this.target.storeId && c.region === this.target.region);
    if (busy) throw new StrataError('Conflict', `${sanitize(image.shownName, 80)} is being copied to ${placeOf(this.target)} already (copy ${busy.id.slice(0, 13)}).`);
    if (this.target.description.capabilities.images.nameRules.unique) {
      const taken = await this.target.capturer.nameTaken(name);
      if (taken) throw new StrataError('Invalid', `An image named "${sanitize(name, 80)}" exists in ${placeOf(this.target)} already (${taken.id}); give the copy another name.`, { field: 'name' });
    }
    const raw = stripCatalogue(image);
    const params: CopyParams = {
      from: {
        storeId: origin.storeId,
        providerId: origin.providerId,
        region: origin.region,
        ...(origin.source ? { source: origin.source } : {}),
        ...(origin.address !== undefined ? { address: origin.address } : {}),
        imageId: image.id,
        name: image.name,
        shownName: image.shownName,
      },
      to: { storeId: this.target.storeId, providerId: this.target.providerId, region: this.target.region, ...(this.target.source ? { source: this.target.source } : {}) },
      name,
      ...(image.description !== undefined ? { description: image.description } : {}),
      image: raw,
      ...(image.label ? { label: image.label } : {}),
      ...(image.nameSource !== 'provider' && image.shownName !== name ? { displayName: image.shownName } : {}),
    };
    const id = `copy-${randomUUID()}`;
    // A fresh token, as the launcher makes one (a UUID): the provider's copy is idempotent on it.
    const clientToken = randomUUID();
    const stored = this.target.store.transaction(() => {
      const created = this.records.create({
        id,
        provider: this.target.storeId,
        region: this.target.region,
        fromProvider: origin.storeId,
        fromRegion: origin.region,
        fromImage: image.id,
        params,
        clientToken,
      });
      this.audit('copy.started', id, { from: `${origin.region}/${image.id}`, ...(origin.source ? { fromSource: origin.source } : {}), name, clientToken });
      return created;
    });
    return this.toRecord(stored);
  }

  /**
   * Runs a copy from the step it is at to its end; resolves with it as it then is (done, failed, cancelled,
   * or unfinished when the signal stopped the run). A copy another live strata runs is followed, and taken
   * over if that strata goes away.
   */
  run(id: string, options: CopyRunOptions = {}): Promise<CopyRecord> {
    refuseIfReadOnly(this.target.readOnly, 'copy images', this.target.readOnlySource);
    const running = this.active.get(id);
    if (running) {
      running.listeners.add(options);
      return running.promise.finally(() => running.listeners.delete(options));
    }
    const stop = new AbortController();
    const entry = { promise: Promise.resolve(undefined as unknown as CopyRecord), listeners: new Set<CopyRunOptions>([options]), stop };
    entry.promise = this.runOwned(id, entry, options.signal).finally(() => {
      if (this.active.get(id) === entry) this.active.delete(id);
    });
    this.active.set(id, entry);
    return entry.promise;
  }

  /** Runs every unfinished copy into this region (at start); resolves with each as it ended. */
  async resumeAll(options: CopyRunOptions = {}): Promise<CopyRecord[]> {
    refuseIfReadOnly(this.target.readOnly, 'resume copies', this.target.readOnlySource);
    return Promise.all(this.records.unfinished(this.target.storeId, this.target.region).map((c) => this.run(c.id, options)));
  }

  /** Takes a failed copy up again from the step it failed in (the same client token: still one copy). */
  async retry(id: string, options: CopyRunOptions = {}): Promise<CopyRecord> {
    refuseIfReadOnly(this.target.readOnly, 'retry copies', this.target.readOnlySource);
    const copy = this.records.get(id);
    if (!copy || !this.isOurs(copy)) throw new StrataError('NotFound', `No copy ${id} into ${placeOf(this.target)}.`);
    this.target.store.transaction(() => {
      this.records.reopen(id, copy.failedStep ?? 'copying');
      this.audit('copy.retried', id, { step: copy.failedStep ?? 'copying' });
    });
    return this.run(id, options);
  }

  /** Stops a copy after its current step; the copy the provider made (if any) is kept and named in the note. */
  async cancel(id: string): Promise<CopyRecord> {
    refuseIfReadOnly(this.target.readOnly, 'cancel copies', this.target.readOnlySource);
    const copy = this.records.get(id);
    if (!copy || !this.isOurs(copy)) throw new StrataError('NotFound', `No copy ${id} into ${placeOf(this.target)}.`);
    if (isFinalCopyState(copy.state)) return this.toRecord(copy);
    this.records.requestCancel(id);
    const running = this.active.get(id);
    if (running) {
      running.stop.abort(new CancelRequested());
      await running.promise;
      return this.toRecord(this.records.get(id)!);
    }
    const runner = this.newRunner();
    const claimed = this.claim(id, runner);
    if (!claimed) return this.toRecord(this.records.get(id)!);
    try {
      return this.toRecord(isFinalCopyState(claimed.state) ? claimed : this.markCancelled(claimed));
    } finally {
      this.records.release(id, runner.id);
    }
  }

  // ---- running -------------------------------------------------------------------------------------------

  private async runOwned(
    id: string,
    entry: { listeners: Set<CopyRunOptions>; stop: AbortController },
    external: AbortSignal | undefined,
  ): Promise<CopyRecord> {
    let copy = this.records.get(id);
    if (!copy || !this.isOurs(copy)) throw new StrataError('NotFound', `No copy ${id} into ${placeOf(this.target)}.`);
    if (isFinalCopyState(copy.state)) return this.toRecord(copy);
    const emit = (c: StoredCopy) => {
      const record = this.toRecord(c);
      for (const l of entry.listeners) l.onUpdate?.(record);
    };
    const progress = (step: CopyStep, event: string, message: string) => {
      for (const l of entry.listeners) l.onProgress?.({ copyId: id, step, event, message });
    };
    const signal = external ? AbortSignal.any([external, entry.stop.signal]) : entry.stop.signal;
    const runner = this.newRunner();
    // A lease left by a strata that went away, or a copy past its first step: this run resumes it.
    const resumed = copy.runner !== undefined || copy.state !== COPY_STEPS[0];
    let claimed = this.claim(id, runner);
    while (!claimed) {
      progress(copy.state as CopyStep, 'following', `Copy ${id} is being run by another strata (pid ${copy.runner?.pid ?? '?'} on ${copy.runner?.host ?? '?'}).`);
      try {
        await sleep(this.pollMs, signal);
      } catch {
        return this.toRecord(this.records.get(id)!);
      }
      copy = this.records.get(id)!;
      emit(copy);
      if (isFinalCopyState(copy.state)) return this.toRecord(copy);
      claimed = this.claim(id, runner);
    }
    copy = claimed;
    LIVE_RUNNERS.add(runner.id);
    const beat = setInterval(() => {
      if (!this.records.heartbeat(id, runner.id)) entry.stop.abort(new Stopped('lost the lease'));
    }, Math.max(250, Math.min(10_000, Math.floor(this.leaseMs / 3))));
    beat.unref?.();
    try {
      if (resumed) this.audit('copy.resumed', id, { step: copy.state });
      emit(copy);
      let failures = 0;
      while (!isFinalCopyState(copy.state)) {
        const step = copy.state as CopyStep;
        try {
          if (external?.aborted) throw new Stopped();
          if (this.records.get(id)?.cancelRequested || signal.reason instanceof CancelRequested) throw new CancelRequested();
          copy = await this.runStep(step, copy, signal, progress);
          failures = 0;
          emit(copy);
        } catch (error) {
          const current = this.records.get(id)!;
          if (error instanceof Stopped || signal.reason instanceof Stopped || (external?.aborted && !(signal.reason instanceof CancelRequested))) return this.toRecord(current);
          if (error instanceof CancelRequested || (current.cancelRequested && signal.aborted)) {
            copy = this.markCancelled(current);
            emit(copy);
            break;
          }
          if (isStrataError(error) && error.kind === 'Conflict' && current.state !== step) {
            copy = current;
            continue;
          }
          if (!(error instanceof StepFailed) && isRetryable(error)) {
            failures++;
            const pause = jittered(Math.min(this.maxBackoffMs, this.pollMs * 2 ** Math.min(failures, 10)), this.options.retry);
            progress(step, 'retry', `${describeError(error)} Trying again in ${Math.round(pause / 100) / 10} s.`);
            try {
              await sleep(pause, signal);
            } catch {
              // stopped or cancelled while waiting: the loop says which
            }
            continue;
          }
          copy = this.markFailed(current, step, error instanceof StepFailed ? error.message : describeError(error));
          emit(copy);
        }
      }
    } finally {
      clearInterval(beat);
      LIVE_RUNNERS.delete(runner.id);
      this.records.release(id, runner.id);
    }
    return this.toRecord(this.records.get(id)!);
  }

  private async runStep(step: CopyStep, copy: StoredCopy, signal: AbortSignal, progress: (step: CopyStep, event: string, message: string) => void): Promise<StoredCopy> {
    const params = this.paramsOf(copy);
    switch (step) {
      case 'copying': {
        const provider = this.target.provider;
        if (typeof provider.copyImage !== 'function') throw new StepFailed(`${this.target.description.displayName} cannot copy images.`);
        let image: Image;
        try {
          // Throttled or a lost answer: asked again with the same token, which the provider answers with the
          // copy the first request made.
          image = await withRetry(
            () =>
              provider.copyImage!(
                { region: params.from.region, imageId: params.from.imageId, image: params.image, ...(params.from.address !== undefined ? { address: params.from.address } : {}) },
                { name: params.name, ...(params.description !== undefined ? { description: params.description } : {}), clientToken: copy.clientToken },
              ),
            this.options.retry,
            { operation: 'copying the image', signal },
          );
        } catch (error) {
          if (isStrataError(error) && (error.kind === 'NotFound' || error.kind === 'Invalid' || error.kind === 'Unsupported' || error.kind === 'Conflict')) throw new StepFailed(describeError(error));
          throw error;
        }
        progress('copying', 'copied', `The provider is copying ${params.from.imageId} to ${image.id}.`);
        return this.target.store.transaction(() => {
          const next = this.records.advance(copy.id, 'copying', { state: 'waiting', imageId: image.id, note: `Copy ${sanitize(params.name, 128)} (${image.id}) is ${image.state}.` });
          this.audit('copy.copied', copy.id, { imageId: image.id, from: `${params.from.region}/${params.from.imageId}` });
          return next;
        });
      }
      case 'waiting': {
        const imageId = copy.imageId!;
        let last: string | undefined;
        let image: Image;
        try {
          image = await this.target.capturer.waitAvailable(imageId, {
            signal,
            intervalMs: this.pollMs,
            maxIntervalMs: this.maxBackoffMs,
            onProgress: (im) => {
              if (im.state !== last) {
                last = im.state;
                progress('waiting', 'image-state', `Copy ${sanitize(im.name, 128)} (${im.id}) is ${im.state}.`);
                this.records.setNote(copy.id, `Copy ${sanitize(im.name, 128)} (${im.id}) is ${im.state}.`);
              }
            },
          });
        } catch (error) {
          if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Stopped();
          if (isStrataError(error) && (error.kind === 'NotFound' || error.kind === 'Conflict')) throw new StepFailed(error.message);
          throw error;
        }
        return this.target.store.transaction(() => {
          const next = this.records.advance(copy.id, 'waiting', { state: 'labelling', note: `Copy ${sanitize(image.name, 128)} (${image.id}) is available.` });
          this.audit('copy.available', copy.id, { imageId: image.id });
          return next;
        });
      }
      case 'labelling': {
        const image = await withRetry(() => this.target.provider.getImage(copy.imageId!), this.options.retry, { signal });
        let merged = this.target.catalogue.merge(image);
        const notes: string[] = [];
        if (params.label !== undefined && merged.label !== params.label) merged = await this.target.catalogue.setLabel(merged, params.label);
        if (params.displayName !== undefined && merged.shownName !== params.displayName) {
          try {
            merged = await this.target.catalogue.rename(merged, params.displayName);
          } catch (error) {
            if (!(isStrataError(error) && error.kind === 'Invalid')) throw error;
            notes.push(`its name "${sanitize(params.displayName, 80)}" is not allowed there, so it is ${sanitize(merged.shownName, 80)}`);
          }
        }
        const where = placeOf(params.to);
        return this.target.store.transaction(() => {
          const next = this.records.advance(copy.id, 'labelling', {
            state: 'done',
            note: `Copy ${sanitize(merged.shownName, 128)} (${merged.id}) is available in ${where}, copied from ${sanitize(params.from.shownName, 128)} (${placeOf(params.from)}, ${params.from.imageId})${notes.length ? `; ${notes.join('; ')}` : ''}.`,
          });
          this.audit('copy.done', copy.id, { imageId: merged.id, from: `${params.from.region}/${params.from.imageId}`, ...(params.label ? { label: params.label } : {}) });
          return next;
        });
      }
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------------------

  private markFailed(copy: StoredCopy, step: CopyStep, reason: string): StoredCopy {
    return this.target.store.transaction(() => {
      const next = this.records.advance(copy.id, copy.state, { state: 'failed', error: reason, failedStep: step, note: null });
      this.audit('copy.failed', copy.id, { step, reason });
      return next;
    });
  }

  private markCancelled(copy: StoredCopy): StoredCopy {
    return this.target.store.transaction(() => {
      const next = this.records.advance(copy.id, copy.state, {
        state: 'cancelled',
        failedStep: copy.state as CopyStep,
        note: `Cancelled at ${copy.state}${copy.imageId ? `; the copy ${copy.imageId} was kept (delete it if you do not want it)` : ''}.`,
      });
      this.audit('copy.cancelled', copy.id, { step: copy.state, ...(copy.imageId ? { imageId: copy.imageId } : {}) });
      return next;
    });
  }

  private paramsOf(copy: StoredCopy): CopyParams {
    const p = copy.params as Partial<CopyParams> | undefined;
    if (!p || typeof p !== 'object' || typeof p.name !== 'string' || !p.from || !p.to || !p.image) {
      throw new StepFailed(`The parameters of copy ${copy.id} cannot be read (written by another version of strata?).`);
    }
    if (p.label !== undefined && !isLabelColour(p.label)) throw new StepFailed(`Copy ${copy.id} has a label strata does not know.`);
    return p as CopyParams;
  }

  private claim(id: string, runner: JobRunner): StoredCopy | undefined {
    return this.records.claim(id, runner, {
      staleBefore: new Date(this.now().getTime() - this.leaseMs).toISOString(),
      isGone: (holder) => holder.host === this.host && (holder.pid === process.pid ? !LIVE_RUNNERS.has(holder.id) : !processAlive(holder.pid)),
    });
  }

  private newRunner(): JobRunner {
    return { id: randomUUID(), pid: process.pid, host: this.host };
  }

  private toRecord(copy: StoredCopy): CopyRecord {
    const record: CopyRecord = {
      id: copy.id,
      state: copy.state,
      params: (copy.params ?? {}) as CopyParams,
      clientToken: copy.clientToken,
      cancelRequested: copy.cancelRequested,
      createdAt: copy.createdAt,
      updatedAt: copy.updatedAt,
    };
    if (copy.imageId !== undefined) record.imageId = copy.imageId;
    if (copy.note !== undefined) record.note = copy.note;
    if (copy.error !== undefined) record.error = copy.error;
    if (copy.failedStep !== undefined) record.failedStep = copy.failedStep;
    if (copy.finishedAt !== undefined) record.finishedAt = copy.finishedAt;
    if (copy.runner) {
      record.runner = { pid: copy.runner.pid, host: copy.runner.host, heartbeatAt: copy.runner.heartbeatAt, here: copy.runner.pid === process.pid && copy.runner.host === this.host };
    }
    return record;
  }

  private isOurs(copy: StoredCopy): boolean {
    return copy.provider === this.target.storeId && copy.region === this.target.region;
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    this.target.store.audit.append({ provider: this.target.storeId, region: this.target.region, action, target, detail });
  }
}

/** A line for a copy in progress, as the UI shows it: where it goes, its step or how it ended. */
export function copyLine(copy: CopyRecord): string {
  const p = copy.params;
  const what = `${sanitize(p.from?.shownName ?? p.name ?? '', 60)} to ${p.to ? placeOf(p.to) : '?'}`;
  if (copy.state === 'failed') return `copy of ${what} failed: ${sanitize(copy.error ?? '', 300)}`;
  if (copy.state === 'done' || copy.state === 'cancelled') return sanitize(copy.note ?? `copy of ${what}: ${copy.state}`, 400);
  return `copying ${what}: ${sanitize(copy.note ?? copy.state, 200)}`;
}

/** An Image back from a CatalogueImage (the merge's own fields dropped). */
function stripCatalogue(image: CatalogueImage): Image {
  const { shownName: _s, nameSource: _n, label: _l, labelSource: _ls, sharedMeta: _m, ...rest } = image;
  return rest;
}


/** The copy service of a session (its provider, catalogue, capturer, store and ids). */
export function copiesFor(
  session: {
    provider: ProviderService;
    description: ProviderDescription;
    catalogue: Catalogue;
    capturer: Capturer;
    records: Store;
    storeId: string;
    providerId: string;
    region: string;
    source?: string;
    readOnly: boolean;
    options: { readOnlySource?: string };
    retry?: RetryPolicy;
  },
  options: CopiesOptions = {},
): Copies {
  return new Copies(
    {
      provider: session.provider,
      description: session.description,
      catalogue: session.catalogue,
      capturer: session.capturer,
      store: session.records,
      storeId: session.storeId,
      providerId: session.providerId,
      region: session.region,
      ...(session.source ? { source: session.source } : {}),
      ...(session.readOnly ? { readOnly: true } : {}),
      ...(session.options.readOnlySource ? { readOnlySource: session.options.readOnlySource } : {}),
    },
    { ...(session.retry ? { retry: session.retry } : {}), ...options },
  );
}
