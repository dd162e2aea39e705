/** The Node side the browser tests hold the page against: onnxruntime-node's encoder, the shard's memory and its catalog titles. */
import { readFileSync } from 'node:fs';
import { parseItems } from '../src/core/data/prepared-format.ts';
import type { L2DMemory } from '../src/core/memory.ts';
import { loadNodeEncoder, type NodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadShard } from '../tools/lib/shard-files.ts';

export interface NodeReference {
  node: NodeEncoder;
  memory: L2DMemory;
  titles: string[];
}

export async function loadNodeReference(model: string, memoryFolder: string): Promise<NodeReference> {
  const node = await loadNodeEncoder(model, 'q4');
  const { memory } = await loadShard(memoryFolder, { sha256: node.sha256, hiddenSize: node.hiddenSize });
  return { node, memory, titles: catalogTitles(memoryFolder) };
}

/** Titles by item id, from the shard's items.tsv. */
export function catalogTitles(memoryFolder: string): string[] {
  return parseItems(readFileSync(`${memoryFolder}/items.tsv`, 'utf8')).map((item) => item.title);
}
