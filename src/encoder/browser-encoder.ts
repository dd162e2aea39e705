/**
 * The L2D encoder in a page or worker: the model folder's tokenizer
 * (@huggingface/transformers, local files only: never a model hub), its
 * prompt template, and its ONNX file in onnxruntime-web — WebGPU (q4, or
 * q4f16 only where the adapter has shader-f16) with a wasm fallback.
 * encode(histories of titles) -> h_t, the final-norm hidden state of each
 * prompt's last token.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { lastTokenRows, modelShape, onnxFeeds, type ModelShape } from '../core/encoder-feeds.ts';
import { InvalidArgumentError, L2DError, NetworkUnavailableError } from '../core/errors.ts';
import { fitPrompt } from '../core/fit-prompt.ts';
import { parsePromptTemplate, type PromptTemplate } from '../core/prompt.ts';
import { sha256Hex } from '../core/shard-format.ts';
import { createTokenizer, tokenIds, type Tokenizer } from './tokenizer.ts';
import { GenerativeRecommender } from '../core/generative-recommender.ts';
import { lastHiddenAfter, onnxStepModel, type KvCache } from '../core/onnx-step-model.ts';
import { PromptPrefixCache } from '../core/prefix-cache.ts';
import { isSoftwareAdapter, type GpuQuery } from '../gpu/index.ts';

export type EncoderDevice = 'webgpu' | 'wasm' | 'auto';
export type EncoderDtype = 'q4' | 'q4f16' | 'fp32';

export interface BrowserEncoderOptions {
  /** URL of the model folder (config.json, tokenizer.json, onnx/...). */
  modelUrl: string;
  device?: EncoderDevice;
  dtype?: EncoderDtype;
  /** URL of the folder serving onnxruntime-web's .wasm files. */
  wasmPaths?: string;
  /**
   * Run onnxruntime-web's WebGPU execution provider on this device (the decode
   * engine's), so h_t can stay on the GPU (encodeOnGpu).
   */
  gpuDevice?: GPUDevice;
  /**
   * 'auto' (default): the L2D encoder graph (onnx/encoder_<dtype>.onnx: no LM
   * head, only the last token's hidden state) where onnx/encoder.json lists
   * it, else the generation graph; 'encoder' or 'full' to choose.
   */
  graph?: 'auto' | 'encoder' | 'full';
  /** Fetches the model's files (default: fetch); the worker passes a cache-backed one for offline visits. */
  fetch?: (url: string) => Promise<Response>;
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

const FILES: Record<EncoderDtype, string> = { fp32: 'onnx/model.onnx', q4: 'onnx/model_q4.onnx', q4f16: 'onnx/model_q4f16.onnx' };
const ENCODER_FILES: Record<EncoderDtype, string> = { fp32: 'encoder.onnx', q4: 'encoder_q4.onnx', q4f16: 'encoder_q4f16.onnx' };
const OUTPUTS = { encoder: 'last_token_hidden_state', full: 'last_hidden_state' } as const;

interface EncoderGraphEntry {
  sha256: string;
  memoriesOf: string;
  memoriesOfSha256: string;
}

/** The encoder graph for a dtype from onnx/encoder.json (written by tools/export/export.py), if the folder has one. */
async function encoderGraph(base: string, dtype: EncoderDtype, fetchFn: (url: string) => Promise<Response>): Promise<EncoderGraphEntry | undefined> {
  const response = await fetchFn(`${base}/onnx/encoder.json`).catch(() => undefined);
  if (!response?.ok) return undefined;
  const manifest = (await response.json().catch(() => undefined)) as { graphs?: Record<string, EncoderGraphEntry> } | undefined;
  return manifest?.graphs?.[ENCODER_FILES[dtype]];
}

async function fetchJson(url: string, fetchFn: (url: string) => Promise<Response>): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new NetworkUnavailableError(`${url} could not be fetched (${(error as Error).message}) and no cached copy is stored on this device.`);
  }
  if (!response.ok) throw new L2DError('invalid-argument', `${url}: HTTP ${response.status}; is the model URL right?`);
  return (await response.json()) as Record<string, unknown>;
}

export class BrowserEncoder {
  private generator: Promise<GenerativeRecommender<KvCache>> | undefined;
  private generatorCatalog: string[] | undefined;
  private generationSession: Promise<ort.InferenceSession> | undefined;
  private prefixCache: PromptPrefixCache | undefined;

  private constructor(
    /** The model folder's name, from its URL. */
    readonly id: string,
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly template: PromptTemplate,
    private readonly shape: ModelShape,
    readonly hiddenSize: number,
    readonly maxPromptTokens: number,
    private readonly eosTokenId: number,
    /** How the session was made, to make the generation graph's the same way (createGenerator). */
    private readonly source: { base: string; fetch: (url: string) => Promise<Response>; executionProvider: ort.InferenceSession.ExecutionProviderConfig },
    /** The execution provider and dtype actually in use. */
    readonly backend: {
      device: 'webgpu' | 'wasm';
      dtype: EncoderDtype;
      file: string;
      graph: 'encoder' | 'full';
      /** The generation graph whose memories this encoder reads (the file itself for graph 'full'). */
      memoryFile: string;
      fallbackReason?: string;
    },
    /** SHA-256 of the ONNX file: a memory shard must have been built with the same file. */
    readonly sha256: string,
    /** The GPUDevice h_t lives on when encodeOnGpu can be used (WebGPU on the device given as gpuDevice). */
    readonly outputDevice: GPUDevice | undefined,
  ) {}

