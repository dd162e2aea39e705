/** What every evaluation of a method returns (tools/evaluate). */
import { METRIC_KS, type MetricValues } from '../../src/core/metrics.ts';

/** The longest list scored: the metrics' largest K. */
export const MAX_K = Math.max(...METRIC_KS);

/** One method's outcome on a split: metrics, the top-MAX_K list of every sample, mean ms per request where timed. */
export interface MethodRun {
  method: string;
  values: MetricValues;
  lists: ArrayLike<number>[];
  requestMs?: number;
}
