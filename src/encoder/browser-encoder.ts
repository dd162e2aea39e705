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
import { InvalidArgumentError, L2DError } from '../core/errors.ts';
import { fitPrompt } from '../core/fit-prompt.ts';
import { parsePromptTemplate, type PromptTemplate } from '../core/prompt.ts';
import { sha256Hex } from '../core/shard-format.ts';
import { createTokenizer, tokenIds, type Tokenizer } from './tokenizer.ts';
import { isSoftwareAdapter } from '../gpu/device.ts';

export type EncoderDevice = 'webgpu' | 'wasm' | 'auto';
export type EncoderDtype = 'q4' | 'q4f16' | 'fp32';

export interface BrowserEncoderOptions {
  /** URL of the model folder (config.json, tokenizer.json, onnx/...). */
  modelUrl: string;
  device?: EncoderDevice;
  dtype?: EncoderDtype;
  /** URL of the folder serving onnxruntime-web's .wasm files. */
  wasmPaths?: string;
}

export interface EncodeResult {
  hidden: Float32Array[];
  /** Oldest titles dropped from each history to fit the context. */
  dropped: number[];
  tokenizeMs: number;
  forwardMs: number;
}

const FILES: Record<EncoderDtype, string> = { fp32: 'onnx/model.onnx', q4: 'onnx/model_q4.onnx', q4f16: 'onnx/model_q4f16.onnx' };

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  if (!response.ok) throw new L2DError('invalid-argument', `${url}: HTTP ${response.status}; is the model URL right?`);
  return (await response.json()) as Record<string, unknown>;
}

export class BrowserEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly template: PromptTemplate,
    private readonly shape: ModelShape,
    readonly hiddenSize: number,
    readonly maxPromptTokens: number,
    /** The execution provider and dtype actually in use. */
    readonly backend: { device: 'webgpu' | 'wasm'; dtype: EncoderDtype; file: string; fallbackReason?: string },
    /** SHA-256 of the ONNX file: a memory shard must have been built with the same file. */
    readonly sha256: string,
  ) {}

  static async create(options: BrowserEncoderOptions): Promise<BrowserEncoder> {
    const base = options.modelUrl.replace(/\/$/, '');
    const config = await fetchJson(`${base}/config.json`);
    const template = parsePromptTemplate(await fetchJson(`${base}/prompt-template.json`), `${base}/prompt-template.json`);
    const tokenizerConfig = await fetchJson(`${base}/tokenizer_config.json`);
    const tokenizer = createTokenizer(await fetchJson(`${base}/tokenizer.json`), tokenizerConfig);
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
    const file = FILES[dtype];
    const response = await fetch(`${base}/${file}`);
    if (!response.ok) throw new L2DError('invalid-argument', `${base}/${file}: HTTP ${response.status}; the model folder has no ${dtype} file.`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    let session: ort.InferenceSession;
    let used = device;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: [device], logSeverityLevel: 3 });
    } catch (error) {
      if (device !== 'webgpu' || want === 'webgpu') throw new L2DError('invalid-argument', `Could not load ${base}/${file}: ${(error as Error).message}`);
      fallbackReason = `WebGPU session failed (${(error as Error).message}); using wasm`;
      used = 'wasm';
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 });
      } catch (wasmError) {
        throw new L2DError('invalid-argument', `Could not load ${base}/${file}: ${fallbackReason}, and wasm failed too (${(wasmError as Error).message}).`);
      }
    }
    const maxPromptTokens = Math.min(Number(tokenizerConfig.model_max_length ?? Infinity), Number(config.max_position_embeddings ?? Infinity));
    return new BrowserEncoder(session, tokenizer, template, modelShape(config), Number(config.hidden_size), maxPromptTokens, {
      device: used,
      dtype,
      file,
      ...(fallbackReason ? { fallbackReason } : {}),
    }, sha256);
  }

  tokenize(text: string): number[] {
    return tokenIds(this.tokenizer, text);
  }

  async encode(histories: string[][]): Promise<EncodeResult> {
    if (histories.length === 0) throw new InvalidArgumentError('No history was given.');
    const t0 = performance.now();
    const fitted = histories.map((titles) => fitPrompt(titles, (t) => this.tokenize(t), this.maxPromptTokens, this.template));
    const t1 = performance.now();
    const { feeds, width } = onnxFeeds(ort.Tensor, fitted.map((x) => x.ids), this.shape);
    const out = await this.session.run(feeds, ['last_hidden_state']);
    const data = (await out.last_hidden_state.getData()) as Float32Array;
    const hidden = lastTokenRows(data, fitted.length, width, this.hiddenSize);
    return { hidden, dropped: fitted.map((x) => x.dropped), tokenizeMs: t1 - t0, forwardMs: performance.now() - t1 };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
