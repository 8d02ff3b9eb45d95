// A session: one provider in one region, with the catalogue over it. The UI and the subcommands open
// sessions through here and never import a provider themselves.
import type { ProviderDescription } from '../core/capabilities.js';
import { createProvider, PROVIDERS } from '../providers/registry.js';
import type { LibvirtSettings, ProviderOptions, ProviderService } from '../providers/provider.js';
import type { Store } from '../store/db.js';
import { capturerFor, type Capturer } from './capture.js';
import { Catalogue } from './catalogue.js';
import type { StrataConfig } from './config.js';
import type { LaunchServices } from './launching.js';
import { readOnlyProvider } from './readonly.js';
import { Watcher, type WatcherOptions } from './watcher.js';
import { DEFAULT_RETRY, type RetryNotice, type RetryPolicy } from './retry.js';
import { ImageActions, ServerActions } from './servers.js';
import { FirewallActions } from './firewalls.js';
import { Listings } from './listing.js';
import { Shell } from './shell.js';
import type { RowReferences } from '../providers/provider.js';
import { isStrataError } from '../core/errors.js';
import { withRetry } from './retry.js';

export interface SessionOptions {
  providerId: string;
  region?: string;
  /** strata's data directory (the store, the sandbox's world, the secrets file fallback). */
  home: string;
  /** strata's config directory (config.yaml, recipes/). */
  configDir?: string;
  /** The configuration, read once at start (a broken file is reported before the TUI opens). */
  config?: StrataConfig;
  sandboxSpeed?: number;
  sandboxSeed?: number;
  sandboxFaults?: string;
  sandboxLatencyMs?: number;
  profile?: string;
  endpoint?: string;
  trustedOwnerIds?: string[];
  /** libvirt: the connection URI (--libvirt-uri or STRATA_LIBVIRT_URI); config.yaml's libvirt section comes with config. */
  libvirtUri?: string;
  /** libvirt: a source's own settings (config.yaml sources[].libvirt), over config.yaml's libvirt section. */
  libvirt?: LibvirtSettings;
  /** libvirt: create the vendor pool config.yaml names where it does not exist (the user said so). */
  libvirtCreateVendorPool?: boolean;
  /**
   * --read-only: the session changes nothing, in the foreground or the background. Its services refuse
   * every change with ReadOnlySession (readonly.ts), and so does its provider; interrupted jobs and
   * launches are listed, never resumed.
   */
  readOnly?: boolean;
  /** The retry policy of every service of the session (default DEFAULT_RETRY; tests make it fast). */
  retry?: RetryPolicy;
  /** The source (config.yaml's sources) the session is a region of, by name; absent without sources. */
  source?: string;
  /**
   * The account the source names of its own (services/sources.ts accountOf): what strata records of the
   * session is kept under "provider@account" (storeId), apart from the default account's.
   */
  account?: string;
  /** Where the provider keeps its own state (the sandbox's world), where not strata's data directory. */
  providerHome?: string;
  /** Sandbox: every answer comes back this late (ms). */
  sandboxDelayMs?: number;
  /** The source whose readOnly makes the session read-only (its refusals name it); absent: --read-only. */
  readOnlySource?: string;
}

export interface ProviderInfo {
  id: string;
  displayName: string;
  summary: string;
}

export function knownProviders(): ProviderInfo[] {
  return PROVIDERS.map(({ id, displayName, summary }) => ({ id, displayName, summary }));
}

/** The provider as strata's store knows a session's records: its id, or "provider@account" (Session.storeId). */
export function storeIdOf(options: Pick<SessionOptions, 'providerId' | 'account'>): string {
  return options.account ? `${options.providerId}@${options.account}` : options.providerId;
}

export class Session {
  private readonly store: Store;
  private launching?: Promise<LaunchServices>;
  private readonly retryListeners = new Set<(notice: RetryNotice) => void>();
  /** The session's retry policy: every service of the session retries with it, and reports each retry. */
  readonly retry: RetryPolicy;
  /** Captures images from servers (with their label and lineage). */
  readonly capturer: Capturer;
  /** Terminate a server, read its console, look up the images servers stand on (retried, audited). */
  readonly servers: ServerActions;
  /** Delete an own image (retried where safe, audited). */
  readonly images: ImageActions;
  /** The firewalls of the region, who uses each, whether strata made it; delete one nothing uses (audited). */
  readonly firewalls: FirewallActions;
  /** Stored copies of large listings (the public catalogue), read by position. */
  readonly listings: Listings;
  /** s on a server: the ssh command for it (address, user, key, host key checking). */
  readonly shell: Shell;

