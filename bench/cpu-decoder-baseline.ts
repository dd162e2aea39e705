/**
 * `npm run bench:cpu-decoder -- --baseline <git ref>`: the CPU decoder (the WebAssembly SIMD default) of this
 * working tree against the one of an earlier commit, in one Node process, query by query alternating, on the
 * demo's memory and on synthetic memories of the shapes bench:decode uses, a new decoder's centroids and the memory's shard
 * assembled as a load does it (chunks verified, rows checked, copied); medians and their ratio. Every
 * answer of the two must be equal, item for item and distance for distance (else it exits 1): a speed-up
 * that changed a result is no speed-up.
 *
 * The baseline's src/ is taken from git (`git archive <ref> src`) into test-results/, so the two run side by side,
 * each on its own copy of the rows (allocated by its own tree: rows resident in one tree's scan module are copied
 * block by block by the other's scans; both read this tree's rows before 2026-12-06, session 19). A row can list several
 * decodes from one h_t (recommend()'s `also`), each given its own copy of the query as a request's would be.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import type { DecodeOptions } from '../src/core/decode-options.ts';
import { rowStride, type L2DMemory } from '../src/core/memory.ts';
import { allocateRows } from '../src/core/row-storage.ts';
import { median } from '../src/core/stats.ts';
import { generateSyntheticMemory, syntheticQuery } from '../src/core/synthetic-memory.ts';
import { exitWithUsage, parseOptions } from '../tools/lib/cli.ts';
import { archivedTree, baselineCommit, optionFailure, wholeNumber } from './bench-options.ts';
import { loadShard } from '../tools/lib/shard-files.ts';
import { assembleMemory, encodeChunk, sha256Hex, type ShardManifest } from '../src/core/shard-format.ts';

const USAGE = 'usage: npm run bench:cpu-decoder -- --baseline <git ref> [--queries 40] [--quick]';
const { values } = parseOptions('bench:cpu-decoder', USAGE, {
  options: { baseline: { type: 'string' }, queries: { type: 'string', default: '40' }, quick: { type: 'boolean', default: false } },
});
if (!values.baseline) exitWithUsage(USAGE);
const fail = optionFailure('bench:cpu-decoder', USAGE);
const queryCount = wholeNumber('--queries', values.queries, fail);
const commit = baselineCommit(values.baseline, fail);
const folder = archivedTree(commit, ['src'], `baseline-${commit}`);
const { CpuDecoder: BaselineDecoder } = (await import(pathToFileURL(join(folder, 'src/core/cpu-decoder.ts')).href)) as { CpuDecoder: typeof CpuDecoder };
const { assembleMemory: baselineAssemble } = (await import(pathToFileURL(join(folder, 'src/core/shard-format.ts')).href)) as { assembleMemory: typeof assembleMemory };
// Rows allocated by one tree's row storage live in its scan module, read in place there and copied block by block
// by the other's: each decoder gets its rows from its own tree (a baseline before 61aa85e has no row storage).
const baselineRowStorage = join(folder, 'src/core/row-storage.ts');
const baselineAllocateRows = existsSync(baselineRowStorage)
  ? ((await import(pathToFileURL(baselineRowStorage).href)) as { allocateRows: typeof allocateRows }).allocateRows
  : (rows: number, stride: number) => new Uint16Array(rows * stride);
function baselineCopy(memory: L2DMemory): L2DMemory {
  const vectors = baselineAllocateRows(memory.rows, rowStride(memory.dim));
  vectors.set(memory.vectors.subarray(0, memory.rows * rowStride(memory.dim)));
  return { ...memory, vectors };
}

const memories: [string, () => Promise<L2DMemory>][] = [
  ['demo 30% memory (21,456 x 256)', async () => (await loadShard('models/movielens-demo/memory/train-q4-f0.3')).memory],
  ['synthetic 100k x 256', async () => generateSyntheticMemory({ rows: 100_000, dim: 256, items: 5_000, seed: 1 })],
  ...(values.quick
    ? []
    : ([
        ['synthetic 100k x 896', async () => generateSyntheticMemory({ rows: 100_000, dim: 896, items: 5_000, seed: 2 })],
        ['synthetic 300k x 896', async () => generateSyntheticMemory({ rows: 300_000, dim: 896, items: 10_000, seed: 3 })],
      ] as [string, () => Promise<L2DMemory>][])),
];
// A request row is one or more lists from the same h_t, in turn (as recommend() with `also` decodes them).
const requests: [string, DecodeOptions[]][] = [
  ['L2D-V M=3000 (the default)', [{ k: 50, strategy: 'vote', m: 3000 }]],
  ['L2D-V M=1000', [{ k: 50, strategy: 'vote', m: 1000 }]],
  ['L2D-L M=1000', [{ k: 50, strategy: 'local', m: 1000 }]],
  ['L2D-L M=200', [{ k: 50, strategy: 'local', m: 200 }]],
  ['L2D-G', [{ k: 50, strategy: 'global' }]],
  ['L2D-L M=100, 1000, 2000 from one h_t (an M sweep)', [100, 1000, 2000].map((m) => ({ k: 50, strategy: 'local', m }))],
  ['L2D-G + L2D-L M=1000 from one h_t', [{ k: 50, strategy: 'global' }, { k: 50, strategy: 'local', m: 1000 }]],
];

console.log(`CPU decoder: this tree vs ${commit}, ${queryCount} queries each after 3 warm-ups, alternating; medians (ms).\n`);
console.log('| memory | request | this tree ms | baseline ms | baseline / this |');
console.log('|---|---|---|---|---|');
let differing = 0;
for (const [name, load] of memories) {
  const memory = await load();
  const queries = Array.from({ length: queryCount + 3 }, (_, i) => syntheticQuery(memory, 1000 + i));
  const current = new CpuDecoder(memory);
  const baselineMemory = baselineCopy(memory);
  const baseline = new BaselineDecoder(baselineMemory);
  for (const [label, lists] of requests) {
    const times = { current: [] as number[], baseline: [] as number[] };
    queries.forEach((query, i) => {
      // Alternate which goes first, so neither always finds the caches warm.
      const order = i % 2 === 0 ? (['current', 'baseline'] as const) : (['baseline', 'current'] as const);
      const answers: Record<string, string> = {};
      for (const which of order) {
        const t0 = performance.now();
        const decoder = which === 'current' ? current : baseline;
        // Each list gets the h_t as a request would: its own copy.
        const answer = lists.map((options) => decoder.decode(Float32Array.from(query), options));
        if (i >= 3) times[which].push(performance.now() - t0);
        answers[which] = JSON.stringify(answer);
      }
      if (answers.current !== answers.baseline) differing++;
    });
    const [now, before] = [median(times.current), median(times.baseline)];
    console.log(`| ${name} | ${label} | ${now.toFixed(2)} | ${before.toFixed(2)} | ${(before / now).toFixed(2)} |`);
  }
  // Once per load, fewer rounds, alternating: a fresh decoder (its check of the memory, and the centroids: L2D-G's
  // items, L2D-L's fill-up), and the memory's shard assembled (chunks verified by SHA-256, rows checked and copied).
  const rounds = Math.min(queryCount, 8);
  const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  await timeOncePerLoad(name, `a new decoder: its check of the memory and its centroids (once per load; ${rounds} rounds)`, rounds, (which) =>
    [bytesOf(which === 'current' ? new CpuDecoder(memory).centroids.vectors : new BaselineDecoder(baselineMemory).centroids.vectors)],
  );
  const { manifest, chunks } = await shardOf(memory);
  await timeOncePerLoad(name, `its shard assembled: chunks verified, rows checked and copied (once per load; ${rounds} rounds)`, rounds, async (which) => {
    const assembled = await (which === 'current' ? assembleMemory : baselineAssemble)(manifest, chunks);
    return [bytesOf(assembled.vectors), bytesOf(assembled.labels)];
  });
}

/** Times `run` for both trees, alternating, after one warm-up round; what each gives must be equal byte for byte. */
async function timeOncePerLoad(memoryName: string, label: string, rounds: number, run: (which: 'current' | 'baseline') => Buffer[] | Promise<Buffer[]>): Promise<void> {
  const times = { current: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < rounds + 1; i++) {
    const order = i % 2 === 0 ? (['current', 'baseline'] as const) : (['baseline', 'current'] as const);
    const results: Partial<Record<'current' | 'baseline', Buffer[]>> = {};
    for (const which of order) {
      const t0 = performance.now();
      results[which] = await run(which);
      if (i >= 1) times[which].push(performance.now() - t0);
    }
    if (results.current!.some((bytes, j) => Buffer.compare(bytes, results.baseline![j]) !== 0)) differing++;
  }
  const [now, before] = [median(times.current), median(times.baseline)];
  console.log(`| ${memoryName} | ${label} | ${now.toFixed(2)} | ${before.toFixed(2)} | ${(before / now).toFixed(2)} |`);
}

