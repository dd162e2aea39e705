/**
 * The whole-page GPU benchmark, for a real GPU (the NVIDIA machine's Chromium,
 * ../shared/device/README.md): it needs no Node driver. It reads its inputs
 * (real histories and training samples, written by bench/gpu-bench-inputs.ts)
 * from `inputs.json` beside the page, runs every stage in one page load, and
 * POSTs the results as JSON to /result after each stage:
 *   0. the encoder graphs' kernels (onnxruntime-web's profiler) and forward
 *      time at batch 1 and 64 x 128 tokens, per model (issue 9's goals; PyTorch
 *      eager on the same ids: bench/torch-encoder.py --synthetic);
 *   1. the encoder alone: WebGPU vs wasm, per query and in batches (and WebGPU in the JSPI build);
 *   2. recommend() through the worker, h_t kept on the GPU vs read back;
 *   3. recommend() vs generate() (greedy, beam 5) in one worker, interleaved;
 *   4. buildMemory() in the worker on WebGPU (memory building rate);
 *   5. the decode engine on synthetic memories of real-GPU sizes.
 * `?stages=graphs,flow` runs only those stages (so that one page load fits a
 * device call; bench/gpu-trip.sh), `?quick` every stage on a few inputs.
 */
// First: it wraps the console before onnxruntime-web's wasm module binds it (bench/kernel-profile.ts).
import { profileKernels } from './kernel-profile.ts';
import { timeForward } from './forward-timing.ts';
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/comlink-errors.ts';
import type { WorkerApi, LoadOptions, RecommendRequest } from '../src/worker-protocol.ts';
import { describeAdapter, defaultGpu } from '../src/gpu/index.ts';
import { runEncoderBench } from './encoder-bench.ts';
import { runDecodeBench, type BenchConfig } from './decode-bench.ts';
import { runVersusGeneration } from './versus-generation.ts';
import { PREFIX_BENCH_MODES, runPrefixBench } from './prefix-reuse.ts';
import { median } from '../src/core/stats.ts';

export interface GpuBenchInputs {
  modelUrl: string;
  memoryUrl: string;
  /** Validation histories: item ids and their titles. */
  histories: { ids: number[]; titles: string[] }[];
  /** Training samples for buildMemory. */
  samples: { history: number[]; target: number }[];
  /** Encoder graph forward passes to time (stage 'graphs'); a file missing on the server is recorded as an error. */
  graphRuns?: GraphRun[];
  decodeConfigs: BenchConfig[];
}

export interface GraphRun {
  modelUrl: string;
  file: string;
  ep: 'webgpu' | 'wasm';
  batch: number;
  tokens: number;
}

installErrorTransfer();
const results: Record<string, unknown> = { userAgent: navigator.userAgent, started: new Date().toISOString() };
// Also readable from a driver (a smoke run without the POST endpoint).
(globalThis as unknown as { l2dGpuBench: unknown }).l2dGpuBench = results;
const logElement = document.getElementById('log')!;
const log = (s: string) => {
  logElement.textContent += `\n${s}`;
  console.info(s);
};
const post = () => fetch('/result', { method: 'POST', body: JSON.stringify(results) }).catch(() => undefined);

const GPU_BENCH_STAGES = ['graphs', 'encoder', 'encoderBatch64', 'flow', 'prefix', 'versusGeneration', 'buildMemory', 'decode'] as const;
type StageName = (typeof GPU_BENCH_STAGES)[number];
const params = new URLSearchParams(location.search);
const selected = params.get('stages')?.split(',').filter(Boolean) ?? [...GPU_BENCH_STAGES];
const unknownStages = selected.filter((s) => !(GPU_BENCH_STAGES as readonly string[]).includes(s));

