// The sandbox's simulated clock, kept in its database so every process on the same home agrees on it.
//   simNow = simAnchor + (realNow - realAnchor) * speed
// Changing the speed (or jumping ahead) re-anchors at the current instant, so simulated time never jumps
// backwards and stays continuous across the change.
import { invalid } from '../../core/errors.js';
import { transaction, type Db } from './db.js';

export type RealNow = () => number;

interface Anchor {
  real_anchor_ms: number;
  sim_anchor_ms: number;
  speed: number;
}

/** The largest time scale accepted: a simulated year in about half a minute. */
export const MAX_SPEED = 1_000_000;

export function checkSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed <= 0 || speed > MAX_SPEED) {
    throw invalid(
      `The sandbox speed must be a number above 0 and at most ${MAX_SPEED} (simulated seconds per real second); got ${speed}.`,
      'sandboxSpeed',
    );
  }
  return speed;
}

export class SandboxClock {
  constructor(
    private readonly db: Db,
    private readonly realNow: RealNow = Date.now,
  ) {}

  private anchor(): Anchor {
    const row = this.db.prepare('SELECT real_anchor_ms, sim_anchor_ms, speed FROM clock WHERE id = 1').get() as
      | Anchor
      | undefined;
    if (!row) throw new Error('The sandbox clock is missing from its database.');
    return row;
  }

  private static simAt(anchor: Anchor, real: number): number {
    return Math.floor(anchor.sim_anchor_ms + (real - anchor.real_anchor_ms) * anchor.speed);
  }

  /** Simulated now, in ms since 1970. */
  now(): number {
    return SandboxClock.simAt(this.anchor(), this.realNow());
  }

  /** Simulated seconds per real second. */
  speed(): number {
    return this.anchor().speed;
  }

  /** Sets the time scale from this instant on; simulated time is continuous across the change. */
  setSpeed(speed: number): void {
    checkSpeed(speed);
    transaction(this.db, () => {
      const anchor = this.anchor();
      if (anchor.speed === speed) return;
      const real = this.realNow();
      this.db
        .prepare('UPDATE clock SET real_anchor_ms = ?, sim_anchor_ms = ?, speed = ? WHERE id = 1')
        .run(real, SandboxClock.simAt(anchor, real), speed);
    });
  }

  /** Moves simulated time forward by ms (for every process on this home). It never goes backwards. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw invalid(`The sandbox clock only moves forward; got ${ms} ms.`, 'clock');
    transaction(this.db, () => {
      const anchor = this.anchor();
      const real = this.realNow();
      this.db
        .prepare('UPDATE clock SET real_anchor_ms = ?, sim_anchor_ms = ? WHERE id = 1')
        .run(real, SandboxClock.simAt(anchor, real) + ms);
    });
  }

  /** Moves simulated time forward to the given instant (ms since 1970); a past instant is refused. */
  advanceTo(simMs: number): void {
    const now = this.now();
    if (simMs < now) {
      throw invalid(`The sandbox clock only moves forward: ${new Date(simMs).toISOString()} is in its past.`, 'clock');
    }
    this.advance(simMs - now);
  }
}
