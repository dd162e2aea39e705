import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assembleWat, BYTES_MODULE_PATH, bytesModuleSource, WAT_PATH } from '../../tools/wasm/assemble.ts';
import { isNonFiniteFloat16 } from './float16.ts';
import { computeCentroids, groupMeansOfRows } from './centroids.ts';
import { loadShard } from '../../tools/lib/shard-files.ts';
import { fastCentroids, fastGroupMeans, fastScanF32, fastScanMemory, scanImplementation } from './l2-scan-wasm.ts';
import { padQuery, scanMemory, scanRowsF32, squaredL2F32 } from './l2-scan.ts';
import { createMemory, rowStride, type L2DMemory } from './memory.ts';
import { generateSyntheticMemory, syntheticQuery, xorshift32 } from './synthetic-memory.ts';
import { RESIDENT_MIN_BYTES, residentRows } from './row-storage.ts';

/** Uniform in [0, 1), seeded. */
const random = (seed: number) => {
  const next = xorshift32(seed);
  return () => next() / 2 ** 32;
};

/** Every finite float16 bit pattern once (zeros, subnormals, 65504, both signs), laid out in rows of `dim`. */
function everyFiniteHalf(dim: number) {
  const bits: number[] = [];
  for (let b = 0; b < 65536; b++) if (!isNonFiniteFloat16(b)) bits.push(b);
  while (bits.length % dim !== 0) bits.push(0);
  const rows = bits.length / dim;
  return createMemory({ dim, itemCount: 1, vectors: Uint16Array.from(bits), labels: new Array(rows).fill(0) });
}

describe('the WebAssembly SIMD scans (src/core/l2-scan.wat)', () => {
  it('are what the committed module carries (npm run build:wasm was run after the last edit of the .wat)', async () => {
    expect(readFileSync(BYTES_MODULE_PATH, 'utf8')).toBe(bytesModuleSource(await assembleWat(WAT_PATH)));
  });

  it('run here: Node 20 and Chromium have WebAssembly SIMD', () => {
    expect(scanImplementation()).toBe('wasm-simd');
  });

  it('equal the JS twin bit for bit on every finite float16 value, with small, large and mixed queries', () => {
    const memory = everyFiniteHalf(256); // 240 rows: the four-row loop, no remainder
    const next = random(7);
    const queries = [
      padQuery(new Array(256).fill(0), 256),
      padQuery(Array.from({ length: 256 }, () => (next() - 0.5) * 1e-6), 256),
      padQuery(Array.from({ length: 256 }, () => (next() - 0.5) * 2e4), 256),
      padQuery(Array.from({ length: 256 }, (_, i) => (i % 3 === 0 ? -65504 : next() * 3)), 256),
    ];
    for (const query of queries) expect(fastScanMemory(query, memory)).toEqual(scanMemory(query, memory));
  });

  it('equal the JS twin on padded dimensions, row counts that leave a remainder, and memories over one block', () => {
    for (const [dim, rows] of [
      [1, 3],
      [12, 5],
      [256, 21_457],
      [896, 1_501], // 1 792 bytes a row: three blocks of 585, the last one short
    ]) {
      const memory = generateSyntheticMemory({ rows, dim, items: 50, seed: dim });
      // The larger two live in scan instances of their own (scanned in place); their copies in plain arrays are
      // copied into the shared instance a block at a time.
      expect(residentRows(memory.vectors) !== undefined, `d = ${dim}`).toBe(rows * rowStride(dim) * 2 >= RESIDENT_MIN_BYTES);
      const plain = { ...memory, vectors: memory.vectors.slice() };
      expect(residentRows(plain.vectors)).toBeUndefined();
      const query = padQuery(syntheticQuery(memory, rows), dim);
      const expected = scanMemory(query, memory);
      for (const scanned of [memory, plain, memory]) {
        const fast = fastScanMemory(query, scanned);
        expect(fast.length, `d = ${dim}`).toBe(rows);
        expect(fast, `d = ${dim}, ${rows} rows`).toEqual(expected);
      }
    }
  });

  it('scan float32 rows (centroids) as squaredL2F32 does', () => {
    const next = random(11);
    for (const dim of [8, 100, 2048]) {
      const stride = rowStride(dim);
      const count = 37;
      const vectors = new Float32Array(count * stride);
      for (let r = 0; r < count; r++) for (let i = 0; i < dim; i++) vectors[r * stride + i] = (next() - 0.5) * 10 ** Math.floor(next() * 8 - 4);
      const query = padQuery(Array.from({ length: dim }, () => next() - 0.5), dim);
      expect(fastScanF32(query, vectors, count)).toEqual(Float32Array.from({ length: count }, (_, r) => squaredL2F32(query, vectors, r)));
      expect(scanRowsF32(query, vectors, count)).toEqual(fastScanF32(query, vectors, count));
    }
  });
});

