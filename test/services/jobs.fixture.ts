// Shared set-up of the capture and jobs tests: a strata home in a temp directory with the REAL sandbox
// provider (its clock at a high speed, so a server is ready in well under a second and an image is
// available in milliseconds), the real store, the real file secret store, the real catalogue, launcher,
// capturer and jobs. No stand-in for any of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, expect } from 'vitest';
import type { Image, Phase, Server } from '../../source/core/types.js';
import type { ProviderService } from '../../source/providers/provider.js';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { newClientToken, type LaunchRequest } from '../../source/services/launcher.js';
import { openStore, type Store } from '../../source/store/db.js';
import { SEED, SPEED, servicesFor, type OpenOptions, type World } from './jobs.world.js';

export { POLL_MS, SEED, SPEED, servicesFor } from './jobs.world.js';
export type { OpenOptions, World } from './jobs.world.js';

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
  const home = mkdtempSync(join(tmpdir(), 'strata-jobs-'));
  homes.push(home);
  return home;
}

/** A strata session on a home: the sandbox in a region, the store, the services. */
export async function openWorld(options: OpenOptions = {}): Promise<World> {
  const home = options.home ?? newHome();
  const region = options.region ?? 'eu-west';
  const provider = await SandboxProvider.open({
    home,
    region,
    sandboxSeed: SEED,
    sandboxSpeed: SPEED,
    ...(options.sandboxFaults ? { sandboxFaults: options.sandboxFaults } : {}),
  });
  const store = openStore(home);
  opened.push({ provider, store });
  return servicesFor(home, provider, store, options);
}

/** Retries a read while the sandbox throttles (fault injection), so assertions see the real answer. */
export async function patiently<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt > 200 || !(error instanceof Error) || !/throttl|did not answer/i.test(error.message)) throw error;
    }
  }
}

/** A live vendor template of the region (x86_64 Linux, available, not deprecated). */
export async function vendorTemplate(world: World): Promise<Image> {
  const images = (await patiently(() => world.provider.listImages({ scope: 'vendor', pageSize: 500 }))).items;
  const template = images.find((i) => i.kind === 'vendor' && i.state === 'available' && i.architecture === 'x86_64' && i.platform === 'linux');
  expect(template, 'the sandbox has a live vendor template').toBeDefined();
  return template!;
}

/** A launchable own image of the region (x86_64, available, a printable name). */
export async function ownImage(world: World): Promise<Image> {
  const images = (await patiently(() => world.provider.listImages({ scope: 'own', pageSize: 500 }))).items;
  const image = images.find((i) => i.owned && i.state === 'available' && i.architecture === 'x86_64' && /^[\x20-\x7e]+$/.test(i.name));
  expect(image, 'the sandbox has a launchable own image').toBeDefined();
  return image!;
}

/** The builder's launch request for a region (the form's request). */
export function builderRequest(world: World, imageId: string, extra: Partial<LaunchRequest> = {}): LaunchRequest {
  const plain = world.description.capabilities.images.tags === false;
  return {
    name: 'builder',
    imageId,
    productId: plain ? 'p-1' : 'sb.small',
    count: 1,
    firewallIds: [],
    keypair: { mode: 'none' },
    ...extra,
  };
}

/** Polls the server until it is in one of the phases, with a real-time deadline (never a blind sleep). */
export async function waitForPhase(world: World, serverId: string, phases: Phase[], deadlineMs = 20_000): Promise<Server> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const server = (await patiently(() => world.provider.listServers([serverId])))[0];
    if (server && phases.includes(server.phase)) return server;
    if (Date.now() > until) throw new Error(`server ${serverId} is ${server?.phase ?? 'gone'}, not ${phases.join('/')}, after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A running (ready) server launched from an own image, for capture tests. */
export async function readyServer(world: World, name = 'web'): Promise<Server> {
  const image = await ownImage(world);
  const outcome = await world.launcher.launch(builderRequest(world, image.id, { name }), { clientToken: newClientToken() });
  return waitForPhase(world, outcome.servers[0]!.id, ['ready']);
}

/** Every own image of the region (all pages). */
export async function ownImages(world: World): Promise<Image[]> {
  return (await patiently(() => world.provider.listImages({ scope: 'own', pageSize: 5000 }))).items;
}

/** Records which provider methods were called (and still calls the real provider). */
export function countingProvider(real: ProviderService): { provider: ProviderService; calls: string[] } {
  const calls: string[] = [];
  const provider = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { provider, calls };
}

/** Every server the sandbox ever started in a region, read straight from its database (terminated ones too). */
export function sandboxServerRows(home: string, region: string): { id: string; client_token: string; terminated_ms: number | null }[] {
  const db = new DatabaseSync(join(home, 'sandbox.db'), { readOnly: true });
  try {
    return db.prepare('SELECT id, client_token, terminated_ms FROM servers WHERE region = ? ORDER BY launched_ms').all(region) as unknown as {
      id: string;
      client_token: string;
      terminated_ms: number | null;
    }[];
  } finally {
    db.close();
  }
}
