/**
 * What the embed's and the library's builds (vite.embed.config.ts, vite.lib.config.ts) share: the recommender's worker
 * as one file, l2d-worker.js (the memory worker inlined), with onnxruntime-web imported as its "extern wasm" build,
 * which loads its glue (.mjs) and wasm at run time from env.wasm.wasmPaths or from beside its own script instead of a
 * bundled asset (a Blob worker would inline one: 70 MB). Its two builds' files are copied beside the bundle; a page
 * fetches only the one its encoder runs in (src/encoder/ort-runtime.ts). The JSPI build is not shipped: its
 * JavaScript would weigh on every visitor's worker (src/embed/no-jspi-runtime.ts says so for runtime 'jspi').
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';
import { inlineWorkerBlobOnly } from './inline-worker-blob-only.ts';

const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

/** The worker bundle: one file under a fixed name (a Blob has no folder to load chunks from). */
export const SHIPPED_WORKER: UserConfig['worker'] = {
  format: 'es',
  plugins: () => [inlineWorkerBlobOnly()],
  rolldownOptions: { output: { codeSplitting: false, entryFileNames: 'l2d-worker.js' } },
};

/** onnxruntime-web resolved as its extern wasm build. */
export const EXTERN_ORT_CONDITIONS = ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'production'];

/** `onnxruntime-web/jspi` replaced by a module that refuses runtime 'jspi' with a message. */
export const NO_JSPI_ALIAS = { find: /^onnxruntime-web\/jspi$/, replacement: fileURLToPath(new URL('../../src/embed/no-jspi-runtime.ts', import.meta.url)) };

/** Copies onnxruntime-web's two builds' files beside the bundle. */
export function ortWasmFiles(): Plugin {
  return {
    name: 'l2d-ort-wasm',
    generateBundle() {
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: file, source: readFileSync(`node_modules/onnxruntime-web/dist/${file}`) });
    },
  };
}
