/** The recommender worker's API, shared by the worker (workers/l2d.worker.ts) and its callers. Comlink carries it. */
import type { DecodedSource, Strategy } from './core/decode-options.ts';
import type { DecoderBackend } from './decode-engine.ts';
import type { EncoderBackend, EncoderDevice, EncoderDtype, EncoderGraph } from './encoder/browser-encoder.ts';
import type { OrtRuntimeChoice, WasmPaths } from './encoder/ort-runtime.ts';

/**
 * Calls that can take a while take an AbortSignal: it stops the call (AbortError) before it starts, or
 * between forward passes, with nothing changed. Page-side only: a signal cannot cross to the worker, so the
 * worker gets an operation number instead (ToWorker) and the page calls cancel(operation) when it fires.
 */
export interface Abortable {
  signal?: AbortSignal;
}

/** A request as the worker receives it: its signal replaced by the operation number cancel() names. */
export type ToWorker<T extends Abortable> = Omit<T, 'signal'> & { operation?: number };

export interface LoadOptions {
  /** Model folder URL (config.json, tokenizer.json, onnx/...). */
  modelUrl: string;
  /**
   * Memory shard folder URL (manifest.json, chunks, items.tsv); built with the same model file.
   * Leave it out to load the model alone and build a memory in the page (buildMemory with activate).
   */
  memoryUrl?: string;
  /** Encoder device: 'auto' (default) = WebGPU, else wasm. */
  device?: EncoderDevice;
  dtype?: EncoderDtype;
  /**
   * 'auto' (default): the fused L2D encoder graph where the model folder has one (onnx/encoder.json)
   * and it runs here, else the traced encoder graph, else the generation graph; or one of them by name.
   */
  graph?: EncoderGraph;
  /** Decoder: 'auto' (default) = WebGPU, else the CPU reference. */
  decoder?: 'auto' | 'webgpu' | 'cpu';
  /**
   * Where onnxruntime-web's files are (default: beside the worker's script): the URL of their folder, or each file's
   * URL by its name, as a bundler renames them (WasmPaths).
   */
  wasmPaths?: WasmPaths;
  /**
   * The onnxruntime-web build for a WebGPU encoder: 'auto' (default: the asyncify build, whose speed the GPU
   * benchmarks measured) or 'jspi' (the JSPI build, 10 MB smaller, where the browser has JSPI; unmeasured on a
   * real GPU). An encoder on wasm runs the wasm-only build either way.
   */
  runtime?: OrtRuntimeChoice;
  /**
   * When encoder and decoder both run on WebGPU, share one device and keep h_t
   * on the GPU (default true); false reads h_t back to JavaScript first (for comparisons).
   */
  keepHiddenOnGpu?: boolean;
  /**
   * 'indexeddb' (default where the browser has it): keep the memory shard in
   * IndexedDB and the model files in the Cache API, so later visits load
   * offline and a cut download resumes. 'none': always from the network.
   */
  cache?: 'indexeddb' | 'none';
  /**
   * With the cache: true asks the network first for the model files and the
   * memory's manifest (picks up a model or memory rebuilt at the same URL).
   * 'background': loads from the stored copies at once, then asks for the
   * memory's manifest and downloads a rebuilt memory into the store for the
   * next load (status().revalidation, revalidated()); a memory rebuilt with
   * a retrained model has the model's files fetched behind the load too, and
   * both stored for the next load where they are that model (else the next
   * load asks the network first, as true does).
   * Default false: stored copies are used as they are and a later visit makes
   * no request at all.
   */
  revalidate?: boolean | 'background';
  /**
   * Cold-start items (never a training target, so without memory rows):
   * 'similar-titles' gives them the centroid of the items with the most
   * similar titles (src/core/cold-start.ts; measured in docs/MEMORY.md). Default 'none'.
   */
  coldStart?: import('./core/cold-start.ts').ColdStartRule;
  /** Most of the user's own samples kept (memory updates, recordInteraction); default 1024; 0 turns updates off. */
  overlayCap?: number;
  /**
   * Reuse work across successive requests (default false): keep the last
   * prompts' key/value caches (one per history, up to 4) and run only the
   * tokens after the longest prefix one shares with the next prompt (a history
   * that grows by one item runs that title and the template's suffix). The fused encoder graph runs them with
   * its own cache where it is the encoder in use (and its cache path passes a
   * check on first use); otherwise the generation graph does (fetched on
   * first use). Where the fused graph runs on the decoder's device, h_t and
   * the cache stay in GPU buffers; elsewhere both are read back to JavaScript.
   * The result equals a full encode (tests:
   * tools/lib/prefix-cache.test.ts, e2e/prefix-reuse.test.ts). 'auto': only
   * where the encoder graph in use has its own cache (the fused one), so
   * nothing else is fetched (the storefront embed's default).
   */
  reusePrefix?: boolean | 'auto';
}

