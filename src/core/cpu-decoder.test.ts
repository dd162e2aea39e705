import { describe, expect, it } from 'vitest';
import { CpuDecoder } from './cpu-decoder.ts';
import { computeCentroids } from './centroids.ts';
import { createMemory, rowStride, type L2DMemory } from './memory.ts';
import { RESIDENT_MIN_BYTES, residentRows } from './row-storage.ts';
import { padQuery, squaredL2F16 } from './l2-scan.ts';
import { toFloat16Bits } from './float16.ts';
import { generateSyntheticMemory, syntheticQuery } from './synthetic-memory.ts';

/**
 * Hand-computed memory, d = 2:
 *   r0 (0,0) item 0, r1 (2,0) item 0      -> centroid 0 = (1, 0)
 *   r2 (0,3) item 1                       -> centroid 1 = (0, 3)
 *   r3 (5,5) item 2, r4 (4,4) item 2      -> centroid 2 = (4.5, 4.5)
 *   item 3 has no rows.
 */
function handMemory(): L2DMemory {
  return createMemory({
    dim: 2,
    itemCount: 4,
    vectors: new Float32Array([0, 0, 2, 0, 0, 3, 5, 5, 4, 4]),
    labels: [0, 0, 1, 2, 2],
  });
}
const view = (items: { item: number; distance: number; source: string }[]) => items.map((x) => [x.item, x.distance, x.source]);

describe('squared L2 scan', () => {
  it('computes hand-checked distances with zero padding', () => {
    const memory = createMemory({ dim: 3, itemCount: 1, vectors: new Float32Array([0, 0, 0, 1, 1, 1]), labels: [0, 0] });
    const q = padQuery([1, 2, 3], 3);
    expect(q.length).toBe(8);
    expect(squaredL2F16(q, memory.vectors, 0)).toBe(14);
    expect(squaredL2F16(q, memory.vectors, 1)).toBe(0 + 1 + 4);
  });
});

describe('centroids', () => {
  it('are per-item means, zero with count 0 for items without rows', () => {
    const c = computeCentroids(handMemory());
    expect(Array.from(c.counts)).toEqual([2, 1, 2, 0]);
    expect(Array.from(c.vectors.subarray(0, 2))).toEqual([1, 0]);
    expect(Array.from(c.vectors.subarray(8, 10))).toEqual([0, 3]);
    expect(Array.from(c.vectors.subarray(16, 18))).toEqual([4.5, 4.5]);
    expect(Array.from(c.vectors.subarray(24, 26))).toEqual([0, 0]);
  });
});

