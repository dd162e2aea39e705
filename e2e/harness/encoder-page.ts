/**
 * Encoder test page: onnxruntime-web (the `onnxruntime-web/webgpu` entry,
 * see ../shared/webgpu/README.md) runs a model folder's ONNX files on the
 * WebGPU or wasm execution provider and returns the last token's
 * final-norm hidden state of each fixture prompt.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { encoderFeeds, modelShape } from '../../src/core/encoder-feeds.ts';

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
  for (const ids of rows) {
    const f = encoderFeeds([ids], shape.padTokenId);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', f.inputIds, [f.batch, f.width]),
      attention_mask: new ort.Tensor('int64', f.attentionMask, [f.batch, f.width]),
      position_ids: new ort.Tensor('int64', f.positionIds, [f.batch, f.width]),
    };
    for (let i = 0; i < shape.layers; i++) {
      for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, shape.kvHeads, 0, shape.headDim]);
    }
    const out = await session.run(feeds);
    const t = out.last_hidden_state;
    const d = t.dims[2];
    const data = (await t.getData()) as Float32Array;
    hidden.push(Array.from(data.subarray((f.width - 1) * d, f.width * d)));
  }
  const ms = (performance.now() - t0) / rows.length;
  await session.release();
  return { hidden, ms };
}

(globalThis as unknown as { l2dEncoder: unknown }).l2dEncoder = { lastHidden };
document.body.dataset.ready = 'true';
