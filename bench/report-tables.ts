/** Markdown tables of benchmark results, shared by the bench runners and bench/gpu-bench-report.ts. */
import { DEFAULT_VOTE_M } from '../src/core/decode-options.ts';
import type { BenchRow } from './decode-bench.ts';
import type { EncoderBenchRow } from './encoder-bench.ts';

const f = (x: number | undefined, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));

export function decodeTable(rows: BenchRow[]): string {
  const lines = [
    `| N | d | memory MB | parts | L2D-G ms | L2D-L ms (M=1000) | L2D-V ms (M=${DEFAULT_VOTE_M}) | scan ms | scan rows/s | scan GB/s | select ms | aggregate ms | CPU L2D-G ms (SIMD / JS) | CPU L2D-L ms (SIMD / JS) | CPU L2D-V ms (SIMD) | L2D-L CPU JS/SIMD | L2D-L CPU/GPU |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.rows} | ${r.dim} | ${f((r.rows * Math.ceil(r.dim / 8) * 16) / 2 ** 20, 0)} | - | not run: ${r.error} ||||||||||||`);
      continue;
    }
    const scan = r.local.scanMs;
    // What the L2D-L scan reads: float16 rows plus float32 centroids.
    const bytes = r.rows * Math.ceil(r.dim / 8) * 16 + r.items * Math.ceil(r.dim / 8) * 32;
    lines.push(
      `| ${r.rows} | ${r.dim} | ${f(r.memoryMB, 0)} | ${r.parts} | ${f(r.global.totalMs)} | ${f(r.local.totalMs)} | ${f(r.vote?.totalMs)} | ${f(scan, scan !== undefined && scan < 1 ? 3 : 1)} | ${scan ? (r.rows / (scan / 1000)).toExponential(2) : '-'} | ${scan ? f(bytes / (scan / 1000) / 1e9, 2) : '-'} | ${f(r.local.selectMs, 2)} | ${f(r.local.aggregateMs, 2)} | ${f(r.cpuGlobalMs)} / ${f(r.cpuJsGlobalMs)} | ${f(r.cpuLocalMs)} / ${f(r.cpuJsLocalMs)} | ${f(r.cpuVoteMs)} | ${f(r.cpuJsLocalMs === undefined ? undefined : r.cpuJsLocalMs / r.cpuLocalMs, 2)} | ${f(r.cpuLocalMs / r.local.totalMs, 2)} |`,
    );
  }
  return lines.join('\n');
}

export function encoderTable(rows: EncoderBenchRow[]): string {
  const lines = [
    '| runtime | graph | load warm-up ms | first call ms | per query ms (1 history) | tokenize ms | forward ms | batch | histories/s in batches |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| Chromium, onnxruntime-web ${r.device} | ${r.graph ?? 'full'} | not loaded: ${r.error.replace(/\|/g, '/')} | | | | | | |`);
      continue;
    }
    lines.push(`| Chromium, onnxruntime-web ${r.device} | ${r.graph ?? 'full'} | ${r.warmupMs?.toFixed(0) ?? '-'} | ${r.firstMs.toFixed(0)} | ${r.perQueryMs.toFixed(1)} | ${r.tokenizeMs.toFixed(2)} | ${r.forwardMs.toFixed(1)} | ${r.batch} | ${r.batchRowsPerSecond.toFixed(0)} |`);
  }
  return lines.join('\n');
}

/** One row per (device, graph, batch): the mean of its runs. */
export function averageRuns(rows: EncoderBenchRow[]): EncoderBenchRow[] {
  const groups = new Map<string, EncoderBenchRow[]>();
  for (const r of rows) groups.set(`${r.device} ${r.graph} ${r.batch}`, [...(groups.get(`${r.device} ${r.graph} ${r.batch}`) ?? []), r]);
  const mean = (xs: EncoderBenchRow[], key: 'firstMs' | 'perQueryMs' | 'tokenizeMs' | 'forwardMs' | 'batchRowsPerSecond' | 'warmupMs') => xs.reduce((s, x) => s + (x[key] ?? 0), 0) / xs.length;
  return [...groups.values()].map((xs) => ({
    ...xs[0],
    firstMs: mean(xs, 'firstMs'),
    perQueryMs: mean(xs, 'perQueryMs'),
    tokenizeMs: mean(xs, 'tokenizeMs'),
    forwardMs: mean(xs, 'forwardMs'),
    batchRowsPerSecond: mean(xs, 'batchRowsPerSecond'),
    ...(xs.some((x) => x.warmupMs !== undefined) ? { warmupMs: mean(xs, 'warmupMs') } : {}),
  }));
}
