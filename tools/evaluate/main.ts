/**
 * evaluate: Recall@K / NDCG@K (K = 20, 50, 100, full ranking) of baselines or
 * of a rankings file on a split of a prepared data set, printed in the
 * layout of the paper's Table 1.
 *
 *   npm run evaluate -- --data data/prepared/movielens-latest-small --split test
 *   npm run evaluate -- --data DIR --method popular              (popular | cooccurrence | all)
 *   npm run evaluate -- --data DIR --rankings my-rankings.tsv    (line: sample index <TAB> item ids, best first)
 *   npm run evaluate -- --data DIR --model MODEL --memory SHARD [--dtype q4] [--m 100,1000 | none] [--limit N]   (L2D-G and L2D-L)
 *   npm run evaluate -- --data DIR --model MODEL [--memory SHARD] --method greedy,beam5 [--limit N]   (language-space decoding;
 *        with --memory also L2D, and per-request latencies side by side)
 *        [--memory-fraction 0.3 [--seed 0]]   L2D on the rows of a full shard that `build-memory --fraction 0.3` keeps (Table 3)
 *   npm run evaluate -- --data DIR --model MODEL --memory SHARD --latency 100 [--out DIR]   per-request latency of L2D-G, L2D-L,
 *        greedy and beam-5, interleaved request by request (saved as DIR/latency.json)
 *   [--out DIR]   keep each method's rankings (DIR/<method>.tsv) and metrics (DIR/results.json) for `npm run results`
 *        [--cold-start similar-titles]   also with the cold-start rule (src/core/cold-start.ts); a second table scores
 *                                         the samples whose target has no memory row
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoOccurrence, MostPopular, type Recommender } from '../../src/core/baselines.ts';
import type { Sample, Split } from '../../src/core/data/prepare.ts';
import { DataFormatError, L2DError } from '../../src/core/errors.ts';
import { evaluateRankings } from '../../src/core/evaluate.ts';
import { METRIC_KS, metricsTable, type MetricValues } from '../../src/core/metrics.ts';
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { coldStartCentroids, COLD_START_RULES, type ColdStartRule } from '../../src/core/cold-start.ts';
import { rowStride, selectRows } from '../../src/core/memory.ts';
import type { DecodeOptions } from '../../src/core/decode-options.ts';
import { reservoirSample } from '../build-memory/main.ts';
import { loadGenerator } from '../lib/generate.ts';
import { BatchedNearestRows } from '../lib/batched-nearest.ts';
import { padQuery } from '../../src/core/l2-scan.ts';
import { readText } from '../lib/files.ts';
import { loadNodeEncoder } from '../lib/onnx-encoder.ts';
import { ProgressBar } from '../lib/progress.ts';
import { loadShard } from '../lib/shard-files.ts';
import { loadPrepared, type LoadedDataset } from '../lib/prepared.ts';
import { saveLatency, saveMethodRun } from '../lib/run-record.ts';

const MAX_K = Math.max(...METRIC_KS);

/** Reads a rankings file: one line per sample of the split, "index<TAB>id id id ...". */
export function readRankings(path: string, samples: readonly Sample[], itemCount: number, options: { firstOnly?: boolean } = {}): Uint32Array[] {
  const rankings: (Uint32Array | undefined)[] = new Array(samples.length);
  readText(path)
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const [indexText, ids = ''] = line.split('\t');
      const index = Number(indexText);
      // firstOnly: the file may rank more samples than asked for (the first ones are scored).
      if (options.firstOnly && Number.isInteger(index) && index >= samples.length) return;
      if (!Number.isInteger(index) || index < 0 || index >= samples.length) {
        throw new DataFormatError(`${path}:${i + 1}: sample index "${indexText}" is outside 0..${samples.length - 1}.`);
      }
      if (rankings[index]) throw new DataFormatError(`${path}:${i + 1}: sample ${index} is ranked twice.`);
      rankings[index] = Uint32Array.from(ids.trim() === '' ? [] : ids.trim().split(/\s+/), (token) => {
        const id = Number(token);
        if (!Number.isInteger(id) || id < 0 || id >= itemCount) throw new DataFormatError(`${path}:${i + 1}: "${token}" is not an item id (0..${itemCount - 1}).`);
        return id;
      });
    });
  const missing = rankings.findIndex((r) => !r);
  if (missing >= 0) throw new DataFormatError(`${path}: no ranking for sample ${missing} (every sample of the split needs one line).`);
  return rankings as Uint32Array[];
}

