/**
 * evaluate: Recall@K / NDCG@K (K = 20, 50, 100, full ranking) of baselines or
 * of a rankings file on a split of a prepared data set, printed in the
 * layout of the paper's Table 1.
 *
 *   npm run evaluate -- --data data/prepared/movielens-latest-small --split test
 *   npm run evaluate -- --data DIR --method popular              (popular | cooccurrence | all)
 *        [--baselines-from train,valid]   counted from these splits (default train); beside a memory built from them
 *   npm run evaluate -- --data DIR --rankings my-rankings.tsv    (line: sample index <TAB> item ids, best first)
 *   npm run evaluate -- --data DIR --model MODEL --memory SHARD [--dtype q4] [--m 100,1000 | none] [--vote-m 3000] [--limit N]
 *        (L2D-G, L2D-L at each --m and L2D-V at each --vote-m)
 *        [--graph auto|full]   the queries' graph: the fused L2D encoder graph where the model has one (as the page), or the generation graph
 *   npm run evaluate -- --data DIR --model MODEL [--memory SHARD] --method greedy,beam5 [--limit N]   (language-space decoding;
 *        with --memory also L2D, and per-request latencies side by side)
 *        [--memory-fraction 0.3 [--seed 0]]   L2D on the rows of a full shard that `build-memory --fraction 0.3` keeps (Table 3)
 *   npm run evaluate -- --data DIR --model MODEL --memory SHARD --latency 100 [--out DIR]   per-request latency of L2D-G, L2D-L,
 *        L2D-V, greedy and beam-5, interleaved request by request (saved as DIR/latency.json)
 *   [--exclude-history]   each sample's history items never ranked (as recommend()'s excludeHistory), for L2D and
 *        the baselines; the paper's protocol (the default) ranks them
 *   [--out DIR]   keep each method's rankings (DIR/<method>.tsv) and metrics (DIR/results.json) for `npm run results`
 *        [--cold-start similar-titles]   also with the cold-start rule (src/core/cold-start.ts); a second table scores
 *                                         the samples whose target has no memory row
 */
import { CoOccurrence, MostPopular, recommendWithoutHistory, type Recommender } from '../../src/core/baselines.ts';
import { SPLITS, type Sample, type Split } from '../../src/core/data/prepare.ts';
import { DataFormatError, L2DError } from '../../src/core/errors.ts';
import { evaluateRankings, HISTORY_EXCLUDED, methodName } from '../../src/core/evaluate.ts';
import { metricsTable } from '../../src/core/metrics.ts';
import { COLD_START_RULES, type ColdStartRule } from '../../src/core/cold-start.ts';
import { readText } from '../lib/files.ts';
import { parseFraction, parseMList, parseWholeNumber } from '../../src/core/setting-text.ts';
import { MAX_SEED } from '../build-memory/main.ts';
import { parseNodeEncoderGraph } from '../lib/onnx-encoder.ts';
import { loadPrepared, parseSplits, splitsLabel, type LoadedDataset } from '../lib/prepared.ts';
import { saveLatency, saveMethodRun } from '../lib/run-record.ts';
import { evaluateGeneration, measureLatency } from './generation.ts';
import { evaluateL2D } from './l2d.ts';
import { MAX_K, type MethodRun } from './method-run.ts';
import { exitWithUsage, isEntryPoint, parseOptions, runCli } from '../lib/cli.ts';

export { evaluateGeneration, evaluateL2D, measureLatency, type MethodRun };

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
  if (missing >= 0) throw new DataFormatError(`${path}: no ranking for sample ${missing} (every sample of the split needs one line; a file ranking the first N samples takes --limit N).`);
  return rankings as Uint32Array[];
}

/** A baseline counted from `fitSplits`' samples (default train, as the models and the paper's memory are). */
export function baseline(name: string, data: LoadedDataset, fitSplits: readonly Split[] = ['train']): Recommender {
  const fitted = fitSplits.flatMap((s) => data.split(s));
  if (name === 'popular') return new MostPopular(fitted, data.items.length);
  if (name === 'cooccurrence') return new CoOccurrence(fitted, data.items.length);
  throw new L2DError('invalid-argument', `Unknown method "${name}": use popular, cooccurrence or all.`);
}

/**
 * The baselines on a split. Counted from other splits than train (`--baselines-from train,valid`, to stand beside
 * a memory built from the same splits), a method's name says which: "item co-occurrence (train+valid)"; so does
 * `excludeHistory` (each sample's history items never ranked, the rest moving up): "most-popular (history excluded)".
 */
