/**
 * The CPU decoder's scans on WebAssembly SIMD (src/core/l2-scan.wat), equal to their JS twins in
 * l2-scan.ts bit for bit (src/core/l2-scan-wasm.test.ts) and several times faster (bench/README.md).
 * Where WebAssembly or its SIMD is missing, or a Content-Security-Policy forbids compiling it, the JS
 * twins run instead: same results, slower.
 */
import { scanMemory, scanRowsF32 } from './l2-scan.ts';
import { computeCentroids, groupMeansOfRows, type Centroids } from './centroids.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { ensureBytes, newScanInstance, residentRows, type ScanExports } from './row-storage.ts';

export type ScanImplementation = 'wasm-simd' | 'js';

let shared: ScanExports | null | undefined;

/** The instance whose memory the scans copy rows into (those not resident in an instance of their own). */
function wasmScanner(): ScanExports | null {
  if (shared === undefined) shared = newScanInstance();
  return shared;
}

/** Which implementation the CPU decoder's scans use in this context. */
export function scanImplementation(): ScanImplementation {
  return wasmScanner() ? 'wasm-simd' : 'js';
}

/** Rows are copied into the module's memory a block at a time: the memory itself is never duplicated. */
const BLOCK_BYTES = 1 << 20;

function scanInBlocks(wasm: ScanExports, kernel: 'scanF16' | 'scanF32', query: Float32Array, vectors: Uint16Array | Float32Array, rowCount: number): Float32Array {
  const stride = query.length;
  const rowBytes = stride * vectors.BYTES_PER_ELEMENT;
  const blockRows = Math.max(1, Math.min(rowCount, Math.floor(BLOCK_BYTES / rowBytes)));
  const outAt = stride * 4;
  const rowsAt = outAt + Math.ceil((blockRows * 4) / 16) * 16;
  const buffer = ensureBytes(wasm, rowsAt + blockRows * rowBytes);
  new Float32Array(buffer, 0, stride).set(query);
  const block = vectors instanceof Uint16Array ? new Uint16Array(buffer, rowsAt, blockRows * stride) : new Float32Array(buffer, rowsAt, blockRows * stride);
  const blockOut = new Float32Array(buffer, outAt, blockRows);
  const out = new Float32Array(rowCount);
  for (let start = 0; start < rowCount; start += blockRows) {
    const n = Math.min(blockRows, rowCount - start);
    block.set(vectors.subarray(start * stride, (start + n) * stride));
    wasm[kernel](0, outAt, rowsAt, n, stride);
    out.set(n === blockRows ? blockOut : blockOut.subarray(0, n), start);
  }
  return out;
}

/** The module where it runs and the query is padded as the kernels read it (a multiple of 8 values). */
function scannerFor(query: Float32Array): ScanExports | null {
  return query.length > 0 && query.length % 8 === 0 ? wasmScanner() : null;
}

/**
 * Scans rows in place where they live in a scan instance of their own (src/core/row-storage.ts), else copies them
 * into the shared instance's memory a block at a time.
 */
function scanRows(wasm: ScanExports, kernel: 'scanF16' | 'scanF32', query: Float32Array, vectors: Uint16Array | Float32Array, rowCount: number): Float32Array {
  const resident = residentRows(vectors);
  if (!resident || rowCount > resident.outRows) return scanInBlocks(wasm, kernel, query, vectors, rowCount);
  const { wasm: own, queryAt, outAt } = resident;
  const buffer = own.memory.buffer;
  new Float32Array(buffer, queryAt, query.length).set(query);
  own[kernel](queryAt, outAt, vectors.byteOffset, rowCount, query.length);
  return new Float32Array(buffer, outAt, rowCount).slice();
}

/** scanMemory (squared distances from a padded query to every memory row), on WebAssembly SIMD where it runs. */
export function fastScanMemory(query: Float32Array, memory: L2DMemory): Float32Array {
  const wasm = scannerFor(query);
  return wasm ? scanRows(wasm, 'scanF16', query, memory.vectors, memory.rows) : scanMemory(query, memory);
}

/** scanRowsF32 (float32 rows, stride = query.length), on WebAssembly SIMD where it runs. */
export function fastScanF32(query: Float32Array, vectors: Float32Array, rowCount: number): Float32Array {
  const wasm = scannerFor(query);
  return wasm ? scanRows(wasm, 'scanF32', query, vectors, rowCount) : scanRowsF32(query, vectors, rowCount);
}

/**
 * groupMeansOfRows (src/core/centroids.ts: meanOfRows of each group), on WebAssembly SIMD where it runs, equal to
 * it bit for bit: group g is rowIds[offsets[g] .. offsets[g + 1]) (ascending), its mean written at
 * out[g * stride ..). L2D-L's local means (up to M rows a query), and the item centroids (fastCentroids: every row;
 * empty groups, of items without rows, are left zero).
 */
export function fastGroupMeans(memory: L2DMemory, rowIds: Uint32Array, offsets: Uint32Array, out: Float32Array): void {
  const stride = rowStride(memory.dim);
  const groups = offsets.length - 1;
  const wasm = wasmScanner(); // rowStride is a multiple of 8, as the kernels read rows
  if (!wasm) return groupMeansOfRows(memory, rowIds, offsets, out);
  // A block of whole groups at a time (a group larger than a block goes in several, its sums carried over).
  const blockRows = Math.max(1, Math.floor(BLOCK_BYTES / (stride * 2)));
  const offsetsAt = 0;
  const sumsAt = Math.ceil(((blockRows + 1) * 4) / 16) * 16;
  const rowsAt = sumsAt + blockRows * stride * 4;
  const buffer = ensureBytes(wasm, rowsAt + blockRows * stride * 2);
  const blockOffsets = new Uint32Array(buffer, offsetsAt, blockRows + 1);
  const sums = new Float32Array(buffer, sumsAt, blockRows * stride);
  const rows = new Uint16Array(buffer, rowsAt, blockRows * stride);
  const copyRows = (from: number, to: number) => {
    for (let j = from; j < to; j++) rows.set(memory.vectors.subarray(rowIds[j] * stride, (rowIds[j] + 1) * stride), (j - from) * stride);
  };
  for (let g = 0; g < groups; ) {
    // Groups g .. last - 1 go in this block: at most blockRows of them (their offsets and sums have room for so
    // many; empty groups take no rows), and rows of at most a block, unless one group alone is larger.
    let last = g + 1;
    while (last < groups && last - g < blockRows && offsets[last + 1] - offsets[g] <= blockRows) last++;
    const start = offsets[g];
    sums.fill(0, 0, (last - g) * stride);
    for (let from = start; from < offsets[last]; from += blockRows) {
      // Several groups whole, or one group's next block of rows.
      const to = Math.min(offsets[last], from + blockRows);
      copyRows(from, to);
      for (let j = g; j <= last; j++) blockOffsets[j - g] = Math.min(Math.max(offsets[j], from), to) - from;
      wasm.sumGroupsF16(rowsAt, offsetsAt, last - g, stride, sumsAt);
    }
    for (let j = g; j <= last; j++) blockOffsets[j - g] = offsets[j] - start;
    wasm.divideGroups(offsetsAt, last - g, stride, sumsAt);
    out.set(sums.subarray(0, (last - g) * stride), g * stride);
    g = last;
  }
}

/** computeCentroids with fastGroupMeans: the same centroids, bit for bit. */
export function fastCentroids(memory: L2DMemory): Centroids {
  return computeCentroids(memory, undefined, fastGroupMeans);
}
