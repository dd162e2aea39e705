/**
 * Per-item means of memory rows: the CPU twin of src/gpu/kernels/centroids.wgsl
 * (L2D-G's item representations) and of the group means in local-groups.wgsl
 * (L2D-L's local representations).
 *
 * Sums are float32, taken over an item's rows in ascending row order, then
 * divided by the row count. Because L2D-L uses the same rule over the rows
 * it selected, L2D-L with M = all rows equals L2D-G bit for bit.
 */
import { float16Table } from './float16.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { allocateF32Rows } from './row-storage.ts';

/** Rows grouped by item label (a CSR index): rows of item v are rowIds[offsets[v] .. offsets[v+1]), ascending. */
export interface RowsByItem {
  offsets: Uint32Array;
  rowIds: Uint32Array;
}

/** Counting sort of row ids by label; stable, so each item's rows stay ascending. */
export function groupRowsByItem(labels: Uint32Array, itemCount: number): RowsByItem {
  const offsets = new Uint32Array(itemCount + 1);
  for (let r = 0; r < labels.length; r++) offsets[labels[r] + 1]++;
  for (let v = 0; v < itemCount; v++) offsets[v + 1] += offsets[v];
  const next = offsets.slice(0, itemCount);
  const rowIds = new Uint32Array(labels.length);
  for (let r = 0; r < labels.length; r++) rowIds[next[labels[r]]++] = r;
  return { offsets, rowIds };
}

/**
 * Mean of the given rows (ascending row ids) written as float32 into
 * out[outOffset .. outOffset + stride).
 */
export function meanOfRows(memory: L2DMemory, rowIds: Uint32Array, out: Float32Array, outOffset: number): void {
  const stride = rowStride(memory.dim);
  const halves = float16Table();
  const v = memory.vectors;
  // A float32 view: each += is rounded to float32 as it is stored, the same sum as fround() of each step.
  const sum = out.subarray(outOffset, outOffset + stride);
  sum.fill(0);
  for (let j = 0; j < rowIds.length; j++) {
    const base = rowIds[j] * stride;
    for (let c = 0; c < stride; c++) sum[c] += halves[v[base + c]];
  }
  const count = rowIds.length;
  if (count > 0) for (let c = 0; c < stride; c++) sum[c] /= count;
}

/** meanOfRows of each group: group g is rowIds[offsets[g] .. offsets[g + 1]), its mean at out[g * stride ..) (L2D-L's local means). */
export function groupMeansOfRows(memory: L2DMemory, rowIds: Uint32Array, offsets: Uint32Array, out: Float32Array): void {
  const stride = rowStride(memory.dim);
  for (let g = 0; g + 1 < offsets.length; g++) meanOfRows(memory, rowIds.subarray(offsets[g], offsets[g + 1]), out, g * stride);
}

/** Writes each group's mean as groupMeansOfRows does: it, or its WebAssembly SIMD twin (fastGroupMeans, bit for bit the same). */
export type GroupMeans = (memory: L2DMemory, rowIds: Uint32Array, offsets: Uint32Array, out: Float32Array) => void;

export interface Centroids {
  /** itemCount x rowStride(dim) float32; all zeros for items without rows. */
  vectors: Float32Array;
  /** Rows per item; 0 means the item has no representation. */
  counts: Uint32Array;
}

/**
 * L2D-G's item representations: hbar_v = mean of the rows labelled v (each item a group; zeros for an item without
 * rows). `groupMeans`: this file's JS twin by default; the CPU decoder and the worker pass the WebAssembly SIMD one
 * (fastCentroids in l2-scan-wasm.ts): the same numbers, a new decoder's centroids ~1.8x sooner on the demo's memory
 * (bench/README.md).
 */
export function computeCentroids(memory: L2DMemory, byItem = groupRowsByItem(memory.labels, memory.itemCount), groupMeans: GroupMeans = groupMeansOfRows): Centroids {
  const vectors = allocateF32Rows(memory.itemCount, rowStride(memory.dim));
  const counts = new Uint32Array(memory.itemCount);
  for (let item = 0; item < memory.itemCount; item++) counts[item] = byItem.offsets[item + 1] - byItem.offsets[item];
  groupMeans(memory, byItem.rowIds, byItem.offsets, vectors);
  return { vectors, counts };
}
