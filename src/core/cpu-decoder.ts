/**
 * The CPU reference decoder: L2D-G and L2D-L exactly as the GPU decoder
 * computes them (same float32 order, same tie rule). It is the oracle of
 * the GPU tests and the fallback when WebGPU is missing or lost.
 *
 * L2D-L rule: take the top-M memory rows nearest to h_t (rows of excluded
 * items are skipped), group them by item, average each group (float32,
 * ascending row order), rank the groups by the L2 distance from h_t to
 * their local mean. If fewer than K items have a group, the remaining
 * places go to the other items ranked by their global (centroid) distance,
 * after all local items. Ties: smaller distance, then smaller item id.
 *
 * L2D-V rule (src/core/vote.ts): the same top-M rows, nearest first, vote
 * for their items; the items rank by vote, and fill up as L2D-L's do.
 *
 * The scans and L2D-L's group means run on WebAssembly SIMD where it is available (src/core/l2-scan.wat),
 * equal to their JS twins (l2-scan.ts, meanOfRows) bit for bit; `scan: 'js'` runs the twins. The last query's
 * distances are kept: more lists from the same h_t (recommend()'s `also`) do not scan again.
 */
import { groupMeansOfRows, groupRowsByItem, type Centroids } from './centroids.ts';
import {
  decodedItem,
  resolveDecodeOptions,
  resolveQueries,
  votedItem,
  type DecodeOptions,
  type DecodedItem,
  type ResolvedDecodeOptions,
} from './decode-options.ts';
import { scanMemory, scanRowsF32, squaredL2F16 } from './l2-scan.ts';
import { fastGroupMeans, fastScanF32, fastScanMemory } from './l2-scan-wasm.ts';
import { rowStride, validateMemory, type L2DMemory } from './memory.ts';
import { topK, topKSet } from './top-k.ts';
import { InvalidArgumentError } from './errors.ts';
import { applyCentroidChanges, CentroidOverlay, shardCentroidFrom, shardCentroids, withOverlay, type CentroidChange, type OverlayRows } from './overlay.ts';
import { allocateF32Rows } from './row-storage.ts';
import { rankByVote } from './vote.ts';

export interface CpuDecoderOptions {
  /** Centroids for items without rows (cold-start rule, src/core/cold-start.ts). */
  extraCentroids?: readonly CentroidChange[];
  /** 'auto' (default): the scans and group means on WebAssembly SIMD where it runs; 'js': always the JS twins (benchmarks compare the two). */
  scan?: 'auto' | 'js';
  /** A centroid memory's samples per item (centroidSampleCounts): memory updates weigh each row by them (CentroidOverlay). */
  sampleCounts?: Uint32Array;
  /**
   * The memory's own centroids (computeCentroids: fastCentroids), where the caller has them already (the
   * cold-start rule reads them): taken over, extraCentroids written into them, instead of a pass over every row.
   */
  centroids?: Centroids;
}

/** The scans and group means: on WebAssembly SIMD where it runs (each falls back to its JS twin itself), or the twins. */
const FAST_KERNELS = { scanMemory: fastScanMemory, scanRows: fastScanF32, groupMeans: fastGroupMeans };
const JS_KERNELS = { scanMemory, scanRows: scanRowsF32, groupMeans: groupMeansOfRows };

export class CpuDecoder {
  /** The shard's rows, then the overlay's (setOverlay). */
  memory: L2DMemory;
  private readonly base: L2DMemory;
  private centroidCache: Centroids | undefined;
  private overlay: CentroidOverlay | undefined;
  /** The last query's distances to every row, and to every centroid (cleared when either changes). */
  private readonly lastRowScan = new LastScan();
  private readonly lastCentroidScan = new LastScan();
  private readonly kernels: typeof FAST_KERNELS;

  constructor(
    memory: L2DMemory,
    private readonly options: CpuDecoderOptions = {},
  ) {
    validateMemory(memory);
    this.memory = memory;
    this.base = memory;
    this.kernels = options.scan === 'js' ? JS_KERNELS : FAST_KERNELS;
  }

  /** The shard's own centroids (with the cold-start ones), before any overlay. */
  private baseCentroids(): Centroids {
    const given = this.options.centroids;
    if (!given) return shardCentroids(this.base, this.options.extraCentroids, this.kernels.groupMeans);
    const { itemCount, dim } = this.base;
    if (given.vectors.length !== itemCount * rowStride(dim) || given.counts.length !== itemCount) {
      throw new InvalidArgumentError(
        `The given centroids hold ${given.counts.length} items x ${given.vectors.length / Math.max(1, given.counts.length)} values; this memory has ${itemCount} items x ${rowStride(dim)} (rowStride(${dim})).`,
      );
    }
    return applyCentroidChanges(given, this.options.extraCentroids ?? [], rowStride(dim));
  }

