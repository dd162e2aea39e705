/**
 * build-memory: encodes every sample of a prepared split with a model's ONNX
 * file in onnxruntime-node and writes an L2D memory shard (src/core/shard-format.ts).
 *
 *   npm run build-memory -- --model models/movielens-demo --data data/prepared/movielens-latest-small [--out DIR]
 *       [--dtype q4|fp32] [--graph auto|full] [--split train] [--fraction 1] [--seed 0] [--batch 32] [--chunk-rows 16384] [--rows float16|int8]
 *
 * --dtype is the model file's (which ONNX file encodes: by default, --graph auto, the fused L2D encoder graph that
 * onnx/encoder.json lists for it, the same hidden states faster; --graph full the file itself); --rows how
 * the shard stores each row's values: float16 (the default), or int8 with a scale per dimension, half the bytes
 * (src/core/int8-rows.ts; docs/MEMORY.md).
 *
 * --split train (the default: the paper's memory, and the one to evaluate on valid or test) takes one split,
 * several joined by commas, or all: a store's memory of every interaction so far, so items bought only lately
 * have rows too (never evaluated on its own splits: evaluate refuses that).
 *
 * Deterministic (the same inputs give the same bytes), resumable (a restarted
 * build keeps the chunks already written under OUT.partial and continues),
 * and the finished shard appears whole: OUT.partial is renamed to OUT last.
 * --fraction keeps that share of the samples by seeded reservoir sampling
 * (the paper's 30%-memory study).
 *
 *   npm run build-memory -- --centroids-of models/movielens-demo/memory/train-q4-f0.3 [--out DIR]
 *
 * writes a shard of one row per item, the centroid of its rows (src/core/shard-builder.ts,
 * buildCentroidShard): L2D-G from a fraction of the bytes (default OUT: the shard's folder + "-centroids"),
 * its rows stored as the shard's are unless --rows says otherwise.
 *
 *   npm run build-memory -- --convert models/movielens-demo/memory/train-q4-f0.3 --rows int8 [--out DIR]
 *
 * writes the same shard with its rows stored in another dtype (default OUT: the folder + "-int8" / "-float16").
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { L2DError } from '../../src/core/errors.ts';
import { parseFraction, parseWholeNumber } from '../../src/core/setting-text.ts';
import type { Sample, Split } from '../../src/core/data/prepare.ts';
import type { L2DMemory } from '../../src/core/memory.ts';
import { formatShardManifest, ROW_DTYPES, SHARD_FORMAT, sha256Hex, verifiedCatalog, type RowDtype, type ShardManifest } from '../../src/core/shard-format.ts';
import { buildCentroidShard, checkShardSamples, chunkFileName, convertShardRows, encodeShardChunk, shardManifest, type BuiltShard } from '../../src/core/shard-builder.ts';
import { loadShard } from '../lib/shard-files.ts';
import { checkReplaceableFolder, manifestOutput, writeFileAtomically } from '../lib/files.ts';
import { parseSplits, splitsLabel } from '../lib/prepared.ts';
import { xorshift32 } from '../../src/core/synthetic-memory.ts';
import { serializeItems } from '../../src/core/data/prepared-format.ts';
import { loadNodeEncoder, parseNodeEncoderGraph, type NodeEncoderGraph } from '../lib/onnx-encoder.ts';
import { loadPrepared } from '../lib/prepared.ts';
import { ProgressBar } from '../lib/progress.ts';
import { exitWithUsage, isEntryPoint, parseOptions, runCli } from '../lib/cli.ts';

export interface BuildOptions {
  model: string;
  data: string;
  out: string;
  dtype?: string;
  /**
   * Which of the dtype's graphs encodes (default 'auto': the fused L2D encoder graph where the model has one, 1.7-2.2x
   * the generation graph's speed at the same hidden states; 'full': the generation graph itself).
   */
  graph?: NodeEncoderGraph;
  /** How the shard stores its rows (default float16). */
  rows?: RowDtype;
  /** One split, several joined by commas, or "all" (parseSplits). Default "train". */
  split?: string;
  fraction?: number;
  seed?: number;
  batch?: number;
  chunkRows?: number;
  quiet?: boolean;
  /** Stop after this many chunks (tests of resumption). */
  stopAfterChunks?: number;
}

