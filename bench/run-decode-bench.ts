/**
 * Runs bench/decode-bench.html in Chromium (WebGPU) and prints a markdown
 * table; the raw JSON goes to bench/results/decode-<adapter>.json.
 *
 *   npm run bench:decode                 # N in {10k,100k,300k} x d in {256,896,2048}
 *   npm run bench:decode -- --quick      # N in {10k,100k} x d = 256
 */
import { writeFileSync } from 'node:fs';
import { openHarness } from '../e2e/browser.ts';
import type { BenchConfig, BenchRow } from './decode-bench.ts';
import { decodeTable } from './report-tables.ts';

const quick = process.argv.includes('--quick');
const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 300_000];
const dims = quick ? [256] : [256, 896, 2048];
const configs: BenchConfig[] = dims.flatMap((dim) => sizes.map((rows) => ({ rows, dim })));

const harness = await openHarness('bench/decode-bench.html');
harness.page.on('console', (m) => process.stderr.write(`${m.text()}\n`));
try {
  const result = await harness.page.evaluate(
    (c) => (globalThis as unknown as { l2dBench: { run: (c: BenchConfig[], r: number) => Promise<unknown> } }).l2dBench.run(c, 5),
    configs,
  ) as { adapter: { vendor: string; architecture: string }; userAgent: string; rows: BenchRow[] };
  if (harness.problems.length) throw new Error(`Console problems: ${harness.problems.join('\n')}`);
  const name = `${result.adapter.vendor}-${result.adapter.architecture}`.replace(/[^a-z0-9-]/gi, '') || 'unknown';
  const file = `bench/results/decode-${name}.json`;
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2));
  console.log(`adapter: ${JSON.stringify(result.adapter)}\nbrowser: ${result.userAgent}\n`);
  console.log(decodeTable(result.rows));
  console.log(`\nraw results: ${file}`);
} finally {
  await harness.close();
}
