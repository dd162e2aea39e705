/**
 * What int8 rows lose, before any ranking: a float16 memory's rows quantized per dimension over each chunk (the
 * shard format's int8, src/core/int8-rows.ts) and, for comparison, per row, against the rows as stored. For the
 * first N prompts of a split (their h_t from onnxruntime-node): how many of the 50 and the 3,000 nearest rows stay
 * the same, and the relative error of the distances to the 3,000 nearest. Also the rows' norms and per-dimension
 * largest magnitudes (why per dimension), and, with --int8, loadShard's time for both shards, alternating.
 *
 *   npx tsx bench/int8-probe.ts --model models/movielens-demo --data data/prepared/movielens-latest-small \
 *       --memory <float16 shard> [--int8 <its int8 conversion>] [--split valid] [--queries 500]
 */
import { fromFloat16Bits } from '../src/core/float16.ts';
import { lastOfEach } from '../src/core/fit-prompt.ts';
import { quantizeInt8 } from '../src/core/int8-rows.ts';
import { rowStride } from '../src/core/memory.ts';
import { topK } from '../src/core/top-k.ts';
import type { Split } from '../src/core/data/prepare.ts';
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';
import { loadNodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { loadShard } from '../tools/lib/shard-files.ts';

const USAGE = 'usage: npx tsx bench/int8-probe.ts --model <folder> --data <prepared> --memory <float16 shard> [--int8 <shard>] [--split valid] [--queries 500]';
const { values } = parseOptions('int8-probe', USAGE, {
  options: { model: { type: 'string' }, data: { type: 'string' }, memory: { type: 'string' }, int8: { type: 'string' }, split: { type: 'string', default: 'valid' }, queries: { type: 'string', default: '500' } },
});
if (!values.model || !values.data || !values.memory) throw new Error(USAGE);

const { manifest, memory } = await loadShard(values.memory);
if (manifest.dtype !== 'float16') throw new Error(`${values.memory} holds ${manifest.dtype} rows; give the float16 shard (--int8 names its conversion).`);
const { dim, rows } = memory;
const stride = rowStride(dim);
const exact = new Float32Array(rows * dim);
for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) exact[r * dim + c] = fromFloat16Bits(memory.vectors[r * stride + c]);

/** The rows quantized per dimension over each chunk of `manifest.chunkRows` rows, as the int8 format stores them. */
function perDimension(): Float32Array {
  const out = new Float32Array(exact.length);
  for (let start = 0; start < rows; start += manifest.chunkRows) {
    const part = exact.subarray(start * dim, Math.min(rows, start + manifest.chunkRows) * dim);
    const { scales, codes } = quantizeInt8(part, dim);
    codes.forEach((code, i) => (out[start * dim + i] = code * scales[i % dim]));
  }
  return out;
}

/** The rows quantized with one scale per row (its largest magnitude to 127). */
function perRow(): Float32Array {
  const out = new Float32Array(exact.length);
  for (let r = 0; r < rows; r++) {
    const row = exact.subarray(r * dim, (r + 1) * dim);
    const scale = row.reduce((m, x) => Math.max(m, Math.abs(x)), 0) / 127;
    row.forEach((x, c) => (out[r * dim + c] = scale === 0 ? 0 : Math.round(x / scale) * scale));
  }
  return out;
}

const squaredDistances = (query: Float32Array, vectors: Float32Array) => {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < dim; c++) s += (query[c] - vectors[r * dim + c]) ** 2;
    out[r] = s;
  }
  return out;
};
const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

const data = loadPrepared(values.data);
const samples = data.split(values.split as Split).slice(0, wholeNumber('--queries', values.queries, optionFailure('int8-probe', USAGE)));
const encoder = await loadNodeEncoder(values.model);
const queries: Float32Array[] = [];
for (let b = 0; b < samples.length; b += 32) {
  const out = await encoder.encode(samples.slice(b, b + 32).map((s) => lastOfEach(s.history).map((id) => data.items[id].title)));
  queries.push(...out.hidden);
}
await encoder.release();

const norms = Float64Array.from({ length: rows }, (_, r) => Math.sqrt(exact.subarray(r * dim, (r + 1) * dim).reduce((s, x) => s + x * x, 0))).sort();
const largest = Float64Array.from({ length: dim }, (_, c) => {
  let m = 0;
  for (let r = 0; r < rows; r++) m = Math.max(m, Math.abs(exact[r * dim + c]));
  return m;
}).sort();
console.log(`${values.memory}: ${rows} rows x ${dim}; ${queries.length} ${values.split} prompts`);
console.log(`row norms: 1st / 50th / 99th percentile ${[0.01, 0.5, 0.99].map((p) => percentile(norms, p).toFixed(3)).join(' / ')}`);
console.log(`per-dimension largest magnitude: median ${percentile(largest, 0.5).toFixed(2)}, largest five ${Array.from(largest.slice(-5), (x) => x.toFixed(2)).join(', ')}\n`);
console.log('| int8 scales | top-50 rows kept | top-3000 rows kept | relative distance error over the top 3000: median / 99th percentile |');
console.log('|---|---|---|---|');
for (const [name, quantized] of [['per dimension, per chunk (the format)', perDimension()], ['per row', perRow()]] as const) {
  let kept50 = 0;
  let kept3000 = 0;
  const errors: number[] = [];
  for (const query of queries) {
    const truth = squaredDistances(query, exact);
    const approx = squaredDistances(query, quantized);
    const [t3000, a3000] = [topK(truth, 3000).indices, topK(approx, 3000).indices];
    const [t50, a50] = [new Set(t3000.subarray(0, 50)), a3000.subarray(0, 50)];
    kept50 += a50.filter((r) => t50.has(r)).length / 50;
    const inTruth = new Set(t3000);
    kept3000 += a3000.filter((r) => inTruth.has(r)).length / 3000;
    for (const r of t3000) errors.push(Math.abs(Math.sqrt(approx[r]) - Math.sqrt(truth[r])) / Math.sqrt(truth[r]));
  }
  const sorted = Float64Array.from(errors).sort();
  console.log(`| ${name} | ${((100 * kept50) / queries.length).toFixed(1)}% | ${((100 * kept3000) / queries.length).toFixed(1)}% | ${(100 * percentile(sorted, 0.5)).toFixed(3)}% / ${(100 * percentile(sorted, 0.99)).toFixed(3)}% |`);
}

if (values.int8) {
  const times: Record<string, number[]> = { [values.memory]: [], [values.int8]: [] };
  for (let run = 0; run < 3; run++) {
    for (const shard of run % 2 === 0 ? [values.memory, values.int8] : [values.int8, values.memory]) {
      const t0 = performance.now();
      await loadShard(shard);
      times[shard].push(performance.now() - t0);
    }
  }
  console.log(`\nloadShard (read, checksums, checks, rows placed), alternating: ${Object.entries(times).map(([shard, ms]) => `${shard} ${ms.map((x) => x.toFixed(0)).join(', ')} ms`).join('; ')}`);
}
