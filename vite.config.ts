import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Relative asset URLs so the built demo works from any folder or origin.
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: { demo: 'index.html' },
    },
  },
  optimizeDeps: {
    // Pre-bundle up front so the dev server never reloads a page mid-test.
    include: ['comlink'],
    // onnxruntime-web loads its .wasm from ort.env.wasm.wasmPaths; pre-bundling would move it.
    exclude: ['onnxruntime-web'],
  },
  test: {
    include: ['src/**/*.test.ts', 'tools/**/*.test.ts', 'e2e/**/*.test.ts'],
    // Browser tests launch Chromium; on 2 cores one file at a time is faster and steadier.
    fileParallelism: false,
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
