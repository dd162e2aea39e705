/**
 * The library as an ES module for pages and apps outside this repository: dist-lib/l2d.js (src/index.ts, the public
 * API), its worker dist-lib/l2d-worker.js (createRecommender()'s default module worker, the memory worker inlined), and
 * onnxruntime-web's two builds beside them, which the worker finds beside itself. Types: dist-lib/types (tsc).
 *
 *   npm run build:lib
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { inlineWorkerBlobOnly } from './tools/vite/inline-worker-blob-only.ts';
import { ortWasmFiles } from './tools/vite/ort-wasm-files.ts';

export default defineConfig({
  base: './',
  publicDir: false,
  worker: { format: 'es', plugins: () => [inlineWorkerBlobOnly()], rolldownOptions: { output: { codeSplitting: false, entryFileNames: 'l2d-worker.js' } } },
  resolve: {
    conditions: ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'production'],
    // As the embed: the asyncify and wasm-only builds only (src/embed/no-jspi-runtime.ts says so for runtime 'jspi').
    alias: [{ find: /^onnxruntime-web\/jspi$/, replacement: fileURLToPath(new URL('src/embed/no-jspi-runtime.ts', import.meta.url)) }],
  },
  build: {
    target: 'es2022',
    outDir: 'dist-lib',
    emptyOutDir: true,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'l2d.js' },
  },
  plugins: [
    ortWasmFiles(),
    {
      name: 'l2d-lib-types',
      generateBundle() {
        // Beside l2d.js, so TypeScript finds the types of `import ... from './l2d/l2d.js'` (tsc writes types/ after this
        // build); some options and results name WebGPU's types (GPUDevice), which @webgpu/types declares.
        this.emitFile({ type: 'asset', fileName: 'l2d.d.ts', source: '/// <reference types="@webgpu/types" />\nexport * from \'./types/index.ts\';\n' });
      },
    },
  ],
});
