/**
 * Prints the markdown tables of a whole-page GPU benchmark result
 * (the JSON bench/gpu-bench.html POSTs; see bench/README.md).
 *
 *   npx tsx bench/gpu-bench-report.ts bench/results/gpu-bench-h100-2026-11-22.json [TORCH.jsonl]
 *
 * TORCH.jsonl: the lines of `python3 bench/torch-encoder.py MODEL --synthetic 128`
 * run in the same command on the GPU machine; each forward time gets its ratio to them.
 */
import { readFileSync } from 'node:fs';
import type { BenchRow } from './decode-bench.ts';
import type { EncoderBenchRow } from './encoder-bench.ts';
import { averageRuns, decodeTable, encoderTable } from './report-tables.ts';
import { kernelTable, type KernelProfile } from './kernel-profile.ts';
import { forwardTable, type ForwardTiming } from './forward-timing.ts';
import { versusTable, type VersusResult } from './versus-generation.ts';
import { prefixTable, type PrefixBenchRow } from './prefix-reuse.ts';

interface FlowRow {
  strategy: string;
  m?: number;
  keepHiddenOnGpu?: boolean;
  encoder?: string;
  graph?: string;
  backend: { encoder: string; decoder: string; hiddenOnGpu: boolean };
  queries: number;
  wallMs: number;
  tokenizeMs: number;
  forwardMs: number;
  decodeMs: number;
  firstIds: number[];
  status: { loadMs: number };
}

const file = process.argv[2];
if (!file) throw new Error('usage: gpu-bench-report.ts RESULT.json');
const r = JSON.parse(readFileSync(file, 'utf8'));
console.log(`adapter: ${JSON.stringify(r.adapter)}\nbrowser: ${r.userAgent}\n`);
const torch = new Map<string, Record<string, number>>();
if (process.argv[3]) {
  for (const line of readFileSync(process.argv[3], 'utf8').split('\n').filter((l) => l.startsWith('{'))) {
    const t = JSON.parse(line) as Record<string, number> & { model: string };
    torch.set(`/${t.model.replace(/^\/|\/$/g, '')}`, t);
  }
}
type GraphRow = { modelUrl: string; file: string; ep: string; batch: number; profile?: KernelProfile; timing?: ForwardTiming; error?: string; skipped?: string };
if (Array.isArray(r.graphs)) {
  for (const modelUrl of [...new Set((r.graphs as GraphRow[]).map((g) => g.modelUrl))]) {
    const rows = (r.graphs as GraphRow[]).filter((g) => g.modelUrl === modelUrl);
    const t = torch.get(modelUrl);
    console.log(`\nEncoder graphs of ${modelUrl}: kernels of one 128-token forward pass${t ? `; PyTorch eager (${t.device}) batch 1 ${t.batch1_ms_median.toFixed(2)} ms, batch 64 ${t.batch64_ms_median.toFixed(2)} ms` : ''}\n`);
    console.log(kernelTable(rows.flatMap((g) => (g.profile ? [g.profile] : []))));
    console.log('');
    console.log(forwardTable(rows.flatMap((g) => (g.timing ? [g.timing] : [])), t ? { 1: t.batch1_ms_median, 64: t.batch64_ms_median } : undefined));
    for (const g of rows.filter((x) => x.error || x.skipped)) console.log(`- ${g.file} ${g.ep} batch ${g.batch}: ${g.error ?? g.skipped}`);
  }
}
console.log('\nEncoder alone (movielens-demo q4, 64 validation histories):\n');
console.log(encoderTable(averageRuns([...(r.encoder as EncoderBenchRow[]), ...(r.encoderBatch64 as EncoderBenchRow[])])));
console.log('\nrecommend() through the worker (median of 64 queries after 3 warm-ups; k = 50):\n');
console.log('| strategy | encoder | h_t | wall ms | tokenize ms | forward ms | decode ms | load ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const f of r.flow as FlowRow[]) {
  const strategy = `${f.strategy === 'local' ? `L2D-L (M=${f.m})` : 'L2D-G'}${f.graph ? ` (${f.graph} graph)` : ''}`;
  const hidden = f.backend.hiddenOnGpu ? 'stays on the GPU' : 'read back to JS';
  console.log(`| ${strategy} | ${f.backend.encoder} | ${hidden} | ${f.wallMs.toFixed(1)} | ${f.tokenizeMs.toFixed(1)} | ${f.forwardMs.toFixed(1)} | ${f.decodeMs.toFixed(1)} | ${f.status.loadMs.toFixed(0)} |`);
}
if (Array.isArray(r.prefix)) {
  console.log('\nreusePrefix on growing histories (5 -> up to 10 items), WebGPU encoder on the decoder\'s device, four workers interleaved:\n');
  console.log(prefixTable(r.prefix as PrefixBenchRow[]));
}
if (r.versusGeneration && !r.versusGeneration.error) {
  for (const v of r.versusGeneration as (VersusResult & { device: string })[]) {
    console.log(`\nrecommend() vs language-space decoding, same model, one worker, interleaved (${v.device} encoder, k = ${v.k}):\n`);
    console.log(versusTable(v));
  }
}
console.log('\nbuildMemory() in the worker, WebGPU encoder:\n');
console.log('| batch | samples | ms | rows/s |');
console.log('|---|---|---|---|');
for (const b of r.buildMemory as { batch: number; samples: number; ms: number; rowsPerSecond: number }[]) {
  console.log(`| ${b.batch} | ${b.samples} | ${b.ms.toFixed(0)} | ${b.rowsPerSecond.toFixed(0)} |`);
}
if (r.decode) {
  console.log('\nDecode engine on synthetic memories (median of 5):\n');
  console.log(decodeTable(r.decode.rows as BenchRow[]));
}