  static async create(options: BrowserEncoderOptions): Promise<BrowserEncoder> {
    const base = options.modelUrl.replace(/\/$/, '');
    const fetchFn = options.fetch ?? ((url: string) => fetch(url));
    const config = await fetchJson(`${base}/config.json`, fetchFn);
    const template = parsePromptTemplate(await fetchJson(`${base}/prompt-template.json`, fetchFn), `${base}/prompt-template.json`);
    const tokenizerConfig = await fetchJson(`${base}/tokenizer_config.json`, fetchFn);
    const tokenizer = createTokenizer(await fetchJson(`${base}/tokenizer.json`, fetchFn), tokenizerConfig);
    if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
    ort.env.wasm.numThreads = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1;
    ort.env.logLevel = 'error';

    const want = options.device ?? 'auto';
    const gpu = typeof navigator !== 'undefined' && 'gpu' in navigator ? await navigator.gpu.requestAdapter() : null;
    let fallbackReason: string | undefined;
    if (want === 'webgpu' && !gpu) throw new L2DError('webgpu-unavailable', 'WebGPU is unavailable: no adapter. Use device "wasm" or "auto".');
    if (want === 'auto' && !gpu) fallbackReason = 'no WebGPU adapter';
    // A software adapter (SwiftShader) runs this encoder ~25x slower than wasm (bench/README.md): 'auto' skips it.
    const software = isSoftwareAdapter(gpu);
    if (want === 'auto' && software) fallbackReason = 'the WebGPU adapter is a software fallback; wasm is faster';
    const device: 'webgpu' | 'wasm' = want === 'wasm' || !gpu || (want === 'auto' && software) ? 'wasm' : 'webgpu';
    let dtype: EncoderDtype = options.dtype ?? 'q4';
    if (dtype === 'q4f16' && !(device === 'webgpu' && gpu?.features.has('shader-f16'))) {
      // float16 activations need shader-f16 (../shared/webgpu/README.md): use the float32-activation file.
      fallbackReason = 'q4f16 needs WebGPU with shader-f16; using q4';
      dtype = 'q4';
    }
    const wantGraph = options.graph ?? 'auto';
    const entry = wantGraph === 'full' ? undefined : await encoderGraph(base, dtype, fetchFn);
    if (wantGraph === 'encoder' && !entry) throw new InvalidArgumentError(`${base}/onnx/encoder.json lists no ${dtype} encoder graph; export it (tools/export/export.py --encoder-only) or use graph 'full'.`);
    const graph: 'encoder' | 'full' = entry ? 'encoder' : 'full';
    const file = entry ? `onnx/${ENCODER_FILES[dtype]}` : FILES[dtype];
    const response = await fetchFn(`${base}/${file}`).catch((error: Error) => {
      throw new NetworkUnavailableError(`${base}/${file} could not be fetched (${error.message}) and no cached copy is stored on this device.`);
    });
    if (!response.ok) throw new L2DError('invalid-argument', `${base}/${file}: HTTP ${response.status}; the model folder has no ${dtype} file.`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const fileSha256 = await sha256Hex(bytes);
    if (entry && fileSha256 !== entry.sha256) throw new InvalidArgumentError(`${base}/${file} is not the file onnx/encoder.json describes (SHA-256 ${fileSha256.slice(0, 12)}…, expected ${entry.sha256.slice(0, 12)}…): export the encoder again.`);
    // A memory is bound to the generation graph it was built with; the encoder graph reads the same memories.
    const sha256 = entry ? entry.memoriesOfSha256 : fileSha256;
    let session: ort.InferenceSession;
    let used = device;
    let outputDevice: GPUDevice | undefined;
    // onnxruntime-web 1.30's WebGPU EP takes the device per session: h_t then lives on the decoder's device.
    const shared = device === 'webgpu' && options.gpuDevice !== undefined;
    let executionProvider: ort.InferenceSession.ExecutionProviderConfig = shared ? ({ name: 'webgpu', device: options.gpuDevice } as ort.InferenceSession.ExecutionProviderConfig) : device;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: [executionProvider],
        logSeverityLevel: 3,
        ...(shared ? { preferredOutputLocation: { [OUTPUTS[graph]]: 'gpu-buffer' } } : {}),
      });
      if (shared) outputDevice = options.gpuDevice;
    } catch (error) {
      if (device !== 'webgpu' || want === 'webgpu') throw new L2DError('invalid-argument', `Could not load ${base}/${file}: ${(error as Error).message}`);
      fallbackReason = `WebGPU session failed (${(error as Error).message}); using wasm`;
      used = 'wasm';
      executionProvider = 'wasm';
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 });
      } catch (wasmError) {
        throw new L2DError('invalid-argument', `Could not load ${base}/${file}: ${fallbackReason}, and wasm failed too (${(wasmError as Error).message}).`);
      }
    }
    const maxPromptTokens = Math.min(Number(tokenizerConfig.model_max_length ?? Infinity), Number(config.max_position_embeddings ?? Infinity));
    const id = base.split('/').filter(Boolean).pop() ?? base;
    const source = { base, fetch: fetchFn, executionProvider };
    return new BrowserEncoder(id, session, tokenizer, template, modelShape(config), Number(config.hidden_size), maxPromptTokens, Number(config.eos_token_id), source, {
      device: used,
      dtype,
      file,
      graph,
      memoryFile: entry ? `onnx/${entry.memoriesOf}` : file,
      ...(fallbackReason ? { fallbackReason } : {}),
    }, sha256, outputDevice);
  }

  tokenize(text: string): number[] {
    return tokenIds(this.tokenizer, text);
  }

  async encode(histories: string[][]): Promise<EncodeResult> {
    if (histories.length === 0) throw new InvalidArgumentError('No history was given.');
    const { tensor, width, dropped, tokenizeMs, t1 } = await this.forward(histories);
    // getData(true) also frees the GPU buffer when the output was kept on the GPU.
    const data = (await tensor.getData(true)) as Float32Array;
    // The encoder graph already gives one row per history.
    const hidden = lastTokenRows(data, histories.length, this.backend.graph === 'encoder' ? 1 : width, this.hiddenSize);
    return { hidden, dropped, tokenizeMs, forwardMs: performance.now() - t1 };
  }

  /** Tokenize (fitting each prompt to the context) and run the graph: last_hidden_state of the left-padded batch. */
  private async forward(histories: string[][]): Promise<{ tensor: ort.Tensor; width: number; dropped: number[]; tokenizeMs: number; t1: number }> {
    const t0 = performance.now();
    const fitted = histories.map((titles) => fitPrompt(titles, (t) => this.tokenize(t), this.maxPromptTokens, this.template));
    const t1 = performance.now();
    const output = OUTPUTS[this.backend.graph];
    const { feeds, width } = onnxFeeds(ort.Tensor, fitted.map((x) => x.ids), this.shape, this.backend.graph === 'full');
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
    // One row, no padding: the last token is row width - 1.
    if (tensor.location !== 'gpu-buffer') {
      tensor.dispose();
      throw new L2DError('gpu-error', `onnxruntime-web returned ${OUTPUTS[this.backend.graph]} in "${tensor.location}", not in a GPU buffer.`);
    }
    const row = this.backend.graph === 'encoder' ? 0 : width - 1;
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
          model: onnxStepModel(session, ort.Tensor, this.shape),
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
   * common token prefix with the previous call's prompt (src/core/prefix-cache.ts):
   * the generation graph with its key/value cache, read back to JavaScript.
   */
  async encodeReusingPrefix(titles: string[]): Promise<EncodeResult & { reusedTokens: number; ranTokens: number }> {
    const session = await this.generationGraph();
    const t0 = performance.now();
    const fitted = fitPrompt(titles, (t) => this.tokenize(t), this.maxPromptTokens, this.template);
    const t1 = performance.now();
    this.prefixCache ??= new PromptPrefixCache(this.shape.kvHeads, this.shape.headDim);
    const plan = this.prefixCache.plan(fitted.ids);
    try {
      const { hidden, cache } = await lastHiddenAfter(session, ort.Tensor, this.shape, plan.tokens, plan.past);
      this.prefixCache.store(fitted.ids, cache);
      return { hidden: [hidden], dropped: [fitted.dropped], tokenizeMs: t1 - t0, forwardMs: performance.now() - t1, reusedTokens: plan.reused, ranTokens: plan.tokens.length };
    } catch (error) {
      // Never keep a cache that may not match what was run.
      this.prefixCache.clear();
      throw error;
    }
  }

  /** The generation graph's session (this one when it is the generation graph), made once. */
  private generationGraph(): Promise<ort.InferenceSession> {
    if (this.backend.graph === 'full') return Promise.resolve(this.session);
    this.generationSession ??= (async () => {
      const url = `${this.source.base}/${FILES[this.backend.dtype]}`;
      const response = await this.source.fetch(url).catch((error: Error) => {
        throw new NetworkUnavailableError(`${url} could not be fetched (${error.message}) and no cached copy is stored on this device.`);
      });
      if (!response.ok) throw new L2DError('invalid-argument', `${url}: HTTP ${response.status}; this needs the model's generation graph.`);
      return ort.InferenceSession.create(new Uint8Array(await response.arrayBuffer()), { executionProviders: [this.source.executionProvider], logSeverityLevel: 3 });
    })();
    this.generationSession.catch(() => (this.generationSession = undefined));
    return this.generationSession;
  }

  async release(): Promise<void> {
    await this.session.release();
    const generation = await this.generationSession?.catch(() => undefined);
    await generation?.release();
    this.prefixCache?.clear();
  }
}
