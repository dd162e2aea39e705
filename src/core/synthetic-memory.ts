/**
 * Deterministic synthetic memories for tests, benchmarks and the demo before
 * a model exists. Same seed, same bytes, in Node and in every browser: the
 * generator uses only 32-bit integer arithmetic and exact float16 values.
 *
 * Each item gets a centre; a row is its item's centre plus noise, all on a
 * 1/32 grid, so the memory has item structure like real hidden states.
 */
import { describeValue } from './describe-value.ts';
import { InvalidArgumentError } from './errors.ts';
import { fromFloat16Bits, toFloat16Bits } from './float16.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { allocateRows } from './row-storage.ts';

/** xorshift32: small, fast, and identical everywhere. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export interface SyntheticMemoryOptions {
  rows: number;
  dim: number;
  items: number;
  seed: number;
  /** Per-row noise amplitude in grid steps (default 8 = 0.25). */
  noise?: number;
}

const GRID = 32;

export function generateSyntheticMemory(options: SyntheticMemoryOptions): L2DMemory {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`generateSyntheticMemory takes { rows, dim, items, seed, noise? }, got ${describeValue(options)}.`);
  const { rows, dim, items, seed } = options;
  const noise = options.noise ?? 8;
  for (const [name, value, least] of [['rows', rows, 1], ['dim', dim, 1], ['items', items, 1], ['noise', noise, 0], ['seed', seed, -Infinity]] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
      throw new InvalidArgumentError(`${name} must be ${least === 1 ? 'a positive integer' : least === 0 ? 'an integer >= 0' : 'an integer'}, got ${describeValue(value)}.`);
    }
  }
  const next = xorshift32(seed);
  const stride = rowStride(dim);
  // Grid value v/GRID for v in [-GRID - noise, GRID + noise) as float16 bits.
  const span = GRID + noise;
  const bitsOf = new Uint16Array(2 * span);
  for (let v = -span; v < span; v++) bitsOf[v + span] = toFloat16Bits(v / GRID);
  const centres = new Int8Array(items * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = (next() % (2 * GRID)) - GRID;
  const labels = new Uint32Array(rows);
  const vectors = allocateRows(rows, stride);
  for (let r = 0; r < rows; r++) {
    // Skewed popularity, as in real data: low item ids are more frequent.
    const a = next() % items;
    const b = next() % items;
    const label = Math.min(a, b);
    labels[r] = label;
    const base = r * stride;
    const centre = label * dim;
    for (let c = 0; c < dim; c++) {
      const n = noise === 0 ? 0 : (next() % (2 * noise)) - noise;
      vectors[base + c] = bitsOf[centres[centre + c] + n + span];
    }
  }
  return { dim, rows, itemCount: items, vectors, labels };
}

/** A float32 query near a pseudo-random row of the memory (a plausible h_t). */
export function syntheticQuery(memory: L2DMemory, seed: number): Float32Array {
  const next = xorshift32(seed * 2654435761);
  const row = next() % memory.rows;
  const stride = rowStride(memory.dim);
  const q = new Float32Array(memory.dim);
  for (let c = 0; c < memory.dim; c++) {
    const bits = memory.vectors[row * stride + c];
    q[c] = fromFloat16Bits(bits) + ((next() % 2001) - 1000) / 4000;
  }
  return q;
}
