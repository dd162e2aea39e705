/** Reads a memory shard folder in Node, verifying every chunk (src/core/shard-format.ts). */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ShardError } from '../../src/core/errors.ts';
import type { L2DMemory } from '../../src/core/memory.ts';
import { assembleMemory, checkShardModel, parseShardManifest, type ShardManifest } from '../../src/core/shard-format.ts';
import { readText } from './files.ts';

export async function loadShard(folder: string, model?: { sha256: string; hiddenSize: number }): Promise<{ manifest: ShardManifest; memory: L2DMemory }> {
  let text: string;
  try {
    text = readText(join(folder, 'manifest.json'));
  } catch {
    throw new ShardError(`${folder}: no manifest.json; is this a memory shard folder (npm run build-memory)?`);
  }
  const manifest = parseShardManifest(text, join(folder, 'manifest.json'));
  if (model) checkShardModel(manifest, model);
  const chunks = manifest.chunks.map((c) => {
    try {
      return new Uint8Array(readFileSync(join(folder, c.file)));
    } catch {
      throw new ShardError(`${folder}: chunk file ${c.file} is missing.`);
    }
  });
  return { manifest, memory: await assembleMemory(manifest, chunks) };
}
