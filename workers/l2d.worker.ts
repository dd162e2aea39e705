/**
 * The recommender worker: encoder (tokenizer + onnxruntime-web) and decode
 * engine (WGSL kernels, else the CPU reference) behind one Comlink API.
 * Calls are answered in order; nothing leaves the device.
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/comlink-errors.ts';
import { AbortError, InvalidArgumentError, L2DError, NonFiniteValueError } from '../src/core/errors.ts';
import { DecodeEngine } from '../src/decode-engine.ts';
import { BrowserEncoder, isMixedModelFiles } from '../src/encoder/browser-encoder.ts';
import { readFloats, requestDecoderDevice, type DecoderDevice } from '../src/gpu/index.ts';
import type { LoadedShard } from '../src/shard-fetch.ts';
import { ShardStore, type OverlayRecord, type StorageReport } from '../src/store/shard-store.ts';
import { reencodeOverlays, rowsToReencode, type OverlayReencoded } from '../src/store/reencoded-overlay.ts';
import { overlayForCatalog } from '../src/store/overlay-catalog.ts';
import { loadMemoryStage, refreshMemoryStage, startMemoryThread, type LoadedMemory, type MemoryThread } from '../src/store/memory-thread.ts';
import type { MemoryModel } from '../src/store/memory-stage.ts';
import { onOverlayChange, touches, type OverlayChange } from '../src/store/overlay-changes.ts';
import type { OverlayRows } from '../src/core/overlay.ts';
import { coldStartCentroids, type ColdStartRule } from '../src/core/cold-start.ts';
import { checkLoadOptions } from '../src/load-options.ts';
import { fastCentroids } from '../src/core/l2-scan-wasm.ts';
import { rowStride } from '../src/core/memory.ts';
import { isNonFiniteFloat16, toFloat16Bits } from '../src/core/float16.ts';
import { ageCachedModels, cachedFetch, clearModelStale, isModelStale, markModelStale } from '../src/store/model-cache.ts';
import { prefetchRebuiltModel } from '../src/store/rebuilt-model.ts';
import { BACKGROUND_REFRESH_LOCK, withLock } from '../src/store/web-locks.ts';
import { stoppedByDeletion } from '../src/store/deletion-signal.ts';
import type { BuildMemoryRequest, BuiltMemory, InteractionEvent, MemoryRevalidation, OverlayStatus, LoadOptions, LoadProgress, LoadStatus, RecommendRequest, RecommendResult, ToWorker, WorkerApi, GenerateRequest, GenerateResult } from '../src/worker-protocol.ts';
import { buildShard } from '../src/core/shard-builder.ts';
import { checkNumBeams } from '../src/core/generative-recommender.ts';
import { describeValue } from '../src/core/describe-value.ts';
import { throwIfAbortedBetweenPasses } from '../src/core/abort.ts';
import { checkK, excludedItems, resolveDecodeOptions, type DecodedItem, type DecodeOptions } from '../src/core/decode-options.ts';
import { assembleMemory, centroidSampleCounts, ROW_DTYPES, type RowDtype, type ShardManifest } from '../src/core/shard-format.ts';
import { alsoLists, checkFlag, checkRequestObject, knownHistory, listFilter } from '../src/request-checks.ts';

installErrorTransfer();

let encoder: BrowserEncoder | undefined;
let engine: DecodeEngine | undefined;
let shard: LoadedShard | undefined;
let queue: Promise<unknown> = Promise.resolve();
let reusePrefix: NonNullable<LoadOptions['reusePrefix']> = false;
// One GPUDevice for the worker's lifetime, shared by onnxruntime-web's sessions and the decoder.
let workerGpu: Promise<DecoderDevice | undefined> | undefined;

function workerDevice(): Promise<DecoderDevice | undefined> {
  workerGpu ??= requestDecoderDevice()
    .then((gpu) => {
      // Everything on it goes with it: the encoder's session and buffers, the decoder's memory.
      void gpu.device.lost.then((info) => {
        workerGpu = undefined;
        lostDevice = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
      });
      return gpu;
    })
    .catch(() => undefined);
  return workerGpu;
}

/** Set when the worker's GPUDevice was lost; the next call rebuilds what lived on it (recoverFromDeviceLoss). */
let lostDevice: string | undefined;
/** The last load()'s options, to rebuild the encoder after a device loss. */
let loadedWith: LoadOptions | undefined;

/**
 * After a loss of the worker's GPUDevice: the encoder again (on a new device
 * where the browser gives one, else as load()'s device choice falls back) and
 * the decode engine from the memory this worker still holds, with the
 * user's interactions, so the next call answers as before. Nothing is
 * fetched again that the model cache has.
 */
async function recoverFromDeviceLoss(): Promise<string | undefined> {
  if (lostDevice === undefined || !encoder || !loadedWith) return undefined;
  const note = `the WebGPU device was lost (${lostDevice}); the encoder and decoder were rebuilt`;
  lostDevice = undefined;
  await encoder.release().catch(() => undefined);
  encoder = await createEncoder(loadedWith);
  if (shard) {
    await useShard(shard);
    if (overlay.rows.length > 0) await engine!.setOverlay(overlayRows());
  }
  return note;
}

/** A rebuild after a device loss that work behind the page's calls did (re-encoding): the next call reports it. */
let recoveryUnreported: string | undefined;

/**
 * Runs a call that uses the encoder or the decoder; when the worker's device
 * was lost before or during it, rebuilds (recoverFromDeviceLoss) and runs it
 * once more. Returns the result and the recovery note, if there was one
 * (`behind`: work no page call waits for, whose note the next call returns).
 */