  /**
   * Replaces the rows appended after the shard's (a user's own samples):
   * only the touched items' centroids are recomputed, and an empty overlay
   * restores the shard's centroids exactly.
   */
  setOverlay(rows: OverlayRows): void {
    const merged = withOverlay(this.base, rows);
    if (!this.overlay) {
      // Until now the cache is the shard's own centroids: the tracker keeps them (it only reads them), and the cache,
      // updated in place from here on, becomes a copy (not computed again over every row).
      const shard = this.centroids;
      this.overlay = new CentroidOverlay(this.base, shardCentroidFrom(shard, rowStride(this.base.dim)), this.options.sampleCounts);
      const copy = allocateF32Rows(this.base.itemCount, rowStride(this.base.dim)); // where the scan reads it in place
      copy.set(shard.vectors);
      this.centroidCache = { vectors: copy, counts: shard.counts.slice() };
    }
    applyCentroidChanges(this.centroids, this.overlay.changes(merged), rowStride(this.base.dim));
    this.lastCentroidScan.clear();
    this.lastRowScan.clear();
    this.memory = merged;
  }

  get centroids(): Centroids {
    this.centroidCache ??= this.baseCentroids();
    return this.centroidCache;
  }

  decode(query: ArrayLike<number>, options: DecodeOptions): DecodedItem[] {
    return this.decodeBatch([query], options)[0];
  }

  decodeBatch(queries: ArrayLike<number>[], options: DecodeOptions): DecodedItem[][] {
    const resolved = resolveDecodeOptions(options, this.memory);
    return resolveQueries(queries, this.memory).map((q) => {
      if (resolved.strategy === 'global') return this.global(q, resolved, resolved.excluded);
      if (resolved.strategy === 'vote') return this.vote(q, resolved);
      return this.local(q, resolved);
    });
  }

  /** Squared distances from a padded query to every centroid (NaN for items without rows). */
  centroidDistances(query: Float32Array): Float32Array {
    // An M sweep fills up several rankings from the same query's centroid distances: computed once.
    return this.lastCentroidScan.distances(query, () => {
      const { vectors, counts } = this.centroids;
      const out = this.kernels.scanRows(query, vectors, this.memory.itemCount);
      for (let v = 0; v < out.length; v++) if (counts[v] === 0) out[v] = NaN;
      return out;
    });
  }

  private global(query: Float32Array, options: ResolvedDecodeOptions, skip: Set<number>, k = options.k): DecodedItem[] {
    const { counts } = this.centroids;
    const distances = this.centroidDistances(query);
    const top = topK(distances, k, (v) => counts[v] > 0 && !skip.has(v));
    return Array.from(top.indices, (v, j) => decodedItem(v, top.distances[j], 'global'));
  }

  /**
   * L2D-L (or, with strategy 'vote', L2D-V) for several M from one scan (an M sweep): equal to decode() with each M,
   * because under the fixed tie rule the top-M rows are the first M of the top-max(M) rows.
   */
  decodeLocalSweep(
    query: ArrayLike<number>,
    ms: readonly number[],
    options: Omit<DecodeOptions, 'strategy' | 'm'> & { strategy?: 'local' | 'vote' },
    /** The query's top-max(M) rows, nearest first, as this decoder selects them, when already known (tools/lib/batched-nearest.ts). */
    nearestRows?: Uint32Array,
  ): DecodedItem[][] {
    if (!Array.isArray(ms) || ms.length === 0) throw new InvalidArgumentError(`An M sweep needs at least one M (a positive integer), got ${Array.isArray(ms) ? 'none' : String(ms)}.`);
    const strategy = options.strategy ?? 'local';
    const resolved = ms.map((m) => resolveDecodeOptions({ ...options, strategy, m }, this.memory));
    const [q] = resolveQueries([query], this.memory);
    const widest = resolved.reduce((a, b) => (b.m > a.m ? b : a), resolved[0]);
    if (nearestRows && (widest.excluded.size > 0 || nearestRows.length < widest.m)) {
      throw new InvalidArgumentError(`nearestRows must hold the top ${widest.m} rows, with no excluded items (got ${nearestRows.length} rows, ${widest.excluded.size} excluded).`);
    }
    const selected = nearestRows ? undefined : this.nearestRows(q, widest, topK);
    const rows = nearestRows ?? selected!.indices;
    if (strategy === 'vote') {
      // L2D-V weighs the rows by distance: given rows get theirs here (as the scan computes them).
      const distances = selected?.distances ?? Float32Array.from(rows, (r) => squaredL2F16(q, this.memory.vectors, r));
      return resolved.map((r) => this.rankVotes(q, rows.subarray(0, r.m), distances.subarray(0, r.m), r));
    }
    // Each M's rows are the first M of the widest ranking: as a set, in ascending order.
    return resolved.map((r) => this.rankLocalGroups(q, rows.slice(0, r.m).sort(), r));
  }

