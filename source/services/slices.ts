// Long work in slices: the event loop is let go every few milliseconds, so keys typed meanwhile are read
// and answered (a 100,000-image catalogue is loaded, merged, encoded and written without holding input).

/** Lets the event loop run: pending input, timers and I/O go first. */
export function yieldToInput(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How long a slice of work may run before the event loop is let go (milliseconds). */
export const SLICE_MS = 6;

/**
 * A clock for one piece of work: `due()` says when a slice has run its time; `pause()` lets the event loop
 * run and starts the next slice.
 *
 *   const slices = new Slices();
 *   for (const item of many) { work(item); if (slices.due()) await slices.pause(); }
 */
export class Slices {
  private started = performance.now();

  constructor(private readonly budgetMs = SLICE_MS) {}

  due(): boolean {
    return performance.now() - this.started >= this.budgetMs;
  }

  async pause(): Promise<void> {
    await yieldToInput();
    this.started = performance.now();
  }

  /** Pauses where the slice has run its time. */
  async check(): Promise<void> {
    if (this.due()) await this.pause();
  }
}
