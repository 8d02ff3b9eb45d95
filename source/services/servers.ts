// What the UI does to servers and images beyond the catalogue and the launch form, each provider call made
// here with the one retry policy (retry.ts), announced while it waits, and audited here, not by the UI:
//   servers  terminate (typed confirmation is the UI's), its console output, the images servers stand on;
//   images   delete an own image.
// A read-only session refuses every change (ReadOnlySession).
import type { ProviderDescription } from '../core/capabilities.js';
import { isStrataError, StrataError } from '../core/errors.js';
import type { Image, Server } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';
import type { Store } from '../store/db.js';
import { refuseIfReadOnly } from './readonly.js';
import { withRetry, type RetryOptions, type RetryPolicy } from './retry.js';

export interface ActionsDeps {
  provider: ProviderService;
  description: ProviderDescription;
  store: Store;
  providerId: string;
  region: string;
  retry?: RetryPolicy;
  readOnly?: boolean;
  /** The source whose readOnly in config.yaml makes it read-only (its refusals name it). */
  readOnlySource?: string;
  /** After a server is terminated: its volume passphrase is forgotten where its volumes are gone (custody.ts). */
  afterTerminate?: (serverId: string) => Promise<unknown>;
}

export class ServerActions {
  constructor(private readonly deps: ActionsDeps) {}

  /**
   * Terminates a server (never asks again: the UI asked for its name). Retried while the provider throttles;
   * after a lost answer, asking again is safe (terminating twice is not an error) and a server already gone
   * counts as terminated. Recorded (its volumes go with it, so its passphrase may go too) and audit-logged.
   */
  async terminate(server: Pick<Server, 'id' | 'name'>, options: RetryOptions = {}): Promise<void> {
    refuseIfReadOnly(this.deps.readOnly, 'terminate servers', this.deps.readOnlySource);
    if (!this.deps.description.capabilities.servers.terminate) {
      throw new StrataError('Unsupported', `${this.where()} cannot terminate servers from strata.`);
    }
    let lost = false;
    try {
      await withRetry(
        () =>
          this.deps.provider.terminate(server.id).catch((error: unknown) => {
            if (isStrataError(error) && error.kind === 'Transient') lost = true;
            throw error;
          }),
        this.deps.retry,
        { operation: `terminating ${server.name}`, ...options },
      );
    } catch (error) {
      // Asked again after a lost answer, and now it is gone: the first request did it.
      if (!(lost && isStrataError(error) && error.kind === 'NotFound')) throw error;
    }
    this.deps.store.transaction(() => {
      this.deps.store.launches().noteTerminated(this.deps.providerId, this.deps.region, server.id);
      this.audit('server.terminated', server.id, { name: server.name });
    });
    await this.deps.afterTerminate?.(server.id).catch(() => undefined);
  }

  /**
   * The servers of the region (or those with these ids) as the provider lists them now, in one batched call
   * retried while the provider throttles or does not answer. Not sanitised: the caller sanitises what it shows.
   */
  list(ids?: string[], options: RetryOptions = {}): Promise<Server[]> {
    return withRetry(() => this.deps.provider.listServers(ids), this.deps.retry, { operation: 'listing servers', ...options });
  }

  /** A server's console output (retried while the provider throttles or does not answer). */
  consoleOutput(serverId: string, options: RetryOptions = {}): Promise<string> {
    if (!this.deps.description.capabilities.servers.consoleOutput) {
      return Promise.reject(new StrataError('Unsupported', `${this.deps.description.displayName} has no console output for its servers.`));
    }
    return withRetry(() => this.deps.provider.consoleOutput(serverId), this.deps.retry, { operation: 'reading the console', ...options });
  }

  /** Images by id as the provider knows them now: the image, or null where it is gone (each retried). */
  async lookUpImages(ids: string[], options: RetryOptions = {}): Promise<Record<string, Image | null>> {
    const out: Record<string, Image | null> = {};
    for (const id of [...new Set(ids)]) {
      try {
        out[id] = await withRetry(() => this.deps.provider.getImage(id), this.deps.retry, { operation: 'reading an image', ...options });
      } catch (error) {
        if (isStrataError(error) && error.kind === 'NotFound') out[id] = null;
        else if (!isStrataError(error) || (error.kind !== 'Throttled' && error.kind !== 'Transient')) throw error;
        // Still throttled after every attempt: left out, asked again at the next look.
      }
    }
    return out;
  }

  private audit(action: string, target: string, detail: Record<string, unknown>): void {
    this.deps.store.audit.append({ provider: this.deps.providerId, region: this.deps.region, action, target, detail });
  }

  private where(): string {
    return `${this.deps.description.displayName} ${this.deps.region}`;
  }
}

export class ImageActions {
  constructor(private readonly deps: ActionsDeps) {}

  /** Whether this provider can give an own image a deprecation date (capabilities.images.deprecate). */
  get deprecationSupported(): boolean {
    const can = this.deps.description.capabilities.images.deprecate;
    return can !== undefined && can !== 'none' && typeof this.deps.provider.setImageDeprecation === 'function';
  }

  /**
   * Sets (at: ISO 8601) or clears (null) an own image's deprecation date, so every user of the account sees
   * it deprecated from then on (in :risk, as a vendor template). Retried while the provider throttles or does
   * not answer (setting the same date twice is harmless); audit-logged with the date before and after.
   */
  async setDeprecation(image: Pick<Image, 'id' | 'name' | 'deprecatedAt'>, at: string | null, options: RetryOptions = {}): Promise<Image> {
    refuseIfReadOnly(this.deps.readOnly, 'deprecate images');
    if (!this.deprecationSupported) {
      throw new StrataError('Unsupported', `${this.deps.description.displayName} cannot give images a deprecation date here.`);
    }
    const updated = await withRetry(() => this.deps.provider.setImageDeprecation!(image.id, at), this.deps.retry, {
      operation: `${at === null ? 'taking the deprecation date off' : 'deprecating'} ${image.name}`,
      ...options,
    });
    this.deps.store.audit.append({
      provider: this.deps.providerId,
      region: this.deps.region,
      action: 'image.deprecation',
      target: image.id,
      detail: { name: image.name, from: image.deprecatedAt ?? null, to: updated.deprecatedAt ?? null },
    });
    return updated;
  }

  /**
   * Deletes an own image (the UI asked for its id, typed). Retried while the provider throttles; after a
   * lost answer it is asked again, and an image gone by then counts as deleted (the first request did it).
   * Audit-logged with the number of servers and images that stood on it.
   */
  async deleteImage(imageId: string, options: RetryOptions & { dependants?: number } = {}): Promise<void> {
    refuseIfReadOnly(this.deps.readOnly, 'delete images', this.deps.readOnlySource);
    if (this.deps.description.capabilities.images.delete === 'none') {
      throw new StrataError('Unsupported', `${this.deps.description.displayName} cannot delete images here.`);
    }
    const { dependants, ...retry } = options;
    let lost = false;
    try {
      await withRetry(
        () =>
          this.deps.provider.deleteImage(imageId).catch((error: unknown) => {
            if (isStrataError(error) && error.kind === 'Transient') lost = true;
            throw error;
          }),
        this.deps.retry,
        { operation: `deleting ${imageId}`, ...retry },
      );
    } catch (error) {
      if (!(lost && isStrataError(error) && error.kind === 'NotFound')) throw error;
    }
    this.deps.store.audit.append({
      provider: this.deps.providerId,
      region: this.deps.region,
      action: 'image.deleted',
      target: imageId,
      detail: { ...(dependants !== undefined ? { dependants } : {}) },
    });
  }
}
