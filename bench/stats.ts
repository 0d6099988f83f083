/** Order statistics of samples (nearest rank, as bench/c/stats.c). */

export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 0.5);

export interface Latency {
  n: number;
  p50Us: number;
  p99Us: number;
}

/** Latency summary of samples in milliseconds (performance.now() units). */
export function latency(ms: readonly number[]): Latency {
  return { n: ms.length, p50Us: percentile(ms, 0.5) * 1000, p99Us: percentile(ms, 0.99) * 1000 };
}

/** The launchers in an order that rotates with i, so neither always runs first (after the other's garbage). */
export function rotate<T>(items: readonly T[], i: number): T[] {
  const k = i % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
