/**
 * The memory shard: a JSON manifest plus fixed-size binary chunks.
 *
 *   manifest.json  format "l2d-memory-shard", version, model (id, ONNX file,
 *                  its SHA-256, dtype), data set, hidden size, row count,
 *                  item count, chunk list with per-chunk SHA-256
 *   chunk-NNNNN.bin  dtype "float16" (format version 1): rows x hiddenSize
 *                  float16 (row-major, little-endian), zero-padded to 4 bytes,
 *                  then rows uint32 item labels;
 *                  dtype "int8" (version 2, half the bytes): hiddenSize float32
 *                  scales (one per dimension, over the chunk's rows), rows x
 *                  hiddenSize int8 codes (value = code x scale; int8-rows.ts),
 *                  zero-padded to 4 bytes, then rows uint32 item labels
 *
 *   items.tsv      the catalog (prepared-data format: id, source id, title;
 *                  label = id), so a shard alone is enough to render prompts
 *
 * Every chunk holds `chunkRows` rows except the last.
 */
import { parseItems } from './data/prepared-format.ts';
import type { PreparedItem } from './data/prepare.ts';
import { ShardError } from './errors.ts';
import { firstNonFiniteHalf, toFloat16Bits } from './float16.ts';
import { firstBadScale, int8HalfTable, INT8_CODE_MAX, INT8_MAX_SCALE, quantizeInt8 } from './int8-rows.ts';
import { parseJsonText } from './json-text.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { allocateRows } from './row-storage.ts';

export const SHARD_FORMAT = 'l2d-memory-shard';

/** How a shard stores its rows' values; either way they are read as float16 rows. */
export type RowDtype = 'float16' | 'int8';
export const ROW_DTYPES: readonly RowDtype[] = ['float16', 'int8'];

/**
 * The format version a shard of these rows is written with: float16 shards stay version 1, byte for byte as before
 * int8 rows existed, and int8 ones are 2, so code from before them refuses one by its version instead of misreading it.
 */
export function shardVersion(dtype: RowDtype): number {
  return dtype === 'int8' ? 2 : 1;
}
const READ_VERSIONS = [1, 2];

export interface ShardModel {
  /** A readable id, e.g. the model folder's name. */
  id: string;
  /** The ONNX file the hidden states came from, e.g. "onnx/model_q4.onnx". */
  file: string;
  /** SHA-256 (hex) of that file: a shard is refused by any other model. */
  sha256: string;
  dtype: string;
}