  /** The top-M memory rows nearest to the query (rows of excluded items skipped), selected by `select`. */
  private nearestRows<T>(query: Float32Array, options: ResolvedDecodeOptions, select: (d: Float32Array, m: number, eligible?: (r: number) => boolean) => T): T {
    const { labels } = this.memory;
    // Several lists from one h_t (recommend()'s `also`, the demo's M sweep) scan the rows once: most of an L2D-L decode.
    const rowDistances = this.lastRowScan.distances(query, () => this.kernels.scanMemory(query, this.memory));
    const eligible = options.excluded.size > 0 ? (r: number) => !options.excluded.has(labels[r]) : undefined;
    return select(rowDistances, options.m, eligible);
  }

  private local(query: Float32Array, options: ResolvedDecodeOptions): DecodedItem[] {
    // The grouping needs the top-M rows as a set in ascending order, not ranked (topKSet picks the faster exact way).
    return this.rankLocalGroups(query, this.nearestRows(query, options, topKSet), options);
  }

  private vote(query: Float32Array, options: ResolvedDecodeOptions): DecodedItem[] {
    const nearest = this.nearestRows(query, options, topK);
    return this.rankVotes(query, nearest.indices, nearest.distances, options);
  }

  /** `rows`: the selected rows nearest first, `distances` their squared distances. */
  private rankVotes(query: Float32Array, rows: Uint32Array, distances: Float32Array, options: ResolvedDecodeOptions): DecodedItem[] {
    return this.fillUp(query, rankByVote(rows, distances, this.memory.labels, options.k, this.base.rows).map(votedItem), options);
  }

  /**
   * When fewer than k items came from the rows, the other items follow by centroid distance (L2D-L's and L2D-V's
   * fill-up). Then every item the rows gave is in `result` already: those are the ones to skip.
   */
  private fillUp(query: Float32Array, result: DecodedItem[], options: ResolvedDecodeOptions): DecodedItem[] {
    if (result.length >= options.k) return result;
    const skip = new Set([...options.excluded, ...result.map((x) => x.item)]);
    result.push(...this.global(query, options, skip, options.k - result.length));
    return result;
  }

  /** `ascending`: the selected rows in ascending row order. */
  private rankLocalGroups(query: Float32Array, ascending: Uint32Array, options: ResolvedDecodeOptions): DecodedItem[] {
    const { labels, itemCount } = this.memory;
    // Group the selected rows by item, rows ascending within each group: a stable grouping of the rows in ascending order.
    const byItem = groupRowsByItem(ascending.map((r) => labels[r]), itemCount);
    const groupedRows = byItem.rowIds.map((j) => ascending[j]);
    const groupItems: number[] = [];
    for (let v = 0; v < itemCount; v++) if (byItem.offsets[v + 1] > byItem.offsets[v]) groupItems.push(v);
    const groupOffsets = Uint32Array.from([...groupItems.map((v) => byItem.offsets[v]), groupedRows.length]);
    const means = new Float32Array(groupItems.length * rowStride(this.memory.dim));
    this.kernels.groupMeans(this.memory, groupedRows, groupOffsets, means);
    const groupDistances = this.kernels.scanRows(query, means, groupItems.length);
    // groupItems is ascending, so the tie rule on group index is the tie rule on item id.
    const top = topK(groupDistances, options.k);
    const result = Array.from(top.indices, (g, j) => decodedItem(groupItems[g], top.distances[j], 'local'));
    return this.fillUp(query, result, options);
  }
}

/**
 * One query's distances, kept for the next request with the same query (compared bit for bit, so a query
 * equal in value but another array still finds them). Callers only read the distances.
 */
class LastScan {
  private last: { bits: Uint32Array; distances: Float32Array } | undefined;

  distances(query: Float32Array, scan: () => Float32Array): Float32Array {
    const bits = new Uint32Array(query.buffer, query.byteOffset, query.length);
    if (this.last && sameBits(this.last.bits, bits)) return this.last.distances;
    const distances = scan();
    this.last = { bits: bits.slice(), distances };
    return distances;
  }

  clear(): void {
    this.last = undefined;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
