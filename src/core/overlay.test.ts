import { describe, expect, it } from 'vitest';
import { computeCentroids } from './centroids.ts';
import { CpuDecoder } from './cpu-decoder.ts';
import { InvalidArgumentError } from './errors.ts';
import { toFloat16Bits } from './float16.ts';
import { createMemory, rowStride, type L2DMemory } from './memory.ts';
import { CentroidOverlay, centroidOverlayOfRows, EMPTY_OVERLAY, shardCentroidFrom, shardCentroidOfRows, shardCentroids, withOverlay, type OverlayRows } from './overlay.ts';
import { generateSyntheticMemory, syntheticQuery } from './synthetic-memory.ts';

const dim = 20; // stride 24: padding lanes are exercised
const full = generateSyntheticMemory({ rows: 600, dim, items: 40, seed: 7 });
const stride = rowStride(dim);

/** The first `rows` rows as the shard, with the arrays' room kept (as MemoryAssembler's spareRows leaves it). */
function shardOf(rows: number, source = full): L2DMemory {
  return { ...source, rows, vectors: source.vectors.subarray(0, rows * stride), labels: source.labels.subarray(0, rows) };
}
/** A private copy: overlays write into the room after the shard's rows. */
const copyOfFull = (): L2DMemory => ({ ...full, vectors: full.vectors.slice(), labels: full.labels.slice() });
/** Rows [from, to) of the full memory as overlay rows (unpadded). */
function overlayOf(from: number, to: number, relabel?: (r: number) => number): OverlayRows {
  const vectors = new Uint16Array((to - from) * dim);
  for (let r = from; r < to; r++) vectors.set(full.vectors.subarray(r * stride, r * stride + dim), (r - from) * dim);
  return { vectors, labels: Uint32Array.from({ length: to - from }, (_, i) => (relabel ? relabel(from + i) : full.labels[from + i])) };
}
const queries = [1, 2, 3, 4].map((s) => syntheticQuery(full, s));
const decodeAll = (d: CpuDecoder) =>
  queries.flatMap((q) => [d.decode(q, { k: 10, strategy: 'global' }), d.decode(q, { k: 10, strategy: 'local', m: 50 })]);

describe('memory updates (overlay rows)', () => {
  it('an overlay decodes exactly like a memory built from scratch with those rows at the end', () => {
    const decoder = new CpuDecoder(shardOf(500, copyOfFull()));
    void decoder.centroids;
    decoder.setOverlay(overlayOf(500, 560));
    const scratch = new CpuDecoder(shardOf(560));
    expect(decodeAll(decoder)).toEqual(decodeAll(scratch));
    expect(decoder.centroids.vectors).toEqual(scratch.centroids.vectors);
    expect(decoder.centroids.counts).toEqual(scratch.centroids.counts);
    // Replacing the overlay by a larger one: still the from-scratch answer.
    decoder.setOverlay(overlayOf(500, 600));
    expect(decodeAll(decoder)).toEqual(decodeAll(new CpuDecoder(full)));
  });

  it('dropping the overlay restores the shard centroids and top-K bit for bit', () => {
    const base = shardOf(500, copyOfFull());
    const decoder = new CpuDecoder(base);
    const before = decodeAll(decoder);
    // Give every overlay row to item 3: a large, visible change.
    decoder.setOverlay(overlayOf(500, 600, () => 3));
    expect(decodeAll(decoder)).not.toEqual(before);
    decoder.setOverlay(EMPTY_OVERLAY);
    expect(decodeAll(decoder)).toEqual(before);
    const reference = computeCentroids(base);
    expect(decoder.centroids.vectors).toEqual(reference.vectors);
    expect(decoder.centroids.counts).toEqual(reference.counts);
    expect(decoder.memory).toBe(base);
  });

  it("a shard centroid from the item's rows alone (the GPU decoder's updates) is shardCentroids' bit for bit, cold-start ones too", () => {
    const base = shardOf(500, copyOfFull());
    // Items 38 and 39 without rows, one with a cold-start centroid.
    const labels = base.labels.map((v) => (v >= 38 ? 0 : v));
    const memory = { ...base, labels };
    const extras = [{ item: 39, vector: Float32Array.from({ length: stride }, (_, c) => (c < dim ? c / 7 : 0)), count: 1 }];
    const all = shardCentroids(memory, extras);
    const [fromRows, fromAll] = [shardCentroidOfRows(memory, extras), shardCentroidFrom(all, stride)];
    for (let item = 0; item < memory.itemCount; item++) expect(fromRows(item)).toEqual(fromAll(item));
    expect([fromRows(38).count, fromRows(39).vector]).toEqual([0, extras[0].vector]);
    // The same changes for an overlay and for dropping it (a copy each time: the caller may keep it).
    const [a, b] = [centroidOverlayOfRows(memory, extras), new CentroidOverlay(memory, fromAll)];
    for (const overlay of [overlayOf(500, 560, (r) => (r % 3 === 0 ? 39 : full.labels[r])), EMPTY_OVERLAY]) {
      const merged = withOverlay(memory, overlay); // a copy: these labels have no room after them
      expect(a.changes(merged)).toEqual(b.changes(merged));
    }
    fromRows(39).vector[0] = 100;
    expect(fromRows(39).vector[0]).toBe(0);
  });

  it('appends in place where the shard arrays have room, and copies where they do not', () => {
    const roomy = shardOf(500, copyOfFull());
    expect(withOverlay(roomy, overlayOf(500, 510)).vectors.buffer).toBe(roomy.vectors.buffer);
    const tight: L2DMemory = { ...roomy, vectors: roomy.vectors.slice(), labels: roomy.labels.slice() };
    const merged = withOverlay(tight, overlayOf(500, 510));
    expect(merged.vectors.buffer).not.toBe(tight.vectors.buffer);
    expect(merged.vectors).toEqual(full.vectors.subarray(0, 510 * stride));
  });

  it('refuses rows of unknown items or with non-finite values, naming them', () => {
    const base = shardOf(500);
    const badItem = overlayOf(500, 502, () => 40);
    expect(() => withOverlay(base, badItem)).toThrow(new InvalidArgumentError('Overlay row 0 has item 40, outside the 40 items.'));
    const nan = overlayOf(500, 502);
    nan.vectors[dim + 3] = 0x7e00;
    expect(() => withOverlay(base, nan)).toThrow(/Overlay row 1 holds NaN or Infinity in dimension 3/);
    const decoder = new CpuDecoder(base);
    expect(() => decoder.setOverlay(badItem)).toThrow(InvalidArgumentError);
    expect(decoder.memory).toBe(base);
  });
});

