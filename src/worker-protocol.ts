/** The recommender worker's API, shared by the worker (workers/l2d.worker.ts) and its callers. Comlink carries it. */
import type { Strategy } from './core/decode-options.ts';
import type { DecoderBackend } from './decode-engine.ts';
import type { EncoderDevice, EncoderDtype } from './encoder/browser-encoder.ts';

export interface LoadOptions {
  /** Model folder URL (config.json, tokenizer.json, onnx/...). */
  modelUrl: string;
  /** Memory shard folder URL (manifest.json, chunks, items.tsv); built with the same model file. */
  memoryUrl: string;
  /** Encoder device: 'auto' (default) = WebGPU, else wasm. */
  device?: EncoderDevice;
  dtype?: EncoderDtype;
  /** Decoder: 'auto' (default) = WebGPU, else the CPU reference. */
  decoder?: 'auto' | 'webgpu' | 'cpu';
  /** URL of the folder serving onnxruntime-web's .wasm files. */
  wasmPaths?: string;
}

export interface LoadProgress {
  stage: 'model' | 'memory' | 'decoder';
  loaded: number;
  total: number;
}

export interface LoadStatus {
  encoder: { device: 'webgpu' | 'wasm'; dtype: EncoderDtype; file: string; fallbackReason?: string };
  decoder: DecoderBackend;
  rows: number;
  items: number;
  hiddenSize: number;
  loadMs: number;
}

export interface RecommendRequest {
  /** Item ids of the user's history, oldest first. */
  history: number[];
  k: number;
  strategy?: Strategy;
  m?: number;
  /** Items never to return. */
  exclude?: number[];
  /** Also exclude the history's own items (default false, as in the paper's protocol). */
  excludeHistory?: boolean;
  /** Return h_t too (research, tests). */
  returnHidden?: boolean;
}

export interface RecommendedItem {
  id: number;
  title: string;
  distance: number;
  score: number;
  source: 'local' | 'global';
}

export interface RecommendResult {
  items: RecommendedItem[];
  timings: { tokenize: number; forward: number; decode: number; total: number };
  backend: { encoder: string; decoder: string };
  /** History items dropped because they are not in the catalog. */
  unknownItems: number[];
  /** Oldest history items dropped to fit the model's context. */
  droppedOldest: number;
  hidden?: Float32Array;
}

export interface WorkerApi {
  load(options: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<LoadStatus>;
  recommend(request: RecommendRequest): Promise<RecommendResult>;
  dispose(): Promise<void>;
}