export interface LoadProgress {
  stage: 'model' | 'memory' | 'decoder';
  loaded: number;
  total: number;
  /** Memory stage: of `loaded`, bytes read from IndexedDB. */
  fromStore?: number;
}

export interface BuildMemoryRequest extends Abortable {
  /** (history -> next item) samples: item ids into `items`. */
  samples: { history: number[]; target: number }[];
  /** The catalog (id = index); defaults to the loaded memory's. */
  items?: { id: number; sourceId: string; title: string }[];
  /** A name for the manifest's data set entry (default "browser"). */
  name?: string;
  chunkRows?: number;
  /** Histories per forward pass (default 16). */
  batch?: number;
  /** How the chunks store the rows: 'float16' (the default) or 'int8', half the bytes (as build-memory --rows int8). */
  rows?: 'float16' | 'int8';
  /** Make the new shard the worker's memory (default false). */
  activate?: boolean;
}

/** A shard built in the page: the same manifest and chunk bytes tools/build-memory writes. */
export interface BuiltMemory {
  manifest: import('./core/shard-format.ts').ShardManifest;
  chunks: ArrayBuffer[];
  /** items.tsv */
  catalog: ArrayBuffer;
  /** Histories whose oldest titles were dropped to fit the model's context. */
  truncated: number;
  ms: number;
  /** With `activate`: the worker's status with this memory in use (Recommender.status() becomes it). */
  status?: LoadStatus;
}

export interface LoadStatus {
  encoder: EncoderBackend;
  /** Undefined while no memory is loaded. */
  decoder?: DecoderBackend;
  /** Encoder and decoder share a GPUDevice and h_t stays on the GPU. */
  hiddenOnGpu: boolean;
  rows: number;
  items: number;
  hiddenSize: number;
  /** How the memory's rows are stored (shard format): int8 rows are read back as float16 (docs/MEMORY.md); none loaded, undefined. */
  rowDtype?: import('./core/shard-format.ts').RowDtype;
  loadMs: number;
  /**
   * load()'s stages: the model (files + session + warm-up), the memory (download or IndexedDB, verified), the
   * decoder (upload, centroids), each its own duration. The memory starts `memoryStart` ms into load(), as soon as
   * the model file memories are bound to is known (onnx/encoder.json names it, else its bytes are hashed): beside
   * the model's session and warm-up, so `loadMs` is less than the sum.
   */
  stageMs: { model: number; memory?: number; memoryStart?: number; decoder?: number };
  /** Items the cold-start rule gave a centroid. */
  coldStartItems?: number;
  /**
   * Set when the memory holds one centroid per item (of that many sample rows; build-memory --centroids-of):
   * L2D-G as from its samples, L2D-L ranks as L2D-G. `memoryUpdates`: whether the shard lists its items' sample
   * counts, which memory updates weigh a user's row against (shards built before they were stored have none:
   * updates off).
   */
  centroidMemory?: { sampleRows: number; memoryUpdates: boolean };
  /** The user's own samples in the memory (memory updates). */
  overlay?: OverlayStatus;
  /** Where the memory's chunks came from ('page': built in this page by buildMemory({ activate: true })). */
  memorySource?: 'network' | 'indexeddb' | 'mixed' | 'page';
  /**
   * Where load()'s memory stage ran: 'memory worker', a worker of its own beside the encoder's session and warm-up;
   * else the encoder's worker, with why (a page's policy refusing one, a constructor that throws; a browser with no
   * Worker inside workers is refused by load() before this stage).
   */
  memoryThread?: 'memory worker' | `encoder worker: ${string}`;
  /** The origin's storage: persisted flag, usage and quota in bytes. */
  storage?: import('./store/shard-store.ts').StorageReport;
  /** Why the memory was not kept on this device although `cache` asked for it (IndexedDB refused here). */
  storageUnavailable?: string;
  /**
   * Why, with `revalidate: true` (or a load it stands for), the stored memory was used although the network was
   * asked first: offline, or the server's memory built with another model (a deploy half done).
   */
  storedInstead?: string;
  /** With `revalidate: 'background'` after a load from the stored memory: the revalidation behind it. */
  revalidation?: MemoryRevalidation;
}

