/**
 * Prepares the GPU benchmark for the NVIDIA machine (no Node there): builds
 * bench/gpu-bench.html with Vite into OUT/dist and writes OUT/dist/inputs.json
 * (64 movielens validation histories, 1024 training samples, decode sizes).
 * Serve the repository root so that /models/... resolves, and open
 * /OUT/dist/bench/gpu-bench.html (bench/README.md, "On an NVIDIA GPU").
 *
 *   npx tsx bench/gpu-bench-inputs.ts [OUT=.gpu-bench]
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { loadPrepared } from '../tools/lib/prepared.ts';
import type { GpuBenchInputs, GraphRun } from './gpu-bench.ts';

const out = process.argv[2] ?? '.gpu-bench';
// --no-decode: skip the decode-engine stage (its synthetic memories take minutes to generate in the page).
const withDecode = !process.argv.includes('--no-decode');
const data = loadPrepared('data/prepared/movielens-latest-small');
const histories = data.split('valid').slice(0, 64).map((s) => ({ ids: s.history, titles: s.history.map((i) => data.items[i].title) }));
const samples = data.split('train').slice(0, 1024).map((s) => ({ history: s.history, target: s.target }));
// Issue 9's shapes: each encoder graph at batch 1 and 64 of 128 tokens on WebGPU (batch 1 on wasm), for the
// committed models and the Llama-3.2-1B-shaped one bench/gpu-speed-model.sh builds on the GPU machine.
const graphRuns: GraphRun[] = [];
for (const model of ['models/movielens-demo', 'models/amazon-games']) {
  for (const file of ['model_q4.onnx', 'encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx', 'encoder_q4f16_fused.onnx']) {
    if (!existsSync(join(model, 'onnx', file))) continue;
    for (const batch of [1, 64]) graphRuns.push({ modelUrl: `/${model}`, file, ep: 'webgpu', batch, tokens: 128 });
    if (!file.includes('f16')) graphRuns.push({ modelUrl: `/${model}`, file, ep: 'wasm', batch: 1, tokens: 128 });
  }
}
for (const file of ['encoder_q4_fused.onnx', 'encoder_q4f16_fused.onnx']) {
  for (const batch of [1, 64]) graphRuns.push({ modelUrl: '/models/dev/llama-1b-shaped', file, ep: 'webgpu', batch, tokens: 128 });
}
const inputs: GpuBenchInputs = {
  modelUrl: '/models/movielens-demo',
  memoryUrl: '/models/movielens-demo/memory/train-q4-f0.3',
  histories,
  samples,
  graphRuns,
  decodeConfigs: withDecode ? [
    { rows: 100_000, dim: 256 },
    { rows: 1_000_000, dim: 256 },
    { rows: 150_000, dim: 896 },
    { rows: 300_000, dim: 896 },
    { rows: 100_000, dim: 2048 },
    { rows: 300_000, dim: 2048 },
  ] : [],
};
await build({
  configFile: 'vite.config.ts',
  logLevel: 'warn',
  build: {
    outDir: join(out, 'dist'),
    emptyOutDir: true,
    // vite.config.ts puts onnxruntime-web in a chunk of its own, which the page's wasm threads load.
    rollupOptions: { input: { gpuBench: 'bench/gpu-bench.html' } },
  },
});
writeFileSync(join(out, 'dist', 'bench', 'inputs.json'), JSON.stringify(inputs));
// The page reads the model from the repository root; the demo's copy would only weigh on the trip to the GPU machine.
rmSync(join(out, 'dist', 'models'), { recursive: true, force: true });
console.log(`wrote ${out}/dist (open /${out}/dist/bench/gpu-bench.html from a server at the repository root)`);
