/**
 * Classic baselines that place L2D: most-popular, and an item-to-item
 * co-occurrence recommender over the history. Both rank every item (ties:
 * higher popularity, then smaller id) and return the top `k`.
 */
import type { TrainingPair } from './data/train-sequences.ts';

export interface Recommender {
  readonly name: string;
  /** The k best items for a history, best first. */
  recommend(history: readonly number[], k: number): number[];
}

/** Training-target counts per item. */
export function targetCounts(train: readonly TrainingPair[], itemCount: number): Uint32Array {
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
  /** Training-target counts per item (targetCounts), for a caller that needs them too. */
  readonly counts: Uint32Array;
  private readonly order: Uint32Array;
  constructor(train: readonly TrainingPair[], itemCount: number) {
    this.counts = targetCounts(train, itemCount);
    this.order = popularityOrder(this.counts);
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
 *
 * The weights are counted in units of 1/lcm(1..n), n the longest training history (2520 for 10): sums of whole
 * numbers are exact, so they do not depend on the order of the training samples (a page counting them from
 * each user's sequence ranks as the CLI counting the time-ordered split). Past n = 22 the unit would lose
 * exactness, and the weights are plain sums of 1/j.
 */
export class CoOccurrence implements Recommender {
  readonly name = 'item co-occurrence';
  private readonly weights = new Map<number, Map<number, number>>();
  private readonly counts: Uint32Array;
  private readonly order: Uint32Array;
  private readonly scores: Float64Array;

  /** `counts`: the training split's targetCounts where the caller has them already. */
  constructor(train: readonly TrainingPair[], private readonly itemCount: number, counts = targetCounts(train, itemCount)) {
    if (counts.length !== itemCount) throw new RangeError(`counts has ${counts.length} items; the catalog ${itemCount}.`);
    this.counts = counts;
    this.order = popularityOrder(this.counts);
    this.scores = new Float64Array(itemCount);
    const unit = exactUnit(train.reduce((n, s) => Math.max(n, s.history.length), 0));
    for (const s of train) {
      const n = s.history.length;
      s.history.forEach((h, idx) => {
        let row = this.weights.get(h);
        if (!row) this.weights.set(h, (row = new Map()));
        row.set(s.target, (row.get(s.target) ?? 0) + unit / (n - idx));
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

/** lcm(1..n) where it is at most 2^32 (n <= 22), else 1. */
function exactUnit(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let unit = 1;
  for (let j = 2; j <= n; j++) unit = (unit / gcd(unit, j)) * j;
  return unit <= 2 ** 32 ? unit : 1;
}

/**
 * A baseline's top k without the history's items (recommend()'s excludeHistory for the baselines: the items after
 * them move up), so it ranks as L2D does with the history excluded.
 */
export function recommendWithoutHistory(recommender: Recommender, history: readonly number[], k: number): number[] {
  const excluded = new Set(history);
  return recommender.recommend(history, k + excluded.size).filter((id) => !excluded.has(id)).slice(0, k);
}