export function evaluateBaselines(
  data: LoadedDataset,
  split: Split,
  methods: string[],
  options: { limit?: number; fitSplits?: readonly Split[]; excludeHistory?: boolean } = {},
): MethodRun[] {
  const { limit = Infinity, fitSplits = ['train'], excludeHistory = false } = options;
  if (fitSplits.includes(split)) {
    throw new L2DError('invalid-argument', `--baselines-from ${fitSplits.join(',')} counts the ${split} split, the one being evaluated: every ${split} sample's answer would be counted. Leave ${split} out.`);
  }
  const samples = data.split(split).slice(0, limit);
  const notes = [fitSplits.join(',') === 'train' ? '' : splitsLabel(fitSplits), excludeHistory ? HISTORY_EXCLUDED : ''];
  const rank = (recommender: Recommender, history: readonly number[]) =>
    excludeHistory ? recommendWithoutHistory(recommender, history, MAX_K) : recommender.recommend(history, MAX_K);
  return methods.map((m) => {
    const recommender = baseline(m, data, fitSplits);
    const lists = samples.map((s) => rank(recommender, s.history));
    return { method: methodName(recommender.name, notes), values: evaluateRankings(samples, (_, i) => lists[i]), lists };
  });
}

const USAGE = [
  'usage: npm run evaluate -- --data <prepared folder> [--split test|valid|train] [--limit N] [--exclude-history] [--out DIR]',
  '         baselines: [--method popular|cooccurrence|all] [--baselines-from train|train,valid] | your own: --rankings FILE ...',
  '         L2D:       --model <model folder> --memory <shard folder> [--m 50,100,1000] [--vote-m 3000] [--memory-fraction 0.3] [--seed 0] [--cold-start similar-titles] [--dtype q4] [--graph auto|full]',
  '         language-space decoding: --model <model folder> --method greedy,beam5',
  '         latency:   --model <model folder> --memory <shard folder> --latency 100',
].join('\n');

async function main(): Promise<void> {
  const { values } = parseOptions('evaluate', USAGE, {
    options: {
      data: { type: 'string' },
      split: { type: 'string', default: 'test' },
      method: { type: 'string' },
      'baselines-from': { type: 'string', default: 'train' },
      rankings: { type: 'string', multiple: true },
      model: { type: 'string' },
      memory: { type: 'string' },
      dtype: { type: 'string', default: 'q4' },
      graph: { type: 'string' },
      m: { type: 'string', default: '1000' },
      'vote-m': { type: 'string', default: 'none' },
      'memory-fraction': { type: 'string', default: '1' },
      seed: { type: 'string', default: '0' },
      limit: { type: 'string' },
      'cold-start': { type: 'string', default: 'none' },
      out: { type: 'string' },
      latency: { type: 'string' },
      'exclude-history': { type: 'boolean', default: false },
    },
  });
  if (!values.data) exitWithUsage(USAGE);
  const split = values.split as Split;
  if (!SPLITS.includes(split)) throw new L2DError('invalid-argument', `--split must be train, valid or test, got "${split}".`);
  // Every number is checked before anything loads: a typo never costs a run.
  const limit = values.limit === undefined ? Infinity : parseWholeNumber(values.limit, '--limit');
  const latencyRequests = values.latency === undefined ? undefined : parseWholeNumber(values.latency, '--latency');
  const localMs = mValues(values.m, '--m');
  const voteMs = mValues(values['vote-m'], '--vote-m');
  const memoryFraction = parseFraction(values['memory-fraction'], '--memory-fraction');
  const seed = parseWholeNumber(values.seed, '--seed', 0, MAX_SEED);
  const graph = parseNodeEncoderGraph(values.graph);
  const data = loadPrepared(values.data);
  const samples = data.split(split).slice(0, limit);
  const header = { dataset: data.manifest.name, split, samples: samples.length, items: data.items.length };
  if (latencyRequests !== undefined) {
    const n = latencyRequests;
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
  const baselinesFrom = parseSplits(values['baselines-from'], '--baselines-from');
  const excludeHistory = values['exclude-history'];
  if (excludeHistory && (generation.length || values.rankings)) {
    throw new L2DError('invalid-argument', `--exclude-history applies to L2D and the baselines (popular, cooccurrence), which rank every item; not to ${generation.length ? generation.join(', ') : '--rankings files'}, whose lists would come out shorter than K.`);
  }
  if (baselines.length) done(...evaluateBaselines(data, split, baselines, { limit, fitSplits: baselinesFrom, excludeHistory }));
  const latency: [string, number][] = [];
  for (const file of values.rankings ?? []) {
    // With --limit N the file needs (and is scored on) the first N samples only: the demo's downloads rank those.
    const rankings = readRankings(file, samples, data.items.length, { firstOnly: values.limit !== undefined });
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
      graph,
      ms: localMs,
      voteMs,
      limit,
      coldStart: parseColdStart(values['cold-start']),
      timeRequests: generation.length ? 50 : 0,
      memoryFraction,
      seed,
      excludeHistory,
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

/** An M list ("100,1000"), or none. */
function mValues(text: string, option: string): number[] {
  if (text === 'none') return [];
  const ms = parseMList(text, option);
  if (ms.length === 0) throw new L2DError('invalid-argument', `${option} takes M values separated by commas, or none; got "${text}".`);
  return ms;
}

function parseColdStart(value: string | undefined): ColdStartRule {
  if (!COLD_START_RULES.includes(value as ColdStartRule)) throw new L2DError('invalid-argument', `--cold-start must be one of ${COLD_START_RULES.join(', ')}, got "${value}".`);
  return value as ColdStartRule;
}

if (isEntryPoint(import.meta.url)) runCli('evaluate', main);
