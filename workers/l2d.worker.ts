/**
 * The recommender worker: encoder (tokenizer + onnxruntime-web) and decode
 * engine (WGSL kernels, else the CPU reference) behind one Comlink API.
 * Calls are answered in order; nothing leaves the device.
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/comlink-errors.ts';
import { InvalidArgumentError, L2DError } from '../src/core/errors.ts';
import { DecodeEngine } from '../src/decode-engine.ts';
import { BrowserEncoder } from '../src/encoder/browser-encoder.ts';
import { fetchShard, type LoadedShard } from '../src/shard-fetch.ts';
import type { LoadOptions, LoadProgress, LoadStatus, RecommendRequest, RecommendResult, WorkerApi } from '../src/worker-protocol.ts';

installErrorTransfer();

let encoder: BrowserEncoder | undefined;
let engine: DecodeEngine | undefined;
let shard: LoadedShard | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs calls one after another, in the order they arrived. */
function serial<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work);
  queue = run.catch(() => undefined);
  return run;
}

async function load(options: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<LoadStatus> {
  const t0 = performance.now();
  await dispose();
  onProgress?.({ stage: 'model', loaded: 0, total: 1 });
  encoder = await BrowserEncoder.create(options);
  onProgress?.({ stage: 'model', loaded: 1, total: 1 });
  shard = await fetchShard(options.memoryUrl, { sha256: encoder.sha256, hiddenSize: encoder.hiddenSize }, (loaded, total) =>
    onProgress?.({ stage: 'memory', loaded, total }),
  );
  onProgress?.({ stage: 'decoder', loaded: 0, total: 1 });
  engine = await DecodeEngine.create(shard.memory, { device: options.decoder ?? 'auto' });
  onProgress?.({ stage: 'decoder', loaded: 1, total: 1 });
  return {
    encoder: encoder.backend,
    decoder: engine.backend,
    rows: shard.memory.rows,
    items: shard.items.length,
    hiddenSize: encoder.hiddenSize,
    loadMs: performance.now() - t0,
  };
}

async function recommend(request: RecommendRequest): Promise<RecommendResult> {
  if (!encoder || !engine || !shard) throw new L2DError('invalid-argument', 'The recommender is not loaded: call load() first.');
  const t0 = performance.now();
  const { items } = shard;
  if (!Array.isArray(request.history) || request.history.length === 0) throw new InvalidArgumentError('The history is empty: give at least one item id.');
  const unknownItems = request.history.filter((id) => !(Number.isInteger(id) && id >= 0 && id < items.length));
  const history = request.history.filter((id) => !unknownItems.includes(id));
  if (history.length === 0) throw new InvalidArgumentError(`None of the history's items is in the catalog (unknown: ${unknownItems.slice(0, 10).join(', ')}).`);
  if (unknownItems.length > 0) console.warn(`l2d: skipped history items not in the catalog: ${unknownItems.join(', ')}`);
  if (!Number.isInteger(request.k) || request.k < 1 || request.k > items.length) {
    throw new InvalidArgumentError(`k must be an integer in 1..${items.length} (the catalog's size), got ${String(request.k)}.`);
  }
  const encoded = await encoder.encode([history.map((id) => items[id].title)]);
  const t1 = performance.now();
  const exclude = [...(request.exclude ?? []), ...(request.excludeHistory ? history : [])];
  const decoded = await engine.decode(encoded.hidden[0], { k: request.k, strategy: request.strategy ?? 'global', m: request.m, exclude });
  const t2 = performance.now();
  const result: RecommendResult = {
    items: decoded.map((x) => ({ id: x.item, title: items[x.item].title, distance: x.distance, score: x.score, source: x.source })),
    timings: { tokenize: encoded.tokenizeMs, forward: encoded.forwardMs, decode: t2 - t1, total: t2 - t0 },
    backend: {
      encoder: `${encoder.backend.device} (${encoder.backend.dtype})`,
      decoder: engine.backend.decoder === 'webgpu' ? `webgpu (${engine.backend.adapter})` : 'cpu',
    },
    unknownItems,
    droppedOldest: encoded.dropped[0],
  };
  if (request.returnHidden) {
    result.hidden = encoded.hidden[0];
    return Comlink.transfer(result, [result.hidden.buffer]);
  }
  return result;
}

async function dispose(): Promise<void> {
  engine?.dispose();
  await encoder?.release();
  engine = undefined;
  encoder = undefined;
  shard = undefined;
}

const api: WorkerApi = {
  load: (options, onProgress) => serial(() => load(options, onProgress)),
  recommend: (request) => serial(() => recommend(request)),
  dispose: () => serial(dispose),
};
Comlink.expose(api);
