import { describe, expect, it } from 'vitest';
import { coldStartCentroids, titleWords } from './cold-start.ts';
import { CpuDecoder } from './cpu-decoder.ts';
import { createMemory } from './memory.ts';

describe('cold-start rule "similar-titles"', () => {
  it('splits titles into lower-cased words, years included, once each', () => {
    expect(titleWords('Toy Story 2 (1999)')).toEqual(['toy', 'story', '2', '1999']);
    expect(titleWords('Amélie: Le Fabuleux Destin d’Amélie')).toEqual(['amélie', 'le', 'fabuleux', 'destin', 'd']);
    expect(titleWords('---')).toEqual([]);
  });

  // Items 0, 2, 3 have rows (centroids = their one row); 1 and 4 have none.
  const titles = ['Toy Story (1995)', 'Toy Story 2 (1999)', 'Toy Soldiers (1991)', 'Heat (1995)', 'Solaris (2002)'];
  const memory = createMemory({
    dim: 2,
    itemCount: 5,
    vectors: Float32Array.from([1, 0, 0, 4, 2, 2]),
    labels: [0, 2, 3],
  });
  const decoder = new CpuDecoder(memory);
  const stride = 8;

  it('gives a cold item the similarity-weighted mean of its most similar warm items, and leaves unmatched ones alone', () => {
    const changes = coldStartCentroids(titles, decoder.centroids, stride, { neighbours: 2 });
    expect(changes.map((c) => c.item)).toEqual([1]); // "Solaris (2002)" shares no word
    // idf over 5 titles: toy ln(5/3), story ln(5/2). Item 1 = {toy, story, 2, 1999}.
    const idf = (df: number) => Math.log(5 / df);
    const norm1 = Math.sqrt(idf(3) ** 2 + idf(2) ** 2 + idf(1) ** 2 + idf(1) ** 2);
    const norm0 = Math.sqrt(idf(3) ** 2 + idf(2) ** 2 + idf(2) ** 2); // toy, story, 1995
    const norm2 = Math.sqrt(idf(3) ** 2 + idf(1) ** 2 + idf(1) ** 2); // toy, soldiers, 1991
    const s0 = (idf(3) ** 2 + idf(2) ** 2) / (norm1 * norm0);
    const s2 = idf(3) ** 2 / (norm1 * norm2);
    const expected = [(s0 * 1 + s2 * 0) / (s0 + s2), (s0 * 0 + s2 * 4) / (s0 + s2)];
    expect(Array.from(changes[0].vector.subarray(0, 2))).toEqual(expected.map(Math.fround));
    expect(changes[0].count).toBe(1);
  });

  it('makes the cold item rankable by L2D-G, and only with the rule on', () => {
    const extraCentroids = coldStartCentroids(titles, decoder.centroids, stride, { neighbours: 2 });
    const query = extraCentroids[0].vector.subarray(0, 2);
    expect(decoder.decode(query, { k: 3, strategy: 'global' }).map((x) => x.item)).not.toContain(1);
    const withRule = new CpuDecoder(memory, { extraCentroids });
    expect(withRule.decode(query, { k: 1, strategy: 'global' })).toMatchObject([{ item: 1, distance: 0 }]);
    // L2D-L reaches it through the global fill-up (it has no rows of its own).
    expect(withRule.decode(query, { k: 4, strategy: 'local', m: 1 }).map((x) => [x.item, x.source])).toContainEqual([1, 'global']);
  });
});
