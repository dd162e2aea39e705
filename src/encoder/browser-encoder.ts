/**
 * The L2D encoder in a page or worker: the model folder's tokenizer
 * (@huggingface/transformers, local files only: never a model hub), its
 * prompt template, and its ONNX file in onnxruntime-web — WebGPU (q4, or
 * q4f16 only where the adapter has shader-f16) with a wasm fallback.
 * encode(histories of titles) -> h_t, the final-norm hidden state of each
 * prompt's last token.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web/webgpu';
import { cosine, graphFeeds, graphSignature, HIDDEN_OUTPUT, lastTokenRows, modelShape, type GraphSignature, type ModelShape } from '../core/encoder-feeds.ts';
import { memoriesSha256, pickEncoderGraph, probeCosine, probeRows, PROBE_MIN_COSINE, type EncoderManifest, type EncoderManifestEntry, type EncoderProbe } from '../core/encoder-manifest.ts';
import { InvalidArgumentError, L2DError, NetworkUnavailableError, UnsupportedBrowserError } from '../core/errors.ts';
import { fitPrompt } from '../core/fit-prompt.ts';
import { parseJsonText } from '../core/json-text.ts';
import { parsePromptTemplate, type PromptTemplate } from '../core/prompt.ts';
import { sha256Hex } from '../core/shard-format.ts';
import { createTokenizer, tokenIds, type Tokenizer } from './tokenizer.ts';
import { GenerativeRecommender } from '../core/generative-recommender.ts';
import { fusedLastHiddenAfter, fusedPrefixRun } from '../core/fused-prefix.ts';
import { gpuKvCacheOps, type GpuKvCache } from './gpu-kv-cache.ts';
import { lastHiddenAfter, onnxStepModel, type KvCache } from '../core/onnx-step-model.ts';
import { kvCacheOps, PromptPrefixCache } from '../core/prefix-cache.ts';
import { isSoftwareAdapter, type GpuQuery } from '../gpu/index.ts';
import { GENERATION_GRAPHS, MODEL_TEXT_FILES } from '../core/model-files.ts';
import { configureOrt, ortBuildFor, ortRuntime, startOrtWasm, whereOrtFilesGo, type Ort, type OrtBuild, type OrtRuntimeChoice, type WasmPaths } from './ort-runtime.ts';

export type EncoderDevice = 'webgpu' | 'wasm' | 'auto';
export type EncoderDtype = 'q4' | 'q4f16' | 'fp32';
/**
 * Which graph encodes: 'fused' (onnx/encoder_<dtype>_fused.onnx: GroupQueryAttention,
 * SkipSimplifiedLayerNormalization, MatMulNBits; tools/export/fused_encoder.py),
 * 'encoder' (the traced L2D encoder graph, onnx/encoder_<dtype>.onnx) or 'full'
 * (the generation graph). 'auto' tries the encoder graphs onnx/encoder.json lists, in the order
 * GRAPH_ORDER (src/core/encoder-manifest.ts) gives for the execution provider, then the generation graph.
 */
export type EncoderGraph = 'auto' | 'fused' | 'encoder' | 'full';

/** The execution provider, dtype and graph actually in use, and why they differ from what was asked. */
export interface EncoderBackend {
  device: 'webgpu' | 'wasm';
  /** The onnxruntime-web build it runs in: a WebGPU one (asyncify, or jspi where asked for), or the wasm-only one (half the download) when wasm was decided up front. */
  runtime: `onnxruntime-web/${OrtBuild}`;
  dtype: EncoderDtype;
  file: string;
  graph: Exclude<EncoderGraph, 'auto'>;
  /** The generation graph whose memories this encoder reads (the file itself for graph 'full'). */
  memoryFile: string;
  /** The first forward pass, run at load (shader compilation, buffer allocation), in ms. */
  warmupMs: number;
  /** On wasm: onnxruntime-web's threads (1 where the page is not cross-origin isolated: no SharedArrayBuffer). */
  wasmThreads?: number;
  /** The model's history window (prompt-template.json's maxHistory): a prompt holds the newest this many titles at most. */
  maxHistory?: number;
  fallbackReason?: string;
}

export interface BrowserEncoderOptions {
  /** URL of the model folder (config.json, tokenizer.json, onnx/...). */
  modelUrl: string;
  device?: EncoderDevice;
  dtype?: EncoderDtype;
  /** Where onnxruntime-web's files are (WasmPaths): their folder's URL, or each file's URL by its name. */
  wasmPaths?: WasmPaths;
  /**
   * Run onnxruntime-web's WebGPU execution provider on this device (the decode
   * engine's), so h_t can stay on the GPU (encodeOnGpu).
   */
  gpuDevice?: GPUDevice;
  /** Default 'auto': the fastest graph the model folder has that loads and runs here (EncoderGraph). */
  graph?: EncoderGraph;
  /** Fetches the model's files (default: fetch); the worker passes a cache-backed one for offline visits. */
  fetch?: (url: string) => Promise<Response>;
  /** Which onnxruntime-web build runs WebGPU (src/encoder/ort-runtime.ts): 'auto' (asyncify) or 'jspi'. */
  runtime?: OrtRuntimeChoice;
  /**
   * Called once, as soon as the SHA-256 a memory must have been built with is known (from onnx/encoder.json, else
   * from the generation graph's bytes), before a session is made: the worker starts the memory then, beside the
   * model. The encoder's `sha256` may still differ (a stale encoder.json whose graphs are all unavailable): compare.
   */
  onMemoryModel?: (model: { sha256: string; hiddenSize: number }) => void;
}

