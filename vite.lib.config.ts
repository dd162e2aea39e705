/**
 * The library as an ES module for pages and apps outside this repository: dist-lib/l2d.js (src/index.ts, the public
 * API), its worker dist-lib/l2d-worker.js (createRecommender()'s default module worker, the memory worker inlined), and
 * onnxruntime-web's two builds beside them, which the worker finds beside itself. Types: dist-lib/types (tsc).
 *
 *   npm run build:lib
 */
import { defineConfig } from 'vite';
import { EXTERN_ORT_CONDITIONS, NO_JSPI_ALIAS, ortWasmFiles, SHIPPED_WORKER } from './tools/vite/shipped-worker.ts';

export default defineConfig({
  base: './',
  publicDir: false,
  // As the embed's: one worker file, onnxruntime-web's asyncify and wasm-only builds beside it (shipped-worker.ts).
  worker: SHIPPED_WORKER,
  resolve: { conditions: EXTERN_ORT_CONDITIONS, alias: [NO_JSPI_ALIAS] },
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