async function stage(name: StageName, body: () => Promise<unknown>) {
  if (!selected.includes(name)) return;
  log(`stage ${name}`);
  const t0 = performance.now();
  try {
    results[name] = await body();
  } catch (error) {
    results[name] = { error: String((error as Error).stack ?? error) };
  }
  log(`stage ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await post();
}

function newWorker() {
  const worker = new Worker(new URL('../workers/l2d.worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: Comlink.wrap<WorkerApi>(worker) };
}

/** recommend() over every history after a warm-up; medians of wall clock and the worker's own timings. */
async function timeFlow(inputs: GpuBenchInputs, load: LoadOptions, request: Omit<RecommendRequest, 'history'>) {
  const { worker, api } = newWorker();
  try {
    const status = await api.load(load);
    for (const h of inputs.histories.slice(0, 3)) await api.recommend({ ...request, history: h.ids });
    const wall: number[] = [];
    const forward: number[] = [];
    const decode: number[] = [];
    const tokenize: number[] = [];
    let backend: unknown;
    let firstIds: number[] = [];
    for (const h of inputs.histories) {
      const t0 = performance.now();
      const r = await api.recommend({ ...request, history: h.ids });
      wall.push(performance.now() - t0);
      forward.push(r.timings.forward);
      decode.push(r.timings.decode);
      tokenize.push(r.timings.tokenize);
      backend = r.backend;
      if (!firstIds.length) firstIds = r.items.slice(0, 10).map((i) => i.id);
    }
    return {
      status,
      backend,
      queries: wall.length,
      wallMs: median(wall),
      tokenizeMs: median(tokenize),
      forwardMs: median(forward),
      decodeMs: median(decode),
      firstIds,
    };
  } finally {
    await api.dispose().catch(() => undefined);
    worker.terminate();
  }
}

async function main() {
  if (unknownStages.length) {
    results.error = `unknown stage(s) in ?stages=: ${unknownStages.join(', ')} (stages: ${GPU_BENCH_STAGES.join(', ')})`;
    results.finished = new Date().toISOString();
    await post();
    log(results.error as string);
    return;
  }
  results.stages = selected;
  const inputs = (await (await fetch(new URL('inputs.json', document.baseURI))).json()) as GpuBenchInputs;
  // ?quick: a smoke run of every stage on a few inputs (to check the page on a machine without a GPU).
  const quick = params.has('quick');
  if (quick) {
    inputs.histories = inputs.histories.slice(0, 4);
    inputs.samples = inputs.samples.slice(0, 32);
    inputs.decodeConfigs = [{ rows: 10_000, dim: 256 }];
    inputs.graphRuns = (inputs.graphRuns ?? []).filter((r) => r.batch === 1 && r.modelUrl.endsWith('movielens-demo'));
  }
  const gpu = defaultGpu();
  const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
  results.adapter = adapter ? describeAdapter(adapter) : null;
  await post();
  const titles = inputs.histories.map((h) => h.titles);

  await stage('graphs', async () => {
    const rows = [];
    const profiled = new Set<string>();
    const f16 = adapter?.features.has('shader-f16') ?? false;
    for (const run of inputs.graphRuns ?? []) {
      if (run.file.includes('f16') && run.ep === 'webgpu' && !f16) {
        rows.push({ ...run, skipped: 'the adapter has no shader-f16' });
        continue;
      }
      try {
        const key = `${run.modelUrl}/${run.file} ${run.ep}`;
        const profile = profiled.has(key) ? undefined : await profileKernels(run.modelUrl, run.file, run.ep, run.tokens, 1);
        profiled.add(key);
        rows.push({ ...run, ...(profile ? { profile } : {}), timing: await timeForward(run.modelUrl, run.file, run.ep, run.batch, run.tokens, quick ? 2 : 10) });
      } catch (error) {
        rows.push({ ...run, error: String(error) });
      }
      log(`graphs: ${run.modelUrl} ${run.file} ${run.ep} batch ${run.batch} done`);
      // The rows so far, posted as they come: a page stopped at the device call's limit keeps them.
      results.graphs = rows;
      await post();
    }
    return rows;
  });

  // The L2D encoder graphs (no LM head, last token only) against the generation graph, side by side,
  // each twice in the order A B C C B A (the first configuration of a page pays its compilation).
  const graphs = ['fused', 'encoder', 'full', 'full', 'encoder', 'fused'] as const;
  // The JSPI WebGPU build (10 MB smaller; runtime 'jspi') on the fused graph, before and after the others: its speed
  // against the asyncify build's, which every GPU figure so far is.
  const withJspi = async (batch: number) => {
    const jspi = () => runEncoderBench(inputs.modelUrl, undefined, titles, batch, ['fused'], ['webgpu'], 'jspi');
    return [...(await jspi()), ...(await runEncoderBench(inputs.modelUrl, undefined, titles, batch, [...graphs])), ...(await jspi())];
  };
  await stage('encoder', () => withJspi(32));
  await stage('encoderBatch64', () => withJspi(64));

  await stage('flow', async () => {
    const rows = [];
    for (const strategy of [
      { strategy: 'global' as const, k: 50 },
      { strategy: 'local' as const, k: 50, m: 1000 },
    ]) {
      for (const keepHiddenOnGpu of [true, false]) {
        const load: LoadOptions = { modelUrl: inputs.modelUrl, memoryUrl: inputs.memoryUrl, device: 'webgpu', decoder: 'webgpu', dtype: 'q4', keepHiddenOnGpu };
        rows.push({ ...strategy, keepHiddenOnGpu, ...(await timeFlow(inputs, load, strategy)) });
      }
      // The traced encoder graph on WebGPU: what the fused graph (the 'auto' choice above) is held against.
      rows.push({ ...strategy, keepHiddenOnGpu: true, graph: 'encoder', ...(await timeFlow(inputs, { modelUrl: inputs.modelUrl, memoryUrl: inputs.memoryUrl, device: 'webgpu', decoder: 'webgpu', dtype: 'q4', graph: 'encoder' }, strategy)) });
      rows.push({ ...strategy, encoder: 'wasm', ...(await timeFlow(inputs, { modelUrl: inputs.modelUrl, memoryUrl: inputs.memoryUrl, device: 'wasm', decoder: 'webgpu', dtype: 'q4' }, strategy)) });
    }
    return rows;
  });

  // reusePrefix on a growing history: the fused graph's own cache vs the generation graph's, against full encodes.
  await stage('prefix', async () => {
    // Histories of 6 to 10 items, grown from 5 one request at a time (as bench:prefix does).
    const sessions = inputs.histories.filter((h) => h.ids.length >= 6).slice(0, quick ? 1 : 16).map((h) => h.ids.slice(0, 10));
    const load: LoadOptions = { modelUrl: inputs.modelUrl, memoryUrl: inputs.memoryUrl, device: 'webgpu', decoder: 'webgpu', dtype: 'q4', cache: 'none' };
    return runPrefixBench(load, sessions, 5, PREFIX_BENCH_MODES);
  });

  // recommend() vs language-space decoding of the same model in one worker, interleaved (issue 8/9's ratio).
  await stage('versusGeneration', async () => {
    const histories = inputs.histories.slice(0, 32).map((h) => ({ ids: h.ids }));
    const rows = [];
    for (const device of ['webgpu', 'wasm'] as const) {
      const load: LoadOptions = { modelUrl: inputs.modelUrl, memoryUrl: inputs.memoryUrl, device, decoder: 'webgpu', dtype: 'q4', cache: 'none' };
      rows.push({ device, ...(await runVersusGeneration(load, histories, { log })) });
    }
    return rows;
  });

  await stage('buildMemory', async () => {
    const rows = [];
    for (const batch of [16, 64]) {
      const { worker, api } = newWorker();
      try {
        // The loaded memory supplies the catalog the samples' ids refer to.
        await api.load({ modelUrl: inputs.modelUrl, memoryUrl: inputs.memoryUrl, device: 'webgpu', dtype: 'q4' });
        await api.buildMemory({ samples: inputs.samples.slice(0, batch), batch }); // warm-up
        const t0 = performance.now();
        const built = await api.buildMemory({ samples: inputs.samples, batch });
        const ms = performance.now() - t0;
        rows.push({ batch, samples: inputs.samples.length, ms, rowsPerSecond: inputs.samples.length / (ms / 1000), rows: built.manifest.rows });
      } finally {
        await api.dispose().catch(() => undefined);
        worker.terminate();
      }
    }
    return rows;
  });

  if (inputs.decodeConfigs.length) await stage('decode', () => runDecodeBench(inputs.decodeConfigs, 5, log));
  results.finished = new Date().toISOString();
  await post();
  log('done');
}

void main();