describe('CpuDecoder', () => {
  const decoder = new CpuDecoder(handMemory());
  const q = [0, 0.5];

  it('L2D-G ranks items by centroid distance and skips items without rows', () => {
    expect(view(decoder.decode(q, { k: 10, strategy: 'global' }))).toEqual([
      [0, Math.sqrt(1.25), 'global'],
      [1, 2.5, 'global'],
      [2, Math.sqrt(36.25), 'global'],
    ]);
  });

  it('L2D-L groups the top-M rows and fills up from the global ranking', () => {
    // m = 2: rows r0 (0.25) and r1 (4.25), both item 0: local mean (1,0).
    expect(view(decoder.decode(q, { k: 3, strategy: 'local', m: 2 }))).toEqual([
      [0, Math.sqrt(1.25), 'local'],
      [1, 2.5, 'global'],
      [2, Math.sqrt(36.25), 'global'],
    ]);
    // m = 1 near (4.2, 4.2): only r4 (4,4) is taken, so item 2's local mean is (4,4), not (4.5,4.5).
    const near = decoder.decode([4.25, 4.25], { k: 2, strategy: 'local', m: 1 });
    expect(view(near)).toEqual([
      [2, Math.sqrt(0.125), 'local'],
      [1, Math.sqrt(4.25 ** 2 + 1.25 ** 2), 'global'],
    ]);
  });

  it('excludes items (before taking the top-M rows in L2D-L)', () => {
    expect(decoder.decode(q, { k: 3, strategy: 'global', exclude: [0] }).map((x) => x.item)).toEqual([1, 2]);
    // With item 0 excluded, the 2 nearest eligible rows are r2 (item 1) and r4 (item 2).
    expect(view(decoder.decode(q, { k: 3, strategy: 'local', m: 2, exclude: [0] }))).toEqual([
      [1, 2.5, 'local'],
      [2, Math.sqrt(16 + 3.5 ** 2), 'local'],
    ]);
  });

  it('only: the list holds none but its items, their rows taken before the top M; shorter than k when fewer remain', () => {
    expect(decoder.decode(q, { k: 3, strategy: 'global', only: [2, 1] }).map((x) => x.item)).toEqual([1, 2]);
    // As excluding item 0: the 2 nearest allowed rows are r2 (item 1) and r4 (item 2).
    for (const strategy of ['local', 'vote'] as const) {
      expect(decoder.decode(q, { k: 3, strategy, m: 2, only: [1, 2] })).toEqual(decoder.decode(q, { k: 3, strategy, m: 2, exclude: [0] }));
    }
    // With exclude, what only allows less what exclude names.
    expect(decoder.decode(q, { k: 3, strategy: 'vote', m: 2, only: [1, 2], exclude: [1] }).map((x) => [x.item, x.source])).toEqual([[2, 'vote']]);
    expect(decoder.decode(q, { k: 3, strategy: 'local', m: 2, only: [0], exclude: [0] })).toEqual([]);
  });

  it('L2D-V: the top-M rows vote for their items, nearer rows weigh more, and the rest fills up by centroid', () => {
    // m = 3 from (0, 0.5): r0 (d 0.5) and r1 (d sqrt(4.25)) vote for item 0, r2 (d 2.5) for item 1; item 2 follows by centroid.
    const voted = decoder.decode(q, { k: 3, strategy: 'vote', m: 3 });
    expect(voted).toEqual([
      { item: 0, distance: 0.5, score: 1 + Math.exp(-(Math.sqrt(4.25) - 0.5) / 0.25), source: 'vote' },
      { item: 1, distance: 2.5, score: Math.exp(-(2.5 - 0.5) / 0.25), source: 'vote' },
      { item: 2, distance: Math.sqrt(36.25), score: 1 / Math.sqrt(36.25), source: 'global' },
    ]);
    // Excluded items' rows do not vote: the 2 nearest eligible rows are r2 (item 1) and r4 (item 2).
    expect(view(decoder.decode(q, { k: 3, strategy: 'vote', m: 2, exclude: [0] }))).toEqual([
      [1, 2.5, 'vote'],
      [2, Math.sqrt(16 + 3.5 ** 2), 'vote'],
    ]);
  });

  it('L2D-V ranks three rows of one item a little farther away above one nearer row of another; L2D-L the other way', () => {
    // Item 0: one row at distance 1; item 1: three rows at distance 1.1 (their mean too).
    const memory = createMemory({ dim: 2, itemCount: 2, vectors: new Float32Array([1, 0, 0, 1.1, 0, 1.1, 0, 1.1]), labels: [0, 1, 1, 1] });
    const d = new CpuDecoder(memory);
    // Votes: item 1 3 e^-0.2 = 2.5, item 0 1.
    expect(d.decode([0, 0], { k: 2, strategy: 'vote', m: 4 }).map((x) => x.item)).toEqual([1, 0]);
    expect(d.decode([0, 0], { k: 2, strategy: 'local', m: 4 }).map((x) => x.item)).toEqual([0, 1]);
  });

  it('takes M = 3000 for L2D-V where the request names no M', () => {
    const memory = generateSyntheticMemory({ rows: 5000, dim: 16, items: 300, seed: 8 });
    const big = new CpuDecoder(memory);
    const query = syntheticQuery(memory, 9);
    expect(big.decode(query, { k: 30, strategy: 'vote' })).toEqual(big.decode(query, { k: 30, strategy: 'vote', m: 3000 }));
    expect(big.decode(query, { k: 30, strategy: 'vote' })).not.toEqual(big.decode(query, { k: 30, strategy: 'vote', m: 1000 }));
  });

  it('is L2D-V with M = 3000 where the request names no strategy', () => {
    const memory = generateSyntheticMemory({ rows: 5000, dim: 16, items: 300, seed: 8 });
    const big = new CpuDecoder(memory);
    const query = syntheticQuery(memory, 9);
    const unnamed = big.decode(query, { k: 30 });
    expect(unnamed).toEqual(big.decode(query, { k: 30, strategy: 'vote', m: 3000 }));
    // Neither L2D-L, L2D-G nor another M.
    expect(unnamed).not.toEqual(big.decode(query, { k: 30, strategy: 'local', m: 3000 }));
    expect(unnamed).not.toEqual(big.decode(query, { k: 30, strategy: 'global' }));
    expect(unnamed).not.toEqual(big.decode(query, { k: 30, strategy: 'vote', m: 1000 }));
    expect(unnamed).not.toEqual(big.decode(query, { k: 30, strategy: 'vote', m: 2000 }));
  });

  it('gives score = 1 / distance, and at distance 0 the largest finite number (it survives JSON)', () => {
    const [item1] = decoder.decode([0, 0.5], { k: 2, strategy: 'global' }).slice(1);
    expect(item1).toEqual({ item: 1, distance: 2.5, score: 0.4, source: 'global' });
    const [first] = decoder.decode([0, 0], { k: 1, strategy: 'local', m: 1 });
    expect(first).toEqual({ item: 0, distance: 0, score: Number.MAX_VALUE, source: 'local' });
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  });

  it('L2D-L with M = all rows equals L2D-G exactly', () => {
    const memory = generateSyntheticMemory({ rows: 3000, dim: 37, items: 150, seed: 3 });
    const big = new CpuDecoder(memory);
    for (let s = 0; s < 3; s++) {
      const query = syntheticQuery(memory, 100 + s);
      const g = big.decode(query, { k: 40, strategy: 'global' });
      const l = big.decode(query, { k: 40, strategy: 'local', m: memory.rows });
      expect(l.map((x) => [x.item, x.distance])).toEqual(g.map((x) => [x.item, x.distance]));
    }
  });

  // L2D-L is the sweep's own default (no strategy named); each case's pair of M ranks differently, so the sweep is not
  // trivially constant.
  it.each([
    { name: 'An L2D-L', strategy: undefined, exclude: [3, 4], seed: 200, differing: [0, 3] },
    { name: 'An L2D-V', strategy: 'vote', exclude: [3], seed: 300, differing: [1, 3] },
  ] as const)('$name M sweep from one scan, or from rows selected elsewhere, equals one decode per M (with excluded items)', ({ strategy, exclude, seed, differing }) => {
    const memory = generateSyntheticMemory({ rows: 2000, dim: 24, items: 120, seed: 5 });
    const decoder = new CpuDecoder(memory);
    const ms = [1, 50, 7, 400, 2000];
    for (let s = 0; s < 3; s++) {
      const query = syntheticQuery(memory, seed + s);
      const sweep = decoder.decodeLocalSweep(query, ms, { k: 30, strategy, exclude });
      ms.forEach((m, i) => expect(sweep[i]).toEqual(decoder.decode(query, { k: 30, strategy: strategy ?? 'local', m, exclude })));
      expect(sweep[differing[0]].map((x) => x.item)).not.toEqual(sweep[differing[1]].map((x) => x.item));
      // The rows given (as evaluate's batched scan gives them, with no exclusions): the same lists.
      const padded = padQuery(query, memory.dim);
      const rows = Uint32Array.from({ length: memory.rows }, (_, r) => r).sort((a, b) => squaredL2F16(padded, memory.vectors, a) - squaredL2F16(padded, memory.vectors, b) || a - b);
      expect(decoder.decodeLocalSweep(query, ms, { k: 30, strategy }, rows)).toEqual(decoder.decodeLocalSweep(query, ms, { k: 30, strategy }));
    }
  });

  it('several lists from one h_t (scanned once) equal fresh decoders\' lists, in any order, and another query gets its own', () => {
    const memory = generateSyntheticMemory({ rows: 2000, dim: 24, items: 120, seed: 6 });
    const reused = new CpuDecoder(memory);
    const lists = [
      { k: 30, strategy: 'local', m: 400 },
      { k: 30, strategy: 'local', m: 50, exclude: [3, 4] },
      { k: 10, strategy: 'global' },
      { k: 30, strategy: 'local', m: 2000, exclude: [7] },
      { k: 20, strategy: 'global', exclude: [1] },
    ] as const;
    const [first, second] = [syntheticQuery(memory, 400), syntheticQuery(memory, 401)];
    // A copy of the first query in another array (as each request's h_t is) after the second, then the first again.
    for (const query of [first, second, Float32Array.from(first)]) {
      for (const options of lists) expect(reused.decode(query, options)).toEqual(new CpuDecoder(memory).decode(query, options));
    }
    // One dimension changed: a query that differs only there is not answered from the last one's distances.
    const nudged = Float32Array.from(first);
    nudged[5] += 0.5;
    const options = { k: 30, strategy: 'local', m: 50 } as const;
    expect(reused.decode(nudged, options)).toEqual(new CpuDecoder(memory).decode(nudged, options));
    expect(reused.decode(nudged, options)).not.toEqual(reused.decode(first, options));
  });

  it('a memory update after a request is in the next request from the same h_t', () => {
    const decoder = new CpuDecoder(handMemory());
    const query = [0.1, 2.9]; // at item 1's row (0,3)
    const local = { k: 2, strategy: 'local', m: 1 } as const;
    expect(decoder.decode(query, local).map((x) => x.item)).toEqual([1, 0]);
    expect(decoder.decode(query, { k: 1, strategy: 'global' }).map((x) => x.item)).toEqual([1]);
    // Item 3 (no rows until now) gets a row exactly at the query: nearest row and nearest centroid (then item 1 fills up).
    decoder.setOverlay({ vectors: Uint16Array.from([0.1, 2.9], toFloat16Bits), labels: Uint32Array.of(3) });
    expect(decoder.decode(query, local).map((x) => x.item)).toEqual([3, 1]);
    expect(decoder.decode(query, { k: 1, strategy: 'global' }).map((x) => x.item)).toEqual([3]);
  });

  it('takes over centroids already computed (the cold-start rule\'s), cold-start ones written in, and names a misfit', () => {
    const memory = generateSyntheticMemory({ rows: 3000, dim: 24, items: 150, seed: 8 });
    const extraCentroids = [{ item: 149, vector: Float32Array.from({ length: rowStride(24) }, (_, c) => (c < 24 ? 0.25 : 0)), count: 1 }];
    const given = computeCentroids(memory);
    const taking = new CpuDecoder(memory, { extraCentroids, centroids: given });
    const computing = new CpuDecoder(memory, { extraCentroids });
    expect(taking.centroids).toBe(given);
    expect(taking.centroids).toEqual(computing.centroids);
    for (const options of [{ k: 20, strategy: 'global' }, { k: 20, strategy: 'local', m: 100 }] as const) {
      expect(taking.decode(syntheticQuery(memory, 1), options)).toEqual(computing.decode(syntheticQuery(memory, 1), options));
    }
    // Known answer: they are what it ranks by (item 2's centroid moved onto the query ranks it first).
    const moved = computeCentroids(handMemory());
    moved.vectors.set([0, 0], 2 * rowStride(2));
    expect(new CpuDecoder(handMemory(), { centroids: moved }).decode([0, 0], { k: 3, strategy: 'global' }).map((x) => x.item)).toEqual([2, 0, 1]);
    const wrong = computeCentroids(generateSyntheticMemory({ rows: 300, dim: 24, items: 140, seed: 8 }));
    expect(() => new CpuDecoder(memory, { centroids: wrong }).centroids).toThrow(
      'The given centroids hold 140 items x 24 values; this memory has 150 items x 24 (rowStride(24)).',
    );
  });

  it("ranks the same with its scans on WebAssembly SIMD (the default) as with scan: 'js'", () => {
    // Small rows copied into the scan module block by block; large rows and centroids scanned where they live
    // (src/core/row-storage.ts), before and after memory updates.
    for (const [rows, dim, items] of [[3001, 40, 150], [5000, 256, 1200]]) {
      const memory = generateSyntheticMemory({ rows, dim, items, seed: 9 });
      const simd = new CpuDecoder(memory);
      const js = new CpuDecoder(memory, { scan: 'js' });
      const resident = rows * rowStride(dim) * 2 >= RESIDENT_MIN_BYTES;
      expect([residentRows(memory.vectors) !== undefined, residentRows(simd.centroids.vectors) !== undefined]).toEqual([resident, resident]);
      const update = generateSyntheticMemory({ rows: 7, dim, items, seed: 10 });
      const overlay = { vectors: Uint16Array.from({ length: 7 * dim }, (_, i) => update.vectors[Math.floor(i / dim) * rowStride(dim) + (i % dim)]), labels: update.labels };
      for (const updated of [false, true]) {
        if (updated) for (const decoder of [simd, js]) decoder.setOverlay(overlay);
        expect(residentRows(simd.centroids.vectors) !== undefined).toBe(resident);
        for (let s = 0; s < 3; s++) {
          const query = syntheticQuery(memory, 300 + s);
          for (const options of [{ k: 40 }, { k: 40, strategy: 'local', m: 300, exclude: [0, 1] }] as const) expect(simd.decode(query, options)).toEqual(js.decode(query, options));
        }
      }
    }
  });
});

