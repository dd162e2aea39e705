/**
 * Where a memory's float16 rows live. A large memory's rows are allocated inside an instance of the scan module
 * (src/core/l2-scan.wat) of their own, so the CPU decoder's scan reads them where they are: the rows of a JS
 * array would be copied into the module's memory on every query (~30% of the scan on 300k x 896 rows). The
 * rows are still held once; to everything else they are an ordinary Uint16Array (the GPU upload, overlays).
 * L2D-G's float32 centroids live so too.
 *
 * Layout of such an instance's memory: the query, then the distances of every row, then the rows, last, so the
 * room after them is only theirs (spare rows for memory updates: src/core/overlay.ts withOverlay).
 */
import { L2_SCAN_WASM_BASE64 } from './l2-scan-wasm-bytes.ts';

export interface ScanExports {
  memory: WebAssembly.Memory;
  /** Distances from the float32 query at `query` to `n` rows at `rows`, written as float32 at `out` (byte offsets). */
  scanF16(query: number, out: number, rows: number, n: number, stride: number): void;
  scanF32(query: number, out: number, rows: number, n: number, stride: number): void;
  /** Adds group g's rows (rows offsets[g] .. offsets[g + 1] - 1 at `rows`) to the float32 sums at out + g * stride * 4. */
  sumGroupsF16(rows: number, offsets: number, groups: number, stride: number, out: number): void;
  /** Divides group g's sums (at sums + g * stride * 4) by its row count, offsets[g + 1] - offsets[g]. */
  divideGroups(offsets: number, groups: number, stride: number, sums: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** A new instance of the scan module, with a memory of its own; null where WebAssembly or its SIMD is missing. */
export function newScanInstance(): ScanExports | null {
  if (compiled === undefined) {
    try {
      // Compiled synchronously: at 1.8 KB it is within the 4 KB a page's main thread may compile so.
      compiled = new WebAssembly.Module(Uint8Array.from(atob(L2_SCAN_WASM_BASE64), (c) => c.charCodeAt(0)));
    } catch {
      compiled = null; // no WebAssembly, no SIMD, or 'wasm-unsafe-eval' missing from the page's CSP
    }
  }
  return compiled ? (new WebAssembly.Instance(compiled).exports as unknown as ScanExports) : null;
}

/** Room in the instance's memory up to byte `bytes` (grown where needed); the buffer after growing. */
export function ensureBytes(wasm: ScanExports, bytes: number): ArrayBuffer {
  const pages = Math.ceil((bytes - wasm.memory.buffer.byteLength) / 65536);
  if (pages > 0) wasm.memory.grow(pages);
  return wasm.memory.buffer; // after grow(): the old buffer is detached
}

/** Rows that live in their scan instance's memory: the query goes at `queryAt`, `outRows` distances at `outAt`. */
export interface ResidentRows {
  wasm: ScanExports;
  queryAt: number;
  outAt: number;
  outRows: number;
}

const residents = new WeakMap<ArrayBufferLike, ResidentRows>();

/** Below this the per-query copy costs less than an instance's memory page; such rows are a plain array. */
export const RESIDENT_MIN_BYTES = 1 << 20;

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * A zeroed array for `rows` rows of `stride` halves: inside a scan instance of its own where it is large and
 * the module runs, else a plain Uint16Array (also where the instance's memory cannot grow that far).
 */
export function allocateRows(rows: number, stride: number): Uint16Array {
  const at = allocate(rows, stride, 2);
  return at ? new Uint16Array(at.buffer, at.rowsAt, rows * stride) : new Uint16Array(rows * stride);
}

/** allocateRows for float32 rows (L2D-G's centroids). */
export function allocateF32Rows(rows: number, stride: number): Float32Array {
  const at = allocate(rows, stride, 4);
  return at ? new Float32Array(at.buffer, at.rowsAt, rows * stride) : new Float32Array(rows * stride);
}

function allocate(rows: number, stride: number, valueBytes: number): { buffer: ArrayBuffer; rowsAt: number } | undefined {
  const rowBytes = stride * valueBytes;
  const bytes = rows * rowBytes;
  if (bytes < RESIDENT_MIN_BYTES || stride % 8 !== 0) return undefined;
  const queryAt = 0;
  const outAt = align16(stride * 4);
  // Distances for every row the rounded-up last page can also hold.
  const outRows = rows + Math.ceil(65536 / rowBytes);
  const rowsAt = outAt + align16(outRows * 4);
  try {
    const wasm = newScanInstance();
    if (!wasm) return undefined;
    const buffer = ensureBytes(wasm, rowsAt + bytes);
    residents.set(buffer, { wasm, queryAt, outAt, outRows });
    return { buffer, rowsAt };
  } catch {
    // The engine would not give a module's memory this much (a 32-bit browser, little address space): a plain array.
    return undefined;
  }
}

/** The scan instance `vectors` lives in, if it does. */
export function residentRows(vectors: Uint16Array | Float32Array): ResidentRows | undefined {
  return residents.get(vectors.buffer);
}
