/**
 * The encoder graphs of model folders (generation, traced encoder, fused
 * encoder) in Chromium with onnxruntime-web's WebGPU and wasm execution
 * providers: kernels per forward pass and where they run (onnxruntime-web's
 * profiler, bench/kernel-profile.ts), and the forward time of batch 1 and 64
 * of 128 tokens (bench/forward-timing.ts). With --torch, PyTorch eager on this
 * machine runs the same ids in the same command (bench/torch-encoder.py
 * --synthetic) and each time gets its ratio to it. Writes everything to
 * bench/results/graphs-<adapter>.json.
 *
 *   npm run bench:graphs [-- --model models/movielens-demo] [--device wasm] [--batches 1,64] [--tokens 128] [--runs 5] [--torch]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';
import { openHarness } from '../e2e/browser.ts';
import { kernelTable, type KernelProfile } from './kernel-profile.ts';
import { forwardTable, type ForwardTiming } from './forward-timing.ts';

const USAGE = 'usage: npm run bench:graphs [-- --model models/movielens-demo] [--device wasm] [--batches 1,64] [--tokens 128] [--runs 5] [--torch]';
const args = parseOptions('bench:graphs', USAGE, {
  options: {
    model: { type: 'string', multiple: true },
    device: { type: 'string', multiple: true },
    batches: { type: 'string', default: '1,64' },
    tokens: { type: 'string', default: '128' },
    runs: { type: 'string', default: '5' },
    torch: { type: 'boolean', default: false },
  },
}).values;
const models = args.model ?? ['models/movielens-demo'];
const devices = (args.device ?? ['webgpu', 'wasm']) as ('webgpu' | 'wasm')[];
const batches = args.batches.split(',').map(Number);
const fail = optionFailure('bench:graphs', USAGE);
const tokens = wholeNumber('--tokens', args.tokens, fail);
const runsPerBatch = wholeNumber('--runs', args.runs, fail);
const GRAPHS = ['model_q4.onnx', 'encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx'];

type PageCall = (...a: unknown[]) => Promise<unknown>;
const harness = await openHarness('bench/graph-bench.html');
try {
  const adapter = await harness.page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture || a.info.description}`.trim() : 'none';
  });
  const software = adapter.includes('swiftshader');
  const report: Record<string, unknown>[] = [];
  for (const model of models) {
    const files = GRAPHS.filter((f) => existsSync(`${model}/onnx/${f}`));
    const torch = args.torch ? (JSON.parse(execFileSync('/usr/bin/python3', ['bench/torch-encoder.py', model, '--synthetic', String(tokens)], { encoding: 'utf8' })) as Record<string, number>) : undefined;
    const profiles: KernelProfile[] = [];
    const timings: ForwardTiming[] = [];
    for (const ep of devices) {
      for (const file of files) {
        profiles.push((await harness.page.evaluate(([m, f, e, t]) => (globalThis as unknown as { l2dGraphBench: Record<string, PageCall> }).l2dGraphBench.profileKernels(m, f, e, t), [`/${model}`, file, ep, tokens] as const)) as KernelProfile);
        for (const batch of batches) {
          // A software adapter takes seconds per pass: fewer runs there.
          const runs = ep === 'webgpu' && software ? 2 : runsPerBatch;
          timings.push((await harness.page.evaluate(([m, f, e, b, t, r]) => (globalThis as unknown as { l2dGraphBench: Record<string, PageCall> }).l2dGraphBench.timeForward(m, f, e, b, t, r), [`/${model}`, file, ep, batch, tokens, runs] as const)) as ForwardTiming);
        }
      }
    }
    console.log(`\n${model}, adapter: ${adapter}; kernels of one ${tokens}-token forward pass:\n`);
    console.log(kernelTable(profiles));
    console.log(`\nforward pass (median of ${args.runs} runs after one first run${software && devices.includes('webgpu') ? ', 2 on the software adapter' : ''}${torch ? `; PyTorch eager ${torch.device}: batch 1 ${torch.batch1_ms_median.toFixed(1)} ms, batch 64 ${torch.batch64_ms_median.toFixed(1)} ms` : ''}):\n`);
    console.log(forwardTable(timings, torch ? { 1: torch.batch1_ms_median, 64: torch.batch64_ms_median } : undefined));
    report.push({ model, profiles, timings, ...(torch ? { torch } : {}) });
  }
  if (harness.problems.length) throw new Error(harness.problems.join('\n'));
  const out = `bench/results/graphs-${adapter.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`;
  writeFileSync(out, `${JSON.stringify({ adapter, date: new Date().toISOString(), tokens, report }, null, 2)}\n`);
  console.log(`\nwritten: ${out}`);
} finally {
  await harness.close();
}
