/**
 * Loads a memory shard over HTTP (a folder URL with manifest.json, chunks and
 * items.tsv), verifying every chunk's size and SHA-256 and that the shard
 * belongs to the model in use. Streams with byte progress.
 */
import type { PreparedItem } from './core/data/prepare.ts';
import { ShardError } from './core/errors.ts';
import type { L2DMemory } from './core/memory.ts';
import { PendingMemory, checkShardModel, parseShardManifest, verifiedCatalog, type ChunkSink, type ShardManifest } from './core/shard-format.ts';

export interface LoadedShard {
  manifest: ShardManifest;
  memory: L2DMemory;
  items: PreparedItem[];
}

export type ByteProgress = (loaded: number, total: number) => void;

async function get(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new ShardError(`${url}: HTTP ${response.status}; is the memory URL right?`);
  return response;
}

/**
 * Downloaded bytes through `check`; bytes it refuses with a ShardError are fetched once more past the HTTP cache
 * (`reload`) and checked again. A shard rebuilt at the same URL has files of the same names, and a cache (a CDN's
 * max-age) may still answer with the old ones: the manifest, asked for with no-cache, is the new one.
 */
export async function checkedOrReloaded<T>(bytes: ArrayBuffer, check: (bytes: ArrayBuffer) => Promise<T>, reload: () => Promise<ArrayBuffer>): Promise<{ bytes: ArrayBuffer; checked: T }> {
  try {
    return { bytes, checked: await check(bytes) };
  } catch (error) {
    if (!(error instanceof ShardError)) throw error;
    const fresh = await reload();
    return { bytes: fresh, checked: await check(fresh) };
  }
}

/** The fetch options of a file fetched past the HTTP cache (which then keeps the fresh copy). */
export const RELOAD: RequestInit = { cache: 'reload' };

/**
 * Item `index`'s download, with the next `ahead` wanted ones started behind it: a chunk downloads while the one
 * before is verified and stored, and the requests' round trips overlap. Each download is started once; one started
 * ahead and never asked for (the caller stopped at an error) finishes unobserved.
 */
export function fetchAhead<T>(count: number, ahead: number, wanted: (index: number) => boolean, start: (index: number) => Promise<T>): (index: number) => Promise<T> {
  const started = new Map<number, Promise<T>>();
  const begin = (index: number) => {
    const download = start(index);
    download.catch(() => undefined); // met by the caller when it asks for this index
    started.set(index, download);
    return download;
  };
  return (index) => {
    const download = started.get(index) ?? begin(index);
    started.delete(index);
    for (let next = index + 1; next < Math.min(count, index + 1 + ahead); next++) if (!started.has(next) && wanted(next)) begin(next);
    return download;
  };
}

/** Downloads in flight beyond the chunk being assembled (each holds up to a chunk's bytes until its turn). */
export const CHUNKS_AHEAD = 1;

export async function fetchShard(url: string, model?: { sha256: string; hiddenSize: number }, onProgress?: ByteProgress): Promise<LoadedShard> {
  const pending = new PendingMemory();
  const streamed = await streamShard(url, pending.sinkFor, model, onProgress);
  return { ...streamed, memory: pending.finish() };
}

/** A shard whose chunks went to a ChunkSink: its manifest and verified catalog. */
export type StreamedShard = Omit<LoadedShard, 'memory'>;

/**
 * fetchShard's download, each chunk handed to the sink `sinkFor` makes once the manifest is read (and checked
 * against the model) as soon as it arrives; the sink checks it.
 */
export async function streamShard(url: string, sinkFor: (manifest: ShardManifest) => ChunkSink, model?: { sha256: string; hiddenSize: number }, onProgress?: ByteProgress): Promise<StreamedShard> {
  const base = url.replace(/\/$/, '');
  // no-cache: a rebuilt shard's manifest, never an old copy the HTTP cache still holds (its chunks follow it).
  const manifest = parseShardManifest(await (await get(`${base}/manifest.json`, { cache: 'no-cache' })).text(), `${base}/manifest.json`);
  if (model) checkShardModel(manifest, model);
  const total = manifest.chunks.reduce((s, c) => s + c.bytes, 0);
  let loaded = 0;
  // The chunks, then the catalog, each downloading while the one before is verified.
  const urls = [...manifest.chunks.map((c) => `${base}/${c.file}`), `${base}/${manifest.catalog.file}`];
  const download = fetchAhead(urls.length, CHUNKS_AHEAD, () => true, (i) => get(urls[i]).then((response) => response.arrayBuffer()));
  // Each chunk goes to the sink as it arrives: the shard is never held whole twice.
  const sink = sinkFor(manifest);
  const reload = (i: number) => () => get(urls[i], RELOAD).then((response) => response.arrayBuffer());
  for (const [i, c] of manifest.chunks.entries()) {
    const { bytes } = await checkedOrReloaded(await download(i), (chunk) => sink.check(i, chunk), reload(i));
    sink.take(i, bytes);
    loaded += c.bytes;
    onProgress?.(loaded, total);
  }
  const catalogIndex = manifest.chunks.length;
  const { checked: items } = await checkedOrReloaded(await download(catalogIndex), (bytes) => verifiedCatalog(manifest, bytes, urls[catalogIndex]), reload(catalogIndex));
  return { manifest, items };
}
