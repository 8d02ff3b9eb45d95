// Capture: an image from a server (the `i` key), with its progress until it is available. The name is
// checked against the provider's rules before anything is sent; the colour label is written the way the
// catalogue writes labels (a tag where the provider holds them on the image, else the local store); where
// the provider's images hold no tags, where the image came from (lineage) is kept in the local store so
// the UI can still show it. Every capture is in the audit log.
//
// Import (:import): an image file on this machine becomes an own image, where the provider can import
// (capabilities.images.import). The path may start with ~/ or be relative to the directory strata was
// started in; a missing name is made from the file's name. Every import is in the audit log too.
import { isAbsolute, resolve } from 'node:path';
import { checkName, nameFromFile, type ProviderDescription } from '../core/capabilities.js';
import { describeError, isRetryable, isStrataError, StrataError } from '../core/errors.js';
import { needsSanitising, sanitize } from '../core/sanitize.js';
import { isLabelColour, type Image, type LabelColour, type Server } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';
import type { Store } from '../store/db.js';
import type { LineageRecord } from '../store/jobs.js';
import { expandHome } from '../store/paths.js';
import { refuseIfReadOnly } from './readonly.js';
import { attemptsOf, backoffDelay, jittered, sleep, withRetry, type RetryPolicy } from './retry.js';
import type { Catalogue, CatalogueImage } from './catalogue.js';

export type { LineageRecord } from '../store/jobs.js';

export interface CaptureRequest {
  /** The image's name at the provider (checked against description.capabilities.images.nameRules). */
  name: string;
  /** A colour label, written like the catalogue writes labels (tag where shared, else local). */
  label?: LabelColour;
  /** Capture without stopping the server, where the provider offers the choice. */
  noReboot?: boolean;
  description?: string;
}

export interface ImportRequest {
  /** An image file (qcow2 or raw) on this machine: absolute, starting with ~/, or relative to the working directory. */
  path: string;
  /** The image's name; where absent, made from the file's name (refused with a sentence where that is not easy). */
  name?: string;
  description?: string;
}

/** The captured image, merged with strata's metadata, and what went wrong after the capture itself. */
export interface CapturedImage extends CatalogueImage {
  /** Sentences about what failed after the image was created (e.g. the label could not be written). */
  warnings: string[];
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Every answer of the provider while waiting (pending, then available). */
  onProgress?: (image: Image) => void;
  /** Real milliseconds between polls (default 2000); doubled while the provider throttles, up to maxIntervalMs. */
  intervalMs?: number;
  /** The longest pause between polls while backing off (default 30 s). */
  maxIntervalMs?: number;
  /** Give up after this many real milliseconds (default: wait until available, failed or gone). */
  timeoutMs?: number;
}

export interface CapturerDeps {
  provider: ProviderService;
  description: ProviderDescription;
  catalogue: Catalogue;
  store: Store;
  providerId: string;
  region: string;
  /** The one retry policy (retry.ts) unless told otherwise. */
  retry?: RetryPolicy;
  /** A read-only session: capture and import are refused (ReadOnlySession). */
  readOnly?: boolean;
  /** The source whose readOnly in config.yaml makes it read-only (its refusals name it). */
  readOnlySource?: string;
}

export class Capturer {
  private readonly deps: CapturerDeps;

  constructor(deps: CapturerDeps) {
    this.deps = deps;
  }

  /** Whether the provider can capture images at all. */
  get supported(): boolean {
    return this.deps.description.capabilities.images.capture !== 'none';
  }

  /** Whether the provider can import an image file of this machine as an own image. */
  get importSupported(): boolean {
    return this.deps.description.capabilities.images.import !== 'none';
  }

  /** Whether the provider's images hold tags (else lineage and labels live in the local store). */
  get tagsSupported(): boolean {
    return this.deps.description.capabilities.images.tags;
  }

  /** The reason an image name would be refused, or undefined (for live validation in the capture form). */
  nameProblem(name: string): string | undefined {
    if (typeof name !== 'string') return 'A name must be text.';
    const reason = checkName(name, this.deps.description.capabilities.images.nameRules);
    if (reason) return reason;
    if (needsSanitising(name)) return 'A name cannot contain control characters or escape sequences.';
    return undefined;
  }

  /**
   * The name a captured image gets unless one is given: the server's (or builder's) name and the capture's
   * date, NAME-2026-12-06, cut to the provider's longest name and fitted to its characters where it can be
   * (undefined where it cannot: the caller asks for a name).
   */
  defaultName(base: string, at: Date = new Date()): string | undefined {
    const day = at.toISOString().slice(0, 10);
    const rules = this.deps.description.capabilities.images.nameRules;
    const clean = sanitize(base, 256).replace(/\ufffd/g, '');
    const room = Math.max(0, rules.maxLength - day.length - 1);
    const fitted = nameFromFile(`${clean.slice(0, room).replace(/[\s._-]+$/, '')}-${day}.x`, rules);
    return fitted !== undefined && fitted.endsWith(day) && this.nameProblem(fitted) === undefined ? fitted : undefined;
  }

