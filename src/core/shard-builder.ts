/**
 * Building a memory shard from samples: encode each sample's history with an
 * L2D encoder (onnxruntime-node in tools/build-memory, onnxruntime-web in the
 * worker), store h_t as float16 (or int8) rows with the target as label, in the
 * chunk layout of shard-format.ts. One implementation for Node and the browser.
 */
import { throwIfAbortedBetweenPasses } from './abort.ts';
import { fastCentroids } from './l2-scan-wasm.ts';
import { rowStride, type L2DMemory } from './memory.ts';
import { fromFloat16Bits } from './float16.ts';
import { InvalidArgumentError } from './errors.ts';
import { lastOfEach } from './fit-prompt.ts';
import { encodeRowsChunk, sha256Hex, SHARD_FORMAT, shardVersion, type RowDtype, type ShardChunk, type ShardManifest, type ShardModel } from './shard-format.ts';
import { serializeItems } from './data/prepared-format.ts';
import type { PreparedItem } from './data/prepare.ts';

/** What a shard needs from an encoder: h_t for a batch of histories (titles, oldest first). */
export interface HistoryEncoder {
  hiddenSize: number;
  /** The model's history window (prompt-template.json's maxHistory), where it has one: a prompt holds the newest this many titles. */
  maxHistory?: number;
  encode(histories: string[][]): Promise<{ hidden: Float32Array[]; dropped: number[] }>;
}

/**
 * The order in which to encode `histories` so that each batch holds prompts of like length: a batch is padded to
 * its longest prompt, so mixed lengths spend much of a pass on padding (of the first 1,024 training prompts' tokens
 * in batches of 32, 19% for movielens and 30% for amazon-games; 10% and 11% in this order: bench:build-memory).
 * By the characters of the titles a prompt holds (the newest `window`), a close stand-in for its tokens; ties in
 * the given order.
 */
export function lengthOrder(histories: readonly (readonly string[])[], window = Infinity): number[] {
  const length = histories.map((titles) => titles.slice(Math.max(0, titles.length - window)).reduce((n, title) => n + title.length + 4, 0));
  return histories.map((_, i) => i).sort((a, b) => length[a] - length[b] || a - b);
}

/**
 * Encodes `histories` in batches of `batch`, taken in `order` (lengthOrder's: like lengths together), and hands each
 * history's h_t and its count of dropped titles to `take` with the history's index; an aborted `signal` stops it
 * between batches, and `onRows` hears the rows done after each.
 */
export async function encodeInOrder(
  encoder: HistoryEncoder,
  histories: string[][],
  order: readonly number[],
  batch: number,
  take: (index: number, hidden: Float32Array, dropped: number) => void,
  options: { signal?: AbortSignal; onRows?: (rows: number) => void } = {},
): Promise<void> {
  for (let b = 0; b < order.length; b += batch) {
    await throwIfAbortedBetweenPasses(options.signal); // an aborted build stops within one batch
    const part = order.slice(b, b + batch);
    const out = await encoder.encode(part.map((i) => histories[i]));
    out.hidden.forEach((h, j) => take(part[j], h, out.dropped[j]));
    options.onRows?.(b + part.length);
  }
}

export interface ShardSample {
  /** Item ids, oldest first. */
  history: number[];
  /** The next item: the row's label. */
  target: number;
}

export interface ChunkResult {
  bytes: Uint8Array;
  chunk: Omit<ShardChunk, 'file'>;
  /** Histories whose oldest titles were dropped to fit the model's context. */
  truncated: number;
}

export interface ChunkOptions {
  /** Histories per forward pass. */
  batch: number;
  /** Rows done within the chunk, after each batch. */
  onRows?: (rows: number) => void;
  signal?: AbortSignal;
  /** How the chunk stores its rows (default float16). */
  dtype?: RowDtype;
}

