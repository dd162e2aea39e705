/** Summary statistics of timing samples (benchmarks and evaluate --latency). */

/** The middle value (the upper one of the two middles for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
