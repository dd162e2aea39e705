/**
 * Memory updates: a user's own (history -> item) rows appended after the
 * shard's rows. Because they come after every shard row, an item's centroid
 * with the overlay is its float32 sum continued over its overlay rows: the
 * decoders recompute only the touched items' centroids (the same numbers a
 * rebuild from scratch gives), and dropping the overlay writes the shard's
 * own centroids back, exactly.
 */
import { computeCentroids, groupRowsByItem, meanOfRows, type Centroids, type GroupMeans, type RowsByItem } from './centroids.ts';
import { fastGroupMeans } from './l2-scan-wasm.ts';
import { InvalidArgumentError } from './errors.ts';
import { float16Table, isNonFiniteFloat16 } from './float16.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { allocateRows } from './row-storage.ts';

const fround = Math.fround;

export interface OverlayRows {
  /** Unpadded rows x dim float16 bits. */
  vectors: Uint16Array;
  labels: Uint32Array;
}

export const EMPTY_OVERLAY: OverlayRows = { vectors: new Uint16Array(0), labels: new Uint32Array(0) };

/** One item's centroid to write: its mean (rowStride floats) and row count (0: no representation). */
export interface CentroidChange {
  item: number;
  vector: Float32Array;
  count: number;
}

/** Writes centroid changes into centroids (in place). */
export function applyCentroidChanges(centroids: Centroids, changes: readonly CentroidChange[], stride: number): Centroids {
  for (const change of changes) {
    centroids.vectors.set(change.vector, change.item * stride);
    centroids.counts[change.item] = change.count;
  }
  return centroids;
}

/** The shard's own centroids, with the cold-start rule's for items without rows: what an empty overlay restores. */
export function shardCentroids(memory: L2DMemory, extraCentroids: readonly CentroidChange[] = [], groupMeans: GroupMeans = fastGroupMeans): Centroids {
  return applyCentroidChanges(computeCentroids(memory, undefined, groupMeans), extraCentroids, rowStride(memory.dim));
}

/** An item's centroid in the shard, with the cold-start rule's (what an empty overlay restores): a copy, the caller's. */
export type ShardCentroidOf = (item: number) => CentroidChange;

/** From the shard's centroids, all computed (the CPU decoder holds them for its scans). */
export function shardCentroidFrom(centroids: Centroids, stride: number): ShardCentroidOf {
  return (item) => ({ item, vector: centroids.vectors.slice(item * stride, (item + 1) * stride), count: centroids.counts[item] });
}

/**
 * Item by item from its rows, the same numbers as shardCentroids (meanOfRows is the group means' rule), for a
 * decoder whose centroids live elsewhere (the GPU's): a memory update then costs its items, not a pass over every row.
 */
export function shardCentroidOfRows(
  memory: L2DMemory,
  extraCentroids: readonly CentroidChange[] = [],
  byItem: RowsByItem = groupRowsByItem(memory.labels, memory.itemCount),
): ShardCentroidOf {
  const stride = rowStride(memory.dim);
  const extras = new Map(extraCentroids.map((c) => [c.item, c]));
  return (item) => {
    const extra = extras.get(item);
    if (extra) return { item, vector: extra.vector.slice(), count: extra.count };
    const rows = byItem.rowIds.subarray(byItem.offsets[item], byItem.offsets[item + 1]);
    const vector = new Float32Array(stride);
    if (rows.length > 0) meanOfRows(memory, rows, vector, 0);
    return { item, vector, count: rows.length };
  };
}

/**
 * The shard's memory with the overlay rows after it. Where the shard's
 * arrays were allocated with spare room (MemoryAssembler's spareRows) the
 * result is a view over them (no copy); otherwise a copy.
 */
export function withOverlay(base: L2DMemory, overlay: OverlayRows): L2DMemory {
  const { dim, itemCount } = base;
  const n = overlay.labels.length;
  if (overlay.vectors.length !== n * dim) throw new InvalidArgumentError(`The overlay has ${overlay.vectors.length} values for ${n} rows of ${dim} dims.`);
  for (let r = 0; r < n; r++) {
    if (overlay.labels[r] >= itemCount) throw new InvalidArgumentError(`Overlay row ${r} has item ${overlay.labels[r]}, outside the ${itemCount} items.`);
  }
  if (n === 0) return base;
  const stride = rowStride(dim);
  const rows = base.rows + n;
  const vectorRoom = (base.vectors.buffer.byteLength - base.vectors.byteOffset) / 2;
  const labelRoom = (base.labels.buffer.byteLength - base.labels.byteOffset) / 4;
  let vectors: Uint16Array;
  let labels: Uint32Array;
  if (vectorRoom >= rows * stride && labelRoom >= rows) {
    vectors = new Uint16Array(base.vectors.buffer, base.vectors.byteOffset, rows * stride);
    labels = new Uint32Array(base.labels.buffer, base.labels.byteOffset, rows);
  } else {
    vectors = allocateRows(rows, stride);
    vectors.set(base.vectors);
    labels = new Uint32Array(rows);
    labels.set(base.labels);
  }
  for (let r = 0; r < n; r++) {
    const at = (base.rows + r) * stride;
    for (let c = 0; c < dim; c++) {
      const h = overlay.vectors[r * dim + c];
      if (isNonFiniteFloat16(h)) throw new InvalidArgumentError(`Overlay row ${r} holds NaN or Infinity in dimension ${c}.`);
      vectors[at + c] = h;
    }
    vectors.fill(0, at + dim, at + stride);
    labels[base.rows + r] = overlay.labels[r];
  }
  return { dim, rows, itemCount, vectors, labels };
}

