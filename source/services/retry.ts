// The one retry policy: what the provider may answer later (Throttled, Transient) is asked again after a
// doubling delay with jitter, so two strata sessions throttled at the same moment do not come back at the
// same moment either ("full jitter": each delay is drawn between half of the step and the whole of it).
// Every service uses it (catalogue, capture, launcher, jobs, billing, servers, images), and every retry is
// announced before its pause (onRetry: which attempt comes next, of how many, and in how long), so the UI
// can say "throttled; retrying in 2 s (attempt 2 of 4)" instead of a promise it cannot show being kept.
import { isRetryable, isStrataError, type ErrorKind } from '../core/errors.js';

/** What a retry is about to do: the data of "throttled; retrying in 2 s (attempt 2 of 4)". */
export interface RetryNotice {
  /** Why: the provider throttled, or did not answer (Transient). */
  kind: Extract<ErrorKind, 'Throttled' | 'Transient'>;
  /** The attempt about to be made (2 for the first retry). */
  attempt: number;
  /** Attempts in all. */
  attempts: number;
  /** How long until it is made. */
  delayMs: number;
  /** What is being retried, where the caller said ("listing firewalls"). */
  operation?: string;
  /** The provider's sentence for the refusal (already a sentence of strata's providers; sanitise to draw). */
  reason: string;
}

export interface RetryPolicy {
  /** How many attempts in all (default DEFAULT_RETRY.attempts). */
  attempts?: number;
  /** The first delay; it doubles after each attempt, up to maxDelayMs. */
  baseDelayMs?: number;
  /** The longest delay. */
  maxDelayMs?: number;
  /** Draw each delay at random within [step/2, step] (default true). */
  jitter?: boolean;
  /** The random source of the jitter, a float in [0, 1) (default Math.random; tests pass a seeded one). */
  random?: () => number;
  /** Told before every pause (in addition to the call's own onRetry). */
  onRetry?: (notice: RetryNotice) => void;
}

/**
 * The policy every service uses unless told otherwise: 10 attempts, 200 ms doubling to at most 5 s, with
 * jitter. At most about 26 s of waiting in all; under a provider that refuses two calls in three, a call
 * still fails only about once in 60.
 */
export const DEFAULT_RETRY: Readonly<Required<Pick<RetryPolicy, 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'jitter'>>> = {
  attempts: 10,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  jitter: true,
};

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

/** The attempts a policy makes in all. */
export function attemptsOf(policy: RetryPolicy = {}): number {
  return Math.max(1, Math.floor(policy.attempts ?? DEFAULT_RETRY.attempts));
}

/**
 * The pause after the `failures`-th failure in a row (1 for the first): the base doubled per failure, at
 * most the maximum, then drawn within [half, whole] where the policy jitters. Also for loops that poll
 * (jobs, capture) rather than retry one call.
 */
export function backoffDelay(failures: number, policy: RetryPolicy = {}): number {
  const base = Math.max(0, policy.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs);
  const max = Math.max(base, policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs);
  const step = Math.min(max, base * 2 ** Math.max(0, Math.min(30, failures - 1)));
  if (policy.jitter === false || step === 0) return step;
  const random = policy.random ?? Math.random;
  return Math.round(step / 2 + random() * (step / 2));
}

/** A pause drawn within [half, whole] where the policy jitters (for loops that back off on their own). */
export function jittered(ms: number, policy: RetryPolicy = {}): number {
  if (policy.jitter === false || ms <= 0) return ms;
  return Math.round(ms / 2 + (policy.random ?? Math.random)() * (ms / 2));
}

export interface RetryOptions {
  signal?: AbortSignal;
  /** Told before every pause. */
  onRetry?: (notice: RetryNotice) => void;
  /** What is being retried, for the notice. */
  operation?: string;
}

/** Calls until it succeeds, or fails with an error that is not retryable, or the attempts are used up. */
export async function withRetry<T>(call: () => Promise<T>, policy: RetryPolicy = {}, options: RetryOptions = {}): Promise<T> {
  const attempts = attemptsOf(policy);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, policy);
      const notice: RetryNotice = {
        kind: isStrataError(error) && error.kind === 'Throttled' ? 'Throttled' : 'Transient',
        attempt: attempt + 1,
        attempts,
        delayMs,
        reason: error instanceof Error ? error.message : String(error),
        ...(options.operation !== undefined ? { operation: options.operation } : {}),
      };
      policy.onRetry?.(notice);
      options.onRetry?.(notice);
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/** A policy with the listeners of both (the session's and a call's own), the other fields from `over`. */
export function mergePolicy(base: RetryPolicy | undefined, over: RetryPolicy | undefined): RetryPolicy {
  const listeners = [base?.onRetry, over?.onRetry].filter((l): l is (n: RetryNotice) => void => typeof l === 'function');
  return {
    ...base,
    ...over,
    ...(listeners.length > 0 ? { onRetry: (n: RetryNotice) => listeners.forEach((l) => l(n)) } : {}),
  };
}
