/**
 * Which onnxruntime-web build the encoder runs in, loaded on first use.
 * The WebGPU build's wasm (asyncify, 26.8 MB; 6.7 MB gzipped) carries the
 * WebGPU execution provider; the wasm-only build's (14.2 MB; 3.7 MB gzipped)
 * ran the wasm execution provider faster in every run and starts ~1.7x sooner
 * (bench/README.md, "onnxruntime-web builds on wasm"). An encoder decided on
 * wasm before it starts (no WebGPU adapter, a software one under 'auto', or
 * device 'wasm') loads the smaller one, so a visitor without a GPU downloads
 * half as much. All builds share onnxruntime-common's API (types.d.ts), so
 * the code using them is the same.
 */
import type * as OrtModule from 'onnxruntime-web/webgpu';

export type Ort = typeof OrtModule;
/**
 * The import specifier's suffix: 'onnxruntime-web/webgpu' (asyncify), 'onnxruntime-web/wasm', or
 * 'onnxruntime-web/jspi': the WebGPU execution provider built on JavaScript Promise Integration instead of
 * asyncify, a 16.8 MB binary (4.1 MB gzipped), for browsers with JSPI (Chromium 137+). Opt-in (`runtime:
 * 'jspi'`) until measured on a real GPU: the recorded GPU figures are the asyncify build's.
 */
export type OrtBuild = 'webgpu' | 'wasm' | 'jspi';
/** Which WebGPU build an encoder asks for: 'auto' (asyncify, the measured one) or 'jspi' (where the browser has JSPI). */
export type OrtRuntimeChoice = 'auto' | 'jspi';

/** The wasm binary each build fetches from env.wasm.wasmPaths (its glue is the same name with .mjs). */
export const ORT_WASM_FILES: Record<OrtBuild, string> = {
  webgpu: 'ort-wasm-simd-threaded.asyncify.wasm',
  wasm: 'ort-wasm-simd-threaded.wasm',
  jspi: 'ort-wasm-simd-threaded.jspi.wasm',
};

/** Every file of the three builds: each build's glue (.mjs) and its wasm binary. */
export const ORT_FILE_NAMES = [
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.jspi.mjs',
  'ort-wasm-simd-threaded.jspi.wasm',
] as const;
export type OrtFileName = (typeof ORT_FILE_NAMES)[number];

/**
 * Where onnxruntime-web's files are: the URL of the folder that holds them under their own names, or each file's own
 * URL by its name (as an app's bundler renames them: the built library passes so). A build whose two files are not
 * both named loads them from beside its script.
 */
export type WasmPaths = string | Partial<Record<OrtFileName, string>>;

/**
 * What env.wasm.wasmPaths is set to for `build`: the folder (with its closing slash: onnxruntime-web appends the file
 * name to it), or that build's two files' URLs.
 */
export function ortWasmPaths(wasmPaths: WasmPaths | undefined, build: OrtBuild): string | { mjs: string; wasm: string } | undefined {
  if (typeof wasmPaths !== 'object') return wasmPaths ? wasmPaths.replace(/\/?$/, '/') : undefined;
  const wasm = ORT_WASM_FILES[build];
  const files = { mjs: wasmPaths[wasm.replace(/\.wasm$/, '.mjs') as OrtFileName], wasm: wasmPaths[wasm as OrtFileName] };
  return files.mjs && files.wasm ? { mjs: files.mjs, wasm: files.wasm } : undefined;
}

/** What to serve where, for a build whose files could not be loaded from `wasmPaths`. */
export function whereOrtFilesGo(build: OrtBuild, wasmPaths: WasmPaths | undefined): string {
  const wasm = ORT_WASM_FILES[build];
  const glue = wasm.replace(/\.wasm$/, '.mjs');
  const paths = ortWasmPaths(wasmPaths, build);
  const where =
    typeof paths === 'object' ? `at ${paths.mjs} and ${paths.wasm}` : paths ? `in ${paths}` : 'beside the script that loads them';
  return `Serve its files ${glue} and ${wasm} ${where}: the embed's build (npm run build:embed) and the library's (npm run build:lib) write both builds' files beside their scripts.`;
}