export interface ShardChunk {
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ShardManifest {
  format: typeof SHARD_FORMAT;
  version: number;
  model: ShardModel;
  dataset: { name: string; split: string; fraction: number; seed: number; samples: number };
  hiddenSize: number;
  /** How the chunks store the rows' values (ROW_DTYPES). */
  dtype: RowDtype;
  rows: number;
  itemCount: number;
  chunkRows: number;
  chunks: ShardChunk[];
  /** The item table: file name and SHA-256. */
  catalog: { file: string; sha256: string };
  /**
   * Set when each row is an item's centroid (the mean of that many sample rows, build-memory --centroids-of),
   * not a sample: L2D-G's whole input in a fraction of the bytes; L2D-L then ranks as L2D-G. `itemSamples[v]`
   * is how many sample rows item v's centroid is the mean of (0: it has no row): with it, a memory update
   * weighs the user's row as one sample among them (src/core/overlay.ts); without it (shards built before
   * it was stored), memory updates are off, since a user's row would weigh as much as all of an item's samples.
   */
  centroids?: { sampleRows: number; itemSamples?: number[] };
}

/** Whether this machine stores a Uint16Array little-endian, as shard chunks are written (every browser's does). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const pad4 = (bytes: number) => Math.ceil(bytes / 4) * 4;

/** Where a chunk's labels start: after its values (and, for int8, the scales before them). */
function labelsOffset(rows: number, dim: number, dtype: RowDtype): number {
  return dtype === 'int8' ? dim * 4 + pad4(rows * dim) : pad4(rows * dim * 2);
}

export function chunkBytes(rows: number, dim: number, dtype: RowDtype = 'float16'): number {
  return labelsOffset(rows, dim, dtype) + rows * 4;
}

/** One float16 chunk's bytes from unpadded float16 rows and their labels. */
export function encodeChunk(vectors: Uint16Array, labels: Uint32Array, dim: number): Uint8Array {
  const rows = labels.length;
  if (vectors.length !== rows * dim) throw new ShardError(`A chunk of ${rows} rows needs ${rows * dim} halves, got ${vectors.length}.`);
  const out = new Uint8Array(chunkBytes(rows, dim));
  const view = new DataView(out.buffer);
  if (LITTLE_ENDIAN) new Uint16Array(out.buffer, 0, vectors.length).set(vectors);
  else for (let i = 0; i < vectors.length; i++) view.setUint16(2 * i, vectors[i], true);
  writeLabels(view, labelsOffset(rows, dim, 'float16'), labels);
  return out;
}

/**
 * One chunk's bytes in `dtype` from unpadded rows of numbers (float32 hidden states, centroids, or a shard's
 * float16 rows read as numbers) and their labels. int8 rows are quantized over this chunk's rows (int8-rows.ts).
 */
export function encodeRowsChunk(values: Float32Array, labels: Uint32Array, dim: number, dtype: RowDtype): Uint8Array {
  const rows = labels.length;
  if (values.length !== rows * dim) throw new ShardError(`A chunk of ${rows} rows needs ${rows * dim} values, got ${values.length}.`);
  if (dtype === 'float16') return encodeChunk(Uint16Array.from(values, toFloat16Bits), labels, dim);
  const { scales, codes } = quantizeInt8(values, dim);
  const bad = firstBadScale(scales);
  if (bad >= 0) {
    const row = Array.from({ length: rows }, (_, r) => values[r * dim + bad]).findIndex((x) => !(Math.abs(x) <= INT8_MAX_SCALE * INT8_CODE_MAX));
    throw new ShardError(`Row ${row} of the chunk holds ${values[row * dim + bad]} in dimension ${bad}: int8 rows hold finite values up to ${INT8_MAX_SCALE * INT8_CODE_MAX} in magnitude (they are read as float16).`);
  }
  const out = new Uint8Array(chunkBytes(rows, dim, 'int8'));
  const view = new DataView(out.buffer);
  scales.forEach((scale, c) => view.setFloat32(4 * c, scale, true));
  new Int8Array(out.buffer, dim * 4, codes.length).set(codes);
  writeLabels(view, labelsOffset(rows, dim, 'int8'), labels);
  return out;
}

function writeLabels(view: DataView, at: number, labels: Uint32Array): void {
  for (let r = 0; r < labels.length; r++) view.setUint32(at + 4 * r, labels[r], true);
}

export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes instanceof Uint8Array ? (bytes as Uint8Array<ArrayBuffer>) : bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function parseShardManifest(text: string, where = 'manifest.json'): ShardManifest {
  const m = parseJsonText<ShardManifest>(text, where, (message) => new ShardError(message));
  if (m.format !== SHARD_FORMAT) throw new ShardError(`${where}: not an L2D memory shard (format "${String(m.format)}", expected "${SHARD_FORMAT}").`);
  if (!READ_VERSIONS.includes(m.version)) {
    throw new ShardError(`${where}: shard format version ${String(m.version)} is not supported (this code reads versions ${READ_VERSIONS.join(' and ')}); build the memory again, or load it with the code that built it.`);
  }
  if (!ROW_DTYPES.includes(m.dtype)) throw new ShardError(`${where}: rows of dtype ${JSON.stringify(m.dtype)} are not supported (${ROW_DTYPES.join(' or ')}).`);
  if (m.version !== shardVersion(m.dtype)) throw new ShardError(`${where}: a shard of ${m.dtype} rows has format version ${shardVersion(m.dtype)}, not ${m.version}.`);
  if (m.centroids !== undefined && !(Number.isInteger(m.centroids?.sampleRows) && m.centroids.sampleRows >= m.rows)) {
    throw new ShardError(`${where}: centroids.sampleRows must be a whole number of sample rows (at least the ${m.rows} centroid rows), got ${JSON.stringify(m.centroids)}.`);
  }
  const itemSamples = m.centroids?.itemSamples;
  if (itemSamples !== undefined) {
    const bad = Array.isArray(itemSamples) ? itemSamples.findIndex((n) => !(Number.isInteger(n) && n >= 0)) : -2;
    if (!Array.isArray(itemSamples) || itemSamples.length !== m.itemCount || bad >= 0) {
      const what = !Array.isArray(itemSamples) ? `got ${typeof itemSamples}` : bad >= 0 ? `item ${bad} has ${JSON.stringify(itemSamples[bad])}` : `got ${itemSamples.length} counts`;
      throw new ShardError(`${where}: centroids.itemSamples must be ${m.itemCount} whole numbers, one per item (${what}).`);
    }
    const sum = itemSamples.reduce((a, n) => a + n, 0);
    const withRows = itemSamples.filter((n) => n > 0).length;
    if (sum !== m.centroids!.sampleRows || withRows !== m.rows) {
      throw new ShardError(`${where}: centroids.itemSamples add up to ${sum} sample rows over ${withRows} items; the manifest says ${m.centroids!.sampleRows} sample rows and ${m.rows} centroid rows.`);
    }
  }
  const total = m.chunks.reduce((s, c) => s + c.rows, 0);
  if (total !== m.rows) throw new ShardError(`${where}: the chunks hold ${total} rows but the manifest says ${m.rows}.`);
  m.chunks.forEach((c, i) => {
    const expected = chunkBytes(c.rows, m.hiddenSize, m.dtype);
    if (c.bytes !== expected) throw new ShardError(`${where}: chunk ${i} is listed with ${c.bytes} bytes; ${c.rows} rows of ${m.hiddenSize} ${m.dtype} dims take ${expected}.`);
    if (i < m.chunks.length - 1 && c.rows !== m.chunkRows) throw new ShardError(`${where}: chunk ${i} has ${c.rows} rows; every chunk but the last has ${m.chunkRows}.`);
  });
  return m;
}

/** Refuses a shard whose hidden states came from another model file. */
export function checkShardModel(manifest: ShardManifest, model: { sha256: string; hiddenSize?: number }): void {
  if (manifest.model.sha256 !== model.sha256) {
    throw new ShardError(
      `This memory was built with model "${manifest.model.id}" (${manifest.model.file}, sha256 ${manifest.model.sha256.slice(0, 12)}…), not with the model in use (sha256 ${model.sha256.slice(0, 12)}…). Build the memory with the same model file.`,
    );
  }
  if (model.hiddenSize !== undefined && model.hiddenSize !== manifest.hiddenSize) {
    throw new ShardError(`This memory has hidden size ${manifest.hiddenSize}; the model's is ${model.hiddenSize}.`);
  }
}

/**
 * Where a shard's chunks go as they load, in any order: each one checked (a ShardError for one that fails), then,
 * once the loader is done with it (stored), taken: from then on it is the sink's, which may transfer it.
 */
export interface ChunkSink {
  check(index: number, chunk: Uint8Array | ArrayBuffer): Promise<void>;
  take(index: number, chunk: Uint8Array | ArrayBuffer): void;
}

/**
 * A shard's chunk checks, without a copy: size, SHA-256, every row finite and every label an item. Where chunks
 * are checked on one thread and assembled on another (workers/memory.worker.ts), the assembler places them
 * unchecked.
 */
export class ChunkChecker {
  private readonly firstRows: number[];