async function afterDeviceLoss<T>(work: () => Promise<T>, behind = false): Promise<{ value: T; recovered?: string }> {
  const before = await recoverFromDeviceLoss();
  let value: T;
  let during: string | undefined;
  try {
    value = await work();
  } catch (error) {
    if (error instanceof L2DError && error.code === 'aborted') throw error; // the caller's abort, not the device
    // The lost promise settles a moment after the failure it caused.
    if (lostDevice === undefined && encoder?.outputDevice) await Promise.race([encoder.outputDevice.lost, new Promise((r) => setTimeout(r, 50))]);
    during = await recoverFromDeviceLoss();
    if (!during) throw error;
    value = await work();
  }
  const recovered = during ?? before;
  if (behind) {
    recoveryUnreported = recovered ?? recoveryUnreported;
    return { value };
  }
  const note = recovered ?? recoveryUnreported;
  recoveryUnreported = undefined;
  return { value, ...(note ? { recovered: note } : {}) };
}

/** Whether load() keeps the model and memory on the device (IndexedDB, Cache API), and asks the network first. */
function cachePolicy(options: LoadOptions): { stored: boolean; revalidate: boolean | 'background' } {
  return { stored: (options.cache ?? 'indexeddb') === 'indexeddb' && typeof indexedDB !== 'undefined', revalidate: options.revalidate ?? false };
}

/**
 * The encoder as load() asks for it, on the worker's shared device where encoder and decoder may share one.
 * `onMemoryModel`: told the model a memory must match as soon as it is known (BrowserEncoderOptions).
 */
async function createEncoder(options: LoadOptions, onMemoryModel?: (model: MemoryModel) => void): Promise<BrowserEncoder> {
  const share = options.keepHiddenOnGpu !== false && options.device !== 'wasm' && (options.decoder ?? 'auto') !== 'cpu';
  const gpu = share ? await workerDevice() : undefined;
  const { stored, revalidate } = cachePolicy(options);
  return BrowserEncoder.create({ ...options, gpuDevice: gpu?.device, fetch: stored ? (url) => cachedFetch(url, { revalidate: revalidate === true }) : undefined, onMemoryModel });
}

/** Whether a failed encoder read stored model files of two versions, which the network may set right. */
function readsMixedCache(error: unknown, options: LoadOptions): boolean {
  const { stored, revalidate } = cachePolicy(options);
  return stored && revalidate !== true && isMixedModelFiles(error);
}

/** After a load: this model's cached files marked used, other models' unused for 30 days deleted (model-cache.ts). */
async function ageModels(modelUrl: string): Promise<void> {
  try {
    await ageCachedModels(modelFolderUrl(modelUrl));
  } catch {
    // A URL a Blob worker cannot resolve, or a cache that refuses: nothing is aged this time.
  }
}

/** The model folder's absolute URL (the key of its cached files); throws where a Blob worker cannot resolve it. */
function modelFolderUrl(modelUrl: string): string {
  return new URL(modelUrl, self.location.href).href;
}

/**
 * `revalidate: 'background'` where an earlier load's background revalidation found the server's memory built with
 * another model (model-cache.ts, markModelStale): this load asks the network first, as `revalidate: true` does.
 */
async function revalidatingStaleModel(options: LoadOptions): Promise<boolean> {
  if (options.revalidate !== 'background' || !cachePolicy(options).stored) return false;
  try {
    return await isModelStale(modelFolderUrl(options.modelUrl));
  } catch {
    return false;
  }
}

/** The last load's background revalidation (revalidate: 'background'), and what it found once it ended. */
let revalidating: Promise<MemoryRevalidation> | undefined;
let revalidation: MemoryRevalidation | undefined;
let loadCount = 0;

/** Starts the background revalidation of the memory this load read from the store (ShardStore.refresh). */
function revalidateInBackground(options: LoadOptions & { memoryUrl: string }, model: MemoryModel): void {
  const load = loadCount;
  revalidation = { state: 'checking' };
  revalidating = withLock(BACKGROUND_REFRESH_LOCK, () =>
    stoppedByDeletion(async (signal): Promise<MemoryRevalidation> => {
      const found = await refreshMemoryStage({ memoryUrl: options.memoryUrl }, model);
      return found.state === 'model-changed' ? prefetchRebuild(options, found, signal) : found;
    }),
  )
    .catch((error: Error): MemoryRevalidation => ({ state: 'failed', reason: `${error.name}: ${error.message}` }))
    .then((outcome) => {
      if (load === loadCount) revalidation = outcome; // a later load has its own
      return outcome;
    });
}

/**
 * The server's memory was built with another model: the model is marked stale first (a page closed midway leaves
 * the next load asking the network first, as before), then the server's model files and that memory are stored
 * behind the page, where the files are that model (prefetchRebuiltModel), and the mark cleared: the next load reads
 * both with no request ('model-stored'). Files of another model leave the mark ('model-changed').
 */
async function prefetchRebuild(options: LoadOptions & { memoryUrl: string }, found: { state: 'model-changed'; model: string }, signal: AbortSignal): Promise<MemoryRevalidation> {
  const folder = modelFolderUrl(options.modelUrl);
  await markModelStale(folder);
  const model = await prefetchRebuiltModel(folder, found.model, signal);
  if (!model) return found;
  signal.throwIfAborted(); // a deletion (deleteStoredData) came after the model's files: not its memory
  const memory = await refreshMemoryStage({ memoryUrl: options.memoryUrl }, model);
  if (memory.state === 'model-changed') return memory; // the server's memory changed model again meanwhile
  await clearModelStale(folder);
  return { state: 'model-stored', model: model.sha256, version: memory.version };
}