/** Whether this realm's WebAssembly has JavaScript Promise Integration, which the jspi build needs. */
export function hasJspi(): boolean {
  return typeof (WebAssembly as unknown as { Suspending?: unknown }).Suspending === 'function';
}

/**
 * The build for an encoder whose execution providers are `providers`: WebGPU anywhere in them needs a WebGPU
 * build (the jspi one where asked for and the browser has JSPI: else `fallback` says why), wasm alone the
 * wasm-only build.
 */
export function ortBuildFor(providers: readonly ('webgpu' | 'wasm')[], choice: OrtRuntimeChoice = 'auto', jspi = hasJspi()): { build: OrtBuild; fallback?: string } {
  if (!providers.includes('webgpu')) return { build: 'wasm' };
  if (choice !== 'jspi') return { build: 'webgpu' };
  return jspi ? { build: 'jspi' } : { build: 'webgpu', fallback: "runtime 'jspi' needs JavaScript Promise Integration, which this browser lacks; the asyncify WebGPU build runs" };
}

/** The build's module; each is imported once per realm (its wasm is fetched when its first session is made). */
export function ortRuntime(build: OrtBuild): Promise<Ort> {
  if (build === 'webgpu') return import('onnxruntime-web/webgpu');
  return (build === 'jspi' ? import('onnxruntime-web/jspi') : import('onnxruntime-web/wasm')) as Promise<Ort>;
}

/**
 * Sets what a build's wasm reads when it starts (its first session): where its files are, and its threads (as many as
 * the cores allow up to 4 where the page is cross-origin isolated, else 1). A later load in this realm keeps the
 * first count.
 */
export function configureOrt(ort: Ort, build: OrtBuild, wasmPaths: WasmPaths | undefined): void {
  const paths = ortWasmPaths(wasmPaths, build);
  if (paths) ort.env.wasm.wasmPaths = paths;
  ort.env.wasm.numThreads = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1;
  ort.env.logLevel = 'error';
}

/**
 * The smallest ONNX model: y = Identity(x), x and y float[1]; opset 13, IR version 8 (made with onnx.helper, checked
 * by onnx.checker; ort-runtime.test.ts runs it in onnxruntime-node).
 */
export const IDENTITY_MODEL: readonly number[] = [
  8, 8, 18, 3, 108, 50, 100, 58, 64, 10, 16, 10, 1, 120, 18, 1, 121, 34, 8, 73, 100, 101, 110, 116, 105, 116, 121, 18, 10, 119, 97, 114, 109, 95, 115, 116, 97, 114, 116, 90, 15, 10, 1, 120, 18,
  10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 98, 15, 10, 1, 121, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 66, 4, 10, 0, 16, 13,
];

const wasmStarts = new Map<OrtBuild, Promise<void>>();

/**
 * Starts a build's wasm (its binary fetched and compiled, the runtime set up) through a session of IDENTITY_MODEL on
 * the wasm execution provider, so that download runs beside the model's instead of after it. Once per build and
 * realm, after configureOrt. Never rejects: a failure comes again, in onnxruntime-web's words, from the first real
 * session. That session must wait for this: onnxruntime-web refuses to start its wasm while a start runs.
 */
export function startOrtWasm(build: OrtBuild, ort: Ort): Promise<void> {
  let started = wasmStarts.get(build);
  if (!started) {
    started = ort.InferenceSession.create(Uint8Array.from(IDENTITY_MODEL), { executionProviders: ['wasm'], logSeverityLevel: 3 }).then(
      (session) => session.release(),
      () => undefined,
    );
    wasmStarts.set(build, started);
  }
  return started;
}
