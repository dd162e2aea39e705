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
  const f = (x: number | undefined, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));
  console.log(`adapter: ${JSON.stringify(result.adapter)}\nbrowser: ${result.userAgent}\n`);
  console.log('| N | d | memory MB | parts | L2D-G ms | L2D-L ms (M=1000) | scan ms | scan rows/s | scan GB/s | select ms | aggregate ms | CPU ref L2D-G ms | CPU ref L2D-L ms | L2D-L CPU/GPU |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of result.rows) {
    if (r.error) {
      console.log(`| ${r.rows} | ${r.dim} | ${f((r.rows * Math.ceil(r.dim / 8) * 16) / 2 ** 20, 0)} | - | not run: ${r.error} |||||||||`);
      continue;
    }
    const scan = r.local.scanMs;
    const bytes = r.rows * Math.ceil(r.dim / 8) * 16 + r.items * Math.ceil(r.dim / 8) * 32;
    console.log(
      `| ${r.rows} | ${r.dim} | ${f(r.memoryMB, 0)} | ${r.parts} | ${f(r.global.totalMs)} | ${f(r.local.totalMs)} | ${f(scan)} | ${scan ? (r.rows / (scan / 1000)).toExponential(2) : '-'} | ${scan ? f(bytes / (scan / 1000) / 1e9, 2) : '-'} | ${f(r.local.selectMs)} | ${f(r.local.aggregateMs)} | ${f(r.cpuGlobalMs)} | ${f(r.cpuLocalMs)} | ${f(r.cpuLocalMs / r.local.totalMs, 2)} |`,
    );
  }
  console.log(`\nraw results: ${file}`);
} finally {
  await harness.close();
}