export function baseline(name: string, data: LoadedDataset): Recommender {
  const train = data.split('train');
  if (name === 'popular') return new MostPopular(train, data.items.length);
  if (name === 'cooccurrence') return new CoOccurrence(train, data.items.length);
  throw new L2DError('invalid-argument', `Unknown method "${name}": use popular, cooccurrence or all.`);
}

export function evaluateBaselines(data: LoadedDataset, split: Split, methods: string[], limit = Infinity): MethodRun[] {
  const samples = data.split(split).slice(0, limit);
  return methods.map((m) => {
    const recommender = baseline(m, data);
    const lists = samples.map((s) => recommender.recommend(s.history, MAX_K));
    return { method: recommender.name, values: evaluateRankings(samples, (_, i) => lists[i]), lists };
  });
}

/** One method's outcome on a split: metrics, the top-MAX_K list of every sample, mean ms per request where timed. */
export interface MethodRun {
  method: string;
  values: MetricValues;
  lists: ArrayLike<number>[];
  requestMs?: number;
}

export interface L2DEvaluation {
  rows: { method: string; values: MetricValues }[];
  /** Top-MAX_K lists per method, per sample (for overlap studies). */
  rankings: Map<string, Uint32Array[]>;
  encodeMs: number;
  /** Per-request latency (one history: encode + decode), ms, where timeRequests was given. */
  requestMs: Map<string, number>;
  /** The same methods on the samples whose target has no memory row (cold-start targets). */
  coldRows: { method: string; values: MetricValues }[];
  coldSamples: number;
  /** Cold items given a centroid by the cold-start rule (with coldStart). */
  coldStartItems?: number;
}

/**
 * L2D on a split: every sample's prompt is encoded once with the model's ONNX
 * file (onnxruntime-node), then ranked by L2D-G and by L2D-L for each M
 * against the memory shard (which must come from the same model file).
 */
