// Readiness (DESIGN.md "Readiness"): the phase machine every provider maps its signals onto, and the
// arithmetic the monitor shows — elapsed against the expected time, progress, overdue, a timeline of the
// phases a server went through. Pure: no clock of its own (the caller passes now), no I/O.
//
//   requested -> pending -> booting -> running -> initializing -> ready
//                                   \-> failed        \-> stalled       (and terminated from anywhere)
import type { Phase, Server } from './types.js';

/** The way to ready, in order. failed, stalled and terminated are off this path. */
export const PHASE_ORDER = ['requested', 'pending', 'booting', 'running', 'initializing', 'ready'] as const satisfies readonly Phase[];

/** Every phase, the path first, then the ends off it (for tables and filters). */
export const ALL_PHASES: readonly Phase[] = [...PHASE_ORDER, 'stalled', 'failed', 'terminated'];

/**
 * Where on the way to ready each phase typically begins, as a share of the expected time. Clouds spend a
 * few seconds to a few minutes up to `running`; most of the wait is `initializing` (cloud-init, volume
 * setup, the user's own scripts). Progress moves with elapsed time inside these bounds, so a bar keeps
 * moving during a long initialisation instead of sitting at 80 % for fifteen minutes.
 */
export const PHASE_SHARE: Readonly<Record<(typeof PHASE_ORDER)[number], number>> = {
  requested: 0,
  pending: 0.02,
  booting: 0.05,
  running: 0.1,
  initializing: 0.15,
  ready: 1,
};

/** The highest progress a server that is not ready shows (a full bar means ready, nothing else). */
export const PROGRESS_CAP = 0.99;

/** The expected time to ready where the provider does not say (DESIGN.md: 20 minutes). */
export const DEFAULT_EXPECTED_SECONDS = 1200;

/**
 * Ends from which a server never becomes ready: failed and terminated. (ready is the goal, not an end;
 * stalled is the provider's or strata's judgement that a server stopped progressing — it is overdue, and
 * on a real cloud it may still come good, so it is not terminal.)
 */
export function isTerminal(phase: Phase): boolean {
  return phase === 'failed' || phase === 'terminated';
}

/**
 * Phases in which nothing is expected to change soon: ready, stalled and the terminal ones. The watcher
 * polls quickly while any server is not settled, and slowly once all are.
 */
export function isSettled(phase: Phase): boolean {
  return phase === 'ready' || phase === 'stalled' || isTerminal(phase);
}

/** The index of a phase on the way to ready, or -1 for stalled, failed and terminated. */
export function phaseIndex(phase: Phase): number {
  return (PHASE_ORDER as readonly Phase[]).indexOf(phase);
}

export interface Readiness {
  phase: Phase;
  /** When the current phase began (ms since 1970). */
  sinceMs: number;
  /**
   * Time since launch (ms). It counts on while a server is on its way (and while stalled: the lateness
   * grows); it stops where the server got to its end — time to ready, to failure, or its lifetime.
   */
  elapsedMs: number;
  /** How long the provider expects a server to take to be ready (ms). */
  expectedMs: number;
  /** 0..1: 1 at ready only; 0 for failed and terminated servers. */
  progress: number;
  /** On the way (or stalled) and past the expected time. */
  overdue: boolean;
  /** For an overdue server: a sentence such as "late: 23 min of ~20"; otherwise undefined. */
  late: string | undefined;
  /** One short line for the monitor: "initializing · 4m 05s of ~20m", "ready after 12m 30s", … */
  label: string;
}

function parseMs(iso: string | undefined, fallback: number): number {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? ms : fallback;
}

function expectedMsOf(expectedSeconds: number): number {
  return Number.isFinite(expectedSeconds) && expectedSeconds > 0 ? expectedSeconds * 1000 : DEFAULT_EXPECTED_SECONDS * 1000;
}

/** "late: 23 min of ~20" (minutes where the expectation is two minutes or more, else a duration). */
export function lateSentence(elapsedMs: number, expectedMs: number): string {
  if (expectedMs >= 120_000) return `late: ${Math.floor(elapsedMs / 60_000)} min of ~${Math.round(expectedMs / 60_000)}`;
  return `late: ${formatDuration(elapsedMs)} of ~${formatDuration(expectedMs)}`;
}

