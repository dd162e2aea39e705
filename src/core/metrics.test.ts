import { describe, expect, it } from 'vitest';
import { MetricAccumulator, metricsTable, rankOf, sparseDenseSplit } from './metrics.ts';

describe('Recall@K and NDCG@K', () => {
  it('match hand-computed values', () => {
    const m = new MetricAccumulator([1, 3]);
    m.add([7, 8, 9], 7); // rank 0: hit@1, hit@3, gain 1
    m.add([7, 8, 9], 9); // rank 2: hit@3, gain 1/log2(4) = 0.5
    m.add([7, 8, 9], 5); // absent
    m.add([5, 7], 7); // rank 1: hit@3, gain 1/log2(3)
    const v = m.values();
    expect(v.samples).toBe(4);
    expect(v.recall[1]).toBe(1 / 4);
    expect(v.recall[3]).toBe(3 / 4);
    expect(v.ndcg[1]).toBe(1 / 4);
    expect(v.ndcg[3]).toBeCloseTo((1 + 0.5 + 1 / Math.log2(3)) / 4, 12);
  });

  it('finds ranks and prints the table layout of the paper', () => {
    expect(rankOf([3, 1, 2], 2)).toBe(2);
    expect(rankOf([3, 1, 2], 4)).toBe(-1);
    const m = new MetricAccumulator();
    m.addRank(30);
    expect(metricsTable([{ method: 'x', values: m.values() }])).toBe(
      '| method | R@20 | R@50 | R@100 | N@20 | N@50 | N@100 | samples |\n|---|---|---|---|---|---|---|---|\n' +
        `| x | 0.0000 | 1.0000 | 1.0000 | 0.0000 | ${(1 / Math.log2(32)).toFixed(4)} | ${(1 / Math.log2(32)).toFixed(4)} | 1 |`,
    );
  });
});

describe('sparseDenseSplit', () => {
  it("splits samples at the median of their targets' training counts: at most it sparse, above it dense", () => {
    const trainCounts = [0, 1, 5, 9, 2];
    const samples = [3, 1, 2, 0, 4, 2].map((target) => ({ target }));
    // Counts 9, 1, 5, 0, 2, 5; sorted 0 1 2 5 5 9: the median (index 3) is 5.
    expect(sparseDenseSplit(trainCounts, samples)).toEqual({ threshold: 5, sparse: [1, 2, 3, 4, 5], dense: [0] });
    expect(sparseDenseSplit(trainCounts, [])).toEqual({ threshold: 0, sparse: [], dense: [] });
  });
});
