/**
 * Ranking metrics of the paper: full ranking over all items, one ground-truth
 * item per sample. Recall@K = 1 if the target is in the top K; NDCG@K =
 * 1 / log2(rank + 2) for a 0-based rank < K (the ideal DCG is 1). Both are
 * averaged over samples.
 */
export const METRIC_KS = [20, 50, 100] as const;
export type MetricK = (typeof METRIC_KS)[number];

export interface MetricValues {
  samples: number;
  recall: Record<number, number>;
  ndcg: Record<number, number>;
}

/** 0-based rank of `target` in `ranking`, or -1 when it is absent. */
export function rankOf(ranking: ArrayLike<number>, target: number): number {
  for (let i = 0; i < ranking.length; i++) if (ranking[i] === target) return i;
  return -1;
}

export class MetricAccumulator {
  private count = 0;
  private readonly hits: number[];
  private readonly gains: number[];

  constructor(readonly ks: readonly number[] = METRIC_KS) {
    this.hits = ks.map(() => 0);
    this.gains = ks.map(() => 0);
  }

  /** Adds one sample by the 0-based rank of its target (-1 = not ranked within the list). */
  addRank(rank: number): void {
    this.count++;
    if (rank < 0) return;
    this.ks.forEach((k, i) => {
      if (rank < k) {
        this.hits[i]++;
        this.gains[i] += 1 / Math.log2(rank + 2);
      }
    });
  }

  add(ranking: ArrayLike<number>, target: number): void {
    this.addRank(rankOf(ranking, target));
  }

  values(): MetricValues {
    const n = Math.max(1, this.count);
    const recall: Record<number, number> = {};
    const ndcg: Record<number, number> = {};
    this.ks.forEach((k, i) => {
      recall[k] = this.hits[i] / n;
      ndcg[k] = this.gains[i] / n;
    });
    return { samples: this.count, recall, ndcg };
  }
}

/** Rows in the layout of the paper's Table 1: method | R@20 R@50 R@100 | N@20 N@50 N@100. */
export function metricsTable(rows: { method: string; values: MetricValues }[], ks: readonly number[] = METRIC_KS): string {
  const head = `| method | ${ks.map((k) => `R@${k}`).join(' | ')} | ${ks.map((k) => `N@${k}`).join(' | ')} | samples |`;
  const rule = `|---|${ks.map(() => '---|').join('')}${ks.map(() => '---|').join('')}---|`;
  const body = rows.map(
    ({ method, values }) =>
      `| ${method} | ${ks.map((k) => values.recall[k].toFixed(4)).join(' | ')} | ${ks.map((k) => values.ndcg[k].toFixed(4)).join(' | ')} | ${values.samples} |`,
  );
  return [head, rule, ...body].join('\n');
}

/** Samples (their indices) split by how often their target was a training target: the paper's Figure 4. */
export interface SparseDenseSplit {
  /** The median of the samples' targets' training counts: sparse is at most it, dense above. */
  threshold: number;
  sparse: number[];
  dense: number[];
}

/** `trainCounts[item]`: how many training samples have the item as their target (baselines.ts targetCounts). */
export function sparseDenseSplit(trainCounts: ArrayLike<number>, samples: readonly { target: number }[]): SparseDenseSplit {
  const frequencies = samples.map((s) => trainCounts[s.target]).sort((a, b) => a - b);
  const threshold = frequencies[Math.floor(frequencies.length / 2)] ?? 0;
  const sparse: number[] = [];
  const dense: number[] = [];
  samples.forEach((s, i) => (trainCounts[s.target] <= threshold ? sparse : dense).push(i));
  return { threshold, sparse, dense };
}