/** groupMeansOfRows, the twin fastGroupMeans must equal. */
function groupMeansOneByOne(memory: L2DMemory, rowIds: Uint32Array, offsets: Uint32Array): Float32Array {
  const out = new Float32Array((offsets.length - 1) * rowStride(memory.dim));
  groupMeansOfRows(memory, rowIds, offsets, out);
  return out;
}

/** Groups of the given sizes over random rows of the memory, each group's rows ascending. */
function randomGroups(memory: L2DMemory, sizes: number[], seed: number) {
  const next = random(seed);
  const offsets = Uint32Array.from([0, ...sizes.map((_, g) => sizes.slice(0, g + 1).reduce((a, b) => a + b, 0))]);
  const rowIds = new Uint32Array(offsets.at(-1)!);
  sizes.forEach((size, g) => rowIds.set(Uint32Array.from({ length: size }, () => Math.floor(next() * memory.rows)).sort(), offsets[g]));
  return { rowIds, offsets };
}

describe("the WebAssembly SIMD group means (L2D-L's local means)", () => {
  it('equal meanOfRows bit for bit on every finite float16 value, in sums of mixed magnitudes and signs', () => {
    const memory = everyFiniteHalf(256);
    const { rowIds, offsets } = randomGroups(memory, [1, 2, 3, 7, 0, 40, 240, 5, 1000], 5);
    const out = new Float32Array((offsets.length - 1) * rowStride(256));
    fastGroupMeans(memory, rowIds, offsets, out);
    expect(out).toEqual(groupMeansOneByOne(memory, rowIds, offsets));
  });

  it('equal it with groups over several blocks, a group larger than a block, and padded dimensions', () => {
    for (const [dim, sizes] of [
      [12, [3, 0, 1, 9]],
      [896, Array.from({ length: 300 }, (_, g) => 1 + (g % 7))], // 1 200 rows of 1 792 bytes: blocks of 585 rows
      [896, [2, 1_300, 4]], // one group of more than two blocks, its sums carried from block to block
      [2048, [1, 600, 3]],
      // More groups than a block has rows (blocks of 2,048 rows at d = 256): single rows and empty groups, as the
      // centroids of a memory of one row per item (a centroid memory) have them.
      [256, Array.from({ length: 5_000 }, (_, g) => (g % 3 === 0 ? 0 : 1))],
    ] as const) {
      const memory = generateSyntheticMemory({ rows: 3_000, dim, items: 40, seed: dim });
      const { rowIds, offsets } = randomGroups(memory, [...sizes], dim + 1);
      const out = new Float32Array((offsets.length - 1) * rowStride(dim)).fill(NaN); // every value written
      fastGroupMeans(memory, rowIds, offsets, out);
      expect(out, `d = ${dim}`).toEqual(groupMeansOneByOne(memory, rowIds, offsets));
    }
  });
});

describe("the centroids on them (L2D-G's item representations)", () => {
  it('equal computeCentroids with the JS twin bit for bit, on the demo memory (items without rows left zero), on a centroid memory (more items than a block has rows) and on one with large items', async () => {
    const { memory: demo } = await loadShard('models/movielens-demo/memory/train-q4-f0.3');
    // A centroid memory: one row per item, more items than a block of rows.
    const { memory: oneRowPerItem } = await loadShard('models/amazon-games/memory/train-q4-centroids');
    // 40 items over 3,000 rows of 896 dims: items of ~75 rows, several to a 585-row block and some across blocks.
    for (const memory of [demo, oneRowPerItem, generateSyntheticMemory({ rows: 3_000, dim: 896, items: 40, seed: 9 })]) {
      const expected = computeCentroids(memory);
      const fast = fastCentroids(memory);
      expect(fast.counts).toEqual(expected.counts);
      expect(fast.vectors).toEqual(expected.vectors);
    }
    const { counts } = fastCentroids(demo);
    expect([counts.length, counts.filter((n) => n === 0).length]).toEqual([3496, 462]);
  });
});

describe('without WebAssembly (an old browser, or a CSP without wasm-unsafe-eval)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('falls back to the JS twin, with the same results', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', undefined);
    const fallback = await import('./l2-scan-wasm.ts');
    expect(fallback.scanImplementation()).toBe('js');
    // Rows stay in plain arrays, whatever their size.
    const storage = await import('./row-storage.ts');
    const rows = storage.allocateRows(4096, 256);
    expect([rows.length, rows.buffer.byteLength, storage.residentRows(rows)]).toEqual([4096 * 256, 4096 * 256 * 2, undefined]);
    const memory = generateSyntheticMemory({ rows: 101, dim: 24, items: 5, seed: 3 });
    const query = padQuery(syntheticQuery(memory, 1), 24);
    expect(fallback.fastScanMemory(query, memory)).toEqual(scanMemory(query, memory));
    const { rowIds, offsets } = randomGroups(memory, [3, 0, 50], 2);
    const out = new Float32Array(2 * rowStride(24) + rowStride(24));
    fallback.fastGroupMeans(memory, rowIds, offsets, out);
    expect(out).toEqual(groupMeansOneByOne(memory, rowIds, offsets));
  });
});
