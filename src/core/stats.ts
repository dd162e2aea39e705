/** Summary statistics of timing samples (benchmarks and evaluate --latency). */

/** The middle value (the upper one of the two middles for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** The value at fraction `q` of the sorted samples (nearest rank: the smallest with at least q of them at or below it). */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
