/**
 * The CPU decoder's scans on WebAssembly SIMD (src/core/l2-scan.wat), equal to their JS twins in
 * l2-scan.ts bit for bit (src/core/l2-scan-wasm.test.ts) and several times faster (bench/README.md).
 * Where WebAssembly or its SIMD is missing, or a Content-Security-Policy forbids compiling it, the JS
 * twins run instead: same results, slower.
 */
import { scanMemory, scanRowsF32 } from './l2-scan.ts';
import { L2_SCAN_WASM_BASE64 } from './l2-scan-wasm-bytes.ts';
import { groupMeansOfRows } from './centroids.ts';
import { rowStride, type L2DMemory } from './memory.ts';

interface ScanExports {
  memory: WebAssembly.Memory;
  /** Distances from the float32 query at `query` to `n` rows at `rows`, written as float32 at `out` (byte offsets). */
  scanF16(query: number, out: number, rows: number, n: number, stride: number): void;
  scanF32(query: number, out: number, rows: number, n: number, stride: number): void;
  /** Adds group g's rows (rows offsets[g] .. offsets[g + 1] - 1 at `rows`) to the float32 sums at out + g * stride * 4. */
  sumGroupsF16(rows: number, offsets: number, groups: number, stride: number, out: number): void;
  /** Divides group g's sums (at sums + g * stride * 4) by its row count, offsets[g + 1] - offsets[g]. */
  divideGroups(offsets: number, groups: number, stride: number, sums: number): void;
}

export type ScanImplementation = 'wasm-simd' | 'js';

let compiled: ScanExports | null | undefined;

/** The module, compiled once (synchronously: at 1.8 KB it is within the 4 KB a page's main thread may compile so). */
function wasmScanner(): ScanExports | null {
  if (compiled === undefined) {
    try {
      const bytes = Uint8Array.from(atob(L2_SCAN_WASM_BASE64), (c) => c.charCodeAt(0));
      compiled = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as ScanExports;
    } catch {
      compiled = null; // no WebAssembly, no SIMD, or 'wasm-unsafe-eval' missing from the page's CSP
    }
  }
  return compiled;
}

/** Which implementation the CPU decoder's scans use in this context. */
export function scanImplementation(): ScanImplementation {
  return wasmScanner() ? 'wasm-simd' : 'js';
}

/** Rows are copied into the module's memory a block at a time: the memory itself is never duplicated. */
const BLOCK_BYTES = 1 << 20;

/** Room in the module's memory from byte `bytes` on (grown where needed); the buffer after growing. */
function ensureBytes(wasm: ScanExports, bytes: number): ArrayBuffer {
  const pages = Math.ceil((bytes - wasm.memory.buffer.byteLength) / 65536);
  if (pages > 0) wasm.memory.grow(pages);
  return wasm.memory.buffer; // after grow(): the old buffer is detached
}

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

/** scanMemory (squared distances from a padded query to every memory row), on WebAssembly SIMD where it runs. */
export function fastScanMemory(query: Float32Array, memory: L2DMemory): Float32Array {
  const wasm = scannerFor(query);
  return wasm ? scanInBlocks(wasm, 'scanF16', query, memory.vectors, memory.rows) : scanMemory(query, memory);
}

/** scanRowsF32 (float32 rows, stride = query.length), on WebAssembly SIMD where it runs. */
export function fastScanF32(query: Float32Array, vectors: Float32Array, rowCount: number): Float32Array {
  const wasm = scannerFor(query);
  return wasm ? scanInBlocks(wasm, 'scanF32', query, vectors, rowCount) : scanRowsF32(query, vectors, rowCount);
}

/**
 * groupMeansOfRows (src/core/centroids.ts: meanOfRows of each group), on WebAssembly SIMD where it runs, equal to
 * it bit for bit: group g is rowIds[offsets[g] .. offsets[g + 1]) (ascending), its mean written at
 * out[g * stride ..). L2D-L's local means: up to M rows a query.
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
    let last = g + 1; // groups g .. last - 1 go in this block
    while (last < groups && offsets[last + 1] - offsets[g] <= blockRows) last++;
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
