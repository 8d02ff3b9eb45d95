// The services a launch needs (launcher, billing, recipes), built together and loaded only when first
// needed: they bring zod, yaml and the keychain helper, which have no place on the path to the first frame.
import type { ProviderDescription } from '../core/capabilities.js';
import type { ProviderService } from '../providers/provider.js';
import { openSecretStore, type SecretStore } from '../secrets/keychain.js';
import type { Store } from '../store/db.js';
import { Billing, money, type QuotaFigures } from './billing.js';
import { EMPTY_CONFIG, type StrataConfig } from './config.js';
import { Launcher } from './launcher.js';
import { Recipes } from './recipes.js';
import type { Capturer } from './capture.js';
import type { Catalogue } from './catalogue.js';
import { jobsFor, type Jobs } from './jobs.js';
import type { RetryPolicy } from './retry.js';

export interface LaunchServices {
  launcher: Launcher;
  billing: Billing;
  recipes: Recipes;
  /** The seed's safe workflow as resumable jobs. */
  jobs: Jobs;
  /** A billing code's quota in a sentence, with the figures. */
  describeQuota(q: QuotaFigures): string;
}

function describeQuota(q: QuotaFigures): string {
  const parts = [
    q.servers ? `servers ${q.servers.current} running + ${q.servers.adding} = ${q.servers.current + q.servers.adding} of ${q.servers.max}` : '',
    q.monthlyCost
      ? `monthly ${money(q.monthlyCost.current, q.monthlyCost.currency)} + ${money(q.monthlyCost.adding, q.monthlyCost.currency)} of ${money(q.monthlyCost.max, q.monthlyCost.currency)}`
      : '',
  ].filter(Boolean);
  return `Billing code ${q.code} quota: ${parts.join('; ')}`;
}

export interface LaunchServicesDeps {
  provider: ProviderService;
  description: ProviderDescription;
  store: Store;
  providerId: string;
  region: string;
  home: string;
  configDir: string;
  config?: StrataConfig;
  catalogue: Catalogue;
  capturer: Capturer;
  /** The session's retry policy. */
  retry?: RetryPolicy;
  /** A read-only session: every change is refused (ReadOnlySession); jobs and launches are listed, never resumed. */
  readOnly?: boolean;
}

/** The secret store is opened once per process, when a launch first needs it (the keychain probe is slow). */
let secretStore: Promise<SecretStore> | undefined;

export function createLaunchServices(deps: LaunchServicesDeps): LaunchServices {
  const config = deps.config ?? EMPTY_CONFIG;
  const { provider, description, store, providerId, region } = deps;
  const retry = deps.retry ? { retry: deps.retry } : {};
  const readOnly = deps.readOnly ? { readOnly: true } : {};
  const launcher = new Launcher({
    provider,
    description,
    store,
    secrets: () =>
      (secretStore ??= openSecretStore({ dataDir: deps.home }).catch((error: unknown) => {
        secretStore = undefined; // the next launch asks again
        throw error;
      })),
    providerId,
    region,
    config,
    ...retry,
    ...readOnly,
  });
  return {
    launcher,
    billing: new Billing({ provider, description, store, providerId, region, config, ...retry }),
    recipes: new Recipes(deps.configDir),
    jobs: jobsFor({ provider, description, catalogue: deps.catalogue, capturer: deps.capturer, providerId, region }, launcher, store, { ...retry, ...readOnly }),
    describeQuota,
  };
}