/**
 * Runs calls one after another, in the order they arrived. `behind`: work behind the page's calls (the re-encoding's
 * batches), which whenIdle does not count: its next batch waits for the page's calls, not for its own last one.
 */
function serial<T>(work: () => Promise<T>, behind = false): Promise<T> {
  if (!behind) pendingCalls++;
  const run = queue.then(work);
  queue = run.catch(() => undefined);
  if (behind) return run;
  return run.finally(() => {
    if (--pendingCalls === 0) idleSince = performance.now();
  });
}

/** How long whenIdle first yields, so that messages that came during a wasm run are read before it checks. */
const MESSAGES_FIRST_MS = 4;

/** The page's calls queued or running (serial), and since when there have been none. */
let pendingCalls = 0;
let idleSince = 0;

/**
 * Resolves once no call has been queued or running for `ms`: work behind the page waits for the page's calls. It
 * first lets this thread take its messages (a wasm run holds it, so a page's call that came meanwhile is not even
 * read yet: checked at once, it would find none, and work behind the page would go on in microtasks past it; a
 * timer, a few ms after that message was queued, comes after it).
 */
async function whenIdle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, MESSAGES_FIRST_MS));
  for (;;) {
    const idleFor = pendingCalls === 0 ? performance.now() - idleSince : 0;
    if (idleFor >= ms) return;
    await new Promise((resolve) => setTimeout(resolve, ms - idleFor));
  }
}

/** Queued or running calls a page-side AbortSignal may stop: operation number -> its controller and its name. */
const operations = new Map<number, { controller: AbortController; what: string }>();

/**
 * serial(), with the signal of the caller's operation (none without one): made when the call arrives, so a
 * cancel() while it waits in the queue stops it before it starts; forgotten when it ends.
 */
function serialAbortable<T>(operation: number | undefined, what: string, work: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  const controller = operation === undefined ? undefined : new AbortController();
  if (controller) operations.set(operation!, { controller, what });
  return serial(async () => {
    try {
      controller?.signal.throwIfAborted();
      return await work(controller?.signal);
    } finally {
      if (controller) operations.delete(operation!);
    }
  });
}

/** load()'s memory stage, with when it started and ended on this worker's clock. */
interface MemoryStage extends LoadedMemory {
  startMs: number;
  endMs: number;
}

async function loadMemory(options: LoadOptions & { memoryUrl: string }, model: MemoryModel, spareRows: number, onProgress?: (p: LoadProgress) => void): Promise<MemoryStage> {
  const startMs = performance.now();
  const stage = await loadMemoryStage({ memoryUrl: options.memoryUrl, ...cachePolicy(options) }, model, spareRows, (p) => onProgress?.({ stage: 'memory', ...p }));
  return { ...stage, startMs, endMs: performance.now() };
}

/**
 * The model, then the decoder over the memory. The memory stage starts as soon as the model a shard must match
 * is known (onnx/encoder.json names it, else the generation graph's bytes are hashed), beside the model's session
 * and warm-up; where the encoder then binds another (a stale encoder.json), the memory is loaded again for the
 * model in use, so a memory is never taken for the wrong model.
 */
