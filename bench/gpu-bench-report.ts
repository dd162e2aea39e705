/**
 * Prints the markdown tables of a whole-page GPU benchmark result
 * (the JSON bench/gpu-bench.html POSTs; see bench/README.md).
 *
 *   npx tsx bench/gpu-bench-report.ts RESULT.json [MORE.json ...] [TORCH.jsonl]
 *
 * Several RESULT files (page loads of one trip that each ran some `?stages=`,
 * bench/gpu-trip.sh) are read as one result; they must come from the same
 * adapter. TORCH.jsonl: the lines of `python3 bench/torch-encoder.py MODEL
 * --synthetic 128` run in the same command on the GPU machine as the graphs
 * stage; each forward time gets its ratio to them. A stage that failed as a
 * whole is printed with its error; one not run is left out.
 */
import { readFileSync } from 'node:fs';
import { mergeGpuBenchResults, type GpuBenchResult } from './gpu-bench-result.ts';
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

const files = process.argv.slice(2);
const resultFiles = files.filter((f) => !f.endsWith('.jsonl'));
if (!resultFiles.length) throw new Error('usage: gpu-bench-report.ts RESULT.json [MORE.json ...] [TORCH.jsonl]');
const merged = mergeGpuBenchResults(resultFiles.map((file) => ({ file, result: JSON.parse(readFileSync(file, 'utf8')) as GpuBenchResult })));
for (const note of merged.notes) console.log(note);
const r = merged.result as Record<string, any>; // the page's JSON, read stage by stage
console.log(`adapter: ${JSON.stringify(r.adapter)}\nbrowser: ${r.userAgent}\n`);
const torch = new Map<string, Record<string, number>>();
for (const file of files.filter((f) => f.endsWith('.jsonl'))) {
  for (const line of readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{'))) {
    const t = JSON.parse(line) as Record<string, number> & { model: string };
    torch.set(`/${t.model.replace(/^\/|\/$/g, '')}`, t);
  }
}
/** Prints the error of a stage that failed as a whole; true when it did. */
function reportFailure(name: string): boolean {
  const value = r[name];
  const failed = value !== null && typeof value === 'object' && !Array.isArray(value) && 'error' in value;
  if (failed) console.log(`\nstage ${name} failed: ${value.error}`);
  return failed;
}
/** A stage's section: left out when the stage did not run, its error when it failed as a whole. */
function stage(name: string, print: (value: any) => void) {
  if (r[name] !== undefined && !reportFailure(name)) print(r[name]);
}
type GraphRow = { modelUrl: string; file: string; ep: string; batch: number; profile?: KernelProfile; timing?: ForwardTiming; error?: string; skipped?: string };
stage('graphs', (graphs: GraphRow[]) => {
  for (const modelUrl of [...new Set(graphs.map((g) => g.modelUrl))]) {
    const rows = graphs.filter((g) => g.modelUrl === modelUrl);
    const t = torch.get(modelUrl);
    console.log(`\nEncoder graphs of ${modelUrl}: kernels of one 128-token forward pass${t ? `; PyTorch eager (${t.device}) batch 1 ${t.batch1_ms_median.toFixed(2)} ms, batch 64 ${t.batch64_ms_median.toFixed(2)} ms` : ''}\n`);
    console.log(kernelTable(rows.flatMap((g) => (g.profile ? [g.profile] : []))));
    console.log('');
    console.log(forwardTable(rows.flatMap((g) => (g.timing ? [g.timing] : [])), t ? { 1: t.batch1_ms_median, 64: t.batch64_ms_median } : undefined));
    for (const g of rows.filter((x) => x.error || x.skipped)) console.log(`- ${g.file} ${g.ep} batch ${g.batch}: ${g.error ?? g.skipped}`);
  }
});
const encoderRows = ['encoder', 'encoderBatch64'].flatMap((name) => (Array.isArray(r[name]) ? (r[name] as EncoderBenchRow[]) : []));
if (encoderRows.length) {
  console.log('\nEncoder alone (movielens-demo q4, 64 validation histories):\n');
  console.log(encoderTable(averageRuns(encoderRows)));
}
// The encoder stages that ran share the table above; one that failed is named here.
for (const name of ['encoder', 'encoderBatch64']) reportFailure(name);
stage('flow', (flow: FlowRow[]) => {
  console.log('\nrecommend() through the worker (median of 64 queries after 3 warm-ups; k = 50):\n');
  console.log('| strategy | encoder | h_t | wall ms | tokenize ms | forward ms | decode ms | load ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const f of flow) {
    const strategy = `${f.strategy === 'local' ? `L2D-L (M=${f.m})` : 'L2D-G'}${f.graph ? ` (${f.graph} graph)` : ''}`;
    const hidden = f.backend.hiddenOnGpu ? 'stays on the GPU' : 'read back to JS';
    console.log(`| ${strategy} | ${f.backend.encoder} | ${hidden} | ${f.wallMs.toFixed(1)} | ${f.tokenizeMs.toFixed(1)} | ${f.forwardMs.toFixed(1)} | ${f.decodeMs.toFixed(1)} | ${f.status.loadMs.toFixed(0)} |`);
  }
});
stage('prefix', (prefix: PrefixBenchRow[]) => {
  console.log('\nreusePrefix on growing histories (5 -> up to 10 items), WebGPU encoder on the decoder\'s device, four workers interleaved:\n');
  console.log(prefixTable(prefix));
});
stage('versusGeneration', (versus: (VersusResult & { device: string })[]) => {
  for (const v of versus) {
    console.log(`\nrecommend() vs language-space decoding, same model, one worker, interleaved (${v.device} encoder, k = ${v.k}):\n`);
    console.log(versusTable(v));
  }
});
stage('buildMemory', (builds: { batch: number; samples: number; ms: number; rowsPerSecond: number }[]) => {
  console.log('\nbuildMemory() in the worker, WebGPU encoder:\n');
  console.log('| batch | samples | ms | rows/s |');
  console.log('|---|---|---|---|');
  for (const b of builds) console.log(`| ${b.batch} | ${b.samples} | ${b.ms.toFixed(0)} | ${b.rowsPerSecond.toFixed(0)} |`);
});
stage('decode', (decode: { rows: BenchRow[] }) => {
  console.log('\nDecode engine on synthetic memories (median of 5):\n');
  console.log(decodeTable(decode.rows));
});
