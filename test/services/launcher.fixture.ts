// Shared set-up of the launcher tests: a strata home in a temp directory with the REAL sandbox provider,
// the real store and the real secret store (its file fallback, as on a host without a keychain). No
// stand-in for any of them.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, expect } from 'vitest';
import type { ProviderDescription } from '../../source/core/capabilities.js';
import type { Image } from '../../source/core/types.js';
import type { ProviderService } from '../../source/providers/provider.js';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import { openSecretStore, SECRETS_FILE_NAME } from '../../source/secrets/keychain.js';
import type { StrataConfig } from '../../source/services/config.js';
import { Launcher, type LaunchRequest } from '../../source/services/launcher.js';
import { openStore, type Store } from '../../source/store/db.js';

export const SEED = 7;

export interface World {
  home: string;
  sshDir: string;
  provider: ProviderService;
  store: Store;
  description: ProviderDescription;
  launcher: Launcher;
  /** A launchable own image of the region (x86_64, available, a clean name). */
  image: Image;
}

const homes: string[] = [];
const opened: { provider: ProviderService; store: Store }[] = [];

afterEach(async () => {
  for (const o of opened.splice(0)) {
    o.store.close();
    await o.provider.close();
  }
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

export function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'strata-launcher-'));
  homes.push(home);
  return home;
}

export interface OpenOptions {
  region?: string;
  home?: string;
  sandboxFaults?: string;
  config?: StrataConfig;
  env?: Record<string, string | undefined>;
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** A strata session on a home: the sandbox in a region, the store, the file secret store, a temp ~/.ssh. */
export async function openWorld(options: OpenOptions = {}): Promise<World> {
  const home = options.home ?? newHome();
  const region = options.region ?? 'eu-west';
  const provider = await createSandboxProvider({ home, region, sandboxSeed: SEED, sandboxFaults: options.sandboxFaults });
  const store = openStore(home);
  opened.push({ provider, store });
  const description = await provider.describe();
  const sshDir = join(home, 'ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  const launcher = new Launcher({
    provider,
    description,
    store,
    secrets: () => openSecretStore({ dataDir: home, prefer: 'file', env: {} }),
    providerId: 'sandbox',
    region: description.region,
    env: options.env ?? {},
    sshDir,
    ...(options.config ? { config: options.config } : {}),
    retry: options.retry ?? { attempts: 40, baseDelayMs: 1 },
  });
  const image = await launchableImage(provider);
  return { home, sshDir, provider, store, description, launcher, image };
}

export async function launchableImage(provider: ProviderService): Promise<Image> {
  for (let attempt = 0; ; attempt++) {
    try {
      const images = (await provider.listImages({ scope: 'own', pageSize: 500 })).items;
      const image = images.find(
        (i) => i.owned && i.state === 'available' && i.architecture === 'x86_64' && /^[\x20-\x7e]+$/.test(i.name),
      );
      expect(image, 'the sandbox has a launchable own image').toBeDefined();
      return image!;
    } catch (error) {
      if (attempt > 40 || !(error instanceof Error) || !/throttl|did not answer/i.test(error.message)) throw error;
    }
  }
}

/** A plain request for a region: one small server, nothing else. */
export function basicRequest(world: World, extra: Partial<LaunchRequest> = {}): LaunchRequest {
  const plain = world.description.capabilities.images.tags === false;
  return {
    name: plain ? 'app' : 'app',
    imageId: world.image.id,
    productId: plain ? 'p-1' : 'sb.small',
    count: 1,
    firewallIds: [],
    keypair: { mode: 'none' },
    ...extra,
  };
}

/**
 * The servers the sandbox holds for a launch's token, read straight from its database (whatever any process
 * did): those of the token itself, and those of its per-server requests (`${token}-1` …), in that order.
 */
export function sandboxServers(home: string, token: string): { id: string; name: string; client_token: string; user_data: string | null }[] {
  const db = new DatabaseSync(join(home, 'sandbox.db'), { readOnly: true });
  try {
    return (
      db
        .prepare("SELECT id, name, client_token, user_data FROM servers WHERE client_token = ? OR client_token GLOB ? || '-[0-9]*'")
        .all(token, token) as unknown as { id: string; name: string; client_token: string; user_data: string | null }[]
    ).sort((a, b) => requestIndex(token, a.client_token) - requestIndex(token, b.client_token));
  } finally {
    db.close();
  }
}

function requestIndex(launch: string, token: string): number {
  return token === launch ? 0 : Number(token.slice(launch.length + 1));
}

/** The firewalls of a region, read straight from the sandbox's database. */
export function sandboxFirewalls(home: string, region: string): { id: string; name: string; description: string | null }[] {
  const db = new DatabaseSync(join(home, 'sandbox.db'), { readOnly: true });
  try {
    return db.prepare('SELECT id, name, description FROM firewalls WHERE region = ? ORDER BY name').all(region) as unknown as {
      id: string;
      name: string;
      description: string | null;
    }[];
  } finally {
    db.close();
  }
}

/** The secrets file's entries (the file fallback of the secret store). */
export function secretsFile(home: string): Record<string, string> {
  const doc = JSON.parse(readFileSync(join(home, SECRETS_FILE_NAME), 'utf8')) as { entries: Record<string, Record<string, string>> };
  return doc.entries.strata ?? {};
}

/** Every byte strata's own store holds on disk (the database and its WAL), as text. */
export function storeBytes(home: string): string {
  return readdirSync(home)
    .filter((f) => f.startsWith('strata.db'))
    .map((f) => readFileSync(join(home, f)).toString('latin1'))
    .join('\n');
}
