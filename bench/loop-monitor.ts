/**
 * Event-loop health: a setInterval(1) that records the gap between its
 * ticks. A loop blocked by spawn calls or starved by completions shows as
 * few ticks and long gaps.
 */
export class LoopMonitor {
  #gaps: number[] = [];
  #last = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  start(): void {
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const t = performance.now();
      this.#gaps.push(t - this.#last);
      this.#last = t;
    }, 1);
  }

  /** Stops; the gap from the last tick to now counts too, so a loop starved to the end is seen. */
  stop(): void {
    clearInterval(this.#timer);
    this.#gaps.push(performance.now() - this.#last);
  }

  /** Ticks and gaps (ms) over every start/stop so far. */
  get gaps(): readonly number[] {
    return this.#gaps;
  }
}
