/** Language-space decoding on a split, and per-request latency of all methods side by side, for `npm run evaluate`. */
import type { Split } from '../../src/core/data/prepare.ts';
import { L2DError } from '../../src/core/errors.ts';
import { evaluateRankings } from '../../src/core/evaluate.ts';
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { DEFAULT_LOCAL_M, DEFAULT_VOTE_M, type DecodeOptions } from '../../src/core/decode-options.ts';
import { loadGenerator } from '../lib/generate.ts';
import { loadNodeEncoder } from '../lib/onnx-encoder.ts';
import { ProgressBar } from '../lib/progress.ts';
import { loadShard } from '../lib/shard-files.ts';
import type { LoadedDataset } from '../lib/prepared.ts';
import { MAX_K, type MethodRun } from './method-run.ts';
import { median } from '../../src/core/stats.ts';

/**
 * Language-space decoding on a split: greedy (`greedy`) or beam search
 * (`beam5`, `beam10`, ...) with the generation graph, titles grounded to the
 * catalog (tools/lib/generate.ts). Returns the metrics and the mean latency per request.
 */
export async function evaluateGeneration(
  data: LoadedDataset,
  split: Split,
  modelFolder: string,
  method: string,
  options: { dtype?: string; limit?: number; quiet?: boolean } = {},
): Promise<MethodRun & { requestMs: number }> {
  const numBeams = method === 'greedy' ? 1 : Number(/^beam(\d+)$/.exec(method)?.[1]);
  if (!(numBeams >= 1)) throw new L2DError('invalid-argument', `Unknown generation method "${method}": use greedy or beamN (e.g. beam5).`);
  const titles = data.items.map((item) => item.title);
  const generator = await loadGenerator(modelFolder, titles, { dtype: options.dtype, numBeams });
  const samples = data.split(split).slice(0, options.limit ?? Infinity);
  const k = Math.min(MAX_K, titles.length);
  const lists: number[][] = [];
  const bar = new ProgressBar(samples.length, 'prompts');
  const t0 = performance.now();
  try {
    for (const s of samples) {
      lists.push((await generator.recommend(s.history.map((i) => titles[i]), k)).items);
      if (!options.quiet) bar.update(lists.length);
    }
  } finally {
    await generator.release();
  }
  if (!options.quiet) bar.finish(lists.length);
  const requestMs = (performance.now() - t0) / samples.length;
  return { method: numBeams === 1 ? 'greedy' : `beam-${numBeams}`, values: evaluateRankings(samples, (_, i) => lists[i]), lists, requestMs };
}

/**
 * Per-request latency side by side: for each of the first `n` samples, one
 * request of every method in turn (L2D-G, L2D-L and L2D-V with their
 * default M: one encode + one decode with the CPU decoder; greedy; beam-5), so
 * that all methods see the same machine load. Mean and median ms per method.
 */
export async function measureLatency(
  data: LoadedDataset,
  split: Split,
  modelFolder: string,
  memoryFolder: string,
  n: number,
  options: { dtype?: string; quiet?: boolean } = {},
): Promise<Record<string, { mean: number; median: number }>> {
  const titles = data.items.map((item) => item.title);
  // The L2D encoder graph where the model has one: the path a page takes.
  const encoder = await loadNodeEncoder(modelFolder, options.dtype ?? 'q4', 'auto');
  const { memory } = await loadShard(memoryFolder, { sha256: encoder.sha256, hiddenSize: encoder.hiddenSize });
  const decoder = new CpuDecoder(memory);
  void decoder.centroids; // computed once at load, as the worker does
  // One generation session serves greedy and beam-5 (numBeams is per request).
  const generator = await loadGenerator(modelFolder, titles, { dtype: options.dtype, numBeams: 1 });
  const generate = (numBeams: number) => (history: string[]) => generator.recommender.recommend(history, { k: MAX_K, numBeams });
  const l2d = (request: DecodeOptions) => async (history: string[]) => decoder.decode((await encoder.encode([history])).hidden[0], request);
  const methods: [string, (history: string[]) => Promise<unknown>][] = [
    ['L2D-G', l2d({ k: MAX_K, strategy: 'global' })],
    [`L2D-L (M=${DEFAULT_LOCAL_M})`, l2d({ k: MAX_K, strategy: 'local', m: DEFAULT_LOCAL_M })],
    [`L2D-V (M=${DEFAULT_VOTE_M})`, l2d({ k: MAX_K, strategy: 'vote', m: DEFAULT_VOTE_M })],
    ['greedy', generate(1)],
    ['beam-5', generate(5)],
  ];
  const samples = data.split(split).slice(0, n);
  const times = methods.map(() => [] as number[]);
  const bar = new ProgressBar(samples.length, `requests x ${methods.length}`);
  try {
    // One warm-up request each.
    for (const [, run] of methods) await run(samples[0].history.map((i) => titles[i]));
    for (const [i, s] of samples.entries()) {
      const history = s.history.map((id) => titles[id]);
      for (const [j, [, run]] of methods.entries()) {
        const t0 = performance.now();
        await run(history);
        times[j].push(performance.now() - t0);
      }
      if (!options.quiet) bar.update(i + 1);
    }
  } finally {
    await Promise.all([encoder.release(), generator.release()]);
  }
  if (!options.quiet) bar.finish(samples.length);
  return Object.fromEntries(methods.map(([name], j) => [name, { mean: times[j].reduce((a, b) => a + b, 0) / times[j].length, median: median(times[j]) }]));
}
