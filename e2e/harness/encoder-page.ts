/**
 * Encoder test page: onnxruntime-web (the `onnxruntime-web/webgpu` entry,
 * see ../shared/webgpu/README.md) runs a model folder's ONNX files on the
 * WebGPU or wasm execution provider and returns the last token's
 * final-norm hidden state of each fixture prompt.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { lastTokenRows, modelShape, onnxFeeds } from '../../src/core/encoder-feeds.ts';

ort.env.wasm.wasmPaths = new URL('/node_modules/onnxruntime-web/dist/', location.href).href;
ort.env.wasm.numThreads = 1; // no cross-origin isolation here, so no wasm threads
// ORT prints informational warnings (e.g. shape ops placed on the CPU) through console.error; keep real errors only.
ort.env.logLevel = 'error';

async function lastHidden(modelFolderUrl: string, file: string, ep: 'webgpu' | 'wasm', rows: number[][]): Promise<{ hidden: number[][]; ms: number }> {
  const config = (await (await fetch(`${modelFolderUrl}/config.json`)).json()) as Record<string, unknown>;
  const shape = modelShape(config);
  const session = await ort.InferenceSession.create(`${modelFolderUrl}/onnx/${file}`, { executionProviders: [ep], logSeverityLevel: 3 });
  const hidden: number[][] = [];
  const t0 = performance.now();
  // The L2D encoder graph (encoder_*.onnx) has no cache inputs and outputs the last token's row only.
  const encoderGraph = file.startsWith('encoder');
  for (const ids of rows) {
    const { feeds, width } = onnxFeeds(ort.Tensor, [ids], shape, !encoderGraph);
    const out = await session.run(feeds);
    const t = encoderGraph ? out.last_token_hidden_state : out.last_hidden_state;
    const data = (await t.getData()) as Float32Array;
    hidden.push(Array.from(encoderGraph ? data : lastTokenRows(data, 1, width, t.dims[2])[0]));
  }
  const ms = (performance.now() - t0) / rows.length;
  await session.release();
  return { hidden, ms };
}

(globalThis as unknown as { l2dEncoder: unknown }).l2dEncoder = { lastHidden };
document.body.dataset.ready = 'true';
