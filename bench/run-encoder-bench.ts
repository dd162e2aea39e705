/**
 * Runs bench/encoder-bench.html in Chromium on the demo model with 64 real
 * validation histories, and Node's onnxruntime-node on the same histories
 * in the same command; prints a markdown table.
 *
 *   npm run bench:encoder
 */
import { loadNodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { openHarness } from '../e2e/browser.ts';
import type { EncoderBenchRow } from './encoder-bench.ts';
import { encoderTable } from './report-tables.ts';

const MODEL = 'models/movielens-demo';
const data = loadPrepared('data/prepared/movielens-latest-small');
const histories = data.split('valid').slice(0, 64).map((s) => s.history.map((i) => data.items[i].title));

const node = await loadNodeEncoder(MODEL, 'q4');
await node.encode([histories[0]]);
let t = performance.now();
for (const h of histories) await node.encode([h]);
const nodePerQuery = (performance.now() - t) / histories.length;
t = performance.now();
for (let b = 0; b < histories.length; b += 32) await node.encode(histories.slice(b, b + 32));
const nodeRate = histories.length / ((performance.now() - t) / 1000);
await node.release();

const harness = await openHarness('bench/encoder-bench.html');
try {
  const rows = (await harness.page.evaluate(
    ([m, w, h]) => (globalThis as unknown as { l2dEncoderBench: { run: (...a: unknown[]) => Promise<unknown> } }).l2dEncoderBench.run(m, w, h, 32, ['encoder', 'full']),
    [`/${MODEL}`, '/node_modules/onnxruntime-web/dist/', histories] as const,
  )) as EncoderBenchRow[];
  if (harness.problems.length) throw new Error(harness.problems.join('\n'));
  console.log(`model ${MODEL} (q4), ${histories.length} validation histories of movielens-latest-small\n`);
  console.log(encoderTable(rows));
  console.log(`| Node, onnxruntime-node (CPU) | full | - | ${nodePerQuery.toFixed(1)} | - | - | 32 | ${nodeRate.toFixed(0)} |`);
} finally {
  await harness.close();
}
