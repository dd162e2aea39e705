/**
 * The L2D memory: N rows of (hidden state h_j as float16, item label v_j).
 *
 * Rows are stored padded to a stride that is a multiple of 8 halves (16
 * bytes), the layout the GPU kernels read as vec4<u32>. Padding halves are
 * zero and queries are padded with zeros, so padding adds nothing to a
 * distance.
 */
import { describeValue } from './describe-value.ts';
import { EmptyMemoryError, InvalidArgumentError, NonFiniteValueError } from './errors.ts';
import { firstNonFiniteHalf, isNonFiniteFloat16, toFloat16Bits } from './float16.ts';
import { allocateRows } from './row-storage.ts';

export interface L2DMemory {
  /** Hidden size d. */
  readonly dim: number;
  /** Number of rows N. */
  readonly rows: number;
  /** Number of items; every label is < itemCount. */
  readonly itemCount: number;
  /** float16 bits, row-major, rows x rowStride(dim). */
  readonly vectors: Uint16Array;
  /** Item label of each row. */
  readonly labels: Uint32Array;
}

/** Halves per stored row: d rounded up to a multiple of 8. */
export function rowStride(dim: number): number {
  return Math.ceil(dim / 8) * 8;
}

export interface MemoryInput {
  dim: number;
  itemCount: number;
  /** Unpadded rows x dim values: float32 numbers, or float16 bits. */
  vectors: Float32Array | Uint16Array;
  labels: Uint32Array | number[];
}

/** Validates and lays out a memory. Throws typed errors on bad input. */
export function createMemory(input: MemoryInput): L2DMemory {
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError(`createMemory takes { dim, itemCount, vectors, labels }, got ${describeValue(input)}.`);
  const { dim, itemCount } = input;
  if (!Number.isInteger(dim) || dim <= 0) throw new InvalidArgumentError(`dim must be a positive integer, got ${describeValue(dim)}.`);
  if (!Number.isInteger(itemCount) || itemCount <= 0) throw new InvalidArgumentError(`itemCount must be a positive integer, got ${describeValue(itemCount)}.`);
  if (!(input.labels instanceof Uint32Array)) {
    if (!Array.isArray(input.labels)) throw new InvalidArgumentError(`labels must be a Uint32Array or an array of item ids, got ${describeValue(input.labels)}.`);
    // Checked before the conversion, which would make 1.5 into 1 and -1 into 4294967295.
    input.labels.forEach((label, r) => {
      if (!Number.isInteger(label) || label < 0 || label >= itemCount) throw new InvalidArgumentError(`labels[${r}] is ${describeValue(label)}, not an item id (0..${itemCount - 1}).`);
    });
  }
  if (!(input.vectors instanceof Float32Array || input.vectors instanceof Uint16Array || Array.isArray(input.vectors))) {
    throw new InvalidArgumentError(`vectors must be a Float32Array (or an array) of numbers, or a Uint16Array of float16 bits, got ${describeValue(input.vectors)}.`);
  }
  const labels = input.labels instanceof Uint32Array ? input.labels : Uint32Array.from(input.labels);
  const rows = labels.length;
  if (rows === 0) throw new EmptyMemoryError();
  if (input.vectors.length !== rows * dim) {
    throw new InvalidArgumentError(`vectors has ${input.vectors.length} values but ${rows} labels x ${dim} dims = ${rows * dim} were expected.`);
  }
  for (let r = 0; r < rows; r++) {
    if (labels[r] >= itemCount) throw new InvalidArgumentError(`Row ${r} has label ${labels[r]}, outside 0..${itemCount - 1}.`);
  }
  const stride = rowStride(dim);
  const vectors = allocateRows(rows, stride);
  const source = input.vectors;
  const isBits = source instanceof Uint16Array;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dim; c++) {
      const bits = isBits ? source[r * dim + c] : toFloat16Bits(source[r * dim + c]);
      if (isNonFiniteFloat16(bits)) throw new NonFiniteValueError(`Memory row ${r} (dimension ${c})`);
      vectors[r * stride + c] = bits;
    }
  }
  return { dim, rows, itemCount, vectors, labels };
}

/** Checks an already laid-out memory (e.g. generated or loaded from a shard). */
export function validateMemory(memory: L2DMemory): void {
  if (memory.rows === 0) throw new EmptyMemoryError();
  const stride = rowStride(memory.dim);
  if (memory.vectors.length !== memory.rows * stride) {
    throw new InvalidArgumentError(`Memory vectors hold ${memory.vectors.length} halves; ${memory.rows} rows x stride ${stride} were expected.`);
  }
  if (memory.labels.length !== memory.rows) {
    throw new InvalidArgumentError(`Memory has ${memory.labels.length} labels for ${memory.rows} rows.`);
  }
  const bad = firstNonFiniteHalf(memory.vectors);
  if (bad >= 0) {
    const row = Math.floor(bad / stride);
    throw new NonFiniteValueError(`Memory row ${row} (dimension ${bad - row * stride})`);
  }
  for (let r = 0; r < memory.rows; r++) {
    if (memory.labels[r] >= memory.itemCount) {
      throw new InvalidArgumentError(`Memory row ${r} has label ${memory.labels[r]}, outside 0..${memory.itemCount - 1}.`);
    }
  }
}

/** A memory of the given rows only, in the given order (e.g. a reservoir sample of a full shard). */
export function selectRows(memory: L2DMemory, rowIds: ArrayLike<number>): L2DMemory {
  const stride = rowStride(memory.dim);
  const vectors = allocateRows(rowIds.length, stride);
  const labels = new Uint32Array(rowIds.length);
  for (let i = 0; i < rowIds.length; i++) {
    const r = rowIds[i];
    if (!Number.isInteger(r) || r < 0 || r >= memory.rows) throw new InvalidArgumentError(`Row ${r} is not a row of this memory (0..${memory.rows - 1}).`);
    vectors.set(memory.vectors.subarray(r * stride, (r + 1) * stride), i * stride);
    labels[i] = memory.labels[r];
  }
  if (labels.length === 0) throw new EmptyMemoryError();
  return { dim: memory.dim, rows: labels.length, itemCount: memory.itemCount, vectors, labels };
}