  constructor(readonly manifest: ShardManifest) {
    let row = 0;
    this.firstRows = manifest.chunks.map((c) => ((row += c.rows), row - c.rows));
  }

  /** Checks chunk i's size and checksum (throws ShardError) without reading its rows. */
  async verify(index: number, bytes: Uint8Array): Promise<void> {
    const meta = this.manifest.chunks[index];
    if (!meta) throw new ShardError(`The shard has ${this.manifest.chunks.length} chunks; there is no chunk ${index}.`);
    if (bytes.byteLength !== meta.bytes) throw new ShardError(`Chunk ${index} (${meta.file}) has ${bytes.byteLength} bytes; the manifest says ${meta.bytes} (truncated or wrong file).`);
    if ((await sha256Hex(bytes)) !== meta.sha256) throw new ShardError(`Chunk ${index} (${meta.file}) fails its SHA-256 checksum: the data is corrupted.`);
  }

  /** Every check of chunk i (throws ShardError): verify(), then its rows' values and labels. */
  async check(index: number, chunk: Uint8Array | ArrayBuffer): Promise<void> {
    const bytes = asBytes(chunk);
    await this.verify(index, bytes);
    const { values, view, labelsAt, rows } = chunkParts(this.manifest, index, bytes);
    const dim = this.manifest.hiddenSize;
    if ('halves' in values) {
      const bad = firstNonFiniteHalf(values.halves);
      if (bad >= 0) {
        const r = Math.floor(bad / dim);
        throw new ShardError(`Chunk ${index}, row ${r} (memory row ${this.firstRows[index] + r}) holds NaN or Infinity in dimension ${bad - r * dim}.`);
      }
    } else {
      // Every code times a scale in [0, INT8_MAX_SCALE] is a finite float16: the scales are the whole check.
      const bad = firstBadScale(values.scales);
      if (bad >= 0) throw new ShardError(`Chunk ${index}'s int8 scale of dimension ${bad} is ${values.scales[bad]}, not a number from 0 to ${INT8_MAX_SCALE}: the data is corrupted.`);
    }
    for (let r = 0; r < rows; r++) {
      const label = view.getUint32(labelsAt + 4 * r, true);
      if (label >= this.manifest.itemCount) throw new ShardError(`Chunk ${index}, row ${r} has label ${label}, outside the ${this.manifest.itemCount} items.`);
    }
  }

