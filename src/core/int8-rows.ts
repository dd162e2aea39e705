/**
 * int8 memory rows: a chunk's values in 8 bits, one float32 scale per dimension over that chunk's rows (value =
 * code x scale, codes -127..127), half the bytes of float16 rows. Per dimension, not per row: after the model's
 * final norm every row has nearly the same norm (21.1 +- 0.05 on movielens' full memory) while a few dimensions
 * run larger than the rest, and per-dimension scales kept 97.7% of 500 queries' 50 nearest rows there against
 * 96.2% with per-row ones (bench/int8-probe.ts; docs/MEMORY.md, "int8 rows").
 *
 * Rows are read back as float16, the decoders' one format, through a table of each dimension's 255 values: every
 * reader (CPU and GPU decoders, Node tools) sees the same halves.
 */
import { toFloat16Bits } from './float16.ts';

export const INT8_CODE_MAX = 127;

/** The largest scale whose every value (code x scale, a stray code -128 too) float16 still holds as a finite number. */
export const INT8_MAX_SCALE = 65504 / 128;

export interface Int8Rows {
  /** One scale per dimension. */
  scales: Float32Array;
  /** rows x dim codes, row-major. */
  codes: Int8Array;
}

/** `values` (rows x dim, row-major) as int8 codes with per-dimension scales: each dimension's largest magnitude maps to 127. */
export function quantizeInt8(values: ArrayLike<number>, dim: number): Int8Rows {
  const rows = values.length / dim;
  const scales = new Float32Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dim; c++) scales[c] = Math.max(scales[c], Math.abs(values[r * dim + c]));
  }
  for (let c = 0; c < dim; c++) scales[c] = scales[c] / INT8_CODE_MAX;
  const codes = new Int8Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dim; c++) {
      const scale = scales[c];
      // A dimension that is zero in every row has scale 0 and codes 0.
      codes[r * dim + c] = scale === 0 ? 0 : Math.max(-INT8_CODE_MAX, Math.min(INT8_CODE_MAX, Math.round(values[r * dim + c] / scale)));
    }
  }
  return { scales, codes };
}

/** Each dimension's 256 values as float16 bits: table[c * 256 + code + 128] = half(code x scales[c]). */
export function int8HalfTable(scales: Float32Array): Uint16Array {
  const table = new Uint16Array(scales.length * 256);
  for (let c = 0; c < scales.length; c++) {
    for (let code = -128; code < 128; code++) table[c * 256 + code + 128] = toFloat16Bits(code * scales[c]);
  }
  return table;
}

/** The first dimension whose scale is no finite number in [0, INT8_MAX_SCALE] (its values would be NaN or Infinity as float16), or -1. */
export function firstBadScale(scales: Float32Array): number {
  for (let c = 0; c < scales.length; c++) if (!(scales[c] >= 0 && scales[c] <= INT8_MAX_SCALE)) return c;
  return -1;
}
