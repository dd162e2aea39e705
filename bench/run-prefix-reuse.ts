/**
 * reusePrefix vs full encodes in Chromium: movielens test users whose
 * history grows from 5 to 10 items one request at a time, with the traced
 * encoder graph (its prefix reuse runs the generation graph) and with the
 * fused one (its prefix reuse runs the fused graph's own cache), each with
 * and without reusePrefix: four workers interleaved in one page. Prints a
 * markdown table, writes bench/results/prefix-reuse-<device>.json.
 *
 *   npm run bench:prefix -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--users 16]
 *
 * --decoder webgpu puts the encoder on the decoder's WebGPU device (as the
 * demo does), where onnxruntime-web's GroupQueryAttention is right on
 * SwiftShader (docs/MODELS.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';
import { openHarness } from '../e2e/browser.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { machineDescription } from '../tools/lib/run-record.ts';
import { PREFIX_BENCH_MODES, prefixTable, type PrefixBenchRow } from './prefix-reuse.ts';

const USAGE = 'usage: npm run bench:prefix -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--users 16]';
const { values } = parseOptions('bench:prefix', USAGE, { options: { device: { type: 'string', default: 'wasm' }, decoder: { type: 'string', default: 'cpu' }, users: { type: 'string', default: '16' } } });
const MODEL = 'models/movielens-demo';
const data = loadPrepared('data/prepared/movielens-latest-small');
// Test samples with 10 history items (the data sets keep at most 10), grown from 5.
const sessions = data.split('test').filter((s) => s.history.length >= 10).slice(0, wholeNumber('--users', values.users, optionFailure('bench:prefix', USAGE))).map((s) => s.history.slice(0, 10));
const harness = await openHarness('bench/prefix-reuse.html');
try {
  const load = { modelUrl: `/${MODEL}`, memoryUrl: `/${MODEL}/memory/train-q4-f0.3`, device: values.device, decoder: values.decoder, wasmPaths: '/node_modules/onnxruntime-web/dist/', cache: 'none' };
  const rows = (await harness.page.evaluate(
    ([l, s, m]) => (globalThis as unknown as { l2dPrefixBench: { run: (...a: unknown[]) => Promise<unknown> } }).l2dPrefixBench.run(l, s, 5, m),
    [load, sessions, PREFIX_BENCH_MODES] as const,
  )) as PrefixBenchRow[];
  if (harness.problems.length) throw new Error(harness.problems.join('\n'));
  const browser = await harness.page.evaluate(() => navigator.userAgent);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/prefix-reuse-${values.device}.json`;
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), browser, command: `npm run bench:prefix -- ${process.argv.slice(2).join(' ')}`, load, rows }, null, 1)}\n`);
  console.log(`${MODEL} (${values.device} encoder, ${values.decoder} decoder), ${sessions.length} users x 5 growth steps (history 5 -> 10 items), ${browser}\n`);
  console.log(prefixTable(rows));
  console.log(`saved ${file}`);
} finally {
  await harness.close();
}