/** A shard of `memory` (chunks of 4,096 rows, as build-memory writes them) and its manifest, without files. */
async function shardOf(memory: L2DMemory): Promise<{ manifest: ShardManifest; chunks: Uint8Array[] }> {
  const { dim, rows } = memory;
  const stride = rowStride(dim);
  const chunkRows = 4096;
  const chunks: Uint8Array[] = [];
  for (let first = 0; first < rows; first += chunkRows) {
    const n = Math.min(chunkRows, rows - first);
    const halves = new Uint16Array(n * dim);
    for (let r = 0; r < n; r++) halves.set(memory.vectors.subarray((first + r) * stride, (first + r) * stride + dim), r * dim);
    chunks.push(encodeChunk(halves, memory.labels.slice(first, first + n), dim));
  }
  const noFile = '0'.repeat(64);
  const manifest: ShardManifest = {
    format: 'l2d-memory-shard',
    version: 1,
    model: { id: 'bench', file: 'onnx/model_q4.onnx', sha256: noFile, dtype: 'q4' },
    dataset: { name: 'bench', split: 'train', fraction: 1, seed: 0, samples: rows },
    hiddenSize: dim,
    dtype: 'float16',
    rows,
    itemCount: memory.itemCount,
    chunkRows,
    chunks: await Promise.all(chunks.map(async (bytes, i) => ({ file: `chunk-${i}.bin`, rows: Math.min(chunkRows, rows - i * chunkRows), bytes: bytes.byteLength, sha256: await sha256Hex(bytes) }))),
    catalog: { file: 'items.tsv', sha256: noFile },
  };
  return { manifest, chunks };
}
if (differing > 0) {
  console.error(`\n${differing} answers differ between this tree and ${commit}.`);
  process.exit(1);
}
console.log(`\nEvery answer equal to ${commit}'s (items and distances; the centroids and the assembled memories byte for byte).`);
