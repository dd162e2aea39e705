/**
 * The public API of the L2D recommender. Everything a page, worker or tool
 * may use is exported here and only here.
 */
export { DecodeEngine, type DecodeEngineOptions, type DecoderBackend } from './decode-engine.ts';
export { CpuDecoder } from './core/cpu-decoder.ts';
export { createMemory, rowStride, type L2DMemory, type MemoryInput } from './core/memory.ts';
export {
  DEFAULT_LOCAL_M,
  DEFAULT_STRATEGY,
  MAX_SELECTION,
  type DecodeOptions,
  type DecodedItem,
  type Strategy,
} from './core/decode-options.ts';
export * from './core/errors.ts';
export { GpuDecoder, requestDecoderDevice, adapterLabel, type AdapterDescription, type GpuDecoderOptions } from './gpu/index.ts';
export { MAX_BEAMS } from './core/generative-recommender.ts';
export { generateSyntheticMemory, syntheticQuery } from './core/synthetic-memory.ts';
export { createRecommender, type Recommender, type RecommenderOptions } from './recommender.ts';
export { VERSION } from './version.ts';
export { storedData, deleteStoredData, type StoredData, type DeleteStoredDataRequest, type DeletedData } from './store/stored-data.ts';
export type {
  BuildMemoryRequest,
  BuiltMemory,
  GenerateRequest,
  GenerateResult,
  InteractionEvent,
  ListRequest,
  LoadProgress,
  LoadStatus,
  MemoryRevalidation,
  OverlayStatus,
  RecommendRequest,
  RecommendResult,
  RecommendedItem,
} from './worker-protocol.ts';
export type { ColdStartRule } from './core/cold-start.ts';
export type { OverlayReencoded } from './store/reencoded-overlay.ts';
export type { EncoderBackend, EncoderDevice, EncoderDtype, EncoderGraph } from './encoder/browser-encoder.ts';
export type { OrtBuild, OrtFileName, OrtRuntimeChoice, WasmPaths } from './encoder/ort-runtime.ts';
