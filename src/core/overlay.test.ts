import { describe, expect, it } from 'vitest';
import { computeCentroids } from './centroids.ts';
import { CpuDecoder } from './cpu-decoder.ts';
import { InvalidArgumentError } from './errors.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { EMPTY_OVERLAY, withOverlay, type OverlayRows } from './overlay.ts';
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