/** The largest --seed: seeds are 32-bit (xorshift32). */
export const MAX_SEED = 2 ** 32 - 1;

/** Indices of a seeded reservoir sample of k out of n, in ascending order (Algorithm R). */
export function reservoirSample(n: number, k: number, seed: number): number[] {
  const next = xorshift32(seed + 1);
  const reservoir = Array.from({ length: Math.min(k, n) }, (_, i) => i);
  for (let i = reservoir.length; i < n; i++) {
    const j = next() % (i + 1);
    if (j < reservoir.length) reservoir[j] = i;
  }
  return reservoir.sort((a, b) => a - b);
}

export async function buildMemory(options: BuildOptions): Promise<ShardManifest> {
  const splits = parseSplits(options.split ?? 'train');
  const split = splits.join(',');
  const fraction = options.fraction ?? 1;
  const seed = options.seed ?? 0;
  const batch = options.batch ?? 32;
  const chunkRows = options.chunkRows ?? 16384;
  const rowDtype = options.rows ?? 'float16';
  // Checked before anything loads, and before a partial build of other settings is discarded.
  if (!(fraction > 0 && fraction <= 1)) throw new L2DError('invalid-argument', `--fraction must be in (0, 1], got ${fraction}.`);
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED)) throw new L2DError('invalid-argument', `--seed must be a whole number from 0 to ${MAX_SEED}, got ${seed}.`);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new L2DError('invalid-argument', `--batch must be a positive whole number, got ${batch}.`);
  if (!(Number.isInteger(chunkRows) && chunkRows >= 1)) throw new L2DError('invalid-argument', `--chunk-rows must be a positive whole number, got ${chunkRows}.`);
  checkReplaceable(options.out);
  const data = loadPrepared(options.data);
  const encoder = await loadNodeEncoder(options.model, options.dtype ?? 'q4', options.graph ?? 'auto');
  if (!options.quiet && encoder.graphFile !== encoder.file) console.log(`Encoding with ${encoder.graphFile} (the L2D encoder graph of ${encoder.file}; --graph full runs ${encoder.file} itself).`);
  const all = splits.flatMap((name) => data.split(name));
  const picked: Sample[] = fraction === 1 ? all : reservoirSample(all.length, Math.round(fraction * all.length), seed).map((i) => all[i]);
  checkShardSamples(picked, data.items.length); // a folder prepared before repeats were merged may hold "... X -> X" samples
  const dim = encoder.hiddenSize;
  const partial = `${options.out}.partial`;
  // A partial build of other rows' dtype is no start for this one; float16 keeps the settings of builds from before int8.
  // Rows of another graph are no start either; a build of the generation graph keeps the settings of builds from before --graph.
  const settings = {
    model: encoder.sha256,
    data: data.manifest.name,
    split,
    fraction,
    seed,
    chunkRows,
    dim,
    rows: picked.length,
    ...(rowDtype === 'int8' ? { dtype: rowDtype } : {}),
    ...(encoder.graphFile !== encoder.file ? { graph: encoder.graphFile } : {}),
  };
  const statePath = join(partial, 'state.json');
  let done: ShardManifest['chunks'] = [];
  if (existsSync(statePath)) {
    // Written whole (writeFileAtomically); one from before that, cut short by a stop, is no start either.
    let state: { settings: typeof settings; chunks: ShardManifest['chunks'] } | undefined;
    try {
      state = JSON.parse(readFileSync(statePath, 'utf8'));
    } catch {
      if (!options.quiet) console.log(`${statePath} is unreadable: the partial build starts over.`);
    }
    if (state && Array.isArray(state.chunks) && JSON.stringify(state.settings) === JSON.stringify(settings)) {
      // Keep only chunks whose bytes still match their recorded checksum.
      for (const c of state.chunks) {
        const path = join(partial, c.file);
        if (!existsSync(path) || (await sha256Hex(readFileSync(path))) !== c.sha256) break;
        done.push(c);
      }
    } else done = [];
    if (done.length === 0) rmSync(partial, { recursive: true, force: true });
  }
  mkdirSync(partial, { recursive: true });
  const chunkCount = Math.ceil(picked.length / chunkRows);
  const bar = new ProgressBar(picked.length, 'rows', done.length * chunkRows);
  let truncated = 0;
  const titleOf = (id: number) => data.items[id].title;
  for (let c = done.length; c < chunkCount; c++) {
    if (options.stopAfterChunks !== undefined && c >= options.stopAfterChunks) break;
    const rows = picked.slice(c * chunkRows, (c + 1) * chunkRows);
    const result = await encodeShardChunk(encoder, rows, titleOf, {
      batch,
      onRows: (n) => {
        if (!options.quiet) bar.update(c * chunkRows + n);
      },
      dtype: rowDtype,
    });
    const file = chunkFileName(c);
    writeFileSync(join(partial, file), result.bytes);
    done.push({ file, ...result.chunk });
    truncated += result.truncated;
    writeFileAtomically(statePath, JSON.stringify({ settings, chunks: done }));
  }
  await encoder.release();
  const description = {
    model: { id: encoder.id, file: encoder.file, sha256: encoder.sha256, dtype: encoder.dtype },
    dataset: { name: data.manifest.name, split, fraction, seed, samples: all.length },
    hiddenSize: dim,
    itemCount: data.items.length,
    chunkRows,
    dtype: rowDtype,
  };
  if (done.length < chunkCount) return shardManifest(description, done, ''); // stopped early on purpose: the partial build stays resumable
  if (!options.quiet) bar.finish(picked.length);
  if (truncated > 0 && !options.quiet) console.error(`${truncated} histories were longer than the model's context; their oldest titles were dropped.`);
  const catalog = new TextEncoder().encode(serializeItems(data.items));
  writeFileSync(join(partial, 'items.tsv'), catalog);
  const manifest = shardManifest(description, done, await sha256Hex(catalog));
  writeFileSync(join(partial, 'manifest.json'), formatShardManifest(manifest));
  rmSync(statePath);
  rmSync(`${statePath}.tmp`, { force: true }); // a write a stop cut short
  checkReplaceable(options.out); // again: the folder may have been made while the build ran
  rmSync(options.out, { recursive: true, force: true });
  renameSync(partial, options.out);
  return manifest;
}

