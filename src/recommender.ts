/**
 * createRecommender(): the typed, page-side handle on the recommender
 * worker. Everything runs on the user's device: the worker holds the model
 * (onnxruntime-web) and the memory (IndexedDB, WebGPU or the CPU).
 *
 *   const recommender = await createRecommender({ model: '/models/movielens-demo', memory: '/models/movielens-demo/memory/train-q4-f0.3-int8' });
 *   const { items } = await recommender.recommend({ history: [12, 40, 41], k: 10 });
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from './comlink-errors.ts';
import { AbortError, InvalidArgumentError, L2DError, UnsupportedBrowserError } from './core/errors.ts';
import { requestPersistence } from './store/shard-store.ts';
import { defaultWorker } from './default-worker.ts';
import type {
  Abortable,
  BuildMemoryRequest,
  BuiltMemory,
  GenerateRequest,
  GenerateResult,
  InteractionEvent,
  LoadOptions,
  LoadProgress,
  LoadStatus,
  MemoryRevalidation,
  OverlayStatus,
  RecommendRequest,
  RecommendResult,
  ToWorker,
  WorkerApi,
} from './worker-protocol.ts';

export interface RecommenderOptions extends Omit<LoadOptions, 'modelUrl' | 'memoryUrl'> {
  /** Model folder URL (config.json, tokenizer.json, onnx/model_q4.onnx, ...). */
  model: string;
  /** Memory shard folder URL (manifest.json, chunks, items.tsv), built with the same model file. */
  memory?: string;
  /** Load progress: stage 'model' | 'memory' (bytes) | 'decoder'. */
  onProgress?: (progress: LoadProgress) => void;
  /**
   * Called when another tab of this site recorded or forgot interactions of the memory in use and this
   * recommender took them in, or when the user's memory updates of an earlier model were encoded again with this
   * one behind the load (`overlay.reencoded`): its next recommend() answers with them, status().overlay says so
   * too, and a page shows fresh lists. The page's own recordInteraction() and clearInteractions() answer for
   * themselves.
   */
  onInteractionsChange?: (overlay: OverlayStatus) => void;
  /** A worker running workers/l2d.worker.ts (the embed passes one made from a Blob); by default one is created. */
  worker?: Worker;
  /**
   * createRecommender() only: stops the first load (a model of hundreds of MB) when it fires: the worker is
   * terminated, its downloads with it, and the call rejects with AbortError. What was fully stored stays.
   */
  signal?: AbortSignal;
}

export interface Recommender {
  /**
   * Top-K items for a history of catalog ids (oldest first). recommend(), generate() and buildMemory() take
   * `signal` (an AbortSignal): it rejects the call with AbortError as soon as it fires. The worker skips the
   * call if it is still queued (a stale request), stops generate() and buildMemory() between forward passes and
   * recommend() before its decode; a forward pass under way finishes in the worker and its answer is dropped.
   */
  recommend(request: RecommendRequest): Promise<RecommendResult>;
  /**
   * Language-space decoding with the same model (greedy or beam search, titles
   * grounded to the catalog): the baseline L2D is measured against
   * (docs/RESULTS.md). Many forward passes per call: for comparisons, not for serving.
   */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** What was loaded and where it runs. */
  status(): LoadStatus;
  /**
   * With `revalidate: 'background'`: the revalidation the last load started behind it, once it ended (status()'s
   * `revalidation` then says the same); undefined where it started none (the memory came from the network).
   */
  revalidated(): Promise<MemoryRevalidation | undefined>;
  /** Loads another model and/or memory into the same worker. */
  load(options: RecommenderOptions): Promise<LoadStatus>;
  /** The memory's catalog: titles by item id. */
  catalog(): Promise<string[]>;
  /** The memory's catalog keys by item id: items.tsv's source_id (an ASIN, a MovieLens movieId), the store's own product ids. */
  sourceIds(): Promise<string[]>;
  /** Memory updates: the user chose `item` after `history`; kept on this device only. */
  recordInteraction(event: InteractionEvent): Promise<OverlayStatus>;
  /** Forgets the user's interactions: recommendations are the memory's own again. */
  clearInteractions(): Promise<OverlayStatus>;
  /** Builds a memory shard in the page from (history -> item) samples; with `activate`, it becomes the memory in use (status() too). */
  buildMemory(request: BuildMemoryRequest, onProgress?: (rows: number, total: number) => void): Promise<BuiltMemory>;
  /** Frees the model, the GPU buffers and the worker; later calls throw. */
  dispose(): Promise<void>;
}

/** `signal` if it is a live AbortSignal; a clear error for anything else, AbortError if it already fired. */
function liveSignal(signal: unknown, what: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new InvalidArgumentError(`${what}: signal must be an AbortSignal, got ${Object.prototype.toString.call(signal)}.`);
  if (signal.aborted) throw new AbortError(what);
  return signal;
}

function loadOptions(options: RecommenderOptions): LoadOptions {
  if (typeof options?.model !== 'string' || options.model === '') throw new InvalidArgumentError('createRecommender needs `model`: the URL of a model folder.');
  const { model, memory, onProgress: _p, worker: _w, signal: _s, onInteractionsChange: _i, ...rest } = options;
  // Absolute URLs: the worker may live at another base (a Blob worker has none). Other values go on as they are, for
  // the worker's check to name (checkLoadOptions).
  const absolute = <T>(url: T) => {
    if (typeof url !== 'string' || url === '') return url;
    try {
      return new URL(url, globalThis.location?.href).href;
    } catch {
      throw new InvalidArgumentError(`"${url}" is not a URL${globalThis.location ? '' : ', and there is no page address here to resolve it against: give absolute URLs'}.`);
    }
  };
  const { wasmPaths } = rest;
  const files = typeof wasmPaths === 'object' && wasmPaths !== null && !Array.isArray(wasmPaths) ? Object.fromEntries(Object.entries(wasmPaths).map(([name, url]) => [name, absolute(url)])) : absolute(wasmPaths);
  return { ...rest, modelUrl: absolute(model), ...(memory ? { memoryUrl: absolute(memory) } : {}), ...(wasmPaths !== undefined ? { wasmPaths: files } : {}) };
}

