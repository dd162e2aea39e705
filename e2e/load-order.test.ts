/**
 * What load() runs side by side: while the encoder graph downloads, the memory and onnxruntime-web's wasm binary
 * are already asked for (the graph is held back here until they are, so a load that waited for the graph first
 * never gets them and fails), and the load still ends as a load does.
 */
import { expect, it } from 'vitest';
import { useFlowPage } from './flow-client.ts';

const MODEL = 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const WASM = '/node_modules/onnxruntime-web/dist/';
const HOLD_MS = 20_000;

const { harness, call } = useFlowPage();

it("while the encoder graph downloads, load() has asked for the memory and for onnxruntime-web's wasm", async () => {
  const { page } = harness;
  const asked: string[] = [];
  const onRequest = (request: { url(): string }) => void asked.push(new URL(request.url()).pathname);
  page.on('request', onRequest);
  const wanted = [`/${MEMORY}/manifest.json`, '/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'];
  let askedWhileHeld: string[] = [];
  // On wasm 'auto' tries the fused graph with plain attention first (src/core/encoder-manifest.ts GRAPH_ORDER).
  const graph = `**/${MODEL}/onnx/encoder_q4_fused_plain.onnx`;
  await page.context().route(graph, async (route) => {
    const t0 = Date.now();
    while (!wanted.every((path) => asked.includes(path)) && Date.now() - t0 < HOLD_MS) await new Promise((r) => setTimeout(r, 20));
    askedWhileHeld = wanted.filter((path) => asked.includes(path));
    await route.continue();
  });
  try {
    const loaded = await call<{ rows: number; encoder: { file: string }; stageMs: { model: number; memoryStart: number } }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, cache: 'none' });
    if (!loaded.ok) throw new Error(loaded.message);
    expect(askedWhileHeld).toEqual(wanted);
    expect(loaded.value.encoder.file).toBe('onnx/encoder_q4_fused_plain.onnx');
    expect(loaded.value.rows).toBe(21456);
    expect(loaded.value.stageMs.memoryStart).toBeLessThan(loaded.value.stageMs.model);
    const r = await call<{ items: unknown[] }>('recommend', { history: [0, 5, 9], k: 5 });
    expect(r.ok && r.value.items.length).toBe(5);
  } finally {
    await page.context().unroute(graph);
    page.off('request', onRequest);
  }
  expect(harness.problems).toEqual([]);
});
