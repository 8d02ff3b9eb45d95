// A sandbox server's life, as a pure function of simulated time since its launch: it moves through
// requested → pending → booting → running → initializing → ready on a per-server schedule drawn from the
// seed and its id (ready typically after 5–15 simulated minutes, now and then later than the expected 20).
// Fault injection decided its fate at launch: 'fail' fails when booting ends, 'stall' never leaves
// initializing and is reported stalled once past the expected time.
import type { Phase } from '../../core/types.js';
import { rngFor } from '../../core/random.js';

export type Fate = 'ok' | 'fail' | 'stall';

const SECOND = 1000;

/** When each phase begins, in ms after launch. */
export interface Timeline {
  pending: number;
  booting: number;
  running: number;
  initializing: number;
  ready: number;
}

export function timelineFor(seed: number, serverId: string): Timeline {
  const rng = rngFor(seed, 'server-timeline', serverId);
  const pending = rng.int(1, 4) * SECOND;
  const booting = pending + rng.int(15, 60) * SECOND;
  const running = booting + rng.int(30, 120) * SECOND;
  const initializing = running + rng.int(10, 40) * SECOND;
  // Most servers finish cloud-init in 4–11 minutes; about one in fifteen takes 16–26 minutes.
  const slow = rng.chance(1 / 15);
  const ready = initializing + (slow ? rng.int(16 * 60, 26 * 60) : rng.int(4 * 60, 11 * 60)) * SECOND;
  return { pending, booting, running, initializing, ready };
}

export const FAILURE_REASONS = [
  'The server failed its system status check: the kernel could not mount the root filesystem (kernel panic).',
  'The server failed its instance status check: the guest did not answer on the network after booting.',
  'The host running the server failed; the server was stopped by the provider.',
  'The server ran out of memory while booting (the kernel OOM killer stopped systemd).',
];

export function failureReasonFor(seed: number, serverId: string): string {
  return rngFor(seed, 'failure-reason', serverId).pick(FAILURE_REASONS);
}

export interface PhaseState {
  phase: Phase;
  /** Simulated ms since 1970 when the phase was entered. */
  since: number;
  failureReason?: string;
}

export interface ServerLife {
  id: string;
  launchedMs: number;
  terminatedMs?: number | null;
  fate: Fate;
}

export function phaseAt(seed: number, server: ServerLife, now: number, expectedReadyMs: number): PhaseState {
  const t = timelineFor(seed, server.id);
  const at = (offset: number) => server.launchedMs + offset;
  if (server.terminatedMs != null && server.terminatedMs <= now) return { phase: 'terminated', since: server.terminatedMs };
  const elapsed = now - server.launchedMs;
  if (elapsed < t.pending) return { phase: 'requested', since: server.launchedMs };
  if (elapsed < t.booting) return { phase: 'pending', since: at(t.pending) };
  if (elapsed < t.running) return { phase: 'booting', since: at(t.booting) };
  if (server.fate === 'fail') return { phase: 'failed', since: at(t.running), failureReason: failureReasonFor(seed, server.id) };
  if (elapsed < t.initializing) return { phase: 'running', since: at(t.running) };
  if (server.fate === 'stall') {
    const stalledAt = Math.max(t.initializing, expectedReadyMs);
    return elapsed < stalledAt ? { phase: 'initializing', since: at(t.initializing) } : { phase: 'stalled', since: at(stalledAt) };
  }
  if (elapsed < t.ready) return { phase: 'initializing', since: at(t.initializing) };
  return { phase: 'ready', since: at(t.ready) };
}

/** Phases in which the server is up (an image can be captured; it has a public address). */
export function isUp(phase: Phase): boolean {
  return phase === 'running' || phase === 'initializing' || phase === 'ready' || phase === 'stalled';
}