/** Prompt tokens taken from the previous call's cache, and tokens run (encodeReusingPrefix). */
export interface PrefixRun {
  reusedTokens: number;
  ranTokens: number;
}

/** h_t of one history, left on the GPU: a GpuQuery for the decoder, valid until release(). */
export interface GpuEncodeResult {
  query: GpuQuery;
  dropped: number;
  tokenizeMs: number;
  forwardMs: number;
  release(): void;
}

export interface EncodeResult {
  hidden: Float32Array[];
  /** Oldest titles dropped from each history to fit the context. */
  dropped: number[];
  tokenizeMs: number;
  forwardMs: number;
}

/**
 * onnx/encoder.json (src/core/encoder-manifest.ts), if the folder has one. A folder without it (404: exported
 * without encoder graphs) has none; one the server answers wrongly (another HTTP error, an HTML page, broken JSON)
 * has none either, and `problem` says why, for the fallback's reason and a named graph's error.
 */
async function encoderManifest(base: string, fetchFn: (url: string) => Promise<Response>): Promise<{ manifest: EncoderManifest; problem?: string }> {
  const url = `${base}/onnx/encoder.json`;
  const none = (problem?: string) => ({ manifest: { graphs: {} }, ...(problem ? { problem } : {}) });
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    return none(`${url} could not be fetched (${(error as Error).message})`);
  }
  if (response.status === 404) return none();
  if (!response.ok) return none(`${url}: HTTP ${response.status}`);
  try {
    const manifest = parseJsonText<EncoderManifest>(await response.text(), url, (message) => new Error(message));
    if (typeof manifest?.graphs !== 'object' || manifest.graphs === null) return none(`${url} has no "graphs" object`);
    return { manifest };
  } catch (error) {
    return none((error as Error).message.replace(/\.$/, ''));
  }
}

/** Where the encoder runs, from the options and the adapter alone (no model file needed, so known early). */
interface EncoderPlan {
  device: 'webgpu' | 'wasm';
  dtype: EncoderDtype;
  /** WebGPU first (every graph), then wasm where 'auto' allows it: the GPU is the point, the graph second. */
  providers: ('webgpu' | 'wasm')[];
  /**
   * The onnxruntime-web build (src/encoder/ort-runtime.ts): wasm-only when wasm was decided before it starts (half
   * the WebGPU build's download), else a WebGPU one (asyncify, or jspi where asked for and the browser has JSPI).
   */
  build: OrtBuild;
  /** Why the jspi build was not used, where it was asked for. */
  runtimeFallback?: string;
  /** Why the encoder runs elsewhere than asked (fallbackReason's first parts). */
  reasons: string[];
}

function encoderPlan(options: BrowserEncoderOptions, gpu: GPUAdapter | null): EncoderPlan {
  const want = options.device ?? 'auto';
  const reasons: string[] = [];
  if (want === 'webgpu' && !gpu) throw new L2DError('webgpu-unavailable', 'WebGPU is unavailable: no adapter. Use device "wasm" or "auto".');
  if (want === 'auto' && !gpu) reasons.push('no WebGPU adapter');
  // A software adapter (SwiftShader) runs this encoder ~25x slower than wasm (bench/README.md): 'auto' skips it.
  const software = isSoftwareAdapter(gpu);
  if (want === 'auto' && software) reasons.push('the WebGPU adapter is a software fallback; wasm is faster');
  const device: 'webgpu' | 'wasm' = want === 'wasm' || !gpu || (want === 'auto' && software) ? 'wasm' : 'webgpu';
  let dtype: EncoderDtype = options.dtype ?? 'q4';
  if (dtype === 'q4f16' && !(device === 'webgpu' && gpu?.features.has('shader-f16'))) {
    // float16 activations need shader-f16 (../shared/webgpu/README.md): use the float32-activation file.
    reasons.push('q4f16 needs WebGPU with shader-f16; using q4');
    dtype = 'q4';
  }
  const providers: ('webgpu' | 'wasm')[] = device === 'webgpu' && want === 'auto' ? ['webgpu', 'wasm'] : [device];
  const { build, fallback } = ortBuildFor(providers, options.runtime ?? 'auto');
  return { device, dtype, providers, build, ...(fallback ? { runtimeFallback: fallback } : {}), reasons };
}

/** The values of promises all settled, or the first rejection in the given order (not in time). */
async function settledInOrder<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