  private constructor(
    readonly options: SessionOptions,
    /** The provider; in a read-only session it refuses every change. The UI uses the services, not this. */
    readonly provider: ProviderService,
    readonly description: ProviderDescription,
    readonly catalogue: Catalogue,
    store: Store,
    retry: RetryPolicy,
  ) {
    this.store = store;
    this.retry = retry;
    const storeId = storeIdOf(options);
    this.capturer = capturerFor(
      { provider, description, catalogue, providerId: storeId, region: description.region },
      store,
      retry,
      options.readOnly,
      options.readOnlySource,
    );
    const actions = {
      provider,
      description,
      store,
      providerId: storeId,
      region: description.region,
      retry,
      ...(options.readOnly ? { readOnly: true } : {}),
      ...(options.readOnly && options.readOnlySource ? { readOnlySource: options.readOnlySource } : {}),
      afterTerminate: (serverId: string) => this.afterTerminate(serverId),
    };
    this.servers = new ServerActions(actions);
    this.images = new ImageActions(actions);
    this.firewalls = new FirewallActions(actions);
    this.listings = new Listings({ store, catalogue, providerId: storeId, region: description.region });
    this.shell = new Shell({
      providerId: storeId,
      region: description.region,
      description,
      store,
      home: options.home,
      ...(options.config ? { config: options.config } : {}),
      consoleOutput: (serverId) => this.servers.consoleOutput(serverId),
      getImage: (imageId) =>
        withRetry(() => provider.getImage(imageId), retry, { operation: 'reading an image' }).catch((error: unknown) => {
          if (isStrataError(error) && error.kind === 'NotFound') return null;
          throw error;
        }),
    });
  }

  /** The provider's CLI line and web-console page for an image or a server, where it has them. */
  references(kind: 'image' | 'server', id: string): RowReferences {
    return this.provider.references?.(kind, id) ?? {};
  }

  /** A watcher over this session's servers (one batched poll per interval, backoff with jitter). */
  watcher(options: Omit<WatcherOptions, 'provider'> = {}): Watcher {
    return new Watcher({ ...options, provider: this.provider });
  }

  /** Whether the session changes nothing (--read-only). */
  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  /**
   * Hears every retry any service of this session makes (which call, the attempt about to be made, of how
   * many, and in how long): what the UI shows as "throttled; retrying in 2 s (attempt 2 of 4)". Returns
   * the function that stops listening.
   */
  onRetry(listener: (notice: RetryNotice) => void): () => void {
    this.retryListeners.add(listener);
    return () => this.retryListeners.delete(listener);
  }

  /**
   * Simulated seconds per real second where the provider runs on a simulated clock (the sandbox; its
   * --sandbox-speed is kept in its world and lasts until changed), else undefined. The UI shows it when it
   * is not 1.
   */
  timeScale(): number | undefined {
    const scale = (this.provider as { timeScale?: () => number }).timeScale;
    if (typeof scale !== 'function') return undefined;
    try {
      const speed = scale.call(this.provider);
      return Number.isFinite(speed) && speed > 0 ? speed : undefined;
    } catch {
      return undefined;
    }
  }

  /** The launcher, billing and recipes: loaded on first use (the launch form, an interrupted launch). */
  services(): Promise<LaunchServices> {
    return (this.launching ??= import('./launching.js').then((m) =>
      m.createLaunchServices({
        provider: this.provider,
        description: this.description,
        store: this.store,
        providerId: this.storeId,
        region: this.region,
        home: this.options.home,
        configDir: this.options.configDir ?? this.options.home,
        config: this.options.config,
        catalogue: this.catalogue,
        capturer: this.capturer,
        retry: this.retry,
        ...(this.readOnly ? { readOnly: true } : {}),
      }),
    ));
  }

