/**
 * Encoder benchmark page: per-query encode time (tokenize + forward, one
 * history at a time) and batched throughput (memory building), for the
 * WebGPU and wasm execution providers, side by side in one page.
 */
import { BrowserEncoder, type EncoderDevice, type EncoderGraph } from '../src/encoder/browser-encoder.ts';
import type { OrtRuntimeChoice } from '../src/encoder/ort-runtime.ts';

export interface EncoderBenchRow {
  device: string;
  /** 'fused' / 'encoder' (the L2D encoder graphs) or 'full' (the generation graph). */
  graph?: string;
  /** load()'s warm-up forward pass (kernel compilation), ms. */
  warmupMs?: number;
  fallbackReason?: string;
  /** Set when the graph could not be loaded on this device. */
  error?: string;
  dtype: string;
  firstMs: number;
  perQueryMs: number;
  tokenizeMs: number;
  forwardMs: number;
  batch: number;
  batchRowsPerSecond: number;
}

export async function runEncoderBench(
  modelUrl: string,
  wasmPaths: string | undefined,
  histories: string[][],
  batch: number,
  graphs: EncoderGraph[] = ['auto'],
  devices: EncoderDevice[] = ['webgpu', 'wasm'],
  /** The onnxruntime-web build for WebGPU (src/encoder/ort-runtime.ts); rows of 'jspi' say "webgpu (jspi)". */
  runtime: OrtRuntimeChoice = 'auto',
): Promise<EncoderBenchRow[]> {
  const rows: EncoderBenchRow[] = [];
  const label = (device: string) => (runtime === 'jspi' && device === 'webgpu' ? 'webgpu (jspi)' : device);
  for (const device of devices) for (const graph of graphs) {
    let encoder: BrowserEncoder;
    try {
      encoder = await BrowserEncoder.create({ modelUrl, device, dtype: 'q4', wasmPaths, graph, runtime });
    } catch (error) {
      // A graph this adapter cannot run (or runs wrong: its probe) is a row saying so, not the end of the bench.
      rows.push({ device: label(device), graph, dtype: 'q4', firstMs: NaN, perQueryMs: NaN, tokenizeMs: NaN, forwardMs: NaN, batch, batchRowsPerSecond: NaN, error: (error as Error).message });
      continue;
    }
    let t = performance.now();
    await encoder.encode([histories[0]]);
    const firstMs = performance.now() - t;
    let tokenize = 0;
    let forward = 0;
    t = performance.now();
    for (const h of histories) {
      const r = await encoder.encode([h]);
      tokenize += r.tokenizeMs;
      forward += r.forwardMs;
    }
    const perQueryMs = (performance.now() - t) / histories.length;
    t = performance.now();
    let done = 0;
    for (let b = 0; b < histories.length; b += batch) {
      const part = histories.slice(b, b + batch);
      await encoder.encode(part);
      done += part.length;
    }
    const batchRowsPerSecond = done / ((performance.now() - t) / 1000);
    rows.push({ device: encoder.backend.runtime === 'onnxruntime-web/jspi' ? 'webgpu (jspi)' : encoder.backend.device, graph: encoder.backend.graph, warmupMs: encoder.backend.warmupMs, ...(encoder.backend.fallbackReason ? { fallbackReason: encoder.backend.fallbackReason } : {}), dtype: encoder.backend.dtype, firstMs, perQueryMs, tokenizeMs: tokenize / histories.length, forwardMs: forward / histories.length, batch, batchRowsPerSecond });
    await encoder.release();
  }
  return rows;
}

(globalThis as unknown as { l2dEncoderBench: unknown }).l2dEncoderBench = { run: runEncoderBench };
document.body.dataset.ready = 'true';
