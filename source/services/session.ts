// A session: one provider in one region, with the catalogue over it. The UI and the subcommands open
// sessions through here and never import a provider themselves.
import type { ProviderDescription } from '../core/capabilities.js';
import { createProvider, PROVIDERS } from '../providers/registry.js';
import type { ProviderOptions, ProviderService } from '../providers/provider.js';
import type { Store } from '../store/db.js';
import { Catalogue } from './catalogue.js';

export interface SessionOptions {
  providerId: string;
  region?: string;
  home: string;
  sandboxSpeed?: number;
  sandboxSeed?: number;
  sandboxFaults?: string;
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

export class Session {
  private constructor(
    readonly options: SessionOptions,
    readonly provider: ProviderService,
    readonly description: ProviderDescription,
    readonly catalogue: Catalogue,
  ) {}

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
      return new Session({ ...options, region: description.region }, provider, description, catalogue);
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