async function fetchJson(url: string, fetchFn: (url: string) => Promise<Response>): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new NetworkUnavailableError(`${url} could not be fetched (${(error as Error).message}) and no cached copy is stored on this device.`);
  }
  if (!response.ok) throw new L2DError('invalid-argument', `${url}: HTTP ${response.status}; is the model URL right?`);
  return parseJsonText<Record<string, unknown>>(await response.text(), url, (message) => new L2DError('invalid-argument', message));
}

/** A graph to try: its file in the model folder, its kind, and its encoder.json entry (none for the generation graph). */
interface GraphCandidate {
  file: string;
  graph: Exclude<EncoderGraph, 'auto'>;
  entry?: EncoderManifestEntry;
}

/** Whether `error` is fetchGraph's: a graph that is not the one onnx/encoder.json describes, as read through the given fetch. */
export function isMixedModelFiles(error: unknown): boolean {
  return error instanceof InvalidArgumentError && typeof (error as { mixedModelFile?: unknown }).mixedModelFile === 'string';
}

type FetchedGraph = { bytes: Uint8Array; sha256: string } | { unavailable: L2DError };

/**
 * A graph's bytes, checked against onnx/encoder.json where it is an encoder
 * graph (a stale file is an error); a file the server or the cache does not
 * have comes back as `unavailable`, for the caller to fall back.
 */
async function fetchGraph(base: string, candidate: GraphCandidate, dtype: EncoderDtype, fetchFn: (url: string) => Promise<Response>): Promise<FetchedGraph> {
  const url = `${base}/${candidate.file}`;
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    return { unavailable: new NetworkUnavailableError(`${url} could not be fetched (${(error as Error).message}) and no cached copy is stored on this device.`) };
  }
  if (!response.ok) return { unavailable: new L2DError('invalid-argument', `${url}: HTTP ${response.status}; the model folder has no ${dtype} file ${candidate.file}.`) };
  const bytes = new Uint8Array(await response.arrayBuffer());
  const sha256 = await sha256Hex(bytes);
  if (candidate.entry && sha256 !== candidate.entry.sha256) {
    const error = new InvalidArgumentError(`${url} is not the file onnx/encoder.json describes (SHA-256 ${sha256.slice(0, 12)}…, expected ${candidate.entry.sha256.slice(0, 12)}…): export the encoder again.`);
    // Marked for a caller whose fetch reads stored copies: they may be of two versions (isMixedModelFiles).
    throw Object.assign(error, { mixedModelFile: url });
  }
  return { bytes, sha256 };
}

/**
 * One forward pass at load: compiles the kernels so the first recommend()
 * does not pay for it, and proves the graph computes right here. With the
 * export's probe (encoder.json) its hidden state must match the reference;
 * without one (the generation graph) it must be finite. An operator the
 * adapter runs wrong, or float16 overflow, fails now and the caller falls
 * back to the next graph. Returns its time in ms.
 */
async function warmUp(ort: Ort, session: InferenceSession, shape: ModelShape, probe: EncoderProbe | undefined, fallbackIds: number[]): Promise<number> {
  const t0 = performance.now();
  const graph = graphSignature(session);
  const rows = probe ? probeRows(probe) : [fallbackIds];
  const { feeds, width } = graphFeeds(ort.Tensor, rows, shape, graph);
  const out = await session.run(feeds, [HIDDEN_OUTPUT[graph.kind]]);
  const data = (await out[HIDDEN_OUTPUT[graph.kind]].getData(true)) as Float32Array;
  const hidden = lastTokenRows(data, rows.length, width, shape.hiddenSize);
  if (!hidden.every((row) => row.every(Number.isFinite))) throw new L2DError('gpu-error', 'the warm-up forward pass gave a non-finite hidden state');
  if (probe) {
    const { cosine: similarity, row } = probeCosine(probe, hidden);
    if (!(similarity >= PROBE_MIN_COSINE)) {
      const which = row === 'shorter' ? `on the probe's shorter row (padded, in a batch of two)` : `on the export's probe`;
      throw new L2DError('gpu-error', `its hidden state ${which} differs from the reference (cosine ${similarity.toFixed(4)} < ${PROBE_MIN_COSINE}): an operator computes wrong on this adapter`);
    }
  }
  return performance.now() - t0;
}

export class BrowserEncoder {
  private generator: Promise<GenerativeRecommender<KvCache>> | undefined;
  private generatorCatalog: string[] | undefined;
  private generationSession: Promise<InferenceSession> | undefined;
  private prefixCache: PromptPrefixCache | undefined;
  /** The fused graph's cache in GPU buffers (encodeReusingPrefixOnGpu). */
  private gpuPrefixCache: PromptPrefixCache<GpuKvCache> | undefined;
  /** Whether this fused graph's cache path computes right here (checked on first use); else why not. */
  private fusedPrefixCheck: Promise<{ ok: true } | { ok: false; reason: string }> | undefined;