async function load(options: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<LoadStatus> {
  const t0 = performance.now();
  checkLoadOptions(options);
  await dispose();
  loadCount++;
  revalidating = undefined;
  revalidation = undefined;
  const staleModel = await revalidatingStaleModel(options);
  let revalidateAfter = false;
  if (staleModel) options = { ...options, revalidate: true };
  onProgress?.({ stage: 'model', loaded: 0, total: 1 });
  lostDevice = undefined;
  recoveryUnreported = undefined;
  const spareRows = options.overlayCap ?? DEFAULT_OVERLAY_CAP;
  const memoryOptions = options.memoryUrl ? { ...options, memoryUrl: options.memoryUrl } : undefined;
  // Its worker starts while the model's files download: running by the time the model it must match is known.
  if (memoryOptions) startMemoryThread();
  let early: { model: MemoryModel; stage: Promise<MemoryStage> } | undefined;
  const startMemory = memoryOptions
    ? (model: MemoryModel) => {
        early = { model, stage: loadMemory(memoryOptions, model, spareRows, onProgress) };
        early.stage.catch(() => undefined); // awaited below, or its failure is for another model
      }
    : undefined;
  const encoderFor = async (asked: LoadOptions) => {
    try {
      return await createEncoder(asked, startMemory);
    } catch (error) {
      await early?.stage.catch(() => undefined); // its store closed before anything else opens it
      early = undefined;
      throw error;
    }
  };
  try {
    encoder = await encoderFor(options);
  } catch (error) {
    if (!readsMixedCache(error, options)) throw error;
    // The stored model files are of two versions (a revalidation cut between them): the model's files are asked
    // of the network again, as `revalidate: true` does (the memory stays as asked: it is stored per model); a
    // server whose own files disagree fails as before.
    options = { ...options, revalidate: true };
    encoder = await encoderFor(options);
  }
  loadedWith = options;
  const gpu = encoder.outputDevice ? await workerDevice() : undefined;
  onProgress?.({ stage: 'model', loaded: 1, total: 1 });
  stageMs = { model: performance.now() - t0 };
  decoderChoice = { decoder: options.decoder ?? 'auto', software: gpu?.adapter.isFallbackAdapter ?? false, coldStart: options.coldStart ?? 'none' };
  memorySource = undefined;
  memoryThread = undefined;
  storage = undefined;
  storageUnavailable = undefined;
  storedInstead = undefined;
  overlayReencoded = undefined;
  overlayCap = spareRows;
  reusePrefix = options.reusePrefix ?? false;
  overlay = { model: encoder.sha256, shard: options.memoryUrl ?? 'page-built', rows: [], seen: 0 };
  overlayPersisted = false;
  if (memoryOptions) {
    const model = { sha256: encoder.sha256, hiddenSize: encoder.hiddenSize };
    let stage: MemoryStage;
    if (early && early.model.sha256 === model.sha256 && early.model.hiddenSize === model.hiddenSize) {
      stage = await early.stage;
    } else {
      await early?.stage.catch(() => undefined);
      stage = await loadMemory(memoryOptions, model, spareRows, onProgress);
    }
    const { loaded } = stage;
    memorySource = stage.source;
    memoryThread = stage.thread;
    storage = stage.storage;
    storageUnavailable = stage.storageUnavailable;
    storedInstead = stage.storedInstead;
    if (stage.stored) {
      overlay = stage.overlay ?? overlay;
      overlayPersisted = true;
    }
    // Read from the store, not asked of the network: a rebuild on the server is looked for once this load is done.
    revalidateAfter = options.revalidate === 'background' && stage.stored && stage.source !== 'network';
    stageMs.memory = stage.endMs - stage.startMs;
    stageMs.memoryStart = stage.startMs - t0;
    const t1 = performance.now();
    onProgress?.({ stage: 'decoder', loaded: 0, total: 1 });
    // A stored overlay is left alone on a memory that takes no updates.
    if (!takesUpdates(loaded.manifest)) overlayCap = 0;
    await useShard(loaded);
    overlay = fittingOverlay(overlay, loaded);
    if (stage.otherModelsOverlays && overlayCap > 0) reencodeBehindLoad(stage.otherModelsOverlays, loaded);
    if (overlay.rows.length > 0) await engine!.setOverlay(overlayRows());
    onProgress?.({ stage: 'decoder', loaded: 1, total: 1 });
    stageMs.decoder = performance.now() - t1;
  }
  if (cachePolicy(options).stored) await ageModels(options.modelUrl);
  if (staleModel) await clearModelStale(modelFolderUrl(options.modelUrl)).catch(() => undefined);
  if (revalidateAfter && memoryOptions) revalidateInBackground(memoryOptions, { sha256: encoder.sha256, hiddenSize: encoder.hiddenSize });
  return status(performance.now() - t0);
}

const DEFAULT_OVERLAY_CAP = 1024;
let overlayCap = DEFAULT_OVERLAY_CAP;
let overlay: OverlayRecord = { model: '', shard: '', rows: [], seen: 0 };
let overlayPersisted = false;
let memorySource: LoadStatus['memorySource'];
let memoryThread: MemoryThread | undefined;
let stageMs: LoadStatus['stageMs'] = { model: 0 };
let storage: StorageReport | undefined;
let storageUnavailable: string | undefined;
let storedInstead: string | undefined;
let overlayReencoded: OverlayReencoded | undefined;
let decoderChoice: { decoder: 'auto' | 'webgpu' | 'cpu'; software: boolean; coldStart: ColdStartRule } = { decoder: 'auto', software: false, coldStart: 'none' };
let coldStartItems: number | undefined;

/**
 * Whether a memory can take memory updates: a memory of samples, or of centroids with its items' sample counts.
 * Centroids without them (a shard built before they were stored) cannot: a user's row would weigh as much as all
 * of an item's samples.
 */
function takesUpdates(manifest: ShardManifest): boolean {
  return manifest.centroids === undefined || manifest.centroids.itemSamples !== undefined;
}

/** Makes a shard the worker's memory, with a decode engine on the encoder's device when it shares ours. */
async function useShard(loaded: LoadedShard): Promise<void> {
  const { decoder, software } = decoderChoice;
  // 'auto' would rather use the CPU than a software adapter.
  const onShared = encoder?.outputDevice && decoder !== 'cpu' && !(decoder !== 'webgpu' && software);
  // The cold-start rule reads the memory's centroids; a CPU decoder then takes them over (not computed twice).
  const centroids = decoderChoice.coldStart === 'similar-titles' ? fastCentroids(loaded.memory) : undefined;
  const extraCentroids = centroids && coldStartCentroids(loaded.items.map((item) => item.title), centroids, rowStride(loaded.memory.dim));
  coldStartItems = extraCentroids?.length;
  // A centroid memory's rows each stand for their item's samples: memory updates weigh a user's row as one of them.
  const sampleCounts = centroidSampleCounts(loaded.manifest, loaded.memory);
  const next = await DecodeEngine.create(loaded.memory, { device: onShared ? encoder!.outputDevice : decoder, spareRows: overlayCap, extraCentroids, sampleCounts, centroids });
  engine?.dispose();
  engine = next;
  shard = loaded;
}

function status(loadMs: number): LoadStatus {
  return {
    encoder: encoder!.backend,
    ...(engine ? { decoder: engine.backend } : {}),
    hiddenOnGpu: hiddenOnGpu(),
    rows: shard?.memory.rows ?? 0,
    items: shard?.items.length ?? 0,
    hiddenSize: encoder!.hiddenSize,
    ...(shard ? { rowDtype: shard.manifest.dtype } : {}),
    loadMs,
    stageMs,
    ...(engine ? { overlay: overlayStatus() } : {}),
    ...(coldStartItems !== undefined ? { coldStartItems } : {}),
    ...(shard?.manifest.centroids ? { centroidMemory: { sampleRows: shard.manifest.centroids.sampleRows, memoryUpdates: takesUpdates(shard.manifest) } } : {}),
    ...(memorySource ? { memorySource } : {}),
    ...(memoryThread ? { memoryThread } : {}),
    ...(storage ? { storage } : {}),
    ...(storageUnavailable ? { storageUnavailable } : {}),
    ...(storedInstead ? { storedInstead } : {}),
    ...(revalidation ? { revalidation } : {}),
  };
}

async function buildMemory(request: ToWorker<BuildMemoryRequest>, onProgress?: (rows: number, total: number) => void, signal?: AbortSignal): Promise<BuiltMemory> {
  if (!encoder) throw new L2DError('invalid-argument', 'No model is loaded: call load() first.');
  checkFlag(request.activate, 'activate');
  if (request.rows !== undefined && !ROW_DTYPES.includes(request.rows as RowDtype)) {
    throw new InvalidArgumentError(`rows must be ${ROW_DTYPES.map((d) => `'${d}'`).join(' or ')}, got ${describeValue(request.rows)}.`);
  }
  const t0 = performance.now();
  const items = request.items ?? shard?.items;
  if (!items) throw new InvalidArgumentError('buildMemory needs the catalog (items) when no memory is loaded.');
  const built = await buildShard(
    encoder,
    request.samples,
    items,
    {
      model: { id: encoder.id, file: encoder.backend.memoryFile, sha256: encoder.sha256, dtype: encoder.backend.dtype },
      dataset: { name: request.name ?? 'browser', split: 'custom', fraction: 1, seed: 0, samples: request.samples.length },
      chunkRows: request.chunkRows ?? 16384,
      dtype: request.rows,
    },
    { batch: request.batch, onProgress, signal },
  );
  if (request.activate) {
    // Aborted after the last batch: the caller heard AbortError, so nothing is activated.
    await throwIfAbortedBetweenPasses(signal);
    // A new memory, maybe another catalog: the user's overlay of the old one does not apply.
    overlay = { model: encoder.sha256, shard: 'page-built', rows: [], seen: 0 };
    overlayPersisted = false;
    await useShard({ manifest: built.manifest, memory: await assembleMemory(built.manifest, built.chunks), items });
    memorySource = 'page';
    memoryThread = undefined;
    storage = undefined;
  }
  // Own, transferable buffers: the chunks are handed over, not copied.
  const chunks = built.chunks.map((c) => (c.byteOffset === 0 && c.byteLength === c.buffer.byteLength ? c.buffer : c.slice().buffer) as ArrayBuffer);
  const catalog = built.catalog.slice().buffer as ArrayBuffer;
  const ms = performance.now() - t0;
  const result: BuiltMemory = { manifest: built.manifest, chunks, catalog, truncated: built.truncated, ms, ...(request.activate ? { status: status(ms) } : {}) };
  return Comlink.transfer(result, [...chunks, catalog]);
}

async function recommend(request: ToWorker<RecommendRequest>, signal?: AbortSignal): Promise<RecommendResult> {
  if (!encoder) throw new L2DError('invalid-argument', 'The recommender is not loaded: call load() first.');
  if (!engine || !shard) throw new L2DError('invalid-argument', 'No memory is loaded: give load() a memoryUrl, or build one with buildMemory({ activate: true }).');
  const t0 = performance.now();
  const { items } = shard;
  const { history, unknownItems } = historyIn(request.history, items);
  checkK(request.k, items.length, 'k');
  const titles = history.map((id) => items[id].title);
  const filter = listFilter(request, history);
  const options = { k: request.k, strategy: request.strategy, m: request.m, ...filter } as const;
  // Every list is checked before the forward pass, not after it.
  resolveDecodeOptions(options, shard.memory);
  const also = alsoLists(request.also, filter, shard.memory);
  checkFlag(request.returnHidden, 'returnHidden');
  // 'auto': only where the encoder graph has its own cache (nothing else to fetch).
  const reuse = reusePrefix === true || (reusePrefix === 'auto' && (await encoder.ownPrefixCache()));
  // With prefix reuse, h_t stays on the GPU only where the fused graph runs it on the shared device.
  const onGpu = hiddenOnGpu() && (!reuse || (await encoder.prefixOnGpu()));
  let encoded: { hidden?: Float32Array; dropped: number; tokenizeMs: number; forwardMs: number };
  let prefix: RecommendResult['prefix'];
  // The request's list, then its `also` lists: all from one h_t, none once the caller has aborted.
  let lists: DecodedList[];
  const decodeAll = async (query: Parameters<DecodeEngine['decode']>[0]): Promise<DecodedList[]> => {
    await throwIfAbortedBetweenPasses(signal);
    const decoded = [];
    for (const list of [options, ...(also ?? [])]) decoded.push(await decodeList(query, list));
    return decoded;
  };
  if (onGpu) {
    let resident;
    if (reuse) {
      const r = await encoder.encodeReusingPrefixOnGpu(titles);
      prefix = { reusedTokens: r.reusedTokens, ranTokens: r.ranTokens, graph: 'fused' };
      resident = r;
    } else {
      resident = await encoder.encodeOnGpu(titles);
    }
    try {
      lists = await decodeAll(resident.query);
      const hidden = request.returnHidden ? await readFloats(encoder.outputDevice!, resident.query.buffer, resident.query.byteOffset, encoder.hiddenSize) : undefined;
      encoded = { ...resident, hidden };
    } finally {
      resident.release();
    }
  } else if (reuse) {
    const r = await encoder.encodeReusingPrefix(titles);
    encoded = { hidden: r.hidden[0], dropped: r.dropped[0], tokenizeMs: r.tokenizeMs, forwardMs: r.forwardMs };
    prefix = { reusedTokens: r.reusedTokens, ranTokens: r.ranTokens, graph: r.graph, ...(r.prefixFallbackReason ? { fallbackReason: r.prefixFallbackReason } : {}) };
    lists = await decodeAll(encoded.hidden!);
  } else {
    const batch = await encoder.encode([titles]);
    encoded = { hidden: batch.hidden[0], dropped: batch.dropped[0], tokenizeMs: batch.tokenizeMs, forwardMs: batch.forwardMs };
    lists = await decodeAll(encoded.hidden!);
  }
  const t2 = performance.now();
  const [decoded, ...decodedAlso] = lists;
  const listed = (list: DecodedItem[]) =>
    list.map((x) => ({ id: x.item, sourceId: items[x.item].sourceId, title: items[x.item].title, distance: x.distance, score: x.score, source: x.source }));
  const result: RecommendResult = {
    items: listed(decoded.items),
    timings: { tokenize: encoded.tokenizeMs, forward: encoded.forwardMs, decode: decoded.ms, total: t2 - t0, ...decoded.stages },
    backend: {
      encoder: `${encoder.backend.device} (${encoder.backend.dtype}, ${encoder.backend.graph} graph)`,
      decoder: engine.backend.decoder === 'webgpu' ? `webgpu (${engine.backend.adapter})` : 'cpu',
      hiddenOnGpu: onGpu,
      ...(engine.backend.adapter ? { adapter: engine.backend.adapter } : {}),
    },
    unknownItems,
    droppedOldest: encoded.dropped,
    ...(prefix ? { prefix } : {}),
    ...(also !== undefined ? { also: decodedAlso.map((list) => ({ items: listed(list.items), timings: { decode: list.ms, ...list.stages } })) } : {}),
  };
  if (request.returnHidden && encoded.hidden) {
    result.hidden = encoded.hidden;
    return Comlink.transfer(result, [result.hidden.buffer]);
  }
  return result;
}

async function generate(request: ToWorker<GenerateRequest>, signal?: AbortSignal): Promise<GenerateResult> {
  if (!encoder) throw new L2DError('invalid-argument', 'The recommender is not loaded: call load() first.');
  if (!shard) throw new L2DError('invalid-argument', 'No memory is loaded: generation grounds titles to the memory\'s catalog; give load() a memoryUrl.');
  const t0 = performance.now();
  const { items } = shard;
  const { history, unknownItems } = historyIn(request.history, items);
  checkK(request.k, items.length, 'k');
  const numBeams = request.numBeams ?? 1;
  // Before the generation session is made (a second model session: seconds on a first call).
  checkNumBeams(numBeams);
  const exclude = excludedItems(listFilter(request, history), items.length);
  const s0 = performance.now();
  const generator = await encoder.createGenerator(items.map((item) => item.title));
  const setup = performance.now() - s0;
  const r = await generator.recommend(history.map((id) => items[id].title), { k: request.k, numBeams, exclude, signal });
  return {
    items: r.items.map((id, rank) => ({ id, sourceId: items[id].sourceId, title: items[id].title, score: 1 / (1 + rank), source: 'generated' })),
    generated: r.generated.map((title, i) => ({ title, finished: r.finished[i] })),
    // The first call also makes the generation session (setup); total leaves it out.
    timings: { ...r.timings, setup, total: performance.now() - t0 - setup },
    backend: { encoder: `${encoder.backend.device} (${encoder.backend.dtype})`, numBeams, maxNewTokens: generator.maxNewTokens },
    unknownItems,
    droppedOldest: r.dropped,
  };
}

/** One list decoded from h_t: its items, the decoder's wall clock and its GPU stages (where timestamp queries are). */
interface DecodedList {
  items: DecodedItem[];
  ms: number;
  stages: { scan?: number; select?: number; aggregate?: number };
}

async function decodeList(query: Parameters<DecodeEngine['decode']>[0], options: DecodeOptions): Promise<DecodedList> {
  const t0 = performance.now();
  const items = await engine!.decode(query, options);
  return { items, ms: performance.now() - t0, stages: gpuStages(engine!.lastTimings) };
}

/** The GPU decoder's stage times, where timestamp queries gave them. */
function gpuStages(t: { scan?: number; select?: number; aggregate?: number }): { scan?: number; select?: number; aggregate?: number } {
  return Object.fromEntries((['scan', 'select', 'aggregate'] as const).filter((k) => t[k] !== undefined).map((k) => [k, t[k]]));
}

function overlayRows(): OverlayRows {
  const dim = encoder!.hiddenSize;
  const vectors = new Uint16Array(overlay.rows.length * dim);
  overlay.rows.forEach((r, i) => vectors.set(r.hidden, i * dim));
  return { vectors, labels: Uint32Array.from(overlay.rows, (r) => r.item) };
}

function overlayStatus(): OverlayStatus {
  return { rows: overlay.rows.length, cap: overlayCap, seen: overlay.seen, persisted: overlayPersisted, ...(overlayReencoded ? { reencoded: overlayReencoded } : {}) };
}

/** A request's history (request-checks.ts), with a warning for the ids the catalog lacks (left out). */
function historyIn(history: unknown, items: LoadedShard['items']): { history: number[]; unknownItems: number[] } {
  const checked = knownHistory(history, items.length);
  if (checked.unknownItems.length > 0) console.warn(`l2d: skipped history items not in the catalog: ${checked.unknownItems.join(', ')}`);
  return checked;
}

async function recordInteraction(event: InteractionEvent): Promise<OverlayStatus> {
  if (!encoder || !engine || !shard) throw new L2DError('invalid-argument', 'No memory is loaded: call load() with a memoryUrl first.');
  const { items } = shard;
  if (!(Number.isInteger(event?.item) && event.item >= 0 && event.item < items.length)) {
    throw new InvalidArgumentError(`Unknown item ${describeValue(event?.item)}: the catalog's ids are 0..${items.length - 1}. Nothing was recorded.`);
  }
  if (!takesUpdates(shard.manifest)) {
    throw new InvalidArgumentError('This memory holds one centroid per item without its items\' sample counts (built before they were stored): build it again with build-memory --centroids-of for memory updates. Nothing was recorded.');
  }
  if (overlayCap === 0) throw new InvalidArgumentError('Memory updates are off (overlayCap 0).');
  const { history } = historyIn(event.history, items);
  if (history.includes(event.item)) {
    // No training sample holds its own target; a row of "... X -> X" would rank X first for the next history like it.
    throw new InvalidArgumentError(
      `The history holds item ${event.item} itself: give the history before the interaction, less the item (a memory row is "history -> next item", and no training sample's history holds its target). Nothing was recorded.`,
    );
  }
  const encoded = await encoder.encode([history.map((id) => items[id].title)]);
  const hidden = Uint16Array.from(encoded.hidden[0], toFloat16Bits);
  if (hidden.some(isNonFiniteFloat16)) throw new NonFiniteValueError('The encoded interaction');
  const keyOf = (id: number) => items[id].sourceId;
  const row = { item: event.item, history, hidden, at: Date.now(), key: keyOf(event.item), historyKeys: history.map(keyOf) };
  // Reservoir sampling once full: every interaction seen has the same chance to stay.
  const withRow = (stored: OverlayRecord): OverlayRecord => {
    // As load() takes a stored overlay: in this catalog's ids, the rows it takes, the newest that fit the cap.
    const base = fittingOverlay(stored, shard!);
    const rows = base.rows;
    const seen = Math.max(base.seen, rows.length) + 1;
    if (rows.length < overlayCap) rows.push(row);
    else {
      const j = Math.floor(Math.random() * seen);
      if (j < overlayCap) rows[j] = row;
    }
    return { ...base, rows, seen };
  };
  // Stored first, onto the record as stored now (another tab of this store may have added to it or cleared it):
  // if the browser refuses, the memory in use and the stored one stay as they were.
  overlay = overlayPersisted
    ? await withStore((store) => store.updateOverlay(overlay.model, overlay.shard, (stored) => withRow(stored ?? { model: overlay.model, shard: overlay.shard, rows: [], seen: 0 })))
    : withRow(overlay);
  await engine.setOverlay(overlayRows());
  return overlayStatus();
}

/** How long the worker must have had no call before each batch of memory updates is encoded again behind a load. */
const REENCODE_IDLE_MS = 50;

/**
 * Memory updates recorded with other models of this memory URL (the store retrained its model): encoded again with
 * this one behind the load (reencoded-overlay.ts), a batch at a time whenever the page's calls leave the worker
 * idle (a recommend() waits for one batch at most, ~50 ms, not for all: 1,024 rows take ~30 s on wasm), stored as its own a
 * part at a time (a later load goes on from there), then taken into the memory, and the page told
 * (watchInteractions), as for another tab's updates. A failure fails nothing: the rows not yet stored stay in their
 * records for the next load, and the overlay status says why.
 */
function reencodeBehindLoad(records: OverlayRecord[], loaded: LoadedShard): void {
  const load = loadCount;
  const current = () => load === loadCount && encoder !== undefined;
  const ensureCurrent = () => {
    if (!current()) throw new Error('a later load() or dispose() replaced the model');
  };
  const { model, shard: url } = overlay;
  const catalog = { sha256: loaded.manifest.catalog.sha256, keys: loaded.items.map((item) => item.sourceId), titles: loaded.items.map((item) => item.title) };
  const fromModels = records.map((record) => record.model);
  const toEncode = rowsToReencode(records, catalog);
  const encoding = { state: 'encoding' as const, fromModels, rows: Math.min(toEncode.rows.length, overlayCap) };
  overlayReencoded = { ...encoding, stored: 0 };
  const outcome = reencodeOverlays(records, toEncode, {
    store: {
      // Checked where the transaction starts, with no await between: a later load's read of the records (after its
      // loadCount++) then sees every part this run stored, or this run stores no more.
      takeOverOverlays: (...args) =>
        withStore((store) => {
          ensureCurrent();
          return store.takeOverOverlays(...args);
        }),
    },
    model,
    shard: url,
    catalog,
    cap: overlayCap,
    // Each batch once the page's calls are answered (those that came during the last batch, while a wasm run held
    // this thread, too): the page's first recommend() after the load does not wait for this.
    turn: () => whenIdle(REENCODE_IDLE_MS),
    // A device lost meanwhile (a GPU reset) is rebuilt and the batch encoded again, as for a page's call.
    encode: (histories) =>
      serial(async () => {
        ensureCurrent();
        return (await afterDeviceLoss(() => encoder!.encode(histories), true)).value.hidden;
      }, true),
    onStored: (stored) => {
      if (current()) overlayReencoded = { ...encoding, stored };
    },
  });
  outcome
    .catch((error: Error): OverlayReencoded => {
      if (current()) console.warn(`l2d: memory updates recorded with an earlier model were not all taken over (${error.name}: ${error.message}); the others stay stored, and the next load goes on with them.`);
      return { state: 'failed', fromModels, reason: `${error.name}: ${error.message}` };
    })
    .then((reencoded) => {
      if (!current()) return;
      overlayReencoded = reencoded;
      // The stored record (the rows taken over, those of a part stored before a failure, or another tab's), in the
      // memory; the page hears it.
      return serial(() => takeStoredOverlay({ model, shard: url }));
    });
}

/**
 * A stored overlay as this memory takes it: in its catalog's ids (a memory rebuilt at the same URL may number its
 * items otherwise: overlay-catalog.ts), and it may predate a smaller cap; its newest rows that fit.
 */
function fittingOverlay(record: OverlayRecord, loaded: LoadedShard): OverlayRecord {
  const inCatalog = overlayForCatalog(record, { sha256: loaded.manifest.catalog.sha256, keys: loaded.items.map((item) => item.sourceId) });
  return { ...inCatalog, rows: overlayCap === 0 ? [] : inCatalog.rows.filter((r) => takesRow(r, loaded.items.length)).slice(-overlayCap) };
}

/**
 * Whether a stored row joins the memory: its item is in the catalog (which a rebuild may have shortened), and its
 * history does not hold it (rows recorded before recordInteraction refused that would rank the item first right
 * after a view of it; the next record drops them from storage too).
 */
function takesRow(row: OverlayRecord['rows'][number], itemCount: number): boolean {
  return row.item < itemCount && !row.history.includes(row.item);
}

/** The page's listener for memory updates taken in from another tab, or encoded again behind a load (watchInteractions). */
let interactionsListener: ((overlay: OverlayStatus) => void) | undefined;

/**
 * Another tab of this site recorded or forgot interactions of the memory in use (or this load's re-encoding stored
 * them): the stored record again, in the decoder too, and the page told. Runs in turn with the calls, so a
 * recommend() after it answers with it.
 */
async function takeStoredOverlay(change: OverlayChange): Promise<void> {
  if (!overlayPersisted || !engine || !shard || !touches(change, overlay.model, overlay.shard)) return;
  const { model, shard: url } = overlay;
  try {
    const stored = await withStore((store) => store.getOverlay(model, url));
    overlay = fittingOverlay(stored ?? { model, shard: url, rows: [], seen: 0 }, shard);
    await engine.setOverlay(overlayRows());
  } catch (error) {
    // The stored record stays as it is; this tab's next record or load reads it again.
    console.warn(`l2d: could not take in the stored memory updates: ${(error as Error).message}`);
    return;
  }
  Promise.resolve(interactionsListener?.(overlayStatus())).catch(() => undefined);
}
onOverlayChange((change) => void serial(() => takeStoredOverlay(change)));

async function clearInteractions(): Promise<OverlayStatus> {
  // Every model's record of this memory: an earlier model's, not yet taken over, would come back at the next load.
  if (overlayPersisted) await withStore((store) => store.deleteOverlaysOf(overlay.shard));
  overlay = { ...overlay, rows: [], seen: 0 };
  await engine?.setOverlay(overlayRows());
  return overlayStatus();
}

async function withStore<T>(work: (store: ShardStore) => Promise<T>): Promise<T> {
  const store = await ShardStore.open();
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

/** Encoder and decoder on one GPUDevice: h_t can go from one to the other without a readback. */
function hiddenOnGpu(): boolean {
  return encoder?.outputDevice !== undefined && engine?.gpuDevice === encoder.outputDevice;
}

/** The loaded memory's catalog. */
function loadedItems(): LoadedShard['items'] {
  if (!shard) throw new InvalidArgumentError('No memory is loaded: call load() with a memoryUrl first.');
  return shard.items;
}

async function dispose(): Promise<void> {
  loadedWith = undefined;
  engine?.dispose();
  await encoder?.release();
  engine = undefined;
  encoder = undefined;
  shard = undefined;
}

const api: WorkerApi = {
  load: (options, onProgress) => serial(() => load(options, onProgress)),
  // One forward pass, which runs to its end once begun: an aborted recommend() stops before it or after it (no decode).
  recommend: (request) =>
    checkRequestObject(request, 'recommend()', '{ history, k, strategy?, m?, exclude?, only?, excludeHistory?, also?, returnHidden?, signal? }') &&
    serialAbortable(request.operation, 'recommend()', async (signal) => {
      const { value, recovered } = await afterDeviceLoss(() => recommend(request, signal));
      // Set in place: the result may be registered for transfer (returnHidden).
      if (recovered) value.backend.recovered = recovered;
      return value;
    }),
  generate: (request) =>
    checkRequestObject(request, 'generate()', '{ history, k, numBeams?, exclude?, only?, excludeHistory?, signal? }') &&
    serialAbortable(request.operation, 'generate()', async (signal) => (await afterDeviceLoss(() => generate(request, signal))).value),
  buildMemory: (request, onProgress) =>
    checkRequestObject(request, 'buildMemory()', '{ samples, items?, activate?, signal? }') &&
    serialAbortable(request.operation, 'buildMemory()', async (signal) => (await afterDeviceLoss(() => buildMemory(request, onProgress, signal))).value),
  cancel: (operation) => {
    const running = operations.get(operation);
    running?.controller.abort(new AbortError(running.what));
  },
  catalog: () => serial(async () => loadedItems().map((item) => item.title)),
  sourceIds: () => serial(async () => loadedItems().map((item) => item.sourceId)),
  // Rebuilt before, never run twice: a recorded interaction is stored before the decoder takes it.
  recordInteraction: (event) =>
    checkRequestObject(event, 'recordInteraction()', '{ history, item }') &&
    serial(async () => {
      await recoverFromDeviceLoss();
      return recordInteraction(event);
    }),
  clearInteractions: () => serial(clearInteractions),
  watchInteractions: (listener) => {
    interactionsListener = listener;
  },
  revalidated: () => revalidating ?? Promise.resolve(undefined),
  dispose: () => serial(dispose),
};
Comlink.expose(api);
