import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';
import { DATASETS } from './src/demo/datasets.ts';
import { GENERATION_GRAPHS, MODEL_TEXT_FILES } from './src/core/model-files.ts';
import { inlineWorkerBlobOnly } from './tools/vite/inline-worker-blob-only.ts';
import { VERSION_DEFINE } from './tools/vite/version.ts';

// The built demo is self-contained: every shipped data set (src/demo/datasets.ts) with its model's q4/q4f16 files
// and encoder graphs, its memory, test split and train sequences. A memory built by command is the researcher's to copy.
const MODEL_FILES = [
  ...MODEL_TEXT_FILES,
  GENERATION_GRAPHS.q4,
  GENERATION_GRAPHS.q4f16,
  'onnx/encoder.json',
  'onnx/encoder_q4.onnx',
  'onnx/encoder_q4_fused.onnx',
  'onnx/encoder_q4_fused_plain.onnx',
  'onnx/encoder_q4f16_fused.onnx',
];
const DEMO_FILES = [
  ...new Set(DATASETS.filter((d) => !d.buildCommand).flatMap((d) => [...MODEL_FILES.map((f) => `${d.model}/${f}`), d.memory, d.test, d.train])),
];

const ISOLATION_HEADERS: Record<string, string> =
  process.env.L2D_CROSS_ORIGIN_ISOLATION === 'off' ? {} : { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

function demoFiles(): Plugin {
  let outDir = 'dist';
  return {
    name: 'l2d-demo-files',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    generateBundle(_options, bundle) {
      // The service worker precaches the app itself (not the model: the recommender stores that), and none of
      // onnxruntime-web's builds (their JavaScript and wasm): a visit needs one of them (src/encoder/ort-runtime.ts),
      // which the service worker stores when the encoder first fetches it.
      const files = [...Object.keys(bundle), 'index.html', 'sw.js'].filter((f) => !f.endsWith('.map') && !/(^|\/)ort[-.][^/]*$/.test(f));
      this.emitFile({ type: 'asset', fileName: 'precache.json', source: JSON.stringify(files) });
    },
    closeBundle() {
      for (const file of DEMO_FILES) {
        if (!existsSync(file)) continue;
        mkdirSync(dirname(join(outDir, file)), { recursive: true });
        cpSync(file, join(outDir, file), { recursive: true });
      }
    },
  };
}

export default defineConfig({
  define: VERSION_DEFINE,
  // Relative asset URLs so the built demo works from any folder or origin.
  base: './',
  // Pages are files (index.html, examples/*/, bench/*): a missing file is a 404, never the demo's page in its
  // place, so a memory not built here says so instead of failing to parse HTML as its manifest.
  appType: 'mpa',
  worker: { format: 'es', plugins: () => [inlineWorkerBlobOnly()] },
  // Cross-origin isolation: SharedArrayBuffer, so onnxruntime-web's wasm runs multi-threaded
  // (L2D_CROSS_ORIGIN_ISOLATION=off serves without it, for side-by-side benchmarks).
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  plugins: [demoFiles()],
  build: {
    target: 'es2022',
    rollupOptions: {
      input: { demo: 'index.html' },
      // onnxruntime-web in a chunk of its own wherever a page (not a worker) bundles it: in a cross-origin isolated
      // page its wasm thread workers load the module its glue is in, and a page's own chunk touches `document` as it
      // loads (the GPU benchmark page hung on that). One chunk per build (src/encoder/ort-runtime.ts), so a thread
      // loads only its own build's glue. The demo's pages leave it to the worker: no change for them.
      output: {
        manualChunks: (id: string) => {
          if (!id.includes('/onnxruntime-web/')) return undefined;
          const build = /\/onnxruntime-web\/dist\/ort\.(\w+)\./.exec(id)?.[1];
          return build ? `onnxruntime-web-${build}` : 'onnxruntime-web';
        },
      },
    },
  },
  optimizeDeps: {
    // Pre-bundle up front so the dev server never reloads a page mid-test.
    include: ['comlink'],
    // onnxruntime-web loads its .wasm from ort.env.wasm.wasmPaths; pre-bundling would move it.
    exclude: ['onnxruntime-web'],
  },
  test: {
    include: ['src/**/*.test.ts', 'tools/**/*.test.ts', 'bench/**/*.test.ts', 'e2e/**/*.test.ts'],
    // Browser tests launch Chromium; on 2 cores one file at a time is faster and steadier.
    fileParallelism: false,
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
