/**
 * Classic baselines that place L2D: most-popular, and an item-to-item
 * co-occurrence recommender over the history. Both rank every item (ties:
 * higher popularity, then smaller id) and return the top `k`.
 */
import type { Sample } from './data/prepare.ts';

export interface Recommender {
  readonly name: string;
  /** The k best items for a history, best first. */
  recommend(history: readonly number[], k: number): number[];
}

/** Training-target counts per item. */
export function targetCounts(train: readonly Sample[], itemCount: number): Uint32Array {
  const counts = new Uint32Array(itemCount);
  for (const s of train) counts[s.target]++;
  return counts;
}

/** Item ids by descending popularity, ties by smaller id. */
function popularityOrder(counts: Uint32Array): Uint32Array {
  return Uint32Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a] || a - b);
}

export class MostPopular implements Recommender {
  readonly name = 'most-popular';
  private readonly order: Uint32Array;
  constructor(train: readonly Sample[], itemCount: number) {
    this.order = popularityOrder(targetCounts(train, itemCount));
  }
  recommend(_history: readonly number[], k: number): number[] {
    return Array.from(this.order.subarray(0, k));
  }
}

/**
 * Item-to-item co-occurrence: from each training sample, every history item
 * h at distance j from the target (j = 1 for the last) adds 1/j to
 * weight(h -> target). A history scores item i as the sum over its items of
 * weight(h -> i), again discounted by 1/j with j counted from the newest.
 * Unscored items follow in popularity order.
 */
export class CoOccurrence implements Recommender {
  readonly name = 'item co-occurrence';
  private readonly weights = new Map<number, Map<number, number>>();
  private readonly counts: Uint32Array;
  private readonly order: Uint32Array;
  private readonly scores: Float64Array;

  constructor(train: readonly Sample[], private readonly itemCount: number) {
    this.counts = targetCounts(train, itemCount);
    this.order = popularityOrder(this.counts);
    this.scores = new Float64Array(itemCount);
    for (const s of train) {
      const n = s.history.length;
      s.history.forEach((h, idx) => {
        let row = this.weights.get(h);
        if (!row) this.weights.set(h, (row = new Map()));
        row.set(s.target, (row.get(s.target) ?? 0) + 1 / (n - idx));
      });
    }
  }

  recommend(history: readonly number[], k: number): number[] {
    const touched: number[] = [];
    const n = history.length;
    history.forEach((h, idx) => {
      const row = this.weights.get(h);
      if (!row) return;
      const discount = 1 / (n - idx);
      for (const [item, w] of row) {
        if (this.scores[item] === 0) touched.push(item);
        this.scores[item] += w * discount;
      }
    });
    touched.sort((a, b) => this.scores[b] - this.scores[a] || this.counts[b] - this.counts[a] || a - b);
    const out = touched.slice(0, k);
    if (out.length < k) {
      const seen = new Set(out);
      for (let i = 0; i < this.itemCount && out.length < k; i++) if (!seen.has(this.order[i])) out.push(this.order[i]);
    }
    for (const item of touched) this.scores[item] = 0;
    return out;
  }
}
