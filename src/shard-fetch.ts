/**
 * Loads a memory shard over HTTP (a folder URL with manifest.json, chunks and
 * items.tsv), verifying every chunk's size and SHA-256 and that the shard
 * belongs to the model in use. Streams with byte progress.
 */
import type { PreparedItem } from './core/data/prepare.ts';
import { ShardError } from './core/errors.ts';
import type { L2DMemory } from './core/memory.ts';
import { MemoryAssembler, checkShardModel, parseShardManifest, verifiedCatalog, type ShardManifest } from './core/shard-format.ts';

export interface LoadedShard {
  manifest: ShardManifest;
  memory: L2DMemory;
  items: PreparedItem[];
}

export type ByteProgress = (loaded: number, total: number) => void;

async function get(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new ShardError(`${url}: HTTP ${response.status}; is the memory URL right?`);
  return response;
}

export async function fetchShard(url: string, model?: { sha256: string; hiddenSize: number }, onProgress?: ByteProgress): Promise<LoadedShard> {
  const base = url.replace(/\/$/, '');
  const manifest = parseShardManifest(await (await get(`${base}/manifest.json`)).text(), `${base}/manifest.json`);
  if (model) checkShardModel(manifest, model);
  const total = manifest.chunks.reduce((s, c) => s + c.bytes, 0);
  let loaded = 0;
  // Each chunk is copied into the memory as it arrives: the shard is never held twice.
  const assembler = new MemoryAssembler(manifest);
  for (const [i, c] of manifest.chunks.entries()) {
    await assembler.add(i, await (await get(`${base}/${c.file}`)).arrayBuffer());
    loaded += c.bytes;
    onProgress?.(loaded, total);
  }
  const catalogUrl = `${base}/${manifest.catalog.file}`;
  const items = await verifiedCatalog(manifest, await (await get(catalogUrl)).arrayBuffer(), catalogUrl);
  return { manifest, memory: assembler.finish(), items };
}
