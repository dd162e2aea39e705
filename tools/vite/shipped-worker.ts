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
import { ORT_FILES_MARKER } from '../../src/ort-files-beside-bundle.ts';
import { ORT_FILE_NAMES } from '../../src/encoder/ort-runtime.ts';

/** The asyncify and wasm-only builds' files (not the JSPI build's: NO_JSPI_ALIAS). */
const ORT_FILES = ORT_FILE_NAMES.filter((file) => !file.includes('.jspi.'));

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

/**
 * The library's bundle names the onnxruntime-web files copied beside it, each as `new URL('<file>', import.meta.url)`
 * (src/ort-files-beside-bundle.ts's marker replaced): an app bundling the library then copies them into its build as
 * it does the worker, and the worker is given their URLs. After Vite's own transforms ('post'), so the library's build
 * leaves the URLs as they are instead of inlining the files.
 */
export function ortFileUrls(): Plugin {
  const marker = new RegExp(`(["'])${ORT_FILES_MARKER}\\1`);
  return {
    name: 'l2d-ort-file-urls',
    enforce: 'post',
    transform(code, id) {
      if (!id.endsWith('/src/ort-files-beside-bundle.ts')) return null;
      if (!marker.test(code)) this.error(`${ORT_FILES_MARKER} not found in ${id}`);
      const urls = ORT_FILES.map((file) => `${JSON.stringify(file)}: new URL(${JSON.stringify(file)}, import.meta.url).href`);
      return { code: code.replace(marker, `{ ${urls.join(', ')} }`), map: null };
    },
  };
}