/**
 * Tracks which items an overlay touched, to recompute them and to restore the shard's centroids.
 * `sampleCounts` (a centroid memory's, src/core/shard-format.ts centroidSampleCounts): each item's one row
 * stands for that many samples, so a touched item's centroid is (n * row + the overlay's rows) / (n + k),
 * the mean the item's samples and the overlay's would have (to the row's float16 rounding).
 */
export class CentroidOverlay {
  private touched = new Set<number>();

  constructor(
    private readonly base: L2DMemory,
    private readonly shardCentroidOf: ShardCentroidOf,
    private readonly sampleCounts?: Uint32Array,
    /** The shard's rows grouped by item, where the caller has them (centroidOverlayOfRows). */
    private readonly byItem: RowsByItem = groupRowsByItem(base.labels, base.itemCount),
  ) {}

  /** Centroid values for every item touched by the previous or the new overlay (merged = withOverlay(base, overlay)). */
  changes(merged: L2DMemory): CentroidChange[] {
    const stride = rowStride(this.base.dim);
    const overlayRows = new Map<number, number[]>();
    for (let r = this.base.rows; r < merged.rows; r++) {
      const v = merged.labels[r];
      if (!overlayRows.has(v)) overlayRows.set(v, []);
      overlayRows.get(v)!.push(r);
    }
    const out: CentroidChange[] = [];
    for (const item of new Set([...this.touched, ...overlayRows.keys()])) {
      const extra = overlayRows.get(item);
      if (!extra) {
        // Back to the shard's own centroid, bit for bit.
        out.push(this.shardCentroidOf(item));
        continue;
      }
      if (this.sampleCounts) {
        out.push(this.weightedChange(merged, item, extra));
        continue;
      }
      const rows = Uint32Array.from([...this.byItem.rowIds.subarray(this.byItem.offsets[item], this.byItem.offsets[item + 1]), ...extra]);
      const vector = new Float32Array(stride);
      meanOfRows(merged, rows, vector, 0);
      out.push({ item, vector, count: rows.length });
    }
    this.touched = new Set(overlayRows.keys());
    return out.sort((a, b) => a.item - b.item);
  }

  /** (n * the item's centroid row + its overlay rows, in row order) / (n + k), in float32; n = 0 without a row. */
  private weightedChange(merged: L2DMemory, item: number, extra: readonly number[]): CentroidChange {
    const stride = rowStride(this.base.dim);
    const n = this.sampleCounts![item];
    const halves = float16Table();
    const vector = new Float32Array(stride);
    const shard = n === 0 ? undefined : this.shardCentroidOf(item).vector;
    for (let c = 0; c < stride; c++) vector[c] = shard === undefined ? 0 : fround(n * shard[c]);
    for (const r of extra) for (let c = 0; c < stride; c++) vector[c] = fround(vector[c] + halves[merged.vectors[r * stride + c]]);
    for (let c = 0; c < stride; c++) vector[c] = fround(vector[c] / (n + extra.length));
    // The item's rows in the memory (its centroid row, if any, and the overlay's), as the counts elsewhere.
    return { item, vector, count: (n > 0 ? 1 : 0) + extra.length };
  }
}

/**
 * The tracker beside a decoder whose centroids live elsewhere (the GPU decoder's): its shard centroids item by
 * item from their rows (shardCentroidOfRows), one grouping of the shard's rows serving both.
 */
export function centroidOverlayOfRows(base: L2DMemory, extraCentroids?: readonly CentroidChange[], sampleCounts?: Uint32Array): CentroidOverlay {
  const byItem = groupRowsByItem(base.labels, base.itemCount);
  return new CentroidOverlay(base, shardCentroidOfRows(base, extraCentroids, byItem), sampleCounts, byItem);
}