  firstRow(index: number): number {
    return this.firstRows[index];
  }
}

const asBytes = (chunk: Uint8Array | ArrayBuffer) => (chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk));

type ChunkValues = { halves: Uint16Array } | { scales: Float32Array; codes: Int8Array };

/**
 * A chunk's values as stored: float16 halves (little-endian, as they are where this machine reads them so), or int8
 * codes and their per-dimension scales; and its labels' place.
 */
function chunkParts(manifest: ShardManifest, index: number, bytes: Uint8Array): { values: ChunkValues; view: DataView; labelsAt: number; rows: number } {
  const { rows } = manifest.chunks[index];
  const { hiddenSize: dim, dtype } = manifest;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const labelsAt = labelsOffset(rows, dim, dtype);
  if (dtype === 'int8') {
    const scales = Float32Array.from({ length: dim }, (_, c) => view.getFloat32(4 * c, true));
    return { values: { scales, codes: new Int8Array(bytes.buffer, bytes.byteOffset + dim * 4, rows * dim) }, view, labelsAt, rows };
  }
  const halves =
    LITTLE_ENDIAN && bytes.byteOffset % 2 === 0
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, rows * dim)
      : Uint16Array.from({ length: rows * dim }, (_, i) => view.getUint16(2 * i, true));
  return { values: { halves }, view, labelsAt, rows };
}

/**
 * Assembles a memory chunk by chunk: each chunk is checked (ChunkChecker) and copied into the memory's arrays as
 * it arrives, so a caller streaming chunks (from the network or IndexedDB) never holds the shard twice.
 * `spareRows` reserves room after the shard's rows (memory updates append there).
 */
export class MemoryAssembler implements ChunkSink {
  readonly vectors: Uint16Array;
  readonly labels: Uint32Array;
  private readonly done: boolean[];
  private readonly checker: ChunkChecker;

  constructor(
    readonly manifest: ShardManifest,
    readonly spareRows = 0,
  ) {
    const stride = rowStride(manifest.hiddenSize);
    this.vectors = allocateRows(manifest.rows + spareRows, stride);
    this.labels = new Uint32Array(manifest.rows + spareRows);
    this.done = manifest.chunks.map(() => false);
    this.checker = new ChunkChecker(manifest);
  }

  /** Checks chunk i and copies its rows into place. */
  async add(index: number, chunk: Uint8Array | ArrayBuffer): Promise<void> {
    await this.check(index, chunk);
    this.take(index, chunk);
  }

  check(index: number, chunk: Uint8Array | ArrayBuffer): Promise<void> {
    return this.checker.check(index, chunk);
  }

  /** Copies chunk i's rows into place, unchecked: after check(), or for a chunk a ChunkChecker passed elsewhere. */
  take(index: number, chunk: Uint8Array | ArrayBuffer): void {
    const bytes = asBytes(chunk);
    const meta = this.manifest.chunks[index];
    if (!meta || bytes.byteLength !== meta.bytes) throw new ShardError(`Chunk ${index} does not fit the shard (${bytes.byteLength} bytes; the manifest says ${meta?.bytes ?? 'no such chunk'}).`);
    const { values, view, labelsAt, rows } = chunkParts(this.manifest, index, bytes);
    const dim = this.manifest.hiddenSize;
    const stride = rowStride(dim);
    const firstRow = this.checker.firstRow(index);
    if ('halves' in values) {
      for (let r = 0; r < rows; r++) this.vectors.set(values.halves.subarray(r * dim, (r + 1) * dim), (firstRow + r) * stride);
    } else {
      const table = int8HalfTable(values.scales);
      const { codes } = values;
      for (let r = 0; r < rows; r++) {
        const at = (firstRow + r) * stride;
        for (let c = 0; c < dim; c++) this.vectors[at + c] = table[c * 256 + codes[r * dim + c] + 128];
      }
    }
    for (let r = 0; r < rows; r++) this.labels[firstRow + r] = view.getUint32(labelsAt + 4 * r, true);
    this.done[index] = true;
  }

