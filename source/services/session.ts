// A session: one provider in one region, with the catalogue over it. The UI and the subcommands open
// sessions through here and never import a provider themselves.
import type { ProviderDescription } from '../core/capabilities.js';
import { createProvider, PROVIDERS } from '../providers/registry.js';
import type { ProviderOptions, ProviderService } from '../providers/provider.js';
import { openSecretStore, type SecretStore } from '../secrets/keychain.js';
import type { Store } from '../store/db.js';
import { Billing } from './billing.js';
import { Catalogue } from './catalogue.js';
import { EMPTY_CONFIG, type StrataConfig } from './config.js';
import { Launcher } from './launcher.js';
import { Recipes } from './recipes.js';

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
}

export interface ProviderInfo {
  id: string;
  displayName: string;
  summary: string;
}

export function knownProviders(): ProviderInfo[] {
  return PROVIDERS.map(({ id, displayName, summary }) => ({ id, displayName, summary }));
}

/** The secret store is opened once per process, when a launch first needs it (the keychain probe is slow). */
let secretStore: Promise<SecretStore> | undefined;

export class Session {
  readonly launcher: Launcher;
  readonly billing: Billing;
  readonly recipes: Recipes;

  private constructor(
    readonly options: SessionOptions,
    readonly provider: ProviderService,
    readonly description: ProviderDescription,
    readonly catalogue: Catalogue,
    store: Store,
  ) {
    const config = options.config ?? EMPTY_CONFIG;
    const region = description.region;
    this.launcher = new Launcher({
      provider,
      description,
      store,
      secrets: () => (secretStore ??= openSecretStore({ dataDir: options.home })),
      providerId: options.providerId,
      region,
      config,
    });
    this.billing = new Billing({ provider, description, store, providerId: options.providerId, region, config });
    this.recipes = new Recipes(options.configDir ?? options.home);
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
