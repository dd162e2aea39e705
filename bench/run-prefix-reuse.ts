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
import { parseArgs } from 'node:util';
import { openHarness } from '../e2e/browser.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { machineDescription } from '../tools/lib/run-record.ts';
import type { PrefixBenchMode, PrefixBenchRow } from './prefix-reuse.ts';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'wasm' }, decoder: { type: 'string', default: 'cpu' }, users: { type: 'string', default: '16' } } });
const MODEL = 'models/movielens-demo';
const data = loadPrepared('data/prepared/movielens-latest-small');
// Test samples with 10 history items (the data sets keep at most 10), grown from 5.
const sessions = data.split('test').filter((s) => s.history.length >= 10).slice(0, Number(values.users)).map((s) => s.history.slice(0, 10));
const modes: PrefixBenchMode[] = (['encoder', 'fused'] as const).flatMap((graph) => [false, true].map((reusePrefix) => ({ graph, reusePrefix })));
const harness = await openHarness('bench/prefix-reuse.html');
try {
  const load = { modelUrl: `/${MODEL}`, memoryUrl: `/${MODEL}/memory/train-q4-f0.3`, device: values.device, decoder: values.decoder, wasmPaths: '/node_modules/onnxruntime-web/dist/', cache: 'none' };
  const rows = (await harness.page.evaluate(
    ([l, s, m]) => (globalThis as unknown as { l2dPrefixBench: { run: (...a: unknown[]) => Promise<unknown> } }).l2dPrefixBench.run(l, s, 5, m),
    [load, sessions, modes] as const,
  )) as PrefixBenchRow[];
  if (harness.problems.length) throw new Error(harness.problems.join('\n'));
  const browser = await harness.page.evaluate(() => navigator.userAgent);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/prefix-reuse-${values.device}.json`;
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), browser, command: `npm run bench:prefix -- ${process.argv.slice(2).join(' ')}`, load, rows }, null, 1)}\n`);
  console.log(`${MODEL} (${values.device} encoder, ${values.decoder} decoder), ${sessions.length} users x 5 growth steps (history 5 -> 10 items), ${browser}\n`);
  console.log('| encoder | reusePrefix | prefix run by | requests | median wall ms | median forward ms | tokens run (mean) | tokens reused (mean) |\n|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const by = r.prefixGraph === 'fused' ? 'fused graph (its cache)' : r.prefixGraph === 'full' ? 'generation graph' : '-';
    console.log(`| ${r.encoder} | ${r.reusePrefix ? 'yes' : 'no'} | ${by} | ${r.requests} | ${r.medianWallMs.toFixed(1)} | ${r.medianForwardMs.toFixed(1)} | ${r.meanRanTokens?.toFixed(0) ?? 'all'} | ${r.meanReusedTokens?.toFixed(0) ?? 0} |`);
  }
  const row = (graph: string, reuse: boolean) => rows.find((r) => r.graph === graph && r.reusePrefix === reuse)!;
  console.log('');
  for (const graph of ['encoder', 'fused']) {
    const full = row(graph, false), reuse = row(graph, true);
    console.log(`graph ${graph}: full / reusePrefix forward = ${(full.medianForwardMs / reuse.medianForwardMs).toFixed(2)}x, wall = ${(full.medianWallMs / reuse.medianWallMs).toFixed(2)}x`);
  }
  console.log(`reusePrefix, generation graph / fused cache forward = ${(row('encoder', true).medianForwardMs / row('fused', true).medianForwardMs).toFixed(2)}x`);
  console.log(`saved ${file}`);
} finally {
  await harness.close();
}