export async function createRecommender(options: RecommenderOptions): Promise<Recommender> {
  // Server-side rendering imports the library in Node (importing has no effects): its call must say where it belongs.
  if (!options?.worker && typeof Worker === 'undefined') {
    throw new UnsupportedBrowserError(
      `createRecommender() runs in a web page: it starts a Web Worker, and this environment has none${typeof document === 'undefined' ? ' (a server rendering the page? call it in the browser, once the page is there)' : ''}.`,
    );
  }
  installErrorTransfer();
  const first = loadOptions(options);
  const signal = liveSignal(options.signal, 'createRecommender()');
  // The memory is worth keeping under storage pressure; only a page may ask (workers lack persist()).
  if ((options.cache ?? 'indexeddb') === 'indexeddb') void requestPersistence();
  const { worker, wasmPaths } = options.worker ? { worker: options.worker } : await defaultWorker();
  // A worker run from a Blob (the library from another origin) finds onnxruntime-web's files where it came from.
  if (wasmPaths && !first.wasmPaths) first.wasmPaths = wasmPaths;
  if (signal?.aborted) {
    worker.terminate();
    throw new AbortError('createRecommender()');
  }
  const api = Comlink.wrap<WorkerApi>(worker);
  let disposed = false;
  let current: LoadStatus;
  let onInteractionsChange = options.onInteractionsChange;
  /** The overlay status() reports, as the last call or another tab's change left it (in place: status() is the same object). */
  const overlayNow = (overlay: OverlayStatus) => {
    if (current?.overlay) current.overlay = overlay;
    return overlay;
  };
  const live = () => {
    if (disposed) throw new L2DError('invalid-argument', 'This recommender was disposed; create a new one with createRecommender().');
    return api;
  };
  const load = async (o: LoadOptions, onProgress?: (p: LoadProgress) => void) => {
    current = await live().load(o, onProgress ? Comlink.proxy(onProgress) : undefined);
    return current;
  };
  // Before the first load: another tab's change taken in right after it is heard too.
  api.watchInteractions(Comlink.proxy((overlay: OverlayStatus) => onInteractionsChange?.(overlayNow(overlay)))).catch(() => undefined);
  // A terminated worker never answers: the abort rejects the wait itself.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      worker.terminate();
      reject(new AbortError('createRecommender()'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([load(first, options.onProgress), aborted]);
  } catch (error) {
    worker.terminate();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort!);
  }
  let lastOperation = 0;
  /** The call with `request`'s signal swapped for an operation number the worker's cancel() knows (a signal cannot cross). */
  const abortable = async <R extends Abortable, T>(request: R, what: string, call: (sent: ToWorker<R>) => Promise<T>): Promise<T> => {
    if (typeof request !== 'object' || request === null || request.signal === undefined) return call(request);
    const { signal: given, ...rest } = request;
    const signal = liveSignal(given, what)!;
    const operation = ++lastOperation;
    // The caller hears AbortError at once, as from fetch(): the worker stops the call before it starts or
    // between forward passes, but a forward pass under way runs to its end, and its answer is dropped.
    let cancel!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      cancel = () => {
        api.cancel(operation).catch(() => undefined); // a disposed worker has nothing left to stop
        reject(new AbortError(what));
      };
    });
    signal.addEventListener('abort', cancel, { once: true });
    const answer = call({ ...rest, operation });
    answer.catch(() => undefined); // an answer that comes after the abort is nobody's
    try {
      return await Promise.race([answer, aborted]);
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  };
  return {
    recommend: async (request) => abortable(request, 'recommend()', (sent) => live().recommend(sent)),
    generate: async (request) => abortable(request, 'generate()', (sent) => live().generate(sent)),
    status: () => current,
    revalidated: async () => {
      const loaded = current;
      const outcome = await live().revalidated();
      if (outcome && loaded === current && current.revalidation) current.revalidation = outcome; // in place, as the overlay
      return outcome;
    },
    load: async (next) => {
      if (next?.signal !== undefined) throw new InvalidArgumentError('load() takes no signal: a load it stopped would leave the worker with nothing loaded; abort createRecommender(), or dispose() and create another.');
      if ('onInteractionsChange' in (next ?? {})) onInteractionsChange = next.onInteractionsChange;
      return load(loadOptions(next), next.onProgress);
    },
    catalog: async () => live().catalog(),
    sourceIds: async () => live().sourceIds(),
    recordInteraction: async (event) => overlayNow(await live().recordInteraction(event)),
    clearInteractions: async () => overlayNow(await live().clearInteractions()),
    buildMemory: async (request, onProgress) => {
      const built = await abortable(request, 'buildMemory()', (sent) => live().buildMemory(sent, onProgress ? Comlink.proxy(onProgress) : undefined));
      // Activated: the worker's memory (and maybe catalog) is this one now, and status() says so.
      if (built.status) current = built.status;
      return built;
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      try {
        await api.watchInteractions(undefined);
        await api.dispose();
      } finally {
        api[Comlink.releaseProxy]();
        worker.terminate();
      }
    },
  };
}
