/**
 * L2D vs language-space decoding in Chromium, side by side in one worker:
 * recommend() (L2D-G, L2D-L M=1000) and generate() (greedy, beam 5) of the
 * same model on the same test histories, interleaved. Prints a markdown
 * table and writes bench/results/versus-generation-<device>-<model>.json.
 *
 *   npm run bench:versus -- [--model models/movielens-demo] [--memory SHARD] [--data data/prepared/movielens-latest-small]
 *                           [--device wasm|webgpu] [--decoder cpu|webgpu] [--histories 32]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';
import { openHarness } from '../e2e/browser.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { machineDescription } from '../tools/lib/run-record.ts';
import { versusTable, type VersusResult } from './versus-generation.ts';

const USAGE = 'usage: npm run bench:versus -- [--model models/movielens-demo] [--memory SHARD] [--data data/prepared/movielens-latest-small] [--device wasm|webgpu] [--decoder cpu|webgpu] [--histories 32]';
const { values } = parseOptions('bench:versus', USAGE, {
  options: {
    model: { type: 'string', default: 'models/movielens-demo' },
    memory: { type: 'string' },
    data: { type: 'string', default: 'data/prepared/movielens-latest-small' },
    device: { type: 'string', default: 'wasm' },
    decoder: { type: 'string', default: 'cpu' },
    histories: { type: 'string', default: '32' },
  },
});
const memory = values.memory ?? `${values.model}/memory/train-q4-f0.3`;
const data = loadPrepared(values.data!);
const histories = data.split('test').slice(0, wholeNumber('--histories', values.histories, optionFailure('bench:versus', USAGE))).map((s) => ({ ids: s.history, target: s.target }));
const harness = await openHarness('bench/versus-generation.html');
try {
  const load = { modelUrl: `/${values.model}`, memoryUrl: `/${memory}`, device: values.device, decoder: values.decoder, wasmPaths: '/node_modules/onnxruntime-web/dist/', cache: 'none' };
  const result = (await harness.page.evaluate(
    ([l, h]) => (globalThis as unknown as { l2dVersus: { run: (...a: unknown[]) => Promise<unknown> } }).l2dVersus.run(l, h),
    [load, histories] as const,
  )) as VersusResult;
  if (harness.problems.length) throw new Error(harness.problems.join('\n'));
  const browser = await harness.page.evaluate(() => navigator.userAgent);
  const record = { date: new Date().toISOString(), machine: machineDescription(), browser, command: `npm run bench:versus -- ${process.argv.slice(2).join(' ')}`, load, ...result };
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/versus-generation-${values.device}-${basename(values.model!)}.json`;
  writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`${basename(values.model!)} (${result.status.encoder.device} ${result.status.encoder.dtype} encoder, ${result.status.decoder?.decoder} decoder), ${histories.length} test histories, k = ${result.k}, ${browser}\n`);
  console.log(versusTable(result));
  console.log(`\nsaved ${file}`);
} finally {
  await harness.close();
}
