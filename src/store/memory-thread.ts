/**
 * Where load()'s memory stage runs: in a worker of its own (workers/memory.worker.ts, inlined in the encoder's
 * worker, so the storefront embed stays two files) that checks and stores each chunk and posts it here to be
 * copied into the memory (held once, in this worker, where the decoder reads it); else, where no worker starts
 * (a page's policy refusing it, a browser that throws), in this thread, which says why. (In a browser with no
 * Worker inside workers no stage runs: load() fails first in BrowserEncoder.create, as onnxruntime-web's wasm
 * needs one.)
 */
import * as Comlink from 'comlink';
import MemoryWorker from '../../workers/memory.worker.ts?worker&inline';
import type { MemoryEvents, MemoryWorkerApi } from '../../workers/memory.worker.ts';
import { PendingMemory } from '../core/shard-format.ts';
import type { LoadedShard } from '../shard-fetch.ts';
import type { LoadStatus } from '../worker-protocol.ts';
import { refreshStoredMemory, streamMemory, type MemoryProgress, type MemoryRefreshOptions, type MemoryStageOptions, type MemoryModel, type StreamedMemory } from './memory-stage.ts';
import type { ShardRefresh } from './shard-store.ts';

export type MemoryThread = NonNullable<LoadStatus['memoryThread']>;

interface Started {
  api: Comlink.Remote<MemoryWorkerApi>;
  /** Rejects if the worker dies (an uncaught error, out of memory). */
  died: Promise<never>;
}

/** How long a new memory worker may take to say it runs before the stage runs here instead. */
const START_TIMEOUT_MS = 10_000;

let started: Promise<Started | string> | undefined;

/** Starts the memory worker (once; again after it died), so that it is running by the time the stage begins. */
export function startMemoryThread(): void {
  started ??= start();
}

function start(): Promise<Started | string> {
  let worker: Worker;
  try {
    worker = new MemoryWorker({ name: 'l2d-memory' });
  } catch (error) {
    return Promise.resolve(`the memory worker could not be made (${(error as Error).message})`);
  }
  return new Promise((resolve) => {
    let ready = false;
    let died: (error: Error) => void = () => undefined;
    const diedPromise = new Promise<never>((_, reject) => (died = reject));
    diedPromise.catch(() => undefined);
    const timer = setTimeout(() => {
      worker.terminate();
      resolve(`the memory worker did not start within ${START_TIMEOUT_MS / 1000} s`);
    }, START_TIMEOUT_MS);
    worker.addEventListener('message', (event: MessageEvent) => {
      if ((event.data as { l2dMemoryWorker?: string } | null)?.l2dMemoryWorker !== 'ready') return;
      ready = true;
      clearTimeout(timer);
      resolve({ api: Comlink.wrap<MemoryWorkerApi>(worker), died: diedPromise });
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      clearTimeout(timer);
      worker.terminate();
      const why = event.message || 'no message';
      if (!ready) {
        // A page's policy (or a browser) that refuses it does so every time: every stage runs here.
        resolve(`the memory worker failed to start (${why})`);
        return;
      }
      // The stage under way fails; the next load starts a new worker.
      started = undefined;
      died(new Error(`The memory worker stopped (${why}); load again.`));
    });
  });
}

/** The stage's outcome: the shard (its manifest and catalog with the assembled memory), and what came with it. */
export interface LoadedMemory extends Omit<StreamedMemory, 'manifest' | 'items'> {
  loaded: LoadedShard;
  thread: MemoryThread;
}

/** The memory stage (streamMemory) in the memory worker where it runs, else here; `spareRows` after the shard's rows. */
export async function loadMemoryStage(options: MemoryStageOptions, model: MemoryModel, spareRows: number, onProgress?: (p: MemoryProgress) => void): Promise<LoadedMemory> {
  startMemoryThread();
  const worker = await started!;
  const pending = new PendingMemory(spareRows);
  let streamed: StreamedMemory;
  if (typeof worker === 'string') {
    streamed = await streamMemory(options, model, pending.sinkFor, onProgress);
  } else {
    const events: MemoryEvents = {
      manifest: pending.sinkFor,
      chunk: (index, bytes) => pending.sink.take(index, bytes), // checked in the memory worker
      progress: (p) => onProgress?.(p),
    };
    streamed = await Promise.race([worker.api.stream({ ...options, resolvedUrl: resolved(options.memoryUrl) }, model, Comlink.proxy(events)), worker.died]);
  }
  const { manifest, items, ...rest } = streamed;
  return { ...rest, loaded: { manifest, items, memory: pending.finish() }, thread: typeof worker === 'string' ? `encoder worker: ${worker}` : 'memory worker' };
}

/** refreshStoredMemory (a background revalidation) where the memory stage runs: the memory worker, else here. */
export async function refreshMemoryStage(options: MemoryRefreshOptions, model: MemoryModel): Promise<ShardRefresh> {
  startMemoryThread();
  const worker = await started!;
  if (typeof worker === 'string') return refreshStoredMemory(options, model);
  return Promise.race([worker.api.refresh({ ...options, resolvedUrl: resolved(options.memoryUrl) }, model), worker.died]);
}

/** `url` resolved against this worker's location; as it is where it does not resolve (it then fails as it would here). */
function resolved(url: string): string {
  try {
    return new URL(url, self.location.href).href;
  } catch {
    return url;
  }
}
