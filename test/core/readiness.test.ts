// The phase machine and the readiness arithmetic the monitor shows.
import { describe, expect, it } from 'vitest';
import {
  ALL_PHASES,
  PHASE_ORDER,
  PROGRESS_CAP,
  appendPhase,
  formatDuration,
  isSettled,
  isTerminal,
  phaseIndex,
  readinessOf,
  type PhaseEvent,
} from '../../source/core/readiness.js';
import type { Phase } from '../../source/core/types.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const S = 1000;
const MIN = 60 * S;
const at = (ms: number) => new Date(ms).toISOString();
/** A server launched at T0, in `phase` since T0 + sinceOffset. */
const server = (phase: Phase, sinceOffset = 0) => ({ phase, launchedAt: at(T0), phaseSince: at(T0 + sinceOffset) });

describe('phases', () => {
  it('run requested → pending → booting → running → initializing → ready', () => {
    expect(PHASE_ORDER).toEqual(['requested', 'pending', 'booting', 'running', 'initializing', 'ready']);
    expect(PHASE_ORDER.map(phaseIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(['failed', 'stalled', 'terminated'].map((p) => phaseIndex(p as Phase))).toEqual([-1, -1, -1]);
    expect(new Set(ALL_PHASES).size).toBe(9);
  });

  it.each<[Phase, boolean, boolean]>([
    ['requested', false, false],
    ['pending', false, false],
    ['booting', false, false],
    ['running', false, false],
    ['initializing', false, false],
    ['ready', false, true],
    ['stalled', false, true],
    ['failed', true, true],
    ['terminated', true, true],
  ])('%s: terminal %s, settled %s', (phase, terminal, settled) => {
    expect(isTerminal(phase)).toBe(terminal);
    expect(isSettled(phase)).toBe(settled);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [-5 * S, '0s'],
    [Number.NaN, '0s'],
    [999, '0s'],
    [42 * S, '42s'],
    [59 * S + 999, '59s'],
    [60 * S, '1m 00s'],
    [4 * MIN + 5 * S, '4m 05s'],
    [59 * MIN + 59 * S, '59m 59s'],
    [62 * MIN, '1h 02m'],
    [23 * 60 * MIN + 59 * MIN, '23h 59m'],
    [51 * 60 * MIN, '2d 03h'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('readinessOf', () => {
  const EXPECTED = 1200; // seconds: 20 minutes

  it.each<[string, Phase, number, number, Partial<ReturnType<typeof readinessOf>>]>([
    // name, phase, phase began (ms after launch), now (ms after launch), expected fields
    ['just requested', 'requested', 0, 0, { elapsedMs: 0, progress: 0, overdue: false, late: undefined, label: 'requested · 0s of ~20m 00s' }],
    ['pending a few seconds', 'pending', 2 * S, 10 * S, { elapsedMs: 10 * S, progress: 0.02, overdue: false }],
    ['booting', 'booting', 30 * S, 45 * S, { elapsedMs: 45 * S, progress: 0.05, overdue: false, label: 'booting · 45s of ~20m 00s' }],
    ['running at 3 min', 'running', 2 * MIN, 3 * MIN, { elapsedMs: 3 * MIN, progress: 0.15, overdue: false }],
    ['initializing at 10 min', 'initializing', 3 * MIN, 10 * MIN, { elapsedMs: 10 * MIN, progress: 0.5, overdue: false, label: 'initializing · 10m 00s of ~20m 00s' }],
    ['initializing exactly on time', 'initializing', 3 * MIN, 20 * MIN, { overdue: false, late: undefined, progress: PROGRESS_CAP }],
    ['initializing 23 min: overdue', 'initializing', 3 * MIN, 23 * MIN + 30 * S, { overdue: true, late: 'late: 23 min of ~20', progress: PROGRESS_CAP, label: 'initializing · late: 23 min of ~20' }],
    ['pending for 25 min: overdue, still early progress', 'pending', 2 * S, 25 * MIN, { overdue: true, progress: 0.05, late: 'late: 25 min of ~20' }],
    ['stalled past the expected time', 'stalled', 20 * MIN, 31 * MIN, { overdue: true, late: 'late: 31 min of ~20', progress: PROGRESS_CAP, label: 'stalled · late: 31 min of ~20' }],
    ['ready after 12m 30s, looked at later', 'ready', 12 * MIN + 30 * S, 90 * MIN, { elapsedMs: 12 * MIN + 30 * S, progress: 1, overdue: false, late: undefined, label: 'ready after 12m 30s' }],
    ['ready late is not overdue', 'ready', 26 * MIN, 27 * MIN, { elapsedMs: 26 * MIN, progress: 1, overdue: false }],
    ['failed after booting', 'failed', 3 * MIN + 10 * S, 40 * MIN, { elapsedMs: 3 * MIN + 10 * S, progress: 0, overdue: false, label: 'failed after 3m 10s' }],
    ['terminated', 'terminated', 50 * MIN, 55 * MIN, { elapsedMs: 50 * MIN, progress: 0, overdue: false, late: undefined, label: 'terminated' }],
  ])('%s', (_name, phase, since, now, expected) => {
    const r = readinessOf(server(phase, since), T0 + now, EXPECTED);
    expect(r).toMatchObject({ phase, sinceMs: T0 + since, expectedMs: EXPECTED * 1000, ...expected });
  });

  it('moves progress with time inside a phase, never backwards along the phases, and is 1 only at ready', () => {
    // A typical life: pending at 2 s, booting at 40 s, running at 2 min, initializing at 2.5 min, ready at 12.
    const life: [Phase, number][] = [
      ['requested', 0],
      ['pending', 2 * S],
      ['booting', 40 * S],
      ['running', 2 * MIN],
      ['initializing', 2.5 * MIN],
      ['ready', 12 * MIN],
    ];
    let last = -1;
    for (let t = 0; t <= 15 * MIN; t += 5 * S) {
      const [phase, since] = life.filter(([, begins]) => begins <= t).at(-1)!;
      const r = readinessOf(server(phase, since), T0 + t, EXPECTED);
      expect(r.progress).toBeGreaterThanOrEqual(last);
      expect(r.progress).toBeLessThanOrEqual(phase === 'ready' ? 1 : PROGRESS_CAP);
      last = r.progress;
    }
    expect(last).toBe(1);
  });

  it('takes the expectation from the provider, and 20 minutes when it gives none', () => {
    expect(readinessOf(server('initializing', 0), T0 + 6 * MIN, 300)).toMatchObject({ overdue: true, late: 'late: 6 min of ~5' });
    expect(readinessOf(server('initializing', 0), T0 + 45 * S, 30)).toMatchObject({ overdue: true, late: 'late: 45s of ~30s' });
    for (const bad of [0, -1, Number.NaN]) expect(readinessOf(server('booting', 0), T0, bad).expectedMs).toBe(1_200_000);
  });

  it('never shows a negative time when the provider clock is ahead', () => {
    const r = readinessOf(server('pending', 5 * S), T0 - 10 * S, 1200);
    expect(r.elapsedMs).toBe(0);
    expect(readinessOf(server('ready', 5 * MIN), T0 + MIN, 1200).elapsedMs).toBe(MIN);
  });
});

describe('appendPhase', () => {
  const ev = (phase: Phase, offset: number): PhaseEvent => ({ phase, at: at(T0 + offset) });

  it('adds an event when the phase changed, with the time the phase began', () => {
    let t: PhaseEvent[] = [];
    t = appendPhase(t, server('requested', 0));
    t = appendPhase(t, server('pending', 2 * S));
    t = appendPhase(t, server('initializing', 3 * MIN));
    expect(t).toEqual([ev('requested', 0), ev('pending', 2 * S), ev('initializing', 3 * MIN)]);
  });

  it('returns the same array when nothing changed, and never duplicates', () => {
    const t = [ev('requested', 0), ev('pending', 2 * S)];
    expect(appendPhase(t, server('pending', 2 * S))).toBe(t);
    // The same phase reported with another time (a provider that rounds) is not a new event.
    expect(appendPhase(t, server('pending', 3 * S))).toBe(t);
    // An event already in the timeline, reported again by a slow answer.
    expect(appendPhase(t, server('requested', 0))).toBe(t);
  });

  it('keeps order: a phase learnt late goes where its time puts it', () => {
    const t = [ev('requested', 0), ev('initializing', 3 * MIN)];
    const after = appendPhase(t, server('running', 2 * MIN));
    expect(after).toEqual([ev('requested', 0), ev('running', 2 * MIN), ev('initializing', 3 * MIN)]);
    expect(t).toHaveLength(2); // the input is not changed
    // Next to the same phase it adds nothing.
    expect(appendPhase(after, server('running', 2 * MIN + 5 * S))).toBe(after);
  });

  it('records a phase the server returns to (stalled, then terminated)', () => {
    let t = [ev('initializing', 3 * MIN)];
    t = appendPhase(t, server('stalled', 20 * MIN));
    t = appendPhase(t, server('terminated', 30 * MIN));
    expect(t.map((e) => e.phase)).toEqual(['initializing', 'stalled', 'terminated']);
  });
});
