/**
 * Which onnxruntime-web build the encoder runs in, loaded on first use.
 * The WebGPU build's wasm (asyncify, 26.8 MB; 6.7 MB gzipped) carries the
 * WebGPU execution provider; the wasm-only build's (14.2 MB; 3.7 MB gzipped)
 * runs the wasm execution provider as fast (bench/README.md, "onnxruntime-web
 * builds"). An encoder decided on wasm before it starts (no WebGPU adapter, a
 * software one under 'auto', or device 'wasm') loads the smaller one, so a
 * visitor without a GPU downloads half as much. Both builds share
 * onnxruntime-common's API (types.d.ts), so the code using them is the same.
 */
import type * as OrtModule from 'onnxruntime-web/webgpu';

export type Ort = typeof OrtModule;
/** The import specifier's suffix: 'onnxruntime-web/webgpu' or 'onnxruntime-web/wasm'. */
export type OrtBuild = 'webgpu' | 'wasm';

/** The wasm binary each build fetches from env.wasm.wasmPaths (its glue is the same name with .mjs). */
export const ORT_WASM_FILES: Record<OrtBuild, string> = {
  webgpu: 'ort-wasm-simd-threaded.asyncify.wasm',
  wasm: 'ort-wasm-simd-threaded.wasm',
};

/** The build for an encoder whose execution providers are `providers` (WebGPU anywhere in them needs the WebGPU build). */
export function ortBuildFor(providers: readonly ('webgpu' | 'wasm')[]): OrtBuild {
  return providers.includes('webgpu') ? 'webgpu' : 'wasm';
}

/** The build's module; each is imported once per realm (its wasm is fetched when its first session is made). */
export function ortRuntime(build: OrtBuild): Promise<Ort> {
  return build === 'webgpu' ? import('onnxruntime-web/webgpu') : (import('onnxruntime-web/wasm') as Promise<Ort>);
}