/**
 * A background revalidation of the stored memory (`revalidate: 'background'`): 'checking' while it runs; 'current':
 * the server's memory is the stored one; 'stored': the server's rebuilt memory is stored, and the next load uses it
 * (this one keeps the memory it loaded); 'model-stored': the server's model was rebuilt too, and its files and its
 * memory are stored for the next load (`model`: the SHA-256 its memories are built with); 'model-changed': the
 * server's memory was built with a model other than the files at the model URL (a deploy half done), so the next
 * load asks the network first for both; 'failed': why (offline, no room), the stored copies kept.
 */
export type MemoryRevalidation =
  | { state: 'checking' }
  | { state: 'current' | 'stored'; version: string }
  | { state: 'model-stored'; model: string; version: string }
  | { state: 'model-changed'; model: string }
  | { state: 'failed'; reason: string };

export interface RecommendRequest extends Abortable {
  /** Item ids of the user's history, oldest first. */
  history: number[];
  k: number;
  strategy?: Strategy;
  m?: number;
  /** Items never to return (a store's sold-out products, the product on the page). */
  exclude?: number[];
  /**
   * The only items the lists may hold (a category page's products), less the excluded ones; a list is shorter than k
   * when fewer remain. An empty array is refused.
   */
  only?: number[];
  /** Also exclude the history's own items (default false, as in the paper's protocol). */
  excludeHistory?: boolean;
  /** Return h_t too (research, tests). */
  returnHidden?: boolean;
  /**
   * More lists from the same forward pass (up to 8), e.g. L2D-L beside L2D-G: each decodes the one h_t with its own
   * k, strategy and m, and the request's exclude, only and excludeHistory; they come back in `also`, in order. One encode, several lists.
   */
  also?: ListRequest[];
}

/** One more list of recommend()'s `also`. */
export interface ListRequest {
  k: number;
  strategy?: Strategy;
  m?: number;
}

export interface RecommendedItem {
  id: number;
  /** The catalog's own key for the item (items.tsv's source_id: an ASIN, a MovieLens movieId): the store's product id. */
  sourceId: string;
  title: string;
  distance: number;
  score: number;
  source: DecodedSource;
}

export interface RecommendResult {
  items: RecommendedItem[];
  /**
   * Milliseconds. decode = wall clock of the decoder; scan/select/aggregate =
   * its GPU stages from timestamp queries (WebGPU with 'timestamp-query' only).
   */
  timings: { tokenize: number; forward: number; decode: number; total: number; scan?: number; select?: number; aggregate?: number };
  /** hiddenOnGpu: h_t went from the encoder's GPU buffer to the decoder without a readback. */
  backend: {
    /** e.g. 'webgpu (q4, fused graph)': execution provider, dtype and encoder graph. */
    encoder: string;
    decoder: string;
    hiddenOnGpu: boolean;
    adapter?: string;
    /** Set on the call that found the worker's WebGPU device lost and rebuilt the encoder and decoder first. */
    recovered?: string;
  };
  /** History items dropped because they are not in the catalog. */
  unknownItems: number[];
  /** Oldest history items dropped to fit the model's context. */
  droppedOldest: number;
  /** With reusePrefix: prompt tokens taken from a kept prompt's cache, and tokens run. */
  prefix?: {
    reusedTokens: number;
    ranTokens: number;
    /** What ran the tokens: the fused encoder graph with its key/value cache, or the generation graph. */
    graph: 'fused' | 'full';
    /** Why the fused graph did not, when it is the encoder in use but its cache path failed the check here. */
    fallbackReason?: string;
  };
  hidden?: Float32Array;
  /** The request's `also` lists, in order, each with its decoder time (ms; GPU stages where timestamp queries are). */
  also?: { items: RecommendedItem[]; timings: { decode: number; scan?: number; select?: number; aggregate?: number } }[];
}