/** Encodes one chunk's samples in batches. */
export async function encodeShardChunk(encoder: HistoryEncoder, samples: ShardSample[], titleOf: (item: number) => string, options: ChunkOptions): Promise<ChunkResult> {
  const { batch, onRows, signal } = options;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new InvalidArgumentError(`The batch size must be a positive integer, got ${batch}.`);
  const dim = encoder.hiddenSize;
  const vectors = new Float32Array(samples.length * dim);
  const labels = Uint32Array.from(samples, (s) => s.target);
  let truncated = 0;
  // A repeated item counts once, at its last place, as in a query (lastOfEach).
  const histories = samples.map((s) => lastOfEach(s.history).map(titleOf));
  // Batches of like length (lengthOrder); each row is written at its sample's place.
  await encodeInOrder(
    encoder,
    histories,
    lengthOrder(histories, encoder.maxHistory),
    batch,
    (i, h, dropped) => {
      vectors.set(h.subarray(0, dim), i * dim);
      if (dropped > 0) truncated++;
    },
    { signal, onRows },
  );
  const bytes = encodeRowsChunk(vectors, labels, dim, options.dtype ?? 'float16');
  return { bytes, chunk: { rows: samples.length, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) }, truncated };
}

export function chunkFileName(index: number): string {
  return `chunk-${String(index).padStart(5, '0')}.bin`;
}

export interface ShardDescription {
  model: ShardModel;
  dataset: ShardManifest['dataset'];
  hiddenSize: number;
  itemCount: number;
  chunkRows: number;
  /** How the chunks store the rows (default float16). */
  dtype?: RowDtype;
}

/** The manifest of finished chunks plus the catalog's checksum. */
export function shardManifest(description: ShardDescription, chunks: ShardChunk[], catalogSha256: string): ShardManifest {
  return {
    format: SHARD_FORMAT,
    version: shardVersion(description.dtype ?? 'float16'),
    model: description.model,
    dataset: description.dataset,
    hiddenSize: description.hiddenSize,
    dtype: description.dtype ?? 'float16',
    rows: chunks.reduce((s, c) => s + c.rows, 0),
    itemCount: description.itemCount,
    chunkRows: description.chunkRows,
    chunks,
    catalog: { file: 'items.tsv', sha256: catalogSha256 },
  };
}

export interface BuiltShard {
  manifest: ShardManifest;
  /** Chunk bytes in manifest order. */
  chunks: Uint8Array[];
  /** items.tsv. */
  catalog: Uint8Array;
  truncated: number;
}

/** Refuses samples a memory must not hold (an empty history, an id outside the catalog, a target in its own history), naming the first. */
export function checkShardSamples(samples: readonly ShardSample[], itemCount: number): void {
  if (samples.length === 0) throw new InvalidArgumentError('No samples to build a memory from.');
  samples.forEach((s, i) => {
    const bad = [...s.history, s.target].find((id) => !(Number.isInteger(id) && id >= 0 && id < itemCount));
    if (s.history.length === 0) throw new InvalidArgumentError(`Sample ${i} has an empty history.`);
    if (bad !== undefined) throw new InvalidArgumentError(`Sample ${i} names item ${bad}, which is not in the catalog (0..${itemCount - 1}).`);
    if (s.history.includes(s.target)) {
      // As recordInteraction refuses it: a row "... X -> X" would rank X first for the next history like it.
      throw new InvalidArgumentError(`Sample ${i}'s history holds its target, item ${s.target}: a memory row is "history -> next item", and no training sample's history holds its target (prepare-data counts a user's repeated interactions with an item once, at the last).`);
    }
  });
}

