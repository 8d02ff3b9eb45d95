// Retrying what the provider may answer later: Throttled and Transient errors, with a doubling delay.
// One helper for every service (catalogue, capture, launcher, jobs), so they all back off alike.
import { isRetryable } from '../core/errors.js';

export interface RetryPolicy {
  /** How many attempts in all (default 8). */
  attempts?: number;
  /** The first delay; it doubles after each attempt, up to maxDelayMs (default 250). */
  baseDelayMs?: number;
  /** The longest delay (default 5000). */
  maxDelayMs?: number;
}

/** Waits ms (real time); resolves early, without throwing, when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Calls until it succeeds, or fails with an error that is not retryable, or the attempts are used up. */
export async function withRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy = {},
  options: { signal?: AbortSignal; onRetry?: (attempt: number) => void } = {},
): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 8);
  const base = Math.max(0, policy.baseDelayMs ?? 250);
  const max = policy.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error) || options.signal?.aborted) throw error;
      options.onRetry?.(attempt + 1);
      await sleep(Math.min(max, base * 2 ** (attempt - 1)), options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
