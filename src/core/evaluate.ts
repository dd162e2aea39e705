/** Scores any ranking function on a split with the paper's metrics. */
import type { Sample } from './data/prepare.ts';
import { MetricAccumulator, METRIC_KS, type MetricValues } from './metrics.ts';

export type RankingFunction = (sample: Sample, index: number) => ArrayLike<number>;

export interface EvaluateOptions {
  ks?: readonly number[];
  /** Called every `every` samples with (done, total). */
  onProgress?: (done: number, total: number) => void;
  every?: number;
}

export function evaluateRankings(samples: readonly Sample[], rank: RankingFunction, options: EvaluateOptions = {}): MetricValues {
  const metrics = new MetricAccumulator(options.ks ?? METRIC_KS);
  const every = options.every ?? 1000;
  samples.forEach((sample, i) => {
    metrics.add(rank(sample, i), sample.target);
    if (options.onProgress && (i + 1) % every === 0) options.onProgress(i + 1, samples.length);
  });
  options.onProgress?.(samples.length, samples.length);
  return metrics.values();
}

/** What a method's name says where each sample's history items were never ranked (recommend()'s excludeHistory). */
export const HISTORY_EXCLUDED = 'history excluded';

/**
 * A method's name with what sets its run apart, as `npm run evaluate` and the demo's evaluation both write it (the
 * demo's rankings files are scored by the CLI): "L2D-L (M=200, 30% memory, history excluded)"; empty notes are left out.
 */
export function methodName(method: string, notes: readonly string[]): string {
  const given = notes.filter((note) => note !== '');
  return given.length ? `${method} (${given.join(', ')})` : method;
}
