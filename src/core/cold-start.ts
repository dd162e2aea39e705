/**
 * Cold-start items: an item that never occurs as a training target has no
 * memory rows, so L2D cannot recommend it. Rule "similar-titles": its
 * centroid is the similarity-weighted mean of the centroids of the
 * `neighbours` items with rows whose titles are most alike (TF-IDF cosine of
 * lower-cased words). An item sharing no word with any item with rows stays
 * without a representation. L2D-G ranks such items by that centroid; L2D-L
 * reaches them through its global fill-up.
 */
import type { Centroids } from './centroids.ts';
import type { CentroidChange } from './overlay.ts';

export type ColdStartRule = 'none' | 'similar-titles';
export const COLD_START_RULES: readonly ColdStartRule[] = ['none', 'similar-titles'];

export interface ColdStartOptions {
  /** Warm items averaged per cold item (default 5). */
  neighbours?: number;
}

/** Lower-cased words of a title; a release year such as "(1999)" is kept as a word. */
export function titleWords(title: string): string[] {
  return [...new Set(title.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
}

/** Centroids for every item without rows (count 0) that shares a word with an item that has rows. */
export function coldStartCentroids(titles: readonly string[], centroids: Centroids, stride: number, options: ColdStartOptions = {}): CentroidChange[] {
  const neighbours = options.neighbours ?? 5;
  const words = titles.map(titleWords);
  const documentFrequency = new Map<string, number>();
  for (const ws of words) for (const w of ws) documentFrequency.set(w, (documentFrequency.get(w) ?? 0) + 1);
  const idf = (w: string) => Math.log(titles.length / (documentFrequency.get(w) ?? 1));
  const norms = words.map((ws) => Math.sqrt(ws.reduce((s, w) => s + idf(w) ** 2, 0)));
  // Inverted index over items that have rows.
  const postings = new Map<string, number[]>();
  words.forEach((ws, item) => {
    if (centroids.counts[item] === 0) return;
    for (const w of ws) {
      if (!postings.has(w)) postings.set(w, []);
      postings.get(w)!.push(item);
    }
  });
  const changes: CentroidChange[] = [];
  for (let item = 0; item < titles.length; item++) {
    if (centroids.counts[item] > 0 || norms[item] === 0) continue;
    const scores = new Map<number, number>();
    for (const w of words[item]) {
      const weight = idf(w) ** 2;
      for (const other of postings.get(w) ?? []) scores.set(other, (scores.get(other) ?? 0) + weight);
    }
    const nearest = [...scores]
      .map(([other, dot]) => [other, dot / (norms[item] * norms[other] || 1)] as const)
      .filter(([, similarity]) => similarity > 0)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, neighbours);
    if (nearest.length === 0) continue;
    const vector = new Float32Array(stride);
    let total = 0;
    for (const [other, similarity] of nearest) {
      total += similarity;
      for (let c = 0; c < stride; c++) vector[c] += similarity * centroids.vectors[other * stride + c];
    }
    for (let c = 0; c < stride; c++) vector[c] = Math.fround(vector[c] / total);
    // count marks "has a representation"; no memory row belongs to it.
    changes.push({ item, vector, count: 1 });
  }
  return changes;
}