  /** A terminated server whose volume passphrase strata keeps: forgotten now where its volumes are gone. */
  private async afterTerminate(serverId: string): Promise<void> {
    const kept = this.store.launches().keptPassphrases(this.storeId, this.region);
    if (!kept.some((k) => k.serverId === serverId)) return;
    await (await this.services()).launcher.sweepPassphrases();
  }

  /** Whether safe-workflow jobs of this region are unfinished (cheap: no launcher is loaded to ask). */
  hasUnfinishedJobs(): boolean {
    return this.store.jobs().unfinished(this.storeId, this.region).length > 0;
  }

  /** Whether the journal holds launches that never finished (cheap: no launcher is loaded to ask). */
  hasUnfinishedLaunches(): boolean {
    return this.store.journal(this.storeId, this.region).unfinished().length > 0;
  }

  get providerId(): string {
    return this.options.providerId;
  }

  /**
   * The provider as strata's store knows it: the provider's id, or "provider@account" for a source with an
   * account of its own (so two sandbox homes or two AWS profiles never share a journal, a job or a name).
   */
  get storeId(): string {
    return storeIdOf(this.options);
  }

  /** The source the session belongs to (by name), where strata was opened on sources. */
  get source(): string | undefined {
    return this.options.source;
  }

  /**
   * Where this session's host or account is reached, for a copy into another source of the same provider
   * (libvirt: its connection URI); undefined where the provider's region and account say it all.
   */
  get address(): string | undefined {
    return this.provider.address?.();
  }

  /** The store that holds what strata records (the copy jobs of services/copies.ts use it). */
  get records(): Store {
    return this.store;
  }

  get region(): string {
    return this.description.region;
  }

  static async open(options: SessionOptions, store: Store): Promise<Session> {
    const providerOptions: ProviderOptions = {
      home: options.providerHome ?? options.home,
      region: options.region,
      sandboxSpeed: options.sandboxSpeed,
      sandboxSeed: options.sandboxSeed,
      sandboxFaults: options.sandboxFaults,
      sandboxLatencyMs: options.sandboxLatencyMs,
      ...(options.sandboxDelayMs !== undefined ? { sandboxDelayMs: options.sandboxDelayMs } : {}),
      profile: options.profile,
      endpoint: options.endpoint,
      trustedOwnerIds: options.trustedOwnerIds,
      libvirtUri: options.libvirtUri,
      libvirt: options.libvirt ? { ...options.config?.libvirt, ...options.libvirt } : options.config?.libvirt,
      ...(options.libvirtCreateVendorPool ? { libvirtCreateVendorPool: true } : {}),
    };
    const opened = await createProvider(options.providerId, providerOptions);
    const provider = options.readOnly ? readOnlyProvider(opened, options.readOnlySource) : opened;
    try {
      const description = await provider.describe();
      // One policy for the session; each retry is told to whoever listens (onRetry).
      let session: Session | undefined;
      const retry: RetryPolicy = {
        ...DEFAULT_RETRY,
        ...options.retry,
        onRetry: (notice) => {
          options.retry?.onRetry?.(notice);
          for (const listener of session?.retryListeners ?? []) listener(notice);
        },
      };
      const catalogue = new Catalogue({
        provider,
        store,
        providerId: storeIdOf(options),
        region: description.region,
        description,
        retry,
      });
      session = new Session({ ...options, region: description.region }, provider, description, catalogue, store, retry);
      return session;
    } catch (error) {
      await opened.close().catch(() => undefined);
      throw error;
    }
  }

  /** Records what the user did in the audit log (never a secret: the log redacts what looks like one). */
  audit(action: string, target: string, detail?: Record<string, unknown>): void {
    this.store.audit.append({ provider: this.storeId, region: this.region, action, target, detail });
  }

  /** A new session on the same provider in another region (this one stays open until closed). */
  withRegion(region: string, store: Store): Promise<Session> {
    return Session.open({ ...this.options, region }, store);
  }

  withProvider(providerId: string, store: Store): Promise<Session> {
    // Another provider is not the source's: its account, home and sandbox options stay behind.
    const { source: _source, account: _account, providerHome: _home, sandboxDelayMs: _delay, readOnlySource: _ro, ...rest } = this.options;
    return Session.open({ ...rest, providerId, region: undefined }, store);
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}
