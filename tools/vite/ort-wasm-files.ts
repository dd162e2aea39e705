/**
 * onnxruntime-web's two builds, glue (.mjs) and wasm, copied beside a bundle that imports onnxruntime-web as its
 * "extern wasm" build (resolve condition onnxruntime-web-use-extern-wasm): it loads them from env.wasm.wasmPaths, or
 * from beside its own script, at run time, instead of a bundled asset. A page fetches only the build its encoder runs in
 * (src/encoder/ort-runtime.ts). For the embed's and the library's builds.
 */
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

export function ortWasmFiles(): Plugin {
  return {
    name: 'l2d-ort-wasm',
    generateBundle() {
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: file, source: readFileSync(`node_modules/onnxruntime-web/dist/${file}`) });
    },
  };
}
