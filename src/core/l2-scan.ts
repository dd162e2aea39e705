/**
 * Squared-L2 scans, the CPU twin of src/gpu/kernels/l2-scan-f16.wgsl (with
 * either row reader, l2-scan-f16-rows-packed.wgsl or -rows-native.wgsl) and
 * l2-scan-f32.wgsl.
 *
 * The arithmetic is float32 in the kernels' exact order: four lane
 * accumulators, lane j taking dimensions j, j+4, j+8, ... in turn, and the
 * lanes summed as (l0 + l1) + (l2 + l3). Keeping the order makes GPU and CPU
 * distances agree to the last bit or two, so rankings agree exactly.
 */
import { describeValue } from './describe-value.ts';
import { DimensionMismatchError, InvalidArgumentError, NonFiniteValueError } from './errors.ts';
import { float16Table } from './float16.ts';
import { rowStride, type L2DMemory } from './memory.ts';

const fround = Math.fround;

/** A query as the kernels take it: float32, zero-padded to rowStride(dim). */
export function padQuery(query: ArrayLike<number>, dim: number, what = 'query'): Float32Array {
  if (typeof query !== 'object' || query === null || typeof query.length !== 'number') {
    throw new InvalidArgumentError(`The ${what} must be a hidden state: ${dim} numbers (a Float32Array or an array), got ${describeValue(query)}.`);
  }
  if (query.length !== dim) throw new DimensionMismatchError(dim, query.length, what);
  const padded = new Float32Array(rowStride(dim));
  for (let i = 0; i < dim; i++) {
    const v = query[i];
    if (typeof v !== 'number') throw new InvalidArgumentError(`The ${what} holds ${describeValue(v)} in dimension ${i}, not a number.`);
    if (!Number.isFinite(v)) throw new NonFiniteValueError(`The ${what} (dimension ${i})`);
    padded[i] = v;
  }
  return padded;
}

/** Squared L2 between a padded query and row `row` of float16 `vectors` (stride = query.length). */
export function squaredL2F16(query: Float32Array, vectors: Uint16Array, row: number): number {
  const halves = float16Table();
  const stride = query.length;
  const base = row * stride;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (let i = 0; i < stride; i += 4) {
    const d0 = fround(query[i] - halves[vectors[base + i]]);
    const d1 = fround(query[i + 1] - halves[vectors[base + i + 1]]);
    const d2 = fround(query[i + 2] - halves[vectors[base + i + 2]]);
    const d3 = fround(query[i + 3] - halves[vectors[base + i + 3]]);
    a0 = fround(a0 + fround(d0 * d0));
    a1 = fround(a1 + fround(d1 * d1));
    a2 = fround(a2 + fround(d2 * d2));
    a3 = fround(a3 + fround(d3 * d3));
  }
  return fround(fround(a0 + a1) + fround(a2 + a3));
}

/** Squared L2 between a padded query and float32 row `row` of `vectors` (stride = query.length). */
export function squaredL2F32(query: Float32Array, vectors: Float32Array, row: number): number {
  const stride = query.length;
  const base = row * stride;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (let i = 0; i < stride; i += 4) {
    const d0 = fround(query[i] - vectors[base + i]);
    const d1 = fround(query[i + 1] - vectors[base + i + 1]);
    const d2 = fround(query[i + 2] - vectors[base + i + 2]);
    const d3 = fround(query[i + 3] - vectors[base + i + 3]);
    a0 = fround(a0 + fround(d0 * d0));
    a1 = fround(a1 + fround(d1 * d1));
    a2 = fround(a2 + fround(d2 * d2));
    a3 = fround(a3 + fround(d3 * d3));
  }
  return fround(fround(a0 + a1) + fround(a2 + a3));
}

/** Squared distances from a padded query to rows 0..rowCount-1 of float32 `vectors` (centroids, group means). */
export function scanRowsF32(query: Float32Array, vectors: Float32Array, rowCount: number): Float32Array {
  const out = new Float32Array(rowCount);
  for (let r = 0; r < rowCount; r++) out[r] = squaredL2F32(query, vectors, r);
  return out;
}

/** Squared distances from a padded query to every memory row. */
export function scanMemory(query: Float32Array, memory: L2DMemory): Float32Array {
  const out = new Float32Array(memory.rows);
  for (let r = 0; r < memory.rows; r++) out[r] = squaredL2F16(query, memory.vectors, r);
  return out;
}