describe('memory updates on a centroid memory (one row per item, with its sample counts)', () => {
  /** The centroid memory of `samples` as buildCentroidShard writes it: each item's float32 mean as one float16 row. */
  function centroidMemoryOf(samples: L2DMemory): { memory: L2DMemory; sampleCounts: Uint32Array } {
    const { vectors: means, counts } = computeCentroids(samples);
    const items = Array.from(counts.keys()).filter((v) => counts[v] > 0);
    const vectors = new Uint16Array((items.length + 100) * stride); // room for an overlay, as spareRows leaves it
    items.forEach((v, r) => {
      for (let c = 0; c < dim; c++) vectors[r * stride + c] = toFloat16Bits(means[v * stride + c]);
    });
    const labels = new Uint32Array(items.length + 100);
    labels.set(items);
    return { memory: { dim, rows: items.length, itemCount: samples.itemCount, vectors: vectors.subarray(0, items.length * stride), labels: labels.subarray(0, items.length) }, sampleCounts: counts };
  }

  it("weighs each centroid row by its item's samples: the centroids the samples and the overlay give, to float16 rounding", () => {
    const samples = shardOf(500, copyOfFull());
    const { memory, sampleCounts } = centroidMemoryOf(samples);
    const decoder = new CpuDecoder(memory, { sampleCounts });
    decoder.setOverlay(overlayOf(500, 560));
    const fromSamples = new CpuDecoder(shardOf(500, copyOfFull()));
    fromSamples.setOverlay(overlayOf(500, 560));
    const [got, want] = [decoder.centroids.vectors, fromSamples.centroids.vectors];
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) - Math.abs(want[i]) * 2 ** -11);
    // Within the centroid row's float16 half-ulp (plus float32 sums); an unweighted row would be off by far more.
    expect(worst).toBeLessThan(1e-6);
    const unweighted = new CpuDecoder(centroidMemoryOf(samples).memory);
    unweighted.setOverlay(overlayOf(500, 560));
    expect(Math.max(...unweighted.centroids.vectors.map((x, i) => Math.abs(x - want[i])))).toBeGreaterThan(0.01);
    expect(Array.from(decoder.centroids.counts, (n) => n > 0)).toEqual(Array.from(fromSamples.centroids.counts, (n) => n > 0));
    // Dropping the overlay: the centroid memory's own answers, bit for bit.
    const before = decodeAll(new CpuDecoder(memory));
    decoder.setOverlay(EMPTY_OVERLAY);
    expect(decodeAll(decoder)).toEqual(before);
  });

  it('known answers: (n x row + overlay rows) / (n + k), and an item without a row takes its overlay rows\' mean', () => {
    // Item 0: the mean of 3 samples (1, 2); item 1: no samples; item 2: 1 sample (8, 8).
    const memory = createMemory({ dim: 2, itemCount: 3, vectors: new Float32Array([1, 2, 8, 8]), labels: [0, 2] });
    const decoder = new CpuDecoder(memory, { sampleCounts: Uint32Array.of(3, 0, 1) });
    decoder.setOverlay({ vectors: Uint16Array.from([5, 6, 4, 4, 2, 0], toFloat16Bits), labels: Uint32Array.of(0, 1, 1) });
    const s = rowStride(2);
    expect(Array.from(decoder.centroids.vectors.subarray(0, 2))).toEqual([2, 3]); // (3 * (1, 2) + (5, 6)) / 4
    expect(Array.from(decoder.centroids.vectors.subarray(s, s + 2))).toEqual([3, 2]); // ((4, 4) + (2, 0)) / 2
    expect(Array.from(decoder.centroids.vectors.subarray(2 * s, 2 * s + 2))).toEqual([8, 8]); // untouched
    expect(Array.from(decoder.centroids.counts)).toEqual([2, 2, 1]); // rows in the memory: centroid and overlay rows
    expect(decoder.decode([3, 2], { k: 3 }).map((x) => x.item)).toEqual([1, 0, 2]);
  });
});
