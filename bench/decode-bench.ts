/**
 * The decode engine's benchmark page: for each (N, d) it builds a synthetic
 * memory, then times L2D-G, L2D-L and L2D-V decodes on the GPU decoder (wall clock
 * and per-stage GPU timestamps) and on the CPU decoder (its scans on
 * WebAssembly SIMD, and in plain JS), side by side in the same page. Reports JSON; bench/run-decode-bench.ts drives it.
 */
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import { DEFAULT_VOTE_M } from '../src/core/decode-options.ts';
import { rowStride } from '../src/core/memory.ts';
import { generateSyntheticMemory, syntheticQuery } from '../src/core/synthetic-memory.ts';
import { GpuDecoder, requestDecoderDevice, type GpuDecodeTimings } from '../src/gpu/index.ts';
import { median } from '../src/core/stats.ts';

export interface BenchConfig {
  rows: number;
  dim: number;
}

export interface BenchRow {
  /** Set when this configuration could not run (e.g. the adapter ran out of memory). */
  error?: string;
  rows: number;
  dim: number;
  items: number;
  memoryMB: number;
  parts: number;
  setupMs: number;
  global: StrategyTimes;
  local: StrategyTimes;
  /** L2D-V at its default M (absent in results recorded before it was timed). */
  vote?: StrategyTimes;
  /** The CPU decoder, median of the same queries: its scans on WebAssembly SIMD (the default), and in plain JS. */
  cpuGlobalMs: number;
  cpuLocalMs: number;
  /** Absent in results recorded before the SIMD scans. */
  cpuJsGlobalMs?: number;
  cpuJsLocalMs?: number;
  cpuVoteMs?: number;
}

export interface StrategyTimes {
  /** Median wall-clock ms of decode() (submit to results in JS). */
  totalMs: number;
  scanMs?: number;
  selectMs?: number;
  aggregateMs?: number;
}

/** L2D-V at its default M (the default strategy). */
const VOTE_REQUEST = { k: 50, strategy: 'vote', m: DEFAULT_VOTE_M } as const;

async function timeStrategy(decoder: GpuDecoder, queries: Float32Array[], options: Parameters<GpuDecoder['decode']>[1]): Promise<StrategyTimes> {
  await decoder.decode(queries[0], options); // warm-up: pipelines, caches
  const runs: GpuDecodeTimings[] = [];
  const wall: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    await decoder.decode(q, options);
    wall.push(performance.now() - t0);
    runs.push(decoder.lastTimings);
  }
  const stage = (key: 'scan' | 'select' | 'aggregate') => (runs[0][key] === undefined ? undefined : median(runs.map((r) => r[key] ?? 0)));
  return { totalMs: median(wall), scanMs: stage('scan'), selectMs: stage('select'), aggregateMs: stage('aggregate') };
}

export async function runDecodeBench(configs: BenchConfig[], repeats = 3, log: (s: string) => void = () => {}) {
  const { device, adapter } = await requestDecoderDevice();
  const rows: BenchRow[] = [];
  for (const { rows: n, dim } of configs) {
    const items = Math.min(10_000, Math.max(100, Math.round(n / 20)));
    log(`N=${n} d=${dim}: generating memory`);
    const memory = generateSyntheticMemory({ rows: n, dim, items, seed: 42 });
    const queries = Array.from({ length: repeats }, (_, i) => syntheticQuery(memory, i + 1));
    const t0 = performance.now();
    let decoder: GpuDecoder;
    try {
      decoder = await GpuDecoder.create(device, memory);
    } catch (error) {
      log(`N=${n} d=${dim}: ${(error as Error).message}`);
      rows.push({ error: (error as Error).message.split('\n')[0], rows: n, dim, items } as BenchRow);
      continue;
    }
    const setupMs = performance.now() - t0;
    log(`N=${n} d=${dim}: timing GPU decoder`);
    const global = await timeStrategy(decoder, queries, { k: 50, strategy: 'global' });
    const local = await timeStrategy(decoder, queries, { k: 50, strategy: 'local', m: 1000 });
    const vote = await timeStrategy(decoder, queries, VOTE_REQUEST);
    const parts = decoder.info.parts;
    decoder.destroy();
    log(`N=${n} d=${dim}: timing the CPU decoder (WebAssembly SIMD and JS, alternating)`);
    const simd = new CpuDecoder(memory);
    const js = new CpuDecoder(memory, { scan: 'js' });
    void simd.centroids; // built once, like the GPU decoder's setup
    void js.centroids;
    /** Median ms of each decoder on the same queries, the two alternating query by query (a noisy machine slows both alike). */
    const cpuTimes = (options: Parameters<CpuDecoder['decode']>[1]) => {
      for (const decoder of [simd, js]) decoder.decode(queries[0], options); // warm-up: the JIT
      const times: number[][] = [[], []];
      for (const q of queries) {
        [simd, js].forEach((decoder, i) => {
          const c0 = performance.now();
          decoder.decode(q, options);
          times[i].push(performance.now() - c0);
        });
      }
      return times.map(median);
    };
    const [cpuGlobalMs, cpuJsGlobalMs] = cpuTimes({ k: 50, strategy: 'global' });
    const [cpuLocalMs, cpuJsLocalMs] = cpuTimes({ k: 50, strategy: 'local', m: 1000 });
    const [cpuVoteMs] = cpuTimes(VOTE_REQUEST);
    rows.push({ rows: n, dim, items, memoryMB: (n * rowStride(dim) * 2) / 2 ** 20, parts, setupMs, global, local, vote, cpuGlobalMs, cpuLocalMs, cpuJsGlobalMs, cpuJsLocalMs, cpuVoteMs });
  }
  device.destroy();
  return { adapter, userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, rows };
}

const logElement = document.getElementById('log') ?? document.body;
(globalThis as unknown as { l2dBench: unknown }).l2dBench = {
  run: (configs: BenchConfig[], repeats?: number) =>
    runDecodeBench(configs, repeats, (s) => {
      logElement.textContent += `\n${s}`;
      console.info(s);
    }),
};
document.body.dataset.ready = 'true';
