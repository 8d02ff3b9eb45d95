// The one retry policy: whatever says it will retry, retries, says when, and two sessions do not retry in
// step. And the launch form's options, which the UI read straight from the provider (no retry: under
// throttle=0.5,timeout=0.3 the form failed to load 46 times in 47), load through the launcher's service
// method in a seeded fault run with bounded attempts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { createRng } from '../../source/core/random.js';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { openSecretStore } from '../../source/secrets/keychain.js';
import { Launcher } from '../../source/services/launcher.js';
import { backoffDelay, DEFAULT_RETRY, withRetry, type RetryNotice } from '../../source/services/retry.js';
import { Session } from '../../source/services/session.js';
import { openStore } from '../../source/store/db.js';
import { newHome, SEED } from './launcher.fixture.js';

const seeded = (seed: number) => {
  const rng = createRng(seed);
  return () => rng.next();
};

describe('withRetry', () => {
  it('retries what the provider may answer later, and says before each pause which attempt comes, of how many, and when', async () => {
    let calls = 0;
    const notices: RetryNotice[] = [];
    const value = await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new StrataError('Throttled', 'Rate exceeded.');
        if (calls === 2) throw new StrataError('Transient', 'No answer in time.');
        return 'ok';
      },
      { attempts: 4, baseDelayMs: 8, random: seeded(1) },
      { onRetry: (n) => notices.push(n), operation: 'listing firewalls' },
    );
    expect(value).toBe('ok');
    expect(notices.map(({ kind, attempt, attempts, operation, reason }) => ({ kind, attempt, attempts, operation, reason }))).toEqual([
      { kind: 'Throttled', attempt: 2, attempts: 4, operation: 'listing firewalls', reason: 'Rate exceeded.' },
      { kind: 'Transient', attempt: 3, attempts: 4, operation: 'listing firewalls', reason: 'No answer in time.' },
    ]);
    // full jitter: within [half the step, the step], the step doubling
    expect(notices[0]!.delayMs).toBeGreaterThanOrEqual(4);
    expect(notices[0]!.delayMs).toBeLessThanOrEqual(8);
    expect(notices[1]!.delayMs).toBeGreaterThanOrEqual(8);
    expect(notices[1]!.delayMs).toBeLessThanOrEqual(16);
  });

  it('stops at the bound, and never retries what will not change (a refusal)', async () => {
    let calls = 0;
    const throttled = withRetry(
      async () => {
        calls++;
        throw new StrataError('Throttled', 'Rate exceeded.');
      },
      { attempts: 3, baseDelayMs: 1 },
    );
    await expect(throttled).rejects.toMatchObject({ kind: 'Throttled' });
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new StrataError('Invalid', 'No.');
        },
        { attempts: 3, baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ kind: 'Invalid' });
    expect(calls).toBe(1);
  });

  it('jitters: two sessions throttled at the same moment do not come back at the same moment', () => {
    const a = seeded(11);
    const b = seeded(12);
    const first = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, { ...DEFAULT_RETRY, random: a }));
    const second = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, { ...DEFAULT_RETRY, random: b }));
    expect(first).not.toEqual(second);
    // the steps: 200 ms doubling, at most 5 s; each drawn in [step/2, step]
    [200, 400, 800, 1600, 3200].forEach((step, i) => {
      expect(first[i]).toBeGreaterThanOrEqual(step / 2);
      expect(first[i]).toBeLessThanOrEqual(step);
    });
    expect(backoffDelay(20, { ...DEFAULT_RETRY, jitter: false })).toBe(5000);
  });
});

describe('the launch form’s options under throttle=0.5,timeout=0.3 (a seeded fault run)', () => {
  const FAULTS = 'throttle=0.5,timeout=0.3';

  async function faulty(home: string, faultSeed: number): Promise<SandboxProvider> {
    return SandboxProvider.open({ home, region: 'eu-west', sandboxSeed: SEED, sandboxFaults: FAULTS }, { faultSeed });
  }

  it('read straight from the provider, as the UI did, the form does not load', async () => {
    const home = newHome();
    const provider = await faulty(home, 3);
    try {
      const direct = Promise.all([provider.listProducts(), provider.listFirewalls(), provider.listKeypairs()]);
      await expect(direct).rejects.toBeInstanceOf(StrataError);
    } finally {
      await provider.close();
    }
  });

  it('through the launcher, each list retried with the one policy (bounded), the form loads and every retry is told', async () => {
    const home = newHome();
    const provider = await faulty(home, 3);
    const store = openStore(home);
    try {
      const description = await provider.describe();
      mkdirSync(join(home, 'ssh'), { recursive: true, mode: 0o700 });
      const notices: RetryNotice[] = [];
      const launcher = new Launcher({
        provider,
        description,
        store,
        secrets: () => openSecretStore({ dataDir: home, prefer: 'file', env: {} }),
        providerId: 'sandbox',
        region: 'eu-west',
        env: {},
        sshDir: join(home, 'ssh'),
        // The session's policy (10 attempts, jitter), with pauses of a few milliseconds for the test.
        retry: { ...DEFAULT_RETRY, baseDelayMs: 2, maxDelayMs: 8, random: seeded(5) },
      });
      const options = await launcher.formOptions({ onRetry: (n) => notices.push(n) });
      expect(options.products.map((p) => p.id)).toContain('sb.small');
      expect(options.firewalls.map((f) => f.name)).toContain('default');
      expect(options.keypairs.length).toBeGreaterThan(0);
      expect(options.keyDirectory).toBe(join(home, 'ssh'));
      // it did retry, within the bound, and said when each time
      expect(notices.length).toBeGreaterThan(0);
      for (const n of notices) {
        expect(n.attempt).toBeGreaterThanOrEqual(2);
        expect(n.attempt).toBeLessThanOrEqual(DEFAULT_RETRY.attempts);
        expect(n.attempts).toBe(DEFAULT_RETRY.attempts);
        expect(['Throttled', 'Transient']).toContain(n.kind);
        expect(n.delayMs).toBeGreaterThanOrEqual(1);
        expect(n.delayMs).toBeLessThanOrEqual(8);
        expect(['listing sizes', 'listing firewalls', 'listing keypairs', 'listing servers']).toContain(n.operation);
      }
      expect(new Set(notices.map((n) => n.operation)).size).toBeGreaterThan(1);
    } finally {
      store.close();
      await provider.close();
    }
  });

  it('a session reports every retry of its services to whoever listens (the UI’s status line)', async () => {
    const home = newHome();
    const store = openStore(home);
    const session = await Session.open(
      { providerId: 'sandbox', region: 'eu-west', home, sandboxSeed: SEED, sandboxFaults: FAULTS, retry: { baseDelayMs: 1, maxDelayMs: 4 } },
      store,
    );
    try {
      const heard: RetryNotice[] = [];
      const stop = session.onRetry((n) => heard.push(n));
      const services = await session.services();
      // 40 rounds: the chance that no call of them is throttled is 0.65^-120, never.
      for (let i = 0; i < 40 && heard.length === 0; i++) await services.launcher.formOptions().catch(() => undefined);
      expect(heard.length).toBeGreaterThan(0);
      expect(heard[0]).toMatchObject({ attempts: DEFAULT_RETRY.attempts });
      stop();
      const count = heard.length;
      await services.launcher.formOptions().catch(() => undefined);
      expect(heard.length).toBe(count);
    } finally {
      await session.close();
      store.close();
    }
  });
});