export async function evaluateL2D(
  data: LoadedDataset,
  split: Split,
  modelFolder: string,
  memoryFolder: string,
  options: {
    dtype?: string;
    ms?: number[];
    limit?: number;
    quiet?: boolean;
    coldStart?: ColdStartRule;
    timeRequests?: number;
    /** Keep only this share of the (full) shard's rows: the rows `build-memory --fraction` would have built. */
    memoryFraction?: number;
    seed?: number;
  } = {},
): Promise<L2DEvaluation> {
  const encoder = await loadNodeEncoder(modelFolder, options.dtype ?? 'q4');
  const loaded = await loadShard(memoryFolder, { sha256: encoder.sha256, hiddenSize: encoder.hiddenSize });
  const fraction = options.memoryFraction ?? 1;
  let memory = loaded.memory;
  if (fraction !== 1) {
    const shardFraction = loaded.manifest.dataset?.fraction ?? 1;
    if (shardFraction !== 1 || loaded.manifest.rows !== loaded.manifest.dataset?.samples) {
      throw new L2DError('invalid-argument', `--memory-fraction needs a full shard (one row per training sample); ${memoryFolder} holds ${loaded.manifest.rows} rows at fraction ${shardFraction}.`);
    }
    if (!(fraction > 0 && fraction < 1)) throw new L2DError('invalid-argument', `--memory-fraction must be in (0, 1], got ${fraction}.`);
    // build-memory's sample of the training split, in its order; row i of a full shard is training sample i.
    memory = selectRows(memory, reservoirSample(memory.rows, Math.round(fraction * memory.rows), options.seed ?? 0));
  }
  const samples = data.split(split).slice(0, options.limit ?? Infinity);
  const t0 = performance.now();
  const queries: Float32Array[] = [];
  const bar = new ProgressBar(samples.length, 'prompts');
  for (let b = 0; b < samples.length; b += 32) {
    const part = samples.slice(b, b + 32);
    queries.push(...(await encoder.encode(part.map((s) => s.history.map((i) => data.items[i].title)))).hidden);
    if (!options.quiet) bar.update(queries.length);
  }
  if (!options.quiet) bar.finish(queries.length);
  const encodeMs = performance.now() - t0;
  // One request at a time, as a page makes them: the encoder's share of each request's latency.
  const timed = samples.slice(0, options.timeRequests ?? 0);
  let encodeOneMs = 0;
  for (const s of timed) {
    const e0 = performance.now();
    await encoder.encode([s.history.map((i) => data.items[i].title)]);
    encodeOneMs += (performance.now() - e0) / timed.length;
  }
  await encoder.release();
  const decoders: [string, CpuDecoder][] = [['', new CpuDecoder(memory)]];
  let coldStartItems: number | undefined;
  if (options.coldStart && options.coldStart !== 'none') {
    const extraCentroids = coldStartCentroids(
      data.items.map((item) => item.title),
      decoders[0][1].centroids,
      rowStride(memory.dim),
    );
    coldStartItems = extraCentroids.length;
    decoders.push([` + cold start (${options.coldStart})`, new CpuDecoder(memory, { extraCentroids })]);
  }
  const ms = options.ms ?? [1000];
  const memoryLabel = fraction === 1 ? '' : `, ${Math.round(fraction * 100)}% memory`;
  const names = ['L2D-G' + (memoryLabel ? ` (${memoryLabel.slice(2)})` : ''), ...ms.map((m) => `L2D-L (M=${m}${memoryLabel})`)];
  const counts = decoders[0][1].centroids.counts;
  const cold = samples.flatMap((s, i) => (counts[s.target] === 0 ? [i] : []));
  const rankings = new Map<string, Uint32Array[]>();
  const requestMs = new Map<string, number>();
  const rows: L2DEvaluation['rows'] = [];
  const coldRows: L2DEvaluation['coldRows'] = [];
  const ids = (items: { item: number }[]) => Uint32Array.from(items, (x) => x.item);
  // The top-max(M) rows of every query once, batched (exactly the reference's; tools/lib/batched-nearest.ts).
  const nearest: Uint32Array[] = [];
  if (ms.length) {
    const batched = await BatchedNearestRows.create(memory);
    const sbar = new ProgressBar(queries.length, 'row scans');
    try {
      for (let b = 0; b < queries.length; b += 64) {
        const padded = queries.slice(b, b + 64).map((q) => padQuery(q, memory.dim));
        nearest.push(...(await batched.nearestRows(padded, Math.min(Math.max(...ms), memory.rows))));
        if (!options.quiet) sbar.update(nearest.length);
      }
    } finally {
      await batched.release();
    }
    if (!options.quiet) sbar.finish(nearest.length);
  }
  for (const [suffix, decoder] of decoders) {
    // Every M from the same rows (decodeLocalSweep equals one decode per M).
    const lists: Uint32Array[][] = names.map(() => []);
    queries.forEach((q, i) => {
      lists[0].push(ids(decoder.decode(q, { k: MAX_K, strategy: 'global' })));
      if (ms.length) decoder.decodeLocalSweep(q, ms, { k: MAX_K }, nearest[i]).forEach((items, j) => lists[j + 1].push(ids(items)));
    });
    names.forEach((name, j) => {
      const method = name + suffix;
      rankings.set(method, lists[j]);
      rows.push({ method, values: evaluateRankings(samples, (_, i) => lists[j][i]) });
      coldRows.push({ method, values: evaluateRankings(cold.map((i) => samples[i]), (_, c) => lists[j][cold[c]]) });
      if (timed.length) {
        // A request decodes one M: timed alone, per query.
        const request: DecodeOptions = j === 0 ? { k: MAX_K, strategy: 'global' } : { k: MAX_K, strategy: 'local', m: ms[j - 1] };
        const d0 = performance.now();
        for (const q of queries.slice(0, timed.length)) decoder.decode(q, request);
        requestMs.set(method, encodeOneMs + (performance.now() - d0) / timed.length);
      }
    });
  }
  return { rows, rankings, encodeMs, requestMs, coldRows, coldSamples: cold.length, coldStartItems };
}

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
 * request of every method in turn (L2D-G, L2D-L with M = 1000: one encode +
 * one decode with the CPU reference; greedy; beam-5), so that all methods
 * see the same machine load. Mean and median ms per method.
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
  const greedy = await loadGenerator(modelFolder, titles, { dtype: options.dtype, numBeams: 1 });
  const beam5 = await loadGenerator(modelFolder, titles, { dtype: options.dtype, numBeams: 5 });
  const l2d = (request: DecodeOptions) => async (history: string[]) => decoder.decode((await encoder.encode([history])).hidden[0], request);
  const methods: [string, (history: string[]) => Promise<unknown>][] = [
    ['L2D-G', l2d({ k: MAX_K, strategy: 'global' })],
    ['L2D-L (M=1000)', l2d({ k: MAX_K, strategy: 'local', m: 1000 })],
    ['greedy', (h) => greedy.recommend(h, MAX_K)],
    ['beam-5', (h) => beam5.recommend(h, MAX_K)],
  ];
  const samples = data.split(split).slice(0, n);
  const times = methods.map(() => [] as number[]);
  const bar = new ProgressBar(samples.length, 'requests x 4');
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
    await Promise.all([encoder.release(), greedy.release(), beam5.release()]);
  }
  if (!options.quiet) bar.finish(samples.length);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(methods.map(([name], j) => [name, { mean: times[j].reduce((a, b) => a + b, 0) / times[j].length, median: median(times[j]) }]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      split: { type: 'string', default: 'test' },
      method: { type: 'string' },
      rankings: { type: 'string', multiple: true },
      model: { type: 'string' },
      memory: { type: 'string' },
      dtype: { type: 'string', default: 'q4' },
      m: { type: 'string', default: '1000' },
      'memory-fraction': { type: 'string', default: '1' },
      seed: { type: 'string', default: '0' },
      limit: { type: 'string' },
      'cold-start': { type: 'string', default: 'none' },
      out: { type: 'string' },
      latency: { type: 'string' },
    },
  });
  if (!values.data) {
    console.error('usage: npm run evaluate -- --data <prepared folder> [--split test|valid|train] [--method popular|cooccurrence|all] [--rankings FILE ...]');
    process.exit(2);
  }
  const split = values.split as Split;
  if (!['train', 'valid', 'test'].includes(split)) throw new L2DError('invalid-argument', `--split must be train, valid or test, got "${split}".`);
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(limit >= 1)) throw new L2DError('invalid-argument', `--limit must be a positive number of samples, got "${values.limit}".`);
  const data = loadPrepared(values.data);
  const samples = data.split(split).slice(0, limit);
  const header = { dataset: data.manifest.name, split, samples: samples.length, items: data.items.length };
  if (values.latency !== undefined) {
    const n = Number(values.latency);
    if (!(Number.isInteger(n) && n >= 1)) throw new L2DError('invalid-argument', `--latency must be a positive number of requests, got "${values.latency}".`);
    if (!values.model || !values.memory) throw new L2DError('invalid-argument', '--latency needs --model <folder> and --memory <shard folder>.');
    const ms = await measureLatency(data, split, values.model, values.memory, n, { dtype: values.dtype });
    const beam5 = ms['beam-5'].median;
    console.log(`\nPer-request latency, side by side (${n} ${split} samples, interleaved; onnxruntime-node and the CPU reference decoder):\n`);
    console.log('| method | median ms | mean ms | beam-5 / this (medians) |\n|---|---|---|---|');
    for (const [name, t] of Object.entries(ms)) console.log(`| ${name} | ${t.median.toFixed(1)} | ${t.mean.toFixed(1)} | ${(beam5 / t.median).toFixed(1)}x |`);
    if (values.out) saveLatency(values.out, { dataset: data.manifest.name, split, samples: data.split(split).length, items: data.items.length }, n, ms);
    return;
  }
  const runs: MethodRun[] = [];
  // Saved as soon as each method finishes: an interrupted long run keeps what it finished.
  const done = (...finished: MethodRun[]) => {
    runs.push(...finished);
    if (values.out) for (const run of finished) saveMethodRun(values.out, header, run);
  };
  let coldTable = '';
  const method = values.method ?? (values.rankings || values.model ? undefined : 'all');
  const methods = method === 'all' ? ['popular', 'cooccurrence'] : (method?.split(',') ?? []);
  const generation = methods.filter((m) => m === 'greedy' || m.startsWith('beam'));
  const baselines = methods.filter((m) => !generation.includes(m));
  if (baselines.length) done(...evaluateBaselines(data, split, baselines, limit));
  const latency: [string, number][] = [];
  for (const file of values.rankings ?? []) {
    const rankings = readRankings(file, data.split(split), data.items.length).slice(0, limit);
    done({ method: file, values: evaluateRankings(samples, (_, i) => rankings[i]), lists: rankings });
  }
  if (generation.length && !values.model) throw new L2DError('invalid-argument', `${generation.join(', ')} need --model <folder> (the generation graph).`);
  for (const g of generation) {
    const r = await evaluateGeneration(data, split, values.model!, g, { dtype: values.dtype, limit });
    done(r);
    latency.push([r.method, r.requestMs]);
  }
  if (values.memory) {
    if (!values.model) throw new L2DError('invalid-argument', 'L2D needs both --model <folder> and --memory <shard folder>.');
    const l2d = await evaluateL2D(data, split, values.model, values.memory, {
      dtype: values.dtype,
      ms: values.m === 'none' ? [] : values.m.split(',').map(Number),
      limit,
      coldStart: parseColdStart(values['cold-start']),
      timeRequests: generation.length ? 50 : 0,
      memoryFraction: Number(values['memory-fraction']),
      seed: Number(values.seed),
    });
    done(...l2d.rows.map((row) => ({ ...row, lists: l2d.rankings.get(row.method)!, requestMs: l2d.requestMs.get(row.method) })));
    for (const [name, ms] of l2d.requestMs) latency.unshift([name, ms]);
    // Targets the memory has no row for are reported, not skipped: L2D ranks them only through the cold-start rule.
    const rule = l2d.coldStartItems === undefined ? 'without --cold-start L2D cannot rank them' : `the cold-start rule gave ${l2d.coldStartItems} such items a centroid`;
    coldTable = `\nThe ${l2d.coldSamples} samples (${((100 * l2d.coldSamples) / samples.length).toFixed(1)}%) whose target has no memory row (${rule}):\n\n${metricsTable(l2d.coldRows)}`;
  }
  console.log(`${data.manifest.name}, ${split} split (${samples.length} samples, ${data.items.length} items, full ranking)\n`);
  console.log(metricsTable(runs));
  if (coldTable) console.log(coldTable);
  if (latency.length) {
    // Side by side in this one run: L2D per request = one encode (first 50 samples) + one decode; generation = the whole request.
    const slowest = Math.max(...latency.map(([, ms]) => ms));
    console.log('\nPer-request latency, this run (onnxruntime-node, CPU):\n\n| method | ms per request | slowest / this |\n|---|---|---|');
    for (const [name, ms] of latency) console.log(`| ${name} | ${ms.toFixed(1)} | ${(slowest / ms).toFixed(1)}x |`);
  }
  if (values.out) console.log(`\nRankings and metrics saved in ${values.out}/ (npm run results -- ${values.out}).`);
}

function parseColdStart(value: string | undefined): ColdStartRule {
  if (!COLD_START_RULES.includes(value as ColdStartRule)) throw new L2DError('invalid-argument', `--cold-start must be one of ${COLD_START_RULES.join(', ')}, got "${value}".`);
  return value as ColdStartRule;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    if (error instanceof L2DError) {
      console.error(`evaluate: ${error.message}`);
      process.exit(1);
    }
    throw error;
  });
}
