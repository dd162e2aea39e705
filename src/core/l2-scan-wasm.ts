/**
 * The CPU decoder's scans on WebAssembly SIMD (src/core/l2-scan.wat), equal to their JS twins in
 * l2-scan.ts bit for bit (src/core/l2-scan-wasm.test.ts) and several times faster (bench/README.md).
 * Where WebAssembly or its SIMD is missing, or a Content-Security-Policy forbids compiling it, the JS
 * twins run instead: same results, slower.
 */
import { scanMemory, scanRowsF32 } from './l2-scan.ts';
import { L2_SCAN_WASM_BASE64 } from './l2-scan-wasm-bytes.ts';
import type { L2DMemory } from './memory.ts';

interface ScanExports {
  memory: WebAssembly.Memory;
  /** Distances from the float32 query at `query` to `n` rows at `rows`, written as float32 at `out` (byte offsets). */
  scanF16(query: number, out: number, rows: number, n: number, stride: number): void;
  scanF32(query: number, out: number, rows: number, n: number, stride: number): void;
}

export type ScanImplementation = 'wasm-simd' | 'js';

let compiled: ScanExports | null | undefined;

/** The module, compiled once (synchronously: at 1.3 KB it is within the 4 KB a page's main thread may compile so). */
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

function scanInBlocks(wasm: ScanExports, kernel: 'scanF16' | 'scanF32', query: Float32Array, vectors: Uint16Array | Float32Array, rowCount: number): Float32Array {
  const stride = query.length;
  const rowBytes = stride * vectors.BYTES_PER_ELEMENT;
  const blockRows = Math.max(1, Math.min(rowCount, Math.floor(BLOCK_BYTES / rowBytes)));
  const outAt = stride * 4;
  const rowsAt = outAt + Math.ceil((blockRows * 4) / 16) * 16;
  const needed = rowsAt + blockRows * rowBytes;
  const pages = Math.ceil((needed - wasm.memory.buffer.byteLength) / 65536);
  if (pages > 0) wasm.memory.grow(pages);
  const buffer = wasm.memory.buffer; // after grow(): the old buffer is detached
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