  private constructor(
    /** The model folder's name, from its URL. */
    readonly id: string,
    private readonly session: InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly template: PromptTemplate,
    private readonly shape: ModelShape,
    private readonly graph: GraphSignature,
    readonly hiddenSize: number,
    readonly maxPromptTokens: number,
    private readonly eosTokenId: number,
    /** How the session was made, to make the generation graph's the same way (createGenerator). */
    private readonly source: { base: string; fetch: (url: string) => Promise<Response>; executionProvider: InferenceSession.ExecutionProviderConfig; ort: Ort },
    /** The execution provider, dtype and graph actually in use. */
    readonly backend: EncoderBackend,
    /** SHA-256 of the ONNX file: a memory shard must have been built with the same file. */
    readonly sha256: string,
    /** The GPUDevice h_t lives on when encodeOnGpu can be used (WebGPU on the device given as gpuDevice). */
    readonly outputDevice: GPUDevice | undefined,
    /** The export's probe for this graph (encoder.json); without one, the warm-up's ids and no reference. */
    private readonly probe: EncoderProbe,
  ) {}

  /** The model's history window (prompt-template.json's maxHistory), where it has one. */
  get maxHistory(): number | undefined {
    return this.template.maxHistory;
  }

  static async create(options: BrowserEncoderOptions): Promise<BrowserEncoder> {
    // onnxruntime-web's WebAssembly (under its WebGPU backend too) starts its threads' Workers at init even for one
    // thread; without Worker it fails later with a bare ReferenceError, after the downloads.
    if (typeof Worker === 'undefined') {
      throw new UnsupportedBrowserError(
        `This browser has no Worker ${typeof document === 'undefined' ? 'inside a worker' : 'in the page'}, and onnxruntime-web's WebAssembly cannot start without one. Use a browser that has it (Chrome, Edge, Firefox; Safari 15.5 or later).`,
      );
    }
    const base = options.modelUrl.replace(/\/$/, '');
    const fetchFn = options.fetch ?? ((url: string) => fetch(url));
    const wantGraph = options.graph ?? 'auto';
    // The model's small files, onnx/encoder.json and the adapter side by side: one round trip instead of five.
    const smallFiles = MODEL_TEXT_FILES.map((file) => fetchJson(`${base}/${file}`, fetchFn));
    const manifestRead = wantGraph === 'full' ? Promise.resolve({ manifest: { graphs: {} } as EncoderManifest, problem: undefined }) : encoderManifest(base, fetchFn);
    const adapter = typeof navigator !== 'undefined' && 'gpu' in navigator ? navigator.gpu.requestAdapter() : Promise.resolve(null);
    const planned = adapter.then((gpu) => encoderPlan(options, gpu));
    planned.catch(() => undefined); // awaited below, unless a file's error comes first
    // onnxruntime-web's module and its wasm binary (the largest download) start as soon as the plan names the build:
    // beside the model's files. Their failures are met again, in order, on the way below.
    planned
      .then(async ({ build }) => {
        const ort = await ortRuntime(build);
        configureOrt(ort, build, options.wasmPaths);
        await startOrtWasm(build, ort);
      })
      .catch(() => undefined);
    const [config, templateJson, tokenizerConfig, tokenizerJson] = await settledInOrder(smallFiles);
    const template = parsePromptTemplate(templateJson, `${base}/prompt-template.json`);
    const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
    const shape = modelShape(config);
    const maxPromptTokens = Math.min(Number(tokenizerConfig.model_max_length ?? Infinity), Number(config.max_position_embeddings ?? Infinity));

    const { device, dtype, providers, build: runtime, runtimeFallback, reasons } = await planned;

    const generationFile = GENERATION_GRAPHS[dtype];
    const { manifest, problem: manifestProblem } = await manifestRead;
    // Read wrongly, not absent: 'auto' says why it runs the generation graph.
    if (manifestProblem) reasons.push(`no encoder graph: ${manifestProblem}`);
    let announced = false;
    const announce = (sha256: string | undefined) => {
      if (announced || sha256 === undefined) return;
      announced = true;
      options.onMemoryModel?.({ sha256, hiddenSize: Number(config.hidden_size) });
    };
    announce(memoriesSha256(manifest, generationFile.replace(/^onnx\//, '')));
    /** The graphs to try on a provider, best first; the generation graph last, unless another was asked for by name. */
    const candidatesOn = (provider: 'webgpu' | 'wasm'): GraphCandidate[] => {
      const listed = wantGraph === 'full' ? [] : pickEncoderGraph(manifest, generationFile.replace(/^onnx\//, ''), wantGraph, provider);
      const candidates: GraphCandidate[] = listed.map((entry) => ({ file: `onnx/${entry.file}`, graph: entry.fused ? 'fused' : 'encoder', entry }));
      return wantGraph === 'auto' || wantGraph === 'full' ? [...candidates, { file: generationFile, graph: 'full' }] : candidates;
    };
    if ((wantGraph === 'fused' || wantGraph === 'encoder') && candidatesOn(device).length === 0) {
      if (manifestProblem) throw new InvalidArgumentError(`graph '${wantGraph}' is found through onnx/encoder.json, which could not be read: ${manifestProblem}.`);
      throw new InvalidArgumentError(`${base}/onnx/encoder.json lists no ${wantGraph === 'encoder' ? 'traced' : 'fused'} ${dtype} encoder graph; export it (tools/export/export.py --encoder-only) or use graph 'auto' or 'full'.`);
    }
    if (runtimeFallback) reasons.push(runtimeFallback);
    const bytesOf = new Map<string, Promise<FetchedGraph>>();
    const graphBytes = (candidate: GraphCandidate): Promise<FetchedGraph> => {
      if (!bytesOf.has(candidate.file)) bytesOf.set(candidate.file, fetchGraph(base, candidate, dtype, fetchFn));
      return bytesOf.get(candidate.file)!;
    };
    // The first graph to try downloads while onnxruntime-web's module loads.
    const firstCandidate = candidatesOn(providers[0])[0];
    if (firstCandidate) graphBytes(firstCandidate).catch(() => undefined); // its error is met when it is tried
    const ort = await ortRuntime(runtime);
    configureOrt(ort, runtime, options.wasmPaths);
    // onnxruntime-web refuses to start its wasm while a start runs: the first session waits for the early one.
    await startOrtWasm(runtime, ort);
    const unavailable: L2DError[] = [];
    let sessionFailed = false;
    const warmupIds = fitPrompt(['A title'], (t) => tokenIds(tokenizer, t), maxPromptTokens, template).ids;

    providers: for (const provider of providers) {
      // onnxruntime-web 1.30's WebGPU EP takes the device per session: h_t then lives on the decoder's device.
      const shared = provider === 'webgpu' && options.gpuDevice !== undefined;
      const executionProvider: InferenceSession.ExecutionProviderConfig = shared ? ({ name: 'webgpu', device: options.gpuDevice } as InferenceSession.ExecutionProviderConfig) : provider;
      for (const candidate of candidatesOn(provider)) {
        const fetched = await graphBytes(candidate);
        if ('unavailable' in fetched) {
          // A listed graph a deployment left out (or not cached for an offline visit): 'auto' goes on to the next.
          if (wantGraph !== 'auto') throw fetched.unavailable;
          unavailable.push(fetched.unavailable);
          if (!reasons.some((r) => r.startsWith(`${candidate.file} unavailable`))) reasons.push(`${candidate.file} unavailable (${fetched.unavailable.message})`);
          continue;
        }
        const { bytes, sha256: fileSha256 } = fetched;
        if (candidate.graph === 'full') announce(fileSha256);
        const output = HIDDEN_OUTPUT[candidate.graph === 'full' ? 'generation' : candidate.graph];
        let session: InferenceSession | undefined;
        try {
          session = await ort.InferenceSession.create(bytes, {
            executionProviders: [executionProvider],
            logSeverityLevel: 3,
            // h_t in a GPU buffer for the decoder; the fused graph's presents too, for the next prompt (unfetched, they cost
            // nothing). Not the generation graph's logits and presents: beam search reads them in JavaScript.
            ...(shared ? { preferredOutputLocation: candidate.graph === 'fused' ? ('gpu-buffer' as const) : { [output]: 'gpu-buffer' as const } } : {}),
          });
          const warmupMs = await warmUp(ort, session, shape, candidate.entry?.probe, warmupIds);
          // A memory is bound to the generation graph it was built with; the encoder graphs read the same memories.
          const sha256 = candidate.entry ? candidate.entry.memoriesOfSha256 : fileSha256;
          const id = base.split('/').filter(Boolean).pop() ?? base;
          const source = { base, fetch: fetchFn, executionProvider, ort };
          const backend: EncoderBackend = {
            device: provider,
            runtime: `onnxruntime-web/${runtime}`,
            dtype,
            file: candidate.file,
            graph: candidate.graph,
            memoryFile: candidate.entry ? `onnx/${candidate.entry.memoriesOf}` : candidate.file,
            warmupMs,
            ...(provider === 'wasm' ? { wasmThreads: ort.env.wasm.numThreads ?? 1 } : {}),
            ...(template.maxHistory !== undefined ? { maxHistory: template.maxHistory } : {}),
            ...(reasons.length > 0 ? { fallbackReason: reasons.join('; ') } : {}),
          };
          const graph = graphSignature(session);
          return new BrowserEncoder(id, session, tokenizer, template, shape, graph, Number(config.hidden_size), maxPromptTokens, Number(config.eos_token_id), source, backend, sha256, shared ? options.gpuDevice : undefined, candidate.entry?.probe ?? { input_ids: warmupIds, hidden: [] });
        } catch (error) {
          await session?.release().catch(() => undefined);
          if (error instanceof L2DError && error.code !== 'gpu-error') throw error;
          const message = (error as Error).message.split('\n')[0];
          sessionFailed = true;
          // onnxruntime-web itself could not start this execution provider (its files not served, or the provider
          // unusable here): no other graph would start it either. WebGPU goes on to wasm where 'auto' allows.
          if (message.includes('no available backend found')) {
            if (provider === 'wasm') {
              throw new InvalidArgumentError(`onnxruntime-web (${{ wasm: 'its wasm-only build', webgpu: 'its WebGPU build', jspi: 'its JSPI WebGPU build' }[runtime]}) could not start on wasm (${message}). ${whereOrtFilesGo(runtime, options.wasmPaths)}`);
            }
            reasons.push(`onnxruntime-web could not start ${provider} (${message})`);
            continue providers;
          }
          reasons.push(`${candidate.file} failed on ${provider} (${message})`);
        }
      }
    }
    // Offline with nothing stored: say so, as the single-file load always did.
    const offline = unavailable.find((e) => e instanceof NetworkUnavailableError);
    if (offline && !sessionFailed) throw offline;
    throw new L2DError('invalid-argument', `Could not load an encoder from ${base}: ${reasons.join('; ')}.`);
  }

  tokenize(text: string): number[] {
    return tokenIds(this.tokenizer, text);
  }

  async encode(histories: string[][]): Promise<EncodeResult> {
    if (histories.length === 0) throw new InvalidArgumentError('No history was given.');
    const { tensor, width, dropped, tokenizeMs, t1 } = await this.forward(histories);
    // getData(true) also frees the GPU buffer when the output was kept on the GPU.
    const data = (await tensor.getData(true)) as Float32Array;
    const hidden = lastTokenRows(data, histories.length, width, this.hiddenSize);
    return { hidden, dropped, tokenizeMs, forwardMs: performance.now() - t1 };
  }

  /** Tokenize (fitting each prompt to the context) and run the graph: its hidden-state output and that output's row width. */
  private async forward(histories: string[][]): Promise<{ tensor: Tensor; width: number; dropped: number[]; tokenizeMs: number; t1: number }> {
    const t0 = performance.now();
    const fitted = histories.map((titles) => fitPrompt(titles, (t) => this.tokenize(t), this.maxPromptTokens, this.template));
    const t1 = performance.now();
    const output = HIDDEN_OUTPUT[this.graph.kind];
    const { feeds, width } = graphFeeds(this.source.ort.Tensor, fitted.map((x) => x.ids), this.shape, this.graph);
    const out = await this.session.run(feeds, [output]);
    return { tensor: out[output], width, dropped: fitted.map((x) => x.dropped), tokenizeMs: t1 - t0, t1 };
  }

  /**
   * h_t of one history without a readback: the last token's row of
   * last_hidden_state stays in onnxruntime-web's GPU buffer for the decoder.
   * Needs outputDevice (WebGPU on a shared device); release() frees the buffer.
   */
  async encodeOnGpu(titles: string[]): Promise<GpuEncodeResult> {
    if (!this.outputDevice) throw new L2DError('invalid-argument', 'encodeOnGpu needs the WebGPU encoder on a shared device (BrowserEncoderOptions.gpuDevice).');
    const { tensor, width, dropped, tokenizeMs, t1 } = await this.forward([titles]);
    // One row: the last token is row width - 1 (width is 1 for the encoder graphs).
    if (tensor.location !== 'gpu-buffer') {
      tensor.dispose();
      throw new L2DError('gpu-error', `onnxruntime-web returned ${HIDDEN_OUTPUT[this.graph.kind]} in "${tensor.location}", not in a GPU buffer.`);
    }
    const row = width - 1;
    const query = { buffer: tensor.gpuBuffer as GPUBuffer, byteOffset: row * this.hiddenSize * 4 };
    return { query, dropped: dropped[0], tokenizeMs, forwardMs: performance.now() - t1, release: () => tensor.dispose() };
  }

  /**
   * Language-space decoding with this model (the baseline of docs/RESULTS.md):
   * the generation graph on the same execution provider, reusing this
   * session when it is the generation graph. Made once, on first use.
   */
  createGenerator(catalog: readonly string[]): Promise<GenerativeRecommender<KvCache>> {
    // Another catalog (a memory built in the page with its own items): ground to it, same session.
    const sameCatalog = this.generatorCatalog?.length === catalog.length && this.generatorCatalog.every((t, i) => t === catalog[i]);
    if (!sameCatalog) {
      this.generator = undefined;
      this.generatorCatalog = [...catalog];
    }
    this.generator ??= (async () => {
      const session = await this.generationGraph();
      return new GenerativeRecommender(
        {
          model: onnxStepModel(session, this.source.ort.Tensor, this.shape),
          tokenize: (text) => this.tokenize(text),
          decode: (ids) => this.tokenizer.decode(ids, { skip_special_tokens: true }),
          template: this.template,
          maxPromptTokens: this.maxPromptTokens,
          eosTokenId: this.eosTokenId,
        },
        catalog,
      );
    })();
    // A failed attempt may be retried (e.g. once the network is back).
    this.generator.catch(() => (this.generator = undefined));
    return this.generator;
  }

  /**
   * h_t of one history, running only the prompt's tokens after the longest
   * common token prefix with a kept prompt (one per history: src/core/prefix-cache.ts).
   * The fused graph runs them itself with its key/value cache
   * (src/core/fused-prefix.ts) once a check shows its cache path right on this
   * adapter; otherwise (traced or generation graph in use, an older fused
   * export without cache inputs, or a failed check: `prefixFallbackReason`)
   * the generation graph does, with its cache read back to JavaScript.
   */
  async encodeReusingPrefix(titles: string[]): Promise<EncodeResult & PrefixRun & { graph: 'fused' | 'full'; prefixFallbackReason?: string }> {
    const check = this.graph.kind === 'fused' && this.graph.cache ? await this.checkFusedPrefix() : undefined;
    const useFused = check?.ok === true;
    const generation = useFused ? undefined : await this.generationGraph();
    const { ids, dropped, tokenizeMs, t1 } = this.fitForPrefix(titles);
    this.prefixCache ??= new PromptPrefixCache(kvCacheOps(this.shape.kvHeads, this.shape.headDim), this.prefixCacheOptions());
    const { hidden, plan } = await this.runWithCpuCache(this.prefixCache, ids, generation);
    return {
      hidden: [hidden],
      dropped: [dropped],
      tokenizeMs,
      forwardMs: performance.now() - t1,
      reusedTokens: plan.reused,
      ranTokens: plan.tokens.length,
      graph: useFused ? 'fused' : 'full',
      ...(check && !check.ok ? { prefixFallbackReason: check.reason } : {}),
    };
  }

  /** One call after what `cache` holds of `ids` (the fused graph, or `generation` when given); stores the new cache. */
  private async runWithCpuCache(cache: PromptPrefixCache, ids: number[], generation?: InferenceSession) {
    const plan = cache.plan(ids);
    try {
      const { hidden, cache: next } = generation
        ? await lastHiddenAfter(generation, this.source.ort.Tensor, this.shape, plan.tokens, plan.past)
        : await fusedLastHiddenAfter(this.session, this.source.ort.Tensor, this.shape, this.graph.cache!, plan.tokens, plan.past);
      cache.store(ids, next);
      return { hidden, plan };
    } catch (error) {
      // Never keep a cache that may not match what was run.
      cache.clear();
      throw error;
    }
  }

  /** Whether the graph in use reuses a prefix through its own cache (the fused graph, its cache path checked here): no other graph to fetch. */
  async ownPrefixCache(): Promise<boolean> {
    if (this.graph.kind !== 'fused' || !this.graph.cache) return false;
    return (await this.checkFusedPrefix()).ok;
  }

  /** Whether encodeReusingPrefixOnGpu can be used: ownPrefixCache() with the cache in GPU buffers. */
  async prefixOnGpu(): Promise<boolean> {
    return this.gpuCachePossible() && (await this.ownPrefixCache());
  }

  /** On the shared device, with cached rows of whole 4-byte words (buffer copies need them). */
  private gpuCachePossible(): boolean {
    return this.outputDevice !== undefined && (this.shape.headDim * (this.graph.cache === 'float16' ? 2 : 4)) % 4 === 0;
  }

  /**
   * encodeReusingPrefix through the fused graph with nothing read back: h_t
   * stays in onnxruntime-web's GPU buffer for the decoder (as encodeOnGpu)
   * and the cache in GPU buffers for the next call (src/encoder/gpu-kv-cache.ts).
   * Needs prefixOnGpu(); release() frees h_t's buffer.
   */
  async encodeReusingPrefixOnGpu(titles: string[]): Promise<GpuEncodeResult & PrefixRun> {
    if (!(await this.prefixOnGpu())) throw new L2DError('invalid-argument', 'encodeReusingPrefixOnGpu needs the fused encoder graph with its key/value cache on a shared WebGPU device (see prefixOnGpu()).');
    const { ids, dropped, tokenizeMs, t1 } = this.fitForPrefix(titles);
    this.gpuPrefixCache ??= this.newGpuPrefixCache();
    const { tensor, plan } = await this.runWithGpuCache(this.gpuPrefixCache, ids);
    const query = { buffer: tensor.gpuBuffer as GPUBuffer, byteOffset: 0 };
    return { query, dropped, tokenizeMs, forwardMs: performance.now() - t1, reusedTokens: plan.reused, ranTokens: plan.tokens.length, release: () => tensor.dispose() };
  }

  private newGpuPrefixCache(): PromptPrefixCache<GpuKvCache> {
    return new PromptPrefixCache(gpuKvCacheOps(this.source.ort.Tensor, this.outputDevice!, this.shape.kvHeads, this.shape.headDim, this.graph.cache!), this.prefixCacheOptions());
  }

  /** The template's instruction in tokens (the common start of two one-title prompts): prompts sharing only it are different histories. */
  private prefixCacheOptions() {
    const one = (title: string) => fitPrompt([title], (t) => this.tokenize(t), this.maxPromptTokens, this.template).ids;
    const [a, b] = [one('A'), one('Z')];
    let sharedPrefix = 0;
    while (sharedPrefix < a.length && a[sharedPrefix] === b[sharedPrefix]) sharedPrefix++;
    return { sharedPrefix };
  }

  /** One fused call after what `cache` holds of `ids`; stores the new cache. h_t comes back in a GPU buffer (the caller disposes it). */
  private async runWithGpuCache(cache: PromptPrefixCache<GpuKvCache>, ids: number[]) {
    const plan = cache.plan(ids);
    try {
      const run = fusedPrefixRun(this.source.ort.Tensor, this.shape, this.graph.cache!, plan.tokens, plan.past);
      const out = await this.session.run(run.feeds, run.fetches);
      const tensor = out.last_token_hidden_state;
      const presents = run.fetches.slice(1).map((name) => out[name]);
      if ([tensor, ...presents].some((t) => t.location !== 'gpu-buffer')) {
        [tensor, ...presents].forEach((t) => t.dispose());
        throw new L2DError('gpu-error', `onnxruntime-web returned the fused graph's outputs in "${tensor.location}", not in GPU buffers.`);
      }
      cache.store(ids, { length: run.total, tensors: presents });
      return { tensor, plan };
    } catch (error) {
      // Never keep a cache that may not match what was run.
      cache.clear();
      throw error;
    }
  }

  /** The prompt's ids, fitted to the context. */
  private fitForPrefix(titles: string[]) {
    const t0 = performance.now();
    const fitted = fitPrompt(titles, (t) => this.tokenize(t), this.maxPromptTokens, this.template);
    const t1 = performance.now();
    return { ids: fitted.ids, dropped: fitted.dropped, tokenizeMs: t1 - t0, t1 };
  }

  /**
   * The fused graph's cache path, once, through the same cache code requests
   * use (GPU buffers on the shared device, JavaScript arrays elsewhere): the
   * probe's first two thirds followed by other tokens, then the whole probe,
   * which must reuse the cut-down cache of the common part and give the
   * probe's reference hidden state (or, without one, the whole prompt's).
   * A kernel that mishandles the cache, or a cut that copies wrong on this
   * adapter, falls back to the generation graph instead of ranking with a wrong h_t.
   */
  private checkFusedPrefix(): Promise<{ ok: true } | { ok: false; reason: string }> {
    this.fusedPrefixCheck ??= (async () => {
      const ids = this.probe.input_ids;
      const cut = Math.max(1, Math.floor((ids.length * 2) / 3));
      // Diverges at `cut` (the probe's own first tokens again), as a grown history's template suffix does.
      const other = [...ids.slice(0, cut), ...ids.slice(0, Math.min(8, ids.length - cut))];
      const float = this.graph.cache!;
      try {
        const reference = this.probe.hidden.length > 0 ? this.probe.hidden : (await fusedLastHiddenAfter(this.session, this.source.ort.Tensor, this.shape, float, ids, undefined)).hidden;
        let hidden: Float32Array;
        if (this.gpuCachePossible()) {
          const cache = this.newGpuPrefixCache();
          try {
            (await this.runWithGpuCache(cache, other)).tensor.dispose();
            hidden = (await (await this.runWithGpuCache(cache, ids)).tensor.getData(true)) as Float32Array;
          } finally {
            cache.clear();
          }
        } else {
          const cache = new PromptPrefixCache(kvCacheOps(this.shape.kvHeads, this.shape.headDim));
          await this.runWithCpuCache(cache, other);
          hidden = (await this.runWithCpuCache(cache, ids)).hidden;
        }
        const similarity = cosine(hidden, reference);
        if (similarity >= PROBE_MIN_COSINE) return { ok: true as const };
        return { ok: false as const, reason: `the fused graph's key/value cache path differs from the reference here (cosine ${similarity.toFixed(4)} < ${PROBE_MIN_COSINE}); the generation graph reuses the prefix` };
      } catch (error) {
        return { ok: false as const, reason: `the fused graph's key/value cache path failed here (${(error as Error).message.split('\n')[0]}); the generation graph reuses the prefix` };
      }
    })();
    return this.fusedPrefixCheck;
  }

  /** The generation graph's session (this one when it is the generation graph), made once. */
  private generationGraph(): Promise<InferenceSession> {
    if (this.backend.graph === 'full') return Promise.resolve(this.session);
    this.generationSession ??= (async () => {
      const url = `${this.source.base}/${GENERATION_GRAPHS[this.backend.dtype]}`;
      const response = await this.source.fetch(url).catch((error: Error) => {
        throw new NetworkUnavailableError(`${url} could not be fetched (${error.message}) and no cached copy is stored on this device.`);
      });
      if (!response.ok) throw new L2DError('invalid-argument', `${url}: HTTP ${response.status}; this needs the model's generation graph.`);
      return this.source.ort.InferenceSession.create(new Uint8Array(await response.arrayBuffer()), { executionProviders: [this.source.executionProvider], logSeverityLevel: 3 });
    })();
    this.generationSession.catch(() => (this.generationSession = undefined));
    return this.generationSession;
  }

  async release(): Promise<void> {
    // The GPU cache's presents belong to onnxruntime-web's buffer manager: give them back before the session goes.
    this.gpuPrefixCache?.clear();
    this.prefixCache?.clear();
    await this.session.release();
    const generation = await this.generationSession?.catch(() => undefined);
    await generation?.release();
  }
}
