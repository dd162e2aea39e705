/**
 * Encoder test page: onnxruntime-web (the `onnxruntime-web/webgpu` entry,
 * see ../shared/webgpu/README.md) runs a model folder's ONNX files on the
 * WebGPU or wasm execution provider and returns the last token's
 * final-norm hidden state of each fixture prompt.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { graphFeeds, graphSignature, HIDDEN_OUTPUT, lastTokenRows, modelShape } from '../../src/core/encoder-feeds.ts';

ort.env.wasm.wasmPaths = new URL('/node_modules/onnxruntime-web/dist/', location.href).href;
ort.env.wasm.numThreads = 1; // one thread: these tests compare values, not speed
// ORT prints informational warnings (e.g. shape ops placed on the CPU) through console.error; keep real errors only.
ort.env.logLevel = 'error';

/** Each row's last-token hidden state through one of a model folder's graphs; `batched`: all rows in one forward pass. */
async function lastHidden(modelFolderUrl: string, file: string, ep: 'webgpu' | 'wasm', rows: number[][], batched = false): Promise<{ hidden: number[][]; ms: number }> {
  const config = (await (await fetch(`${modelFolderUrl}/config.json`)).json()) as Record<string, unknown>;
  const shape = modelShape(config);
  const session = await ort.InferenceSession.create(`${modelFolderUrl}/onnx/${file}`, { executionProviders: [ep], logSeverityLevel: 3 });
  // Generation, traced encoder or fused encoder graph: each takes its own inputs (src/core/encoder-feeds.ts).
  const graph = graphSignature(session);
  const hidden: number[][] = [];
  const t0 = performance.now();
  for (const part of batched ? [rows] : rows.map((r) => [r])) {
    const { feeds, width } = graphFeeds(ort.Tensor, part, shape, graph);
    const out = await session.run(feeds, [HIDDEN_OUTPUT[graph.kind]]);
    const data = (await out[HIDDEN_OUTPUT[graph.kind]].getData()) as Float32Array;
    hidden.push(...lastTokenRows(data, part.length, width, shape.hiddenSize).map((h) => Array.from(h)));
  }
  const ms = (performance.now() - t0) / rows.length;
  await session.release();
  return { hidden, ms };
}

(globalThis as unknown as { l2dEncoder: unknown }).l2dEncoder = { lastHidden };
document.body.dataset.ready = 'true';
