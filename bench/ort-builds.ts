/**
 * One first visit's encoder start in a fresh page, on the wasm execution
 * provider, in one onnxruntime-web build (src/encoder/ort-runtime.ts): the
 * module's import, its wasm's fetch and compile, the first session and its
 * first forward pass; then the time per query. bench/run-ort-builds.ts runs
 * it in a fresh browser context per trial (nothing cached), builds alternating.
 */
import { graphFeeds, graphSignature, HIDDEN_OUTPUT, modelShape } from '../src/core/encoder-feeds.ts';
import { median } from '../src/core/stats.ts';
import { ORT_WASM_FILES, type Ort, type OrtBuild } from '../src/encoder/ort-runtime.ts';

export interface OrtBuildTrial {
  build: OrtBuild;
  threads: number;
  /** Bytes of the build's wasm binary as fetched. */
  wasmBytes: number;
  /** From the module's import to the first forward pass's output, ms. */
  startMs: number;
  /** Median of the queries after it, ms. */
  perQueryMs: number;
  /** Median of their second half (wasm code tiered up by then), ms. */
  laterQueryMs: number;
}

const DIST = '/node_modules/onnxruntime-web/dist/';
const MODULES: Record<OrtBuild, string> = { webgpu: 'ort.webgpu.min.mjs', wasm: 'ort.wasm.min.mjs', jspi: 'ort.jspi.min.mjs' };
// Past Vite's transform: the build's own file, which loads its glue and wasm from wasmPaths.
const importUrl = new Function('url', 'return import(url)') as (url: string) => Promise<Ort>;

async function trial(build: OrtBuild, modelUrl: string, graphFile: string, queries: number): Promise<OrtBuildTrial> {
  const config = await (await fetch(`${modelUrl}/config.json`)).json();
  const bytes = new Uint8Array(await (await fetch(`${modelUrl}/onnx/${graphFile}`)).arrayBuffer());
  const shape = modelShape(config);
  // A 128-token prompt (the length of issue 9's encoder benchmarks).
  const rows = [Array.from({ length: 128 }, (_, i) => 100 + i)];
  const threads = crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1;

  const t0 = performance.now();
  const ort = await importUrl(`${DIST}${MODULES[build]}`);
  ort.env.wasm.wasmPaths = DIST;
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const signature = graphSignature(session);
  const { feeds } = graphFeeds(ort.Tensor, rows, shape, signature);
  const output = HIDDEN_OUTPUT[signature.kind];
  const run = async () => (await session.run(feeds, [output]))[output].dispose();
  await run();
  const startMs = performance.now() - t0;

  const times: number[] = [];
  for (let i = 0; i < queries; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  await session.release();
  const entry = performance.getEntriesByType('resource').find((e) => e.name.endsWith(`/${ORT_WASM_FILES[build]}`)) as PerformanceResourceTiming | undefined;
  return { build, threads, wasmBytes: entry?.decodedBodySize ?? Number.NaN, startMs, perQueryMs: median(times), laterQueryMs: median(times.slice(times.length >> 1)) };
}

(globalThis as unknown as { l2dOrtBuilds: unknown }).l2dOrtBuilds = { trial };
document.body.dataset.ready = 'true';