  /** Whether one of the account's own images already has this name (at the provider). */
  async nameTaken(name: string, signal?: AbortSignal): Promise<Image | undefined> {
    let page: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const result = await this.withRetry(
        () => this.deps.provider.listImages({ scope: 'own', query: name, ...(page !== undefined ? { page } : {}) }),
        signal,
      );
      const found = result.items.find((image) => image.name === name);
      if (found) return found;
      if (result.next === undefined || seen.has(result.next)) return undefined;
      seen.add(result.next);
      page = result.next;
    }
  }

  /**
   * Creates an image from a server. The name (and label) are checked first: an Invalid StrataError with
   * field "name" (or "label") and the reason, before any call to the provider. Then the server is looked
   * up (NotFound with a sentence when it does not exist), the image is captured (a lost answer is looked
   * for before asking again, so one request never makes two images), lineage is kept locally where the
   * provider holds no tags, the capture is audit-logged, and the label is written. The image is usually
   * still pending: follow it with waitAvailable().
   */
  async capture(serverId: string, request: CaptureRequest): Promise<CapturedImage> {
    refuseIfReadOnly(this.deps.readOnly, 'capture images', this.deps.readOnlySource);
    if (request === null || typeof request !== 'object') {
      throw new StrataError('Invalid', 'A capture needs a name.', { field: 'name' });
    }
    const { name, label } = request;
    if (typeof name !== 'string') throw new StrataError('Invalid', 'The image needs a name.', { field: 'name' });
    const reason = this.nameProblem(name);
    if (reason) throw new StrataError('Invalid', reason, { field: 'name' });
    if (label !== undefined && !isLabelColour(label)) {
      throw new StrataError('Invalid', `"${sanitize(label, 32)}" is not a label colour.`, { field: 'label' });
    }
    if (request.noReboot !== undefined && typeof request.noReboot !== 'boolean') {
      throw new StrataError('Invalid', 'noReboot is true or false.', { field: 'noReboot' });
    }
    if (typeof serverId !== 'string' || serverId.length === 0) {
      throw new StrataError('Invalid', 'A capture needs the server to capture.', { field: 'serverId' });
    }
    if (!this.supported) {
      throw new StrataError('Unsupported', `${this.where()} cannot capture images from servers.`);
    }

    const server = await this.server(serverId);
    const image = await this.captureOnce(server, request);
    const lineage = this.keepLineage(image, server.imageId, server.id);
    this.deps.store.audit.append({
      provider: this.deps.providerId,
      region: this.deps.region,
      action: 'image.captured',
      target: image.id,
      detail: {
        name,
        serverId: server.id,
        server: server.name,
        sourceImageId: lineage.sourceImageId ?? null,
        ...(request.noReboot !== undefined ? { noReboot: request.noReboot } : {}),
        ...(label !== undefined ? { label } : {}),
        lineage: this.tagsSupported ? 'tags' : 'local store',
      },
    });

    const warnings: string[] = [];
    let merged = this.deps.catalogue.merge(lineage);
    if (label !== undefined) {
      try {
        merged = await this.deps.catalogue.setLabel(merged, label);
      } catch (error) {
        warnings.push(`The image was created, but its label could not be set: ${describeError(error)}`);
      }
    }
    return { ...this.withLineage(merged), warnings };
  }

  /** The absolute path an import reads: a leading ~ expanded, a relative path taken from cwd. */
  importPath(path: string, cwd: string = process.cwd(), env: Record<string, string | undefined> = process.env): string {
    const expanded = expandHome(path, env);
    return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
  }

  /** The name an import gives an image when none is given (from the file's name), or undefined. */
  importName(path: string): string | undefined {
    const name = nameFromFile(path, this.deps.description.capabilities.images.nameRules);
    return name !== undefined && this.nameProblem(name) === undefined ? name : undefined;
  }

  /**
   * Imports an image file of this machine as an own image. Refused before anything is read: a provider
   * that cannot import (Unsupported), a name its rules refuse or one that is taken (Invalid, field "name").
   * The provider checks the file (Invalid, field "path", a sentence naming the file). A lost answer is
   * looked for before asking again, so one request never makes two images. Audit-logged.
   */
  async importImage(request: ImportRequest): Promise<CatalogueImage> {
    refuseIfReadOnly(this.deps.readOnly, 'import images', this.deps.readOnlySource);
    if (!this.importSupported) {
      throw new StrataError('Unsupported', `${this.where()} cannot import image files.`);
    }
    if (request === null || typeof request !== 'object' || typeof request.path !== 'string' || request.path.trim() === '') {
      throw new StrataError('Invalid', 'An import needs the path of an image file (qcow2 or raw).', { field: 'path' });
    }
    const path = this.importPath(request.path);
    const name = request.name ?? this.importName(path);
    if (name === undefined) {
      throw new StrataError(
        'Invalid',
        `strata cannot make an image name from the file name ${sanitize(path.slice(path.lastIndexOf('/') + 1), 128)} (${this.deps.description.capabilities.images.nameRules.description}); give the image a name.`,
        { field: 'name' },
      );
    }
    const reason = this.nameProblem(name);
    if (reason) throw new StrataError('Invalid', reason, { field: 'name' });
    const unique = this.deps.description.capabilities.images.nameRules.unique;
    if (unique && (await this.nameTaken(name))) {
      throw new StrataError('Invalid', `An image named "${name}" already exists in ${this.where()}; image names are unique here.`, { field: 'name' });
    }
    const image = await this.createOnce(
      () =>
        this.deps.provider.importImage({
          path,
          name,
          ...(request.description !== undefined ? { description: request.description } : {}),
        }),
      // Names are unique, and this one was free: an image of that name now is the one this import made.
      unique ? () => this.nameTaken(name) : undefined,
    );
    this.deps.store.audit.append({
      provider: this.deps.providerId,
      region: this.deps.region,
      action: 'image.imported',
      target: image.id,
      detail: { name, path, ...(image.sizeGiB !== undefined ? { sizeGiB: image.sizeGiB } : {}) },
    });
    return this.deps.catalogue.merge(image);
  }

  /**
   * An own image with this name captured from this server, if the provider has one (a capture whose answer
   * was lost, or made by a strata that died before writing it down). An image of that name whose source is
   * unknown counts; one captured from another server does not.
   */
  async findCaptured(serverId: string, name: string, signal?: AbortSignal): Promise<Image | undefined> {
    const found = await this.nameTaken(name, signal);
    if (!found) return undefined;
    const source = found.sourceServerId ?? this.lineage(found.id)?.sourceServerId;
    return source === undefined || source === serverId ? found : undefined;
  }

  /** Keeps where an image came from in the local store (for providers without tags); returns the image with it. */
  keepLineage<T extends Image>(image: T, sourceImageId: string | undefined, sourceServerId: string | undefined): T {
    const out = { ...image };
    if (out.sourceImageId === undefined && sourceImageId !== undefined) out.sourceImageId = sourceImageId;
    if (out.sourceServerId === undefined && sourceServerId !== undefined) out.sourceServerId = sourceServerId;
    if (!this.tagsSupported) {
      this.deps.store.lineage().record({
        provider: this.deps.providerId,
        region: this.deps.region,
        imageId: image.id,
        ...(out.sourceImageId !== undefined ? { sourceImageId: out.sourceImageId } : {}),
        ...(out.sourceServerId !== undefined ? { sourceServerId: out.sourceServerId } : {}),
      });
    }
    return out;
  }

  /** What the local store knows of where an image came from (providers without tags). */
  lineage(imageId: string): LineageRecord | undefined {
    return this.deps.store.lineage().get(this.deps.providerId, this.deps.region, imageId);
  }

  /** Every image of this provider and region with locally kept lineage, by image id. */
  lineageMap(): Map<string, LineageRecord> {
    return this.deps.store.lineage().list(this.deps.providerId, this.deps.region);
  }

  /** The image with sourceImageId / sourceServerId filled in from the local store where the provider left them out. */
  withLineage<T extends Image>(image: T, known: Map<string, LineageRecord> | undefined = undefined): T {
    if (image.sourceImageId !== undefined && image.sourceServerId !== undefined) return image;
    const record = known ? known.get(image.id) : this.lineage(image.id);
    if (!record) return image;
    const out = { ...image };
    if (out.sourceImageId === undefined && record.sourceImageId !== undefined) out.sourceImageId = sanitize(record.sourceImageId, 256);
    if (out.sourceServerId === undefined && record.sourceServerId !== undefined) out.sourceServerId = sanitize(record.sourceServerId, 256);
    return out;
  }

  /**
   * Polls the image until it is available. Rejects with a sentence when it failed or is gone, and with the
   * signal's reason when aborted. Throttled and transient answers back off (doubling up to maxIntervalMs).
   */
  async waitAvailable(imageId: string, options: WaitOptions = {}): Promise<Image> {
    const interval = Math.max(1, options.intervalMs ?? 2000);
    const maxInterval = Math.max(interval, options.maxIntervalMs ?? 30_000);
    const started = Date.now();
    let pause = interval;
    for (;;) {
      options.signal?.throwIfAborted();
      let image: Image | undefined;
      try {
        image = await this.deps.provider.getImage(imageId);
        pause = interval;
      } catch (error) {
        if (isStrataError(error) && error.kind === 'NotFound') {
          throw new StrataError('NotFound', `The image ${imageId} is gone: it was deleted before it became available.`, {
            detail: error.message,
            cause: error,
          });
        }
        if (!isRetryable(error)) throw error;
        pause = Math.min(maxInterval, pause * 2);
      }
      if (image) {
        options.onProgress?.(image);
        if (image.state === 'available' || image.state === 'deprecated') return image;
        if (image.state === 'failed') {
          throw new StrataError(
            'Conflict',
            `The image ${sanitize(image.name, 128)} (${imageId}) failed to be created${image.description ? `: ${sanitize(image.description, 256)}` : ''}.`,
          );
        }
        if (image.state === 'deleted') {
          throw new StrataError('NotFound', `The image ${sanitize(image.name, 128)} (${imageId}) was deleted before it became available.`);
        }
      }
      if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) {
        throw new StrataError(
          'Transient',
          `The image ${imageId} is still ${image?.state ?? 'not answering'} after ${duration(options.timeoutMs)}; strata stopped waiting (it may still become available).`,
        );
      }
      await sleep(pause > interval ? jittered(pause, this.deps.retry) : pause, options.signal);
    }
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private async server(serverId: string): Promise<Server> {
    const servers = await this.withRetry(() => this.deps.provider.listServers([serverId]));
    const server = servers.find((s) => s.id === serverId);
    if (!server) throw new StrataError('NotFound', `Server ${serverId} does not exist in ${this.where()}.`);
    return server;
  }

  /** One capture: retried while throttled; after a lost answer, the image is looked for before asking again. */
  private captureOnce(server: Server, request: CaptureRequest): Promise<Image> {
    return this.createOnce(
      () =>
        this.deps.provider.captureImage(server.id, {
          name: request.name,
          ...(request.description !== undefined ? { description: request.description } : {}),
          ...(request.noReboot !== undefined ? { noReboot: request.noReboot } : {}),
        }),
      () => this.findCaptured(server.id, request.name),
    );
  }

  /**
   * Creates an image (capture, import): retried while throttled. After a lost answer (Transient) the request
   * may have arrived: findLost looks for the image before asking again; without it, a lost answer is final.
   */
  private async createOnce(create: () => Promise<Image>, findLost: (() => Promise<Image | undefined>) | undefined): Promise<Image> {
    const attempts = attemptsOf(this.deps.retry);
    for (let attempt = 1; ; attempt++) {
      try {
        return await create();
      } catch (error) {
        if (attempt >= attempts || !isRetryable(error)) throw error;
        const lost = isStrataError(error) && error.kind === 'Transient';
        if (lost && !findLost) throw error;
        const delayMs = backoffDelay(attempt, this.deps.retry);
        this.deps.retry?.onRetry?.({
          kind: lost ? 'Transient' : 'Throttled',
          attempt: attempt + 1,
          attempts,
          delayMs,
          operation: 'creating the image',
          reason: error instanceof Error ? error.message : String(error),
        });
        await sleep(delayMs);
        // The request may have arrived and only its answer been lost: never ask for a second image.
        if (lost) {
          const found = await findLost!();
          if (found) return found;
        }
      }
    }
  }

  private withRetry<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(call, this.deps.retry, { signal });
  }

  private where(): string {
    return `${this.deps.description.displayName} ${this.deps.region}`;
  }
}

/** A Capturer for a session (anything with the session's provider, description, catalogue, ids). */
export function capturerFor(
  session: { provider: ProviderService; description: ProviderDescription; catalogue: Catalogue; providerId: string; region: string },
  store: Store,
  retry?: CapturerDeps['retry'],
  readOnly?: boolean,
  readOnlySource?: string,
): Capturer {
  return new Capturer({
    provider: session.provider,
    description: session.description,
    catalogue: session.catalogue,
    store,
    providerId: session.providerId,
    region: session.region,
    ...(retry ? { retry } : {}),
    ...(readOnly ? { readOnly: true } : {}),
    ...(readOnly && readOnlySource ? { readOnlySource } : {}),
  });
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const m = Math.round(ms / 60_000);
  return `${m} minute${m === 1 ? '' : 's'}`;
}


export { sleep } from './retry.js';
