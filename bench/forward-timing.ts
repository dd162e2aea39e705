/**
 * One encoder graph's forward pass timed in the page, on the shapes of issue
 * 9's goals (batch 1 and 64 of `tokens` tokens): the same deterministic ids
 * bench/torch-encoder.py --synthetic gives PyTorch, so the two are held
 * against each other on the same GPU. The output (batch x d floats) is read
 * back each run, as PyTorch's timing waits for its kernels.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { graphFeeds, graphSignature, HIDDEN_OUTPUT, modelShape } from '../src/core/encoder-feeds.ts';
import { median } from '../src/core/stats.ts';

export interface ForwardTiming {
  model: string;
  file: string;
  ep: 'webgpu' | 'wasm';
  batch: number;
  tokens: number;
  /** Session creation, ms. */
  createMs: number;
  /** The first run (kernel compilation), ms. */
  firstMs: number;
  medianMs: number;
  runs: number;
  /** wasm only: the threads onnxruntime-web runs on (more than 1 only in a cross-origin isolated page). */
  wasmThreads?: number;
}

/** The ids bench/torch-encoder.py --synthetic uses: 2 + (i * 7919) mod (vocab - 2). */
export const syntheticIds = (vocabSize: number, tokens: number) => Array.from({ length: tokens }, (_, i) => 2 + ((i * 7919) % (vocabSize - 2)));

export async function timeForward(modelUrl: string, file: string, ep: 'webgpu' | 'wasm', batch: number, tokens: number, runs: number): Promise<ForwardTiming> {
  const config = (await (await fetch(`${modelUrl}/config.json`)).json()) as Record<string, unknown>;
  const shape = modelShape(config);
  let t0 = performance.now();
  const session = await ort.InferenceSession.create(`${modelUrl}/onnx/${file}`, { executionProviders: [ep], logSeverityLevel: 3 });
  const createMs = performance.now() - t0;
  try {
    const graph = graphSignature(session);
    const row = syntheticIds(Number(config.vocab_size), tokens);
    const rows = Array.from({ length: batch }, () => row);
    const once = async () => {
      const start = performance.now();
      const out = await session.run(graphFeeds(ort.Tensor, rows, shape, graph).feeds, [HIDDEN_OUTPUT[graph.kind]]);
      for (const tensor of Object.values(out)) await tensor.getData(true);
      return performance.now() - start;
    };
    t0 = performance.now();
    const firstMs = await once();
    const times: number[] = [];
    for (let r = 0; r < runs; r++) times.push(await once());
    // onnxruntime-web writes the thread count it settled on back into its env at its first session.
    return { model: modelUrl, file, ep, batch, tokens, createMs, firstMs, medianMs: median(times), runs, ...(ep === 'wasm' ? { wasmThreads: ort.env.wasm.numThreads } : {}) };
  } finally {
    await session.release();
  }
}

/** A markdown table of timings, with each one's ratio to PyTorch where a reference is given (ms by batch). */
export function forwardTable(rows: ForwardTiming[], torchMs?: Record<number, number>): string {
  const lines = ['| graph | execution provider | batch x tokens | first run ms | median ms | vs PyTorch eager |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = torchMs?.[r.batch] ? `${(r.medianMs / torchMs[r.batch]).toFixed(2)}x` : '-';
    const ep = r.wasmThreads ? `${r.ep} (${r.wasmThreads} thread${r.wasmThreads > 1 ? 's' : ''})` : r.ep;
    lines.push(`| ${r.file} | ${ep} | ${r.batch} x ${r.tokens} | ${r.firstMs.toFixed(0)} | ${r.medianMs.toFixed(1)} | ${ratio} |`);
  }
  return lines.join('\n');
}
