/** L2D on a split, for `npm run evaluate`: L2D-G, an L2D-L M sweep and an L2D-V one over a memory shard. */
import type { Split } from '../../src/core/data/prepare.ts';
import { L2DError } from '../../src/core/errors.ts';
import { evaluateRankings, HISTORY_EXCLUDED, methodName } from '../../src/core/evaluate.ts';
import type { MetricValues } from '../../src/core/metrics.ts';
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { coldStartCentroids, type ColdStartRule } from '../../src/core/cold-start.ts';
import { rowStride, selectRows } from '../../src/core/memory.ts';
import type { DecodeOptions } from '../../src/core/decode-options.ts';
import { padQuery } from '../../src/core/l2-scan.ts';
import { encodeInOrder, lengthOrder } from '../../src/core/shard-builder.ts';
import { reservoirSample } from '../build-memory/main.ts';
import { BatchedNearestRows } from '../lib/batched-nearest.ts';
import { loadNodeEncoder, type NodeEncoderGraph } from '../lib/onnx-encoder.ts';
import { ProgressBar } from '../lib/progress.ts';
import { loadShard } from '../lib/shard-files.ts';
import { parseSplits, splitsLabel, type LoadedDataset } from '../lib/prepared.ts';
import { MAX_K } from './method-run.ts';

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
    /** Which of the dtype's graphs encodes the queries (default 'auto', as in the page: loadNodeEncoder). */
    graph?: NodeEncoderGraph;
    ms?: number[];
    /** M values of L2D-V (none by default). */
    voteMs?: number[];
    limit?: number;
    quiet?: boolean;
    coldStart?: ColdStartRule;
    timeRequests?: number;
    /** Keep only this share of the (full) shard's rows: the rows `build-memory --fraction` would have built. */
    memoryFraction?: number;
    seed?: number;
    /** Each sample's history items never ranked (recommend()'s excludeHistory): excluded before the top M rows are taken. */
    excludeHistory?: boolean;
  } = {},
): Promise<L2DEvaluation> {
  const encoder = await loadNodeEncoder(modelFolder, options.dtype ?? 'q4', options.graph ?? 'auto');
  const loaded = await loadShard(memoryFolder, { sha256: encoder.sha256, hiddenSize: encoder.hiddenSize });
  checkHeldOut(loaded.manifest.dataset, data.manifest.name, split, memoryFolder);
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
  const histories = samples.map((s) => s.history.map((i) => data.items[i].title));
  const queries = new Array<Float32Array>(samples.length);
  const bar = new ProgressBar(samples.length, 'prompts');
  // In batches of like length, as build-memory encodes (lengthOrder: a batch is padded to its longest prompt).
  await encodeInOrder(encoder, histories, lengthOrder(histories, encoder.maxHistory), 32, (i, h) => (queries[i] = h), { onRows: (rows) => options.quiet || bar.update(rows) });
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
  // L2D-L's M sweep, then L2D-V's: each M one method, after L2D-G.
  const sweeps = [['local', options.ms ?? [1000]], ['vote', options.voteMs ?? []]] as const;
  const memoryLabel = describeMemory(loaded.manifest.dataset?.split ?? 'train', (loaded.manifest.dataset?.fraction ?? 1) * fraction);
  const notes = [memoryLabel, options.excludeHistory ? HISTORY_EXCLUDED : ''];
  // Each method's name and the request it is (for the latencies; a sample's own exclusions are added per sample).
  const methods: { name: string; request: DecodeOptions }[] = [
    { name: methodName('L2D-G', notes), request: { k: MAX_K, strategy: 'global' } },
    ...sweeps.flatMap(([strategy, ms]) => ms.map((m) => ({ name: methodName(strategy === 'local' ? 'L2D-L' : 'L2D-V', [`M=${m}`, ...notes]), request: { k: MAX_K, strategy, m } }))),
  ];
  // Each sample's exclusions, once (every method of a sample takes the same).
  const excluded = samples.map((s) => (options.excludeHistory ? { exclude: [...new Set(s.history)] } : {}));
  const counts = decoders[0][1].centroids.counts;
  const cold = samples.flatMap((s, i) => (counts[s.target] === 0 ? [i] : []));
  const rankings = new Map<string, Uint32Array[]>();
  const requestMs = new Map<string, number>();
  const rows: L2DEvaluation['rows'] = [];
  const coldRows: L2DEvaluation['coldRows'] = [];
  const ids = (items: { item: number }[]) => Uint32Array.from(items, (x) => x.item);
  // The top-max(M) rows of every query once, batched (exactly the reference's; tools/lib/batched-nearest.ts).
  const nearest: Uint32Array[] = [];
  const allMs = sweeps.flatMap(([, ms]) => ms);
  // Excluded items' rows are skipped before the top M are taken, so each sample selects its own (in decodeLocalSweep).
  if (allMs.length && !options.excludeHistory) {
    const batched = await BatchedNearestRows.create(memory);
    const sbar = new ProgressBar(queries.length, 'row scans');
    try {
      for (let b = 0; b < queries.length; b += 64) {
        const padded = queries.slice(b, b + 64).map((q) => padQuery(q, memory.dim));
        nearest.push(...(await batched.nearestRows(padded, Math.min(Math.max(...allMs), memory.rows))));
        if (!options.quiet) sbar.update(nearest.length);
      }
    } finally {
      await batched.release();
    }
    if (!options.quiet) sbar.finish(nearest.length);
  }
  for (const [suffix, decoder] of decoders) {
    // Every M from the same rows (decodeLocalSweep equals one decode per M).
    const lists: Uint32Array[][] = methods.map(() => []);
    // Without the batched scan above, each sample's decode scans the rows itself: minutes on a large memory.
    const dbar = allMs.length && options.excludeHistory && !options.quiet ? new ProgressBar(queries.length, 'row scans') : undefined;
    queries.forEach((q, i) => {
      if (i % 256 === 0) dbar?.update(i);
      lists[0].push(ids(decoder.decode(q, { ...methods[0].request, ...excluded[i] })));
      let at = 1;
      for (const [strategy, ms] of sweeps) {
        if (ms.length) decoder.decodeLocalSweep(q, ms, { k: MAX_K, strategy, ...excluded[i] }, nearest[i]).forEach((items, j) => lists[at + j].push(ids(items)));
        at += ms.length;
      }
    });
    dbar?.finish(queries.length);
    methods.forEach(({ name, request }, j) => {
      const method = name + suffix;
      rankings.set(method, lists[j]);
      rows.push({ method, values: evaluateRankings(samples, (_, i) => lists[j][i]) });
      coldRows.push({ method, values: evaluateRankings(cold.map((i) => samples[i]), (_, c) => lists[j][cold[c]]) });
      if (timed.length) {
        // A request decodes one M: timed alone, per query.
        const d0 = performance.now();
        queries.slice(0, timed.length).forEach((q, i) => decoder.decode(q, { ...request, ...excluded[i] }));
        requestMs.set(method, encodeOneMs + (performance.now() - d0) / timed.length);
      }
    });
  }
  return { rows, rankings, encodeMs, requestMs, coldRows, coldSamples: cold.length, coldStartItems };
}

/**
 * How a method's name tells its memory from the paper's (all of train): "30% memory", "train+valid memory" (a store's
 * deployed memory, build-memory --split train,valid), or both.
 */
export function describeMemory(builtFrom: string, fraction: number): string {
  const splits = builtFrom === 'train' ? '' : `${splitsLabel(parseSplits(builtFrom))} `;
  const share = fraction === 1 ? '' : `${Math.round(fraction * 100)}% `;
  return splits || share ? `${share}${splits}memory` : '';
}

/**
 * A memory built from the split being evaluated holds each sample's own answer as a row (build-memory --split
 * all, for a store's deployment): its scores would measure recall of the memory, not recommendation.
 */
function checkHeldOut(built: { name: string; split: string } | undefined, dataset: string, split: Split, memoryFolder: string): void {
  if (built?.name === dataset && built.split.split(',').includes(split)) {
    throw new L2DError(
      'invalid-argument',
      `${memoryFolder} was built from ${dataset}'s ${split} split (--split ${built.split}): every ${split} sample's answer is a row of it. Evaluate on a split the memory was not built from, or build one from train (the default).`,
    );
  }
}