/** Where a server stands, at nowMs, against the provider's expected time to ready (seconds). */
export function readinessOf(server: Pick<Server, 'phase' | 'phaseSince' | 'launchedAt'>, nowMs: number, expectedSeconds: number): Readiness {
  const phase = server.phase;
  const launchedMs = parseMs(server.launchedAt, nowMs);
  const sinceMs = parseMs(server.phaseSince, launchedMs);
  const expectedMs = expectedMsOf(expectedSeconds);
  // Settled ends stop the count at the moment they were reached; a provider clock a little ahead of ours
  // must not show a negative time.
  const endMs = phase === 'ready' || isTerminal(phase) ? Math.min(sinceMs, nowMs) : nowMs;
  const elapsedMs = Math.max(0, endMs - launchedMs);

  let progress: number;
  if (phase === 'ready') progress = 1;
  else if (isTerminal(phase)) progress = 0;
  else if (phase === 'stalled') progress = PROGRESS_CAP;
  else {
    const i = phaseIndex(phase);
    const floor = PHASE_SHARE[PHASE_ORDER[i]];
    const ceiling = Math.min(PROGRESS_CAP, i + 1 < PHASE_ORDER.length - 1 ? PHASE_SHARE[PHASE_ORDER[i + 1]] : PROGRESS_CAP);
    progress = Math.min(ceiling, Math.max(floor, elapsedMs / expectedMs));
  }

  const onTheWay = phase !== 'ready' && !isTerminal(phase);
  const overdue = onTheWay && elapsedMs > expectedMs;
  const late = overdue ? lateSentence(elapsedMs, expectedMs) : undefined;

  let label: string;
  switch (phase) {
    case 'ready':
      label = `ready after ${formatDuration(elapsedMs)}`;
      break;
    case 'failed':
      label = `failed after ${formatDuration(elapsedMs)}`;
      break;
    case 'terminated':
      label = 'terminated';
      break;
    default:
      label = `${phase} · ${late ?? `${formatDuration(elapsedMs)} of ~${formatDuration(expectedMs)}`}`;
  }
  return { phase, sinceMs, elapsedMs, expectedMs, progress, overdue, late, label };
}

const two = (n: number) => String(n).padStart(2, '0');

/** A duration as the monitor shows it: "42s", "4m 05s", "1h 02m", "2d 03h". */
export function formatDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600) % 24;
  const d = Math.floor(total / 86_400);
  if (d > 0) return `${d}d ${two(h)}h`;
  if (h > 0) return `${h}h ${two(m)}m`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}

/** One step of a server's history: the phase and when it began (ISO 8601). */
export interface PhaseEvent {
  phase: Phase;
  at: string;
}

/**
 * Adds the server's current phase to its timeline when it is new. Returns the same array when nothing
 * changed (so callers can compare with !==), else a new one: an event already there (same phase and time)
 * or the phase the timeline ends in is never added again; a phase learnt late (an answer that was slower
 * than a later one) goes where its time puts it, so the timeline stays in order.
 */
export function appendPhase(timeline: readonly PhaseEvent[], server: Pick<Server, 'phase' | 'phaseSince'>): PhaseEvent[] {
  const current = timeline as PhaseEvent[];
  const last = timeline[timeline.length - 1];
  if (last?.phase === server.phase) return current;
  const atMs = Date.parse(server.phaseSince);
  const at = Number.isFinite(atMs) ? new Date(atMs).toISOString() : server.phaseSince;
  if (timeline.some((e) => e.phase === server.phase && e.at === at)) return current;
  const event: PhaseEvent = { phase: server.phase, at };
  // Insert after every event that is not later than this one (stable for equal times).
  let index = timeline.length;
  if (Number.isFinite(atMs)) {
    while (index > 0 && Date.parse(timeline[index - 1].at) > atMs) index--;
  }
  // Next to the same phase it adds nothing (the same phase reported with a slightly different time).
  if (timeline[index - 1]?.phase === server.phase || timeline[index]?.phase === server.phase) return current;
  return [...timeline.slice(0, index), event, ...timeline.slice(index)];
}
