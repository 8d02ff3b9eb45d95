// Bounded concurrency: at most `size` calls in flight at once, the rest wait their turn in the order they
// came (config.yaml fleet.concurrency for the fleet's provider calls; default 4).
/** How many provider calls the fleet has in flight at once, unless config.yaml's fleet.concurrency says. */
export const DEFAULT_CONCURRENCY = 4;

export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most calls that were ever in flight at once (for tests and the bench). */
  peak = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`A limit is a whole number of 1 or more; got ${size}.`);
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    // A slot freed is handed to the first waiter as it is (never counted down and up again, where a newcomer
    // could take it in between).
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      return await call();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Calls waiting or in flight. */
  get busy(): number {
    return this.running + this.waiting.length;
  }
}
