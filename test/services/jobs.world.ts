// The services of a strata session over the REAL sandbox and store, for the capture and jobs tests and
// for the child process of the crash tests (so no vitest import here).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderDescription } from '../../source/core/capabilities.js';
import type { ProviderService } from '../../source/providers/provider.js';
import type { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { openSecretStore } from '../../source/secrets/keychain.js';
import { Capturer } from '../../source/services/capture.js';
import { Catalogue } from '../../source/services/catalogue.js';
import { Jobs, type JobsDeps } from '../../source/services/jobs.js';
import { Launcher } from '../../source/services/launcher.js';
import type { Store } from '../../source/store/db.js';

export const SEED = 7;
/** Simulated seconds per real second: a server is ready in about 0.1–0.3 s, an image in about 15 ms. */
export const SPEED = 5000;
/** Real ms between the jobs' polls. */
export const POLL_MS = 10;

export interface World {
  home: string;
  region: string;
  provider: SandboxProvider;
  store: Store;
  description: ProviderDescription;
  catalogue: Catalogue;
  launcher: Launcher;
  capturer: Capturer;
  jobs: Jobs;
}

export interface OpenOptions {
  region?: string;
  home?: string;
  sandboxFaults?: string;
  /** Wrap the provider (e.g. to count calls) before the services see it. */
  wrap?: (provider: ProviderService) => ProviderService;
  jobs?: Partial<Pick<JobsDeps, 'readyLimitMs' | 'leaseMs' | 'pollMs'>>;
}

export async function servicesFor(home: string, real: SandboxProvider, store: Store, options: OpenOptions = {}): Promise<World> {
  const provider = options.wrap ? options.wrap(real) : real;
  const description = await provider.describe();
  const region = description.region;
  const sshDir = join(home, 'ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  const retry = { attempts: 40, baseDelayMs: 1 };
  const catalogue = new Catalogue({ provider, store, providerId: 'sandbox', region, description, retry });
  const launcher = new Launcher({
    provider,
    description,
    store,
    secrets: () => openSecretStore({ dataDir: home, prefer: 'file', env: {} }),
    providerId: 'sandbox',
    region,
    env: {},
    sshDir,
    retry,
  });
  const capturer = new Capturer({ provider, description, catalogue, store, providerId: 'sandbox', region, retry });
  const jobs = new Jobs({
    provider,
    description,
    launcher,
    catalogue,
    capturer,
    store,
    providerId: 'sandbox',
    region,
    pollMs: POLL_MS,
    maxBackoffMs: 50,
    retry,
    ...options.jobs,
  });
  return { home, region, provider: real, store, description, catalogue, launcher, capturer, jobs };
}