/** A whole shard in memory (small catalogs, memory updates in the page); progress counts rows. */
export async function buildShard(
  encoder: HistoryEncoder,
  samples: ShardSample[],
  items: PreparedItem[],
  description: Omit<ShardDescription, 'hiddenSize' | 'itemCount'>,
  options: { batch?: number; onProgress?: (rows: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<BuiltShard> {
  checkShardSamples(samples, items.length);
  const { chunkRows } = description;
  if (!(Number.isInteger(chunkRows) && chunkRows >= 1)) throw new InvalidArgumentError(`chunkRows must be a positive integer, got ${chunkRows}.`);
  const chunks: Uint8Array[] = [];
  const listed: ShardChunk[] = [];
  let truncated = 0;
  for (let start = 0, index = 0; start < samples.length; start += chunkRows, index++) {
    const result = await encodeShardChunk(encoder, samples.slice(start, start + chunkRows), (id) => items[id].title, {
      batch: options.batch ?? 16,
      onRows: (rows) => options.onProgress?.(start + rows, samples.length),
      signal: options.signal,
      dtype: description.dtype,
    });
    chunks.push(result.bytes);
    listed.push({ file: chunkFileName(index), ...result.chunk });
    truncated += result.truncated;
  }
  const catalog = new TextEncoder().encode(serializeItems(items));
  const manifest = shardManifest({ ...description, hiddenSize: encoder.hiddenSize, itemCount: items.length }, listed, await sha256Hex(catalog));
  return { manifest, chunks, catalog, truncated };
}

/**
 * A shard of one row per item: the float32 mean of the item's rows in `memory` (the decoders' own centroid rule),
 * stored in `dtype` (default: the source's), with `source`'s model, data set and catalog. L2D-G needs nothing else,
 * so this is its whole input in a fraction of the bytes (the demo's 30% memory: 21,456 rows, 11.1 MB -> 3,034 rows,
 * 1.6 MB). Items without rows get none, as before: never recommended. Each item's sample count is kept (manifest
 * centroids.itemSamples), so a memory update can weigh a user's row as one sample among them. Deterministic: the
 * same shard, the same bytes.
 */
export async function buildCentroidShard(source: ShardManifest, memory: L2DMemory, catalog: Uint8Array, dtype: RowDtype = source.dtype): Promise<BuiltShard> {
  if (source.centroids) throw new InvalidArgumentError('This shard already holds centroids (one row per item); build them from a shard of sample rows.');
  const { vectors: means, counts } = fastCentroids(memory);
  const stride = rowStride(memory.dim);
  const items = Array.from(counts.keys()).filter((item) => counts[item] > 0);
  const { chunks, listed } = await encodeRows(items.length, memory.dim, source.chunkRows, dtype, Uint32Array.from(items), (r, into) =>
    into.set(means.subarray(items[r] * stride, items[r] * stride + memory.dim)),
  );
  const description = { model: source.model, dataset: source.dataset, hiddenSize: source.hiddenSize, itemCount: source.itemCount, chunkRows: source.chunkRows, dtype };
  const manifest: ShardManifest = { ...shardManifest(description, listed, await sha256Hex(catalog)), centroids: { sampleRows: memory.rows, itemSamples: Array.from(counts) } };
  return { manifest, chunks, catalog, truncated: 0 };
}

/**
 * `source`'s shard (its rows read as `memory`) with its rows stored in `dtype`: the same rows, labels, chunks and
 * catalog, float16 rows to int8 (half the bytes) or back. Deterministic.
 */
export async function convertShardRows(source: ShardManifest, memory: L2DMemory, catalog: Uint8Array, dtype: RowDtype): Promise<BuiltShard> {
  if (dtype === source.dtype) throw new InvalidArgumentError(`This shard's rows are ${dtype} already.`);
  const stride = rowStride(memory.dim);
  const { chunks, listed } = await encodeRows(memory.rows, memory.dim, source.chunkRows, dtype, memory.labels, (r, into) => {
    for (let c = 0; c < memory.dim; c++) into[c] = fromFloat16Bits(memory.vectors[r * stride + c]);
  });
  const manifest: ShardManifest = { ...source, version: shardVersion(dtype), dtype, chunks: listed };
  return { manifest, chunks, catalog, truncated: 0 };
}

/** `count` rows in chunks of `chunkRows`, stored in `dtype`: row r's values written by `row(r, into)`, its label labels[r]. */
async function encodeRows(
  count: number,
  dim: number,
  chunkRows: number,
  dtype: RowDtype,
  labels: Uint32Array,
  row: (r: number, into: Float32Array) => void,
): Promise<{ chunks: Uint8Array[]; listed: ShardChunk[] }> {
  const chunks: Uint8Array[] = [];
  const listed: ShardChunk[] = [];
  for (let start = 0, index = 0; start < count; start += chunkRows, index++) {
    const rows = Math.min(chunkRows, count - start);
    const values = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) row(start + r, values.subarray(r * dim, (r + 1) * dim));
    const bytes = encodeRowsChunk(values, labels.slice(start, start + rows), dim, dtype);
    chunks.push(bytes);
    listed.push({ file: chunkFileName(index), rows, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
  }
  return { chunks, listed };
}