/**
 * Language-space decoding with the same model (the baseline of
 * docs/RESULTS.md, for comparisons): the history's prompt, greedy
 * (numBeams 1) or beam search with the key/value cache, the generated
 * titles grounded to the catalog (exact title, else character-trigram
 * similarity; a beam's titles interleaved column by column).
 */
export interface GenerateRequest extends Abortable {
  history: number[];
  k: number;
  /** 1 (greedy, default) to 10. */
  numBeams?: number;
  exclude?: number[];
  /** As recommend()'s: generated titles are grounded to these items only. */
  only?: number[];
  excludeHistory?: boolean;
}

export interface GenerateResult {
  /** Grounded catalog items, best first; source 'generated', score = rank-based 1 / (1 + rank). */
  items: { id: number; sourceId: string; title: string; score: number; source: 'generated' }[];
  /** The generated titles, best hypothesis first, and whether each ended (EOS) before the length cap. */
  generated: { title: string; finished: boolean }[];
  /**
   * Milliseconds: generate = the whole beam search (all forward passes);
   * setup = making the generation graph's session (first call only), not in total.
   */
  timings: { tokenize: number; generate: number; ground: number; setup: number; total: number };
  backend: { encoder: string; numBeams: number; maxNewTokens: number };
  unknownItems: number[];
  droppedOldest: number;
}

/** A user's interaction: after this history, they chose this item. Ids are catalog ids. */
export interface InteractionEvent {
  history: number[];
  item: number;
}

export interface OverlayStatus {
  /** The user's samples in the memory now. */
  rows: number;
  cap: number;
  /** Samples recorded in all (beyond `cap`, a reservoir sample of them is kept). */
  seen: number;
  /** Kept in IndexedDB for later visits. */
  persisted: boolean;
  /**
   * Memory updates recorded with other models of this memory URL (before the store retrained its model), found by
   * the last load: 'encoding' with this model behind the load, then 'stored' (they are among `rows` now, and
   * watchInteractions / onInteractionsChange hears it) or 'failed' with why (kept for the next load).
   */
  reencoded?: import('./store/reencoded-overlay.ts').OverlayReencoded;
}

export interface WorkerApi {
  load(options: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<LoadStatus>;
  recommend(request: ToWorker<RecommendRequest>): Promise<RecommendResult>;
  /** Language-space decoding of the same model, for comparison with recommend() (slow by design). */
  generate(request: ToWorker<GenerateRequest>): Promise<GenerateResult>;
  /** Encodes samples with the loaded model into a memory shard (progress in rows). */
  buildMemory(request: ToWorker<BuildMemoryRequest>, onProgress?: (rows: number, total: number) => void): Promise<BuiltMemory>;
  /** Aborts the call made with this operation number (queued or running); not queued itself. */
  cancel(operation: number): void;
  /** The loaded memory's catalog: titles by item id. */
  catalog(): Promise<string[]>;
  /** The loaded memory's catalog keys (items.tsv's source_id) by item id. */
  sourceIds(): Promise<string[]>;
  /** Memory updates: encodes the user's (history -> item) sample and adds it to the memory, on this device only. */
  recordInteraction(event: InteractionEvent): Promise<OverlayStatus>;
  /** Deletes the user's samples: the recommendations are the memory's own again, exactly. */
  clearInteractions(): Promise<OverlayStatus>;
  /**
   * `listener` hears the overlay each time the worker took in memory updates another tab of this site stored or
   * deleted for the memory in use (its own calls' results say theirs); undefined stops it.
   */
  watchInteractions(listener: ((overlay: OverlayStatus) => void) | undefined): void;
  /** The last load's background revalidation once it ended; undefined where it started none. */
  revalidated(): Promise<MemoryRevalidation | undefined>;
  dispose(): Promise<void>;
}
