/**
 * The storefront embed: one IIFE file (dist-embed/l2d-embed.js), its worker as one
 * file beside it (l2d-worker.js: the embed fetches it when a widget first needs
 * it and runs it from a Blob), plus onnxruntime-web's glue and wasm under
 * their own names (the embed points onnxruntime-web at its own folder).
 *
 *   npm run build:embed
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { inlineWorkerBlobOnly } from './tools/vite/inline-worker-blob-only.ts';
import { ortWasmFiles } from './tools/vite/ort-wasm-files.ts';

export default defineConfig({
  base: './',
  publicDir: false,
  // One worker file under a fixed name (a Blob has no folder to load chunks from): both onnxruntime-web builds' JavaScript inlined.
  worker: { format: 'es', plugins: () => [inlineWorkerBlobOnly()], rolldownOptions: { output: { codeSplitting: false, entryFileNames: 'l2d-worker.js' } } },
  resolve: {
    conditions: ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'production'],
    alias: [
      // Not shipped: the JSPI build's JavaScript would weigh on every visitor's script (src/embed/no-jspi-runtime.ts).
      { find: /^onnxruntime-web\/jspi$/, replacement: fileURLToPath(new URL('src/embed/no-jspi-runtime.ts', import.meta.url)) },
      // The embed passes its Blob worker: createRecommender()'s default module worker would be a second, unused copy.
      { find: /^\.\/default-worker\.ts$/, replacement: fileURLToPath(new URL('src/embed/no-default-worker.ts', import.meta.url)) },
    ],
  },
  build: {
    target: 'es2022',
    outDir: 'dist-embed',
    emptyOutDir: true,
    lib: { entry: 'src/embed/embed.ts', formats: ['iife'], name: 'L2DEmbed', fileName: () => 'l2d-embed.js' },
  },
  // onnxruntime-web's "extern wasm" build, its files beside the embed: a Blob worker would inline a bundled one (70 MB).
  plugins: [ortWasmFiles()],
});
