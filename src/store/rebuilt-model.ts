/**
 * A background revalidation found the server's memory built with another model (ShardRefresh 'model-changed'):
 * the model at the load's URL was most likely rebuilt with it. Its cached files are fetched again behind the page
 * (refreshCachedModel) and kept only where they are the model that memory was built with, so that memory can be
 * stored too and the next load reads both with no request.
 */
import { sha256Hex } from '../core/shard-format.ts';
import type { MemoryModel } from './memory-stage.ts';
import { refreshCachedModel, type RefreshedModelFiles } from './model-cache.ts';

/**
 * The server's model in `folderUrl` (absolute), kept in the model cache where it makes memories of `memoryModel`
 * (a SHA-256 from the memory's manifest); that model, or undefined where the server's files are not that model
 * (nothing is kept then). Throws where a file could not be fetched.
 */
export async function prefetchRebuiltModel(folderUrl: string, memoryModel: string, signal?: AbortSignal): Promise<MemoryModel | undefined> {
  let model: MemoryModel | undefined;
  const kept = await refreshCachedModel(folderUrl, async (files) => {
    const hiddenSize = Number((await jsonOf(files.read('config.json')))?.hidden_size);
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0 || !(await makesMemoriesOf(files, memoryModel))) return false;
    model = { sha256: memoryModel, hiddenSize };
    return true;
  }, signal);
  return kept ? model : undefined;
}

/**
 * Whether a load on this device would read memories of `sha256` with these files: a cached encoder graph's
 * onnx/encoder.json entry names it (memoriesOfSha256), or, for a load that read a generation graph, its bytes hash
 * to it (as BrowserEncoder hashes them). A renamed graph counts as not: the next load then asks the network.
 */
async function makesMemoriesOf({ files, read }: RefreshedModelFiles, sha256: string): Promise<boolean> {
  const graphs = (await jsonOf(read('onnx/encoder.json')))?.graphs;
  if (graphs && typeof graphs === 'object') {
    for (const [file, entry] of Object.entries(graphs as Record<string, { memoriesOfSha256?: unknown }>)) {
      if (files.includes(`onnx/${file}`) && entry?.memoriesOfSha256 === sha256) return true;
    }
  }
  for (const file of files.filter((f) => /^onnx\/model[^/]*\.onnx$/.test(f))) {
    const response = await read(file);
    if (response && (await sha256Hex(await response.arrayBuffer())) === sha256) return true;
  }
  return false;
}

/** A JSON object from a cached response; undefined where there is none or it is not one. */
async function jsonOf(response: Promise<Response | undefined>): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = await (await response)?.json();
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