/** --out must be absent, empty or a memory shard (a rebuild): it is replaced as a whole. */
function checkReplaceable(out: string): void {
  checkReplaceableFolder(out, manifestOutput(SHARD_FORMAT, 'a memory shard'));
}

/** The centroid shard of the shard in `source`, written to `out` whole (through OUT.partial, renamed last); its rows in `rows` (default: the source's). */
export async function buildCentroidMemory(source: string, out: string, rows?: RowDtype): Promise<ShardManifest> {
  return writeDerivedShard(source, out, (manifest, memory, catalog) => buildCentroidShard(manifest, memory, catalog, rows ?? manifest.dtype));
}

/** The shard in `source` with its rows stored in `rows`, written to `out` whole (through OUT.partial, renamed last). */
export async function convertMemory(source: string, out: string, rows: RowDtype): Promise<ShardManifest> {
  return writeDerivedShard(source, out, (manifest, memory, catalog) => convertShardRows(manifest, memory, catalog, rows));
}

/** Reads and checks the shard in `source`, derives another from it, and writes that to `out` whole. */
async function writeDerivedShard(source: string, out: string, derive: (manifest: ShardManifest, memory: L2DMemory, catalog: Uint8Array) => Promise<BuiltShard>): Promise<ShardManifest> {
  if (resolve(source) === resolve(out)) throw new L2DError('invalid-argument', `--out must be another folder than the shard it reads (${source}).`);
  checkReplaceable(out);
  const { manifest, memory } = await loadShard(source);
  const catalog = new Uint8Array(readFileSync(join(source, manifest.catalog.file)));
  await verifiedCatalog(manifest, catalog, join(source, manifest.catalog.file)); // its checksum and item count, as every reader checks them
  const built = await derive(manifest, memory, catalog);
  const partial = `${out}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  built.manifest.chunks.forEach((chunk, i) => writeFileSync(join(partial, chunk.file), built.chunks[i]));
  writeFileSync(join(partial, built.manifest.catalog.file), built.catalog);
  writeFileSync(join(partial, 'manifest.json'), formatShardManifest(built.manifest));
  checkReplaceable(out);
  rmSync(out, { recursive: true, force: true });
  renameSync(partial, out);
  return built.manifest;
}

/** --rows' value, checked. */
export function parseRowDtype(value: string | undefined): RowDtype | undefined {
  if (value === undefined) return undefined;
  if (!ROW_DTYPES.includes(value as RowDtype)) throw new L2DError('invalid-argument', `--rows must be ${ROW_DTYPES.join(' or ')}, got "${value}".`);
  return value as RowDtype;
}

const USAGE =
  'usage: npm run build-memory -- --model <model folder> --data <prepared folder> [--out DIR] [--dtype q4|fp32] [--graph auto|full] [--split train|valid|test|train,valid|all] [--fraction 0.3] [--rows float16|int8]\n   or: npm run build-memory -- --centroids-of <shard folder> [--out DIR] [--rows float16|int8]\n   or: npm run build-memory -- --convert <shard folder> --rows float16|int8 [--out DIR]';

async function main(): Promise<void> {
  const { values } = parseOptions('build-memory', USAGE, {
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string', default: 'q4' },
      graph: { type: 'string' },
      split: { type: 'string', default: 'train' },
      fraction: { type: 'string', default: '1' },
      seed: { type: 'string', default: '0' },
      batch: { type: 'string', default: '32' },
      'chunk-rows': { type: 'string', default: '16384' },
      'centroids-of': { type: 'string' },
      convert: { type: 'string' },
      rows: { type: 'string' },
    },
  });
  const rows = parseRowDtype(values.rows);
  const summary = (out: string, manifest: ShardManifest, t0: number) =>
    `${out}: ${manifest.rows} rows x ${manifest.hiddenSize} dims, ${(manifest.chunks.reduce((s, c) => s + c.bytes, 0) / 1e6).toFixed(1)} MB in ${manifest.chunks.length} chunks, ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  if (values['centroids-of']) {
    const source = values['centroids-of'].replace(/\/+$/, '');
    const out = values.out ?? `${source}-centroids`;
    const t0 = performance.now();
    const manifest = await buildCentroidMemory(source, out, rows);
    console.log(`${summary(out, manifest, t0)} (the centroids of ${manifest.centroids!.sampleRows} sample rows)`);
    return;
  }
  if (values.convert) {
    if (!rows) throw new L2DError('invalid-argument', '--convert needs --rows float16|int8: the dtype to store the rows in.');
    const source = values.convert.replace(/\/+$/, '');
    const out = values.out ?? `${source}-${rows}`;
    const t0 = performance.now();
    const manifest = await convertMemory(source, out, rows);
    console.log(`${summary(out, manifest, t0)} (${rows} rows)`);
    return;
  }
  if (!values.model || !values.data) exitWithUsage(USAGE);
  const fraction = parseFraction(values.fraction, '--fraction');
  const out = values.out ?? join(values.model, 'memory', `${splitsLabel(parseSplits(values.split))}-${values.dtype}${fraction === 1 ? '' : `-f${values.fraction.trim()}`}${rows === 'int8' ? '-int8' : ''}`);
  const t0 = performance.now();
  const manifest = await buildMemory({
    model: values.model,
    data: values.data,
    out,
    dtype: values.dtype,
    graph: parseNodeEncoderGraph(values.graph),
    split: values.split,
    fraction,
    seed: parseWholeNumber(values.seed, '--seed', 0, MAX_SEED),
    batch: parseWholeNumber(values.batch, '--batch'),
    chunkRows: parseWholeNumber(values['chunk-rows'], '--chunk-rows'),
    rows,
  });
  console.log(summary(out, manifest, t0));
}

if (isEntryPoint(import.meta.url)) runCli('build-memory', main);
