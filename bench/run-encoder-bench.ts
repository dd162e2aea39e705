/**
 * Runs bench/encoder-bench.html in Chromium on the demo model with 64 real
 * validation histories, and Node's onnxruntime-node on the same histories
 * in the same command; prints a markdown table.
 *
 *   npm run bench:encoder [-- --variant NAME=FILE] [--device wasm|webgpu] [--histories 64]
 *
 * --variant runs another encoder_q4.onnx (e.g. the unoptimized graph from
 * git history) the same way, from a copy of the model folder in models/dev/.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';
import { loadNodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { openHarness } from '../e2e/browser.ts';
import type { EncoderBenchRow } from './encoder-bench.ts';
import type { EncoderGraph } from '../src/encoder/browser-encoder.ts';
import { averageRuns, encoderTable } from './report-tables.ts';

const MODEL = 'models/movielens-demo';
const data = loadPrepared('data/prepared/movielens-latest-small');
const USAGE = 'usage: npm run bench:encoder [-- --variant NAME=FILE] [--device wasm|webgpu] [--histories 64]';
const args = parseOptions('bench:encoder', USAGE, { options: { variant: { type: 'string', multiple: true }, device: { type: 'string', multiple: true }, histories: { type: 'string', default: '64' } } }).values;
const variants = args.variant ?? [];
const devices = args.device ?? ['webgpu', 'wasm'];
const histories = data.split('valid').slice(0, wholeNumber('--histories', args.histories, optionFailure('bench:encoder', USAGE))).map((s) => s.history.map((i) => data.items[i].title));

const node = await loadNodeEncoder(MODEL, 'q4');
await node.encode([histories[0]]);
let t = performance.now();
for (const h of histories) await node.encode([h]);
const nodePerQuery = (performance.now() - t) / histories.length;
t = performance.now();
for (let b = 0; b < histories.length; b += 32) await node.encode(histories.slice(b, b + 32));
const nodeRate = histories.length / ((performance.now() - t) / 1000);
await node.release();

// Each graph twice, in the order A B C C B A, and the two runs averaged: the first configuration of a
// page pays its compilation, and drift on a shared machine cancels.
const GRAPHS: EncoderGraph[] = ['fused', 'encoder', 'full'];
const folders: [string, string, EncoderGraph[]][] = [[MODEL, '', [...GRAPHS, ...[...GRAPHS].reverse()]]];
for (const v of variants) {
  const [name, file] = v.split('=');
  if (!name || !file || !existsSync(file)) throw new Error(`--variant wants NAME=FILE of an existing encoder graph, got "${v}".`);
  // A model folder whose encoder.json lists the variant's file (same generation graph, so the same memories).
  const folder = `models/dev/encoder-variant-${name}`;
  rmSync(folder, { recursive: true, force: true });
  cpSync(MODEL, folder, { recursive: true, filter: (src) => !src.includes('/memory') && !src.endsWith('model.onnx') && !src.endsWith('encoder.onnx') });
  copyFileSync(file, `${folder}/onnx/encoder_q4.onnx`);
  const manifest = JSON.parse(readFileSync(`${folder}/onnx/encoder.json`, 'utf8'));
  manifest.graphs['encoder_q4.onnx'].sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  writeFileSync(`${folder}/onnx/encoder.json`, JSON.stringify(manifest));
  folders.push([folder, ` (${name})`, ['encoder']]);
}
const harness = await openHarness('bench/encoder-bench.html');
try {
  const rows: EncoderBenchRow[] = [];
  for (const [folder, label, graphs] of folders) {
    const part = (await harness.page.evaluate(
      ([m, w, h, g, d]) => (globalThis as unknown as { l2dEncoderBench: { run: (...a: unknown[]) => Promise<unknown> } }).l2dEncoderBench.run(m, w, h, 32, g, d),
      [`/${folder}`, '/node_modules/onnxruntime-web/dist/', histories, graphs, devices] as const,
    )) as EncoderBenchRow[];
    rows.push(...part.map((r) => ({ ...r, graph: `${r.graph}${label}` })));
  }
  if (harness.problems.length) throw new Error(harness.problems.join('\n'));
  console.log(`model ${MODEL} (q4), ${histories.length} validation histories of movielens-latest-small\n`);
  const fallbacks = [...new Set(rows.flatMap((r) => (r.fallbackReason ? [`${r.device} ${r.graph}: ${r.fallbackReason}`] : [])))];
  console.log(encoderTable(averageRuns(rows)));
  for (const line of fallbacks) console.log(`\nfallback: ${line}`);
  console.log(`| Node, onnxruntime-node (CPU) | full | - | - | ${nodePerQuery.toFixed(1)} | - | - | 32 | ${nodeRate.toFixed(0)} |`);
} finally {
  await harness.close();
}
