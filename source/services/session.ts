// A session: one provider in one region, with the catalogue over it. The UI and the subcommands open
// sessions through here and never import a provider themselves.
import type { ProviderDescription } from '../core/capabilities.js';
import { createProvider, PROVIDERS } from '../providers/registry.js';
import type { ProviderOptions, ProviderService } from '../providers/provider.js';
import type { Store } from '../store/db.js';
import { capturerFor, type Capturer } from './capture.js';
import { Catalogue } from './catalogue.js';
import type { StrataConfig } from './config.js';
import type { LaunchServices } from './launching.js';
import { Listings } from './listing.js';

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
}

export interface ProviderInfo {
  id: string;
  displayName: string;
  summary: string;
}

export function knownProviders(): ProviderInfo[] {
  return PROVIDERS.map(({ id, displayName, summary }) => ({ id, displayName, summary }));
}

export class Session {
  private readonly store: Store;
  private launching?: Promise<LaunchServices>;
  /** Captures images from servers (with their label and lineage). */
  readonly capturer: Capturer;
  /** Stored copies of large listings (the public catalogue), read by position. */
  readonly listings: Listings;

  private constructor(
    readonly options: SessionOptions,
    readonly provider: ProviderService,
    readonly description: ProviderDescription,
    readonly catalogue: Catalogue,
    store: Store,
  ) {
    this.store = store;
    this.capturer = capturerFor({ provider, description, catalogue, providerId: options.providerId, region: description.region }, store);
    this.listings = new Listings({ store, catalogue, providerId: options.providerId, region: description.region });
  }

  /** The launcher, billing and recipes: loaded on first use (the launch form, an interrupted launch). */
  services(): Promise<LaunchServices> {
    return (this.launching ??= import('./launching.js').then((m) =>
      m.createLaunchServices({
        provider: this.provider,
        description: this.description,
        store: this.store,
        providerId: this.providerId,
        region: this.region,
        home: this.options.home,
        configDir: this.options.configDir ?? this.options.home,
        config: this.options.config,
        catalogue: this.catalogue,
        capturer: this.capturer,
      }),
    ));
  }

  /** Whether safe-workflow jobs of this region are unfinished (cheap: no launcher is loaded to ask). */
  hasUnfinishedJobs(): boolean {
    return this.store.jobs().unfinished(this.providerId, this.region).length > 0;
  }

  /** Whether the journal holds launches that never finished (cheap: no launcher is loaded to ask). */
  hasUnfinishedLaunches(): boolean {
    return this.store.journal(this.providerId, this.region).unfinished().length > 0;
  }

  get providerId(): string {
    return this.options.providerId;
  }

  get region(): string {
    return this.description.region;
  }

  static async open(options: SessionOptions, store: Store): Promise<Session> {
    const providerOptions: ProviderOptions = {
      home: options.home,
      region: options.region,
      sandboxSpeed: options.sandboxSpeed,
      sandboxSeed: options.sandboxSeed,
      sandboxFaults: options.sandboxFaults,
      sandboxLatencyMs: options.sandboxLatencyMs,
      profile: options.profile,
      endpoint: options.endpoint,
      trustedOwnerIds: options.trustedOwnerIds,
      libvirtUri: options.libvirtUri,
      libvirt: options.config?.libvirt,
    };
    const provider = await createProvider(options.providerId, providerOptions);
    try {
      const description = await provider.describe();
      const catalogue = new Catalogue({
        provider,
        store,
        providerId: options.providerId,
        region: description.region,
        description,
      });
      return new Session({ ...options, region: description.region }, provider, description, catalogue, store);
    } catch (error) {
      await provider.close().catch(() => undefined);
      throw error;
    }
  }

  /** Records what the user did in the audit log (never a secret: the log redacts what looks like one). */
  audit(action: string, target: string, detail?: Record<string, unknown>): void {
    this.store.audit.append({ provider: this.providerId, region: this.region, action, target, detail });
  }

  /** A new session on the same provider in another region (this one stays open until closed). */
  withRegion(region: string, store: Store): Promise<Session> {
    return Session.open({ ...this.options, region }, store);
  }

  withProvider(providerId: string, store: Store): Promise<Session> {
    return Session.open({ ...this.options, providerId, region: undefined }, store);
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}
