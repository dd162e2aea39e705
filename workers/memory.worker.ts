/**
 * load()'s memory stage in a worker of its own, so that it runs truly beside the encoder's session and warm-up,
 * which hold the encoder worker's thread for up to seconds (a chunk's download or IndexedDB write there waited
 * for them). It reads or downloads the shard, checks each chunk (ChunkChecker), stores it, and posts it to the
 * encoder's worker, which copies it into the memory it assembles (MemoryAssembler.take, src/store/memory-thread.ts).
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/comlink-errors.ts';
import { ChunkChecker, type ShardManifest } from '../src/core/shard-format.ts';
import type { ShardRefresh } from '../src/store/shard-store.ts';
import { refreshStoredMemory, streamMemory, type MemoryProgress, type MemoryRefreshOptions, type MemoryStageOptions, type MemoryModel, type StreamedMemory } from '../src/store/memory-stage.ts';

installErrorTransfer();

/** What the encoder's worker is told as the stage goes: the manifest first, then each checked and stored chunk (moved). */
export interface MemoryEvents {
  manifest(manifest: ShardManifest): void;
  chunk(index: number, bytes: ArrayBuffer): void;
  progress(p: MemoryProgress): void;
}

export interface MemoryWorkerApi {
  stream(options: MemoryStageOptions, model: MemoryModel, events: MemoryEvents): Promise<StreamedMemory>;
  refresh(options: MemoryRefreshOptions, model: MemoryModel): Promise<ShardRefresh>;
}

/** Bytes posted and not yet copied by the encoder's worker: past this the stage waits (its thread may be busy for seconds). */
const UNCOPIED_BYTES = 64 << 20;

const api: MemoryWorkerApi = {
  async stream(options, model, events) {
    const remote = events as unknown as Comlink.Remote<MemoryEvents>;
    try {
      return await streamAndPost(options, model, remote);
    } finally {
      remote[Comlink.releaseProxy](); // after the messages above it: the encoder's worker closes its end
    }
  },
  refresh: refreshStoredMemory,
};

async function streamAndPost(options: MemoryStageOptions, model: MemoryModel, remote: Comlink.Remote<MemoryEvents>): Promise<StreamedMemory> {
  const posted: { bytes: number; copied: Promise<void> }[] = [];
  let uncopied = 0;
  const post = (bytes: number, copied: Promise<void>) => {
    copied.catch(() => undefined); // met below, where the stage waits for every copy
    posted.push({ bytes, copied });
    uncopied += bytes;
  };
  const streamed = await streamMemory(
    options,
    model,
    (manifest) => {
      post(0, remote.manifest(manifest));
      const checker = new ChunkChecker(manifest);
      return {
        async check(index, chunk) {
          while (posted.length > 0 && uncopied + chunk.byteLength > UNCOPIED_BYTES) {
            const oldest = posted.shift()!;
            await oldest.copied;
            uncopied -= oldest.bytes;
          }
          await checker.check(index, chunk);
        },
        take(index, chunk) {
          // Stored already: its bytes move to the encoder's worker, not copied.
          const bytes = chunk instanceof ArrayBuffer ? chunk : (chunk.slice().buffer as ArrayBuffer);
          post(bytes.byteLength, remote.chunk(index, Comlink.transfer(bytes, [bytes])));
        },
      };
    },
    (p) => void remote.progress(p).catch(() => undefined),
  );
  // Every chunk is in the encoder worker's memory before the stage ends.
  await Promise.all(posted.map((p) => p.copied));
  return streamed;
}

Comlink.expose(api);
// Comlink ignores messages without its ids: the encoder's worker waits for this one before it hands the stage over.
self.postMessage({ l2dMemoryWorker: 'ready' });
