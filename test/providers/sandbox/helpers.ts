// Helpers for the sandbox's own tests: temporary homes that are removed afterwards, providers that are
// closed afterwards, and a hand-driven real clock for tests about time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ProviderOptions } from '../../../source/providers/provider.js';
import { SandboxProvider, type SandboxInternals } from '../../../source/providers/sandbox/index.js';

/** A real clock that only moves when the test moves it. */
export class ManualRealClock {
  constructor(public ms = Date.UTC(2026, 5, 1, 12, 0, 0)) {}
  readonly now = (): number => this.ms;
  tick(ms: number): void {
    this.ms += ms;
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Per test: fresh homes and providers, all cleaned up after the test. */
export function useSandbox() {
  const homes: string[] = [];
  const providers: SandboxProvider[] = [];
  afterEach(async () => {
    for (const p of providers.splice(0)) await p.close();
    for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  });
  const home = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-sandbox-'));
    homes.push(dir);
    return dir;
  };
  const open = async (options: Partial<ProviderOptions> & { home?: string } = {}, internals?: SandboxInternals) => {
    // A fresh home gets seed 5 unless told otherwise; an existing one keeps the seed it was created with.
    const fresh = options.home === undefined;
    const provider = await SandboxProvider.open({ ...(fresh ? { sandboxSeed: 5 } : {}), ...options, home: options.home ?? home() }, internals);
    providers.push(provider);
    return provider;
  };
  return { home, open };
}

export async function ownAvailable(provider: SandboxProvider, arch: 'x86_64' | 'arm64' = 'x86_64') {
  const { items } = await provider.listImages({ scope: 'own', pageSize: 5000 });
  const image = items.find((i) => i.state === 'available' && i.architecture === arch && i.platform !== 'windows');
  if (!image) throw new Error('no available own image');
  return image;
}