describe('bad input', () => {
  const decoder = new CpuDecoder(handMemory());
  it('rejects an empty memory', () => {
    expect(() => createMemory({ dim: 2, itemCount: 1, vectors: new Float32Array(0), labels: [] })).toThrow(/memory is empty/);
  });
  it('rejects a query of the wrong dimension', () => {
    expect(() => decoder.decode([1, 2, 3], { k: 1 })).toThrow(/query has 3 dimensions but the memory's hidden size is 2/);
  });
  it('rejects k <= 0, a bad strategy, m <= 0 and unknown excluded items', () => {
    expect(() => decoder.decode([0, 0], { k: 0 })).toThrow(/k must be a positive integer, got 0/);
    expect(() => decoder.decode([0, 0], { k: 1.5 })).toThrow(/k must be a positive integer/);
    expect(() => decoder.decode([0, 0], { k: 1, strategy: 'nearest' as 'global' })).toThrow("strategy must be 'local' (L2D-L), 'global' (L2D-G) or 'vote' (L2D-V), got 'nearest'.");
    expect(() => decoder.decode([0, 0], { k: 1, strategy: 'local', m: 0 })).toThrow(/m must be a positive integer/);
    expect(() => decoder.decode([0, 0], { k: 1, exclude: [9] })).toThrow(/exclude holds 9, which is not an item/);
    expect(() => decoder.decode([0, 0], { k: 1, only: [0, 4] })).toThrow('only holds 4, which is not an item of this memory (0..3).');
    expect(() => decoder.decode([0, 0], { k: 1, only: [] })).toThrow('only is empty: it names the items a list may hold, so no item could be recommended.');
    expect(() => decoder.decode([0, 0], { k: 1, only: 2 as never })).toThrow('only must be an array of item ids, got 2.');
    expect(() => decoder.decode([0, 0], { k: 1, exclude: 'ab' as never })).toThrow('exclude must be an array of item ids, got "ab" (a string).');
  });
  it('rejects an M sweep without an M, or with one that is no M, naming it', () => {
    const decoder = new CpuDecoder(handMemory());
    expect(() => decoder.decodeLocalSweep([0, 0], [], { k: 2 })).toThrow('An M sweep needs at least one M (a positive integer), got none.');
    expect(() => decoder.decodeLocalSweep([0, 0], 5 as unknown as number[], { k: 2 })).toThrow('An M sweep needs at least one M (a positive integer), got 5.');
    expect(() => decoder.decodeLocalSweep([0, 0], [2, 0], { k: 2 })).toThrow('m must be a positive integer, got 0.');
  });

  it('rejects NaN and Infinity in queries and memory rows', () => {
    expect(() => decoder.decode([NaN, 0], { k: 1 })).toThrow(/query \(dimension 0\) holds NaN or Infinity/);
    expect(() => decoder.decode([0, Infinity], { k: 1 })).toThrow(/dimension 1\) holds NaN or Infinity/);
    expect(() => createMemory({ dim: 2, itemCount: 1, vectors: new Float32Array([0, 0, 1, NaN]), labels: [0, 0] })).toThrow(
      /Memory row 1 \(dimension 1\) holds NaN/,
    );
    const bits = new Uint16Array([0, toFloat16Bits(Infinity)]);
    expect(() => createMemory({ dim: 2, itemCount: 1, vectors: bits, labels: [0] })).toThrow(/Memory row 0/);
  });
  it('rejects labels outside the item table, and entries that are no item id before converting them', () => {
    expect(() => createMemory({ dim: 1, itemCount: 2, vectors: new Float32Array([0]), labels: Uint32Array.of(2) })).toThrow('Row 0 has label 2, outside 0..1.');
    const withLabels = (labels: unknown) => () => createMemory({ dim: 1, itemCount: 2, vectors: new Float32Array([0, 0]), labels: labels as number[] });
    expect(withLabels([0, 2])).toThrow('labels[1] is 2, not an item id (0..1).');
    // Uint32Array.from would have made these 1 and 4294967295 (an item of a large catalog).
    expect(withLabels([0, 1.5])).toThrow('labels[1] is 1.5, not an item id (0..1).');
    expect(withLabels([-1, 0])).toThrow('labels[0] is -1, not an item id (0..1).');
    expect(withLabels([0, '1'])).toThrow('labels[1] is "1" (a string), not an item id (0..1).');
    expect(withLabels('01')).toThrow('labels must be a Uint32Array or an array of item ids, got "01" (a string).');
  });
  it('names a memory, vectors, query or options that are not what they should be', () => {
    expect(() => createMemory(undefined as never)).toThrow('createMemory takes { dim, itemCount, vectors, labels }, got undefined.');
    expect(() => createMemory({ dim: '2' as never, itemCount: 1, vectors: new Float32Array(2), labels: [0] })).toThrow('dim must be a positive integer, got "2" (a string).');
    expect(() => createMemory({ dim: 2, itemCount: 1, vectors: 'ab' as never, labels: [0] })).toThrow(
      'vectors must be a Float32Array (or an array) of numbers, or a Uint16Array of float16 bits, got "ab" (a string).',
    );
    expect(() => decoder.decode('ab' as never, { k: 1 })).toThrow('The query must be a hidden state: 2 numbers (a Float32Array or an array), got "ab" (a string).');
    expect(() => decoder.decode(undefined as never, { k: 1 })).toThrow('The query must be a hidden state: 2 numbers (a Float32Array or an array), got undefined.');
    expect(() => decoder.decode([0, '1'] as never, { k: 1 })).toThrow('The query holds "1" (a string) in dimension 1, not a number.');
    expect(() => decoder.decode([0, 0], undefined as never)).toThrow('The decode options must be { k, strategy?, m?, exclude?, only? }, got undefined.');
    expect(() => decoder.decode([0, 0], { k: '2' as never })).toThrow('k must be a positive integer, got "2" (a string).');
    expect(() => decoder.decode([0, 0], { k: 1, strategy: 'local', m: '50' as never })).toThrow('m must be a positive integer, got "50" (a string).');
  });
  it('generateSyntheticMemory names a bad size or seed', () => {
    expect(() => generateSyntheticMemory({ rows: -5, dim: 4, items: 2, seed: 1 })).toThrow('rows must be a positive integer, got -5.');
    expect(() => generateSyntheticMemory({ rows: 5, dim: 4, items: 2, seed: 1, noise: 0.5 })).toThrow('noise must be an integer >= 0, got 0.5.');
    expect(() => generateSyntheticMemory({ rows: 5, dim: 4, items: 2, seed: '1' as never })).toThrow('seed must be an integer, got "1" (a string).');
    expect(generateSyntheticMemory({ rows: 5, dim: 4, items: 2, seed: -1, noise: 0 }).rows).toBe(5);
  });
});
