/**
 * load()'s memory stage, wherever it runs (workers/memory.worker.ts, else the encoder's worker): the shard from
 * IndexedDB or the network, each checked chunk handed to a sink as it comes, with what the store holds for it
 * (the user's memory updates, the origin's storage). A browser that blocks site data, or has no room left for the
 * shard, still gets the memory, from the network.
 */
import { StorageQuotaError } from '../core/errors.ts';
import type { ChunkSink, ShardManifest } from '../core/shard-format.ts';
import { streamShard, type StreamedShard } from '../shard-fetch.ts';
import { ShardStore, storageReport, type OverlayRecord, type ShardRefresh, type StorageReport } from './shard-store.ts';
import { stoppedByDeletion } from './deletion-signal.ts';

export interface MemoryStageOptions {
  /** The shard's URL as load() was given it: it names the shard in the store and the user's memory updates. */
  memoryUrl: string;
  /** memoryUrl resolved where it was given (a memory worker run from a Blob resolves no relative URL itself). */
  resolvedUrl?: string;
  /** Keep the memory in IndexedDB (and read it from there). */
  stored: boolean;
  /**
   * true: ask the network for the manifest first, even with a complete stored copy; 'background': use the stored
   * copy, and refreshStoredMemory() afterwards; false: the stored copy, no request.
   */
  revalidate: boolean | 'background';
}

/** What a background revalidation needs of the stage's options: which shard (it runs only where the store is used). */
export type MemoryRefreshOptions = Pick<MemoryStageOptions, 'memoryUrl' | 'resolvedUrl'>;

/** The shard's name in the store and in the user's memory updates: load()'s memory URL, without a trailing slash. */
function shardIdOf(memoryUrl: string): string {
  return memoryUrl.replace(/\/$/, '');
}

/**
 * The model a memory shard must have been built with: its generation graph's SHA-256, and h_t's size (not the
 * manifest's model entry, shard-format's ShardModel).
 */
export type MemoryModel = { sha256: string; hiddenSize: number };

export interface StreamedMemory extends StreamedShard {
  source: 'network' | 'indexeddb' | 'mixed';
  /** Whether it came through the shard store (IndexedDB), where the user's memory updates are kept. */
  stored: boolean;
  /** The user's memory updates stored for this shard and model. */
  overlay?: OverlayRecord;
  /** Memory updates stored for this shard with other models (recorded before a retrained model): reencoded-overlay.ts. */
  otherModelsOverlays?: OverlayRecord[];
  storage?: StorageReport;
  /** Why the memory was not kept on this device although it was asked to be. */
  storageUnavailable?: string;
  /** Why the stored copy was used although the network was asked first (ShardStore's storedInstead). */
  storedInstead?: string;
}

export type MemoryProgress = { loaded: number; total: number; fromStore?: number };

export async function streamMemory(options: MemoryStageOptions, model: MemoryModel, sinkFor: (manifest: ShardManifest) => ChunkSink, onProgress?: (p: MemoryProgress) => void): Promise<StreamedMemory> {
  const { memoryUrl, stored, revalidate } = options;
  const url = options.resolvedUrl ?? memoryUrl;
  let store: ShardStore | undefined;
  let storageUnavailable: string | undefined;
  if (stored) {
    try {
      store = await ShardStore.open();
    } catch (error) {
      const { name, message } = error as Error;
      storageUnavailable = `IndexedDB refused (${name}: ${message}); the memory comes from the network and memory updates last for this page only`;
    }
  }
  const fromNetwork = async () => ({ ...(await streamShard(url, sinkFor, model, (loaded, total) => onProgress?.({ loaded, total }))), source: 'network' as const });
  if (!store) return { ...(await fromNetwork()), stored: false, ...(storageUnavailable ? { storageUnavailable } : {}) };
  try {
    let streamed: StreamedShard & Pick<StreamedMemory, 'source' | 'storedInstead'>;
    try {
      streamed = await store.stream(url, { model, shardId: shardIdOf(memoryUrl), prefer: revalidate === true ? 'network' : 'store', onProgress }, sinkFor);
    } catch (error) {
      // No room to keep it (the store kept nothing partial): this visit's memory from the network, as without IndexedDB.
      if (!(error instanceof StorageQuotaError)) throw error;
      storageUnavailable = `${error.situation} It comes from the network on this visit; memory updates are still kept where there is room.`;
      streamed = await fromNetwork();
    }
    const { own: overlay, others: otherModelsOverlays } = await store.overlaysOf(model.sha256, memoryUrl);
    const storage = await storageReport();
    const { manifest, items, source, storedInstead } = streamed;
    return { manifest, items, source, stored: true, ...(overlay ? { overlay } : {}), ...(otherModelsOverlays.length > 0 ? { otherModelsOverlays } : {}), storage, ...(storageUnavailable ? { storageUnavailable } : {}), ...(storedInstead ? { storedInstead } : {}) };
  } finally {
    store.close();
  }
}

/**
 * After a load from the stored copy with `revalidate: 'background'`: the server's version of the memory downloaded
 * into the store for the next load, where it differs (ShardStore.refresh).
 */
export async function refreshStoredMemory(options: MemoryRefreshOptions, model: MemoryModel): Promise<ShardRefresh> {
  const store = await ShardStore.open();
  try {
    // Its requests stop where deleteStoredData() is called meanwhile (deletion-signal.ts).
    return await stoppedByDeletion((signal) => store.refresh(options.resolvedUrl ?? options.memoryUrl, { model, shardId: shardIdOf(options.memoryUrl), fetch: (url, init) => fetch(url, { ...init, signal }) }));
  } finally {
    store.close();
  }
}
