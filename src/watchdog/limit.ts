/** A counting semaphore: at most `max` holders; the rest wait in arrival order. */
export class Limit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get inUse(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }
  /** `fn` learns whether it waited for its turn (what it was decided on may have changed meanwhile). */
  async run<T>(fn: (waited: boolean) => Promise<T>): Promise<T> {
    const waited = this.active >= this.max;
    if (waited) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn(waited);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
