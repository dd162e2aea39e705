/** Test page of the whole flow: history -> worker (encoder + decode engine) -> recommendations, over Comlink. */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../../src/comlink-errors.ts';
import type { BuildMemoryRequest, GenerateRequest, InteractionEvent, LoadOptions, OverlayStatus, RecommendRequest, WorkerApi } from '../../src/worker-protocol.ts';
import { L2DError } from '../../src/core/errors.ts';
import { deleteStoredData, storedData, type DeleteStoredDataRequest } from '../../src/store/stored-data.ts';

installErrorTransfer();

const query = new URLSearchParams(location.search);
// ?device-loss: the same worker with a handle to destroy its GPUDevices (device-loss.worker.ts).
// ?no-indexeddb: the same worker in a browser that refuses IndexedDB (no-indexeddb.worker.ts).
// ?memory-worker=missing|throws|refused|busy: the same worker, its memory worker changed (memory-worker-probe.worker.ts).
// ?worker=/path/l2d.worker.ts: another tree's worker behind this page (bench/run-second-visit.ts --baseline).
const rawWorker = query.has('worker')
  ? new Worker(query.get('worker')!, { type: 'module' })
  : query.has('device-loss')
    ? new Worker(new URL('./device-loss.worker.ts', import.meta.url), { type: 'module' })
    : query.has('no-indexeddb')
      ? new Worker(new URL('./no-indexeddb.worker.ts', import.meta.url), { type: 'module' })
      : query.has('memory-worker')
        ? new Worker(new URL('./memory-worker-probe.worker.ts', import.meta.url), { type: 'module', name: query.get('memory-worker')! })
        : new Worker(new URL('../../workers/l2d.worker.ts', import.meta.url), { type: 'module' });
const worker = Comlink.wrap<WorkerApi>(rawWorker);
// Memory updates of another tab this worker took in (watchInteractions), for the test to take.
const heardInteractions: unknown[] = [];
void worker.watchInteractions(Comlink.proxy((overlay: OverlayStatus) => void heardInteractions.push(overlay)));

async function report<T>(
  action: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; name: string; message: string; code?: string; isL2DError: boolean }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    const e = error as L2DError;
    return { ok: false, name: e.name, message: e.message, code: e.code, isL2DError: e instanceof L2DError };
  }
}

(globalThis as unknown as { l2dFlow: unknown }).l2dFlow = {
  load: (options: LoadOptions) => report(() => worker.load(options)),
  revalidated: () => report(async () => await worker.revalidated()),
  recommend: (request: RecommendRequest) =>
    report(async () => {
      const r = await worker.recommend(request);
      return { ...r, hidden: r.hidden ? Array.from(r.hidden) : undefined };
    }),
  /**
   * recommend() as the page sends it with a signal (an operation number), its cancel sent right behind it: the
   * worker starts the call before it reads the cancel, so this is a cancel of a call under way. The worker's own answer.
   */
  recommendCancelled: (request: RecommendRequest) =>
    report(async () => {
      const operation = 1_000_000 + Math.floor(Math.random() * 1_000_000);
      const answer = worker.recommend({ ...request, operation });
      await worker.cancel(operation);
      return (await answer).items.length;
    }),
  /**
   * load() behind ?memory-worker=busy: when the worker's thread was held (epoch ms), and when this page first saw
   * the memory complete in IndexedDB, polling from the hold's start.
   */
  loadWhileBusy: (options: LoadOptions) =>
    report(async () => {
      const hold: { start?: number; end?: number } = {};
      let storedAt: number | undefined;
      let polling = false;
      const poll = setInterval(() => {
        if (hold.start === undefined || storedAt !== undefined || polling) return;
        polling = true;
        void storedData()
          .then((data) => {
            if (data.memories.some((m) => m.url === options.memoryUrl && m.state === 'complete')) storedAt ??= performance.timeOrigin + performance.now();
          })
          .finally(() => (polling = false));
      }, 20);
      const listen = (event: MessageEvent) => {
        const data = event.data as { l2dBusy?: 'start' | 'end'; at: number } | null;
        if (data?.l2dBusy) hold[data.l2dBusy] = data.at;
      };
      rawWorker.addEventListener('message', listen);
      try {
        const status = await worker.load(options);
        return { hold, storedAt, status };
      } finally {
        clearInterval(poll);
        rawWorker.removeEventListener('message', listen);
      }
    }),
  generate: (request: GenerateRequest) => report(() => worker.generate(request)),
  loseDevice: async () => rawWorker.postMessage({ l2dTest: 'lose-device' }),
  recordInteraction: (event: InteractionEvent) => report(() => worker.recordInteraction(event)),
  clearInteractions: () => report(() => worker.clearInteractions()),
  heardInteractions: () => report(async () => heardInteractions.splice(0)),
  // The public storage functions run in the page, beside the worker.
  storedData: () => report(() => storedData()),
  deleteStoredData: (request: DeleteStoredDataRequest) => report(() => deleteStoredData(request)),
  buildMemory: (request: BuildMemoryRequest) =>
    report(async () => {
      let progressCalls = 0;
      const built = await worker.buildMemory(request, Comlink.proxy(() => void progressCalls++));
      // Plain arrays cross into the test process.
      return { ...built, chunks: built.chunks.map((c) => Array.from(new Uint8Array(c))), catalog: new TextDecoder().decode(built.catalog), progressCalls };
    }),
};
document.body.dataset.ready = 'true';