  /** The memory of the shard's rows (views into arrays that have `spareRows` more). */
  finish(): L2DMemory {
    const missing = this.done.indexOf(false);
    if (missing >= 0) throw new ShardError(`Chunk ${missing} (${this.manifest.chunks[missing].file}) of the shard is missing.`);
    const { hiddenSize: dim, rows, itemCount } = this.manifest;
    return { dim, rows, itemCount, vectors: this.vectors.subarray(0, rows * rowStride(dim)), labels: this.labels.subarray(0, rows) };
  }
}

/**
 * The MemoryAssembler of a shard whose manifest is not read yet: a stream's `sinkFor` makes it once the manifest is
 * read, and `finish()` is the memory after the stream.
 */
export class PendingMemory {
  private assembler?: MemoryAssembler;
  constructor(private readonly spareRows = 0) {}

  readonly sinkFor = (manifest: ShardManifest): MemoryAssembler => (this.assembler = new MemoryAssembler(manifest, this.spareRows));

  /** The assembler, once the manifest was read. */
  get sink(): MemoryAssembler {
    if (!this.assembler) throw new ShardError("The shard's manifest was not read: there is no memory to assemble yet.");
    return this.assembler;
  }

  finish(): L2DMemory {
    return this.sink.finish();
  }
}

/** Assembles a memory from all its chunks at once (see MemoryAssembler). */
export async function assembleMemory(manifest: ShardManifest, chunks: (Uint8Array | ArrayBuffer)[]): Promise<L2DMemory> {
  if (chunks.length !== manifest.chunks.length) throw new ShardError(`The shard has ${manifest.chunks.length} chunks; ${chunks.length} were given.`);
  const assembler = new MemoryAssembler(manifest);
  for (let i = 0; i < chunks.length; i++) await assembler.add(i, chunks[i]);
  return assembler.finish();
}

/** The shard's catalog (items.tsv) after its SHA-256 and item count are checked against the manifest. */
export async function verifiedCatalog(manifest: ShardManifest, bytes: Uint8Array | ArrayBuffer, where: string): Promise<PreparedItem[]> {
  if ((await sha256Hex(bytes)) !== manifest.catalog.sha256) throw new ShardError(`${where} fails its SHA-256 checksum.`);
  const items = parseItems(new TextDecoder().decode(bytes), where);
  if (items.length !== manifest.itemCount) throw new ShardError(`${where}: the catalog has ${items.length} items; the manifest says ${manifest.itemCount}.`);
  return items;
}

/**
 * A centroid memory's sample count per item (manifest centroids.itemSamples), checked against its rows: each row
 * is the one row of an item with samples. Undefined for a memory of samples, or a centroid shard without counts.
 */
export function centroidSampleCounts(manifest: ShardManifest, memory: L2DMemory): Uint32Array | undefined {
  const itemSamples = manifest.centroids?.itemSamples;
  if (!itemSamples) return undefined;
  const counts = Uint32Array.from(itemSamples);
  const seen = new Uint8Array(memory.itemCount);
  for (let r = 0; r < memory.rows; r++) {
    const item = memory.labels[r];
    if (counts[item] === 0 || seen[item]) {
      throw new ShardError(`Centroid row ${r} is ${counts[item] === 0 ? `of item ${item}, which the manifest lists with no samples` : `a second row of item ${item}`}: the shard is not one centroid per item.`);
    }
    seen[item] = 1;
  }
  return counts;
}

/** manifest.json's text: indented, with a centroid shard's per-item sample counts on one line (not one per item). */
export function formatShardManifest(manifest: ShardManifest): string {
  const itemSamples = manifest.centroids?.itemSamples;
  if (!itemSamples) return `${JSON.stringify(manifest, null, 2)}\n`;
  const marker = '"@itemSamples@"';
  const text = JSON.stringify({ ...manifest, centroids: { ...manifest.centroids, itemSamples: marker.slice(1, -1) } }, null, 2);
  return `${text.replace(marker, JSON.stringify(itemSamples))}\n`;
}
