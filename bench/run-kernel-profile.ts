/**
 * Kernels per encoder forward pass for each of the demo model's graphs
 * (generation, traced encoder, fused encoder) on onnxruntime-web's WebGPU
 * and wasm execution providers, from onnxruntime-web's profiler in Chromium
 * (bench/kernel-profile.ts). Prints a markdown table and writes the full
 * profiles to bench/results/kernels-<adapter>.json.
 *
 *   npm run bench:kernels [-- --model models/movielens-demo] [--tokens 116]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openHarness } from '../e2e/browser.ts';
import { kernelTable, type KernelProfile } from './kernel-profile.ts';

const args = parseArgs({ options: { model: { type: 'string', default: 'models/movielens-demo' }, tokens: { type: 'string', default: '116' } } }).values;
const files = ['model_q4.onnx', 'encoder_q4.onnx', 'encoder_q4_fused.onnx'];
const harness = await openHarness('bench/kernel-profile.html');
try {
  const adapter = await harness.page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture || a.info.description}`.trim() : 'none';
  });
  const profiles: KernelProfile[] = [];
  for (const ep of ['webgpu', 'wasm'] as const) {
    for (const file of files) {
      profiles.push(
        (await harness.page.evaluate(
          ([m, f, e, t]) => (globalThis as unknown as { l2dKernelProfile: { run: (...a: unknown[]) => Promise<unknown> } }).l2dKernelProfile.run(m, f, e, t),
          [`/${args.model}`, file, ep, Number(args.tokens)] as const,
        )) as KernelProfile,
      );
    }
  }
  console.log(`${args.model}, one prompt of ${args.tokens} tokens; adapter: ${adapter}\n`);
  console.log(kernelTable(profiles));
  const out = `bench/results/kernels-${adapter.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`;
  writeFileSync(out, `${JSON.stringify({ model: args.model, adapter, date: new Date().toISOString(), profiles }, null, 2)}\n`);
  console.log(`\nwritten: ${out}`);
} finally {
  await harness.close();
}
