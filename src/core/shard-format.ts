/**
 * The memory shard: a JSON manifest plus fixed-size binary chunks.
 *
 *   manifest.json  format "l2d-memory-shard", version, model (id, ONNX file,
 *                  its SHA-256, dtype), data set, hidden size, row count,
 *                  item count, chunk list with per-chunk SHA-256
 *   chunk-NNNNN.bin  rows x hiddenSize float16 (row-major, little-endian),
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
import { firstNonFiniteHalf } from './float16.ts';
import { parseJsonText } from './json-text.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { allocateRows } from './row-storage.ts';

export const SHARD_FORMAT = 'l2d-memory-shard';
export const SHARD_VERSION = 1;

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
  dtype: 'float16';
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

export function chunkBytes(rows: number, dim: number): number {
  return Math.ceil((rows * dim * 2) / 4) * 4 + rows * 4;
}

/** One chunk's bytes from unpadded float16 rows and their labels. */
export function encodeChunk(vectors: Uint16Array, labels: Uint32Array, dim: number): Uint8Array {
  const rows = labels.length;
  if (vectors.length !== rows * dim) throw new ShardError(`A chunk of ${rows} rows needs ${rows * dim} halves, got ${vectors.length}.`);
  const out = new Uint8Array(chunkBytes(rows, dim));
  const view = new DataView(out.buffer);
  if (LITTLE_ENDIAN) new Uint16Array(out.buffer, 0, vectors.length).set(vectors);
  else for (let i = 0; i < vectors.length; i++) view.setUint16(2 * i, vectors[i], true);
  const labelsAt = Math.ceil((rows * dim * 2) / 4) * 4;
  for (let r = 0; r < rows; r++) view.setUint32(labelsAt + 4 * r, labels[r], true);
  return out;
}

export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes instanceof Uint8Array ? (bytes as Uint8Array<ArrayBuffer>) : bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function parseShardManifest(text: string, where = 'manifest.json'): ShardManifest {
  const m = parseJsonText<ShardManifest>(text, where, (message) => new ShardError(message));
  if (m.format !== SHARD_FORMAT) throw new ShardError(`${where}: not an L2D memory shard (format "${String(m.format)}", expected "${SHARD_FORMAT}").`);
  if (m.version !== SHARD_VERSION) throw new ShardError(`${where}: shard format version ${String(m.version)} is not supported (this code reads version ${SHARD_VERSION}); build the memory again.`);
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
    const expected = chunkBytes(c.rows, m.hiddenSize);
    if (c.bytes !== expected) throw new ShardError(`${where}: chunk ${i} is listed with ${c.bytes} bytes; ${c.rows} rows of ${m.hiddenSize} dims take ${expected}.`);
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
    const { halves, view, labelsAt, rows } = chunkParts(this.manifest, index, bytes);
    const dim = this.manifest.hiddenSize;
    const bad = firstNonFiniteHalf(halves);
    if (bad >= 0) {
      const r = Math.floor(bad / dim);
      throw new ShardError(`Chunk ${index}, row ${r} (memory row ${this.firstRows[index] + r}) holds NaN or Infinity in dimension ${bad - r * dim}.`);
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

/** A chunk's rows as float16 halves (little-endian, as they are where this machine reads them so), and its labels' place. */
function chunkParts(manifest: ShardManifest, index: number, bytes: Uint8Array): { halves: Uint16Array; view: DataView; labelsAt: number; rows: number } {
  const { rows } = manifest.chunks[index];
  const dim = manifest.hiddenSize;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const labelsAt = Math.ceil((rows * dim * 2) / 4) * 4;
  const halves =
    LITTLE_ENDIAN && bytes.byteOffset % 2 === 0
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, rows * dim)
      : Uint16Array.from({ length: rows * dim }, (_, i) => view.getUint16(2 * i, true));
  return { halves, view, labelsAt, rows };
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
    const { halves, view, labelsAt, rows } = chunkParts(this.manifest, index, bytes);
    const dim = this.manifest.hiddenSize;
    const stride = rowStride(dim);
    let row = this.checker.firstRow(index);
    for (let r = 0; r < rows; r++, row++) {
      this.vectors.set(halves.subarray(r * dim, (r + 1) * dim), row * stride);
      this.labels[row] = view.getUint32(labelsAt + 4 * r, true);
    }
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
