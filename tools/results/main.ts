/**
 * results: the tables and plots of docs/RESULTS.md from evaluation run
 * folders (`npm run evaluate -- ... --out DIR`): the paper's Table 1 layout,
 * the L2D-L M sweep (Figure 5), sparse vs dense targets (Figure 4), the
 * 30%-memory study (Table 3) and per-request latency with the quality vs
 * latency plot (Figure 3). Prints markdown; writes SVGs.
 *
 *   npm run results -- eval-runs/movielens-latest-small eval-runs/amazon-games [--plots docs/plots] [--data-root data/prepared]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../src/core/data/prepare.ts';
import { L2DError } from '../../src/core/errors.ts';
import { evaluateRankings } from '../../src/core/evaluate.ts';
import { metricsTable, sparseDenseSplit, type MetricValues, type SparseDenseSplit } from '../../src/core/metrics.ts';
import { targetCounts } from '../../src/core/baselines.ts';
import { readRankings } from '../evaluate/main.ts';
import { loadPrepared, splitsOfLabel, type LoadedDataset } from '../lib/prepared.ts';
import { readRunRecords, type RunRecords } from '../lib/run-record.ts';
import { lineChart, scatterChart, type Series } from './svg-plot.ts';
import { exitWithUsage, isEntryPoint, parseOptions, runCli } from '../lib/cli.ts';

const TABLE1_ORDER = ['most-popular', 'item co-occurrence', 'greedy', 'beam-5', 'L2D-G', 'L2D-L (M=1000)'];
const SWEEP = /^L2D-L \(M=(\d+)\)$/;
/** Methods counted from several splits (evaluate --baselines-from, build-memory --split): the splits, "train+valid". */
const FITTED_ON = /\((?:M=\d+, )?(?:\d+% )?((?:train|valid|test)(?:\+(?:train|valid|test))+)(?: memory)?\)$/;

/** Test samples split by their target's number of training samples: at most the median (sparse) or more (dense). */
export function sparseDenseSplitOf(data: LoadedDataset, samples: readonly Sample[]): SparseDenseSplit {
  return sparseDenseSplit(targetCounts(data.split('train'), data.items.length), samples);
}

const fmt = (v: number) => v.toFixed(4);

export function datasetReport(dir: string, dataRoot: string, plots: string | undefined): string {
  const records = readRunRecords(dir);
  const out: string[] = [];
  const row = (method: string) => records.methods[method];
  const byName = (names: string[]) => names.filter((n) => row(n)).map((n) => ({ method: n, values: row(n).values }));
  out.push(`### ${records.dataset}, ${records.split} split: ${records.samples} samples, ${records.items} items (full ranking)\n`);
  const others = Object.keys(records.methods).filter((m) => !TABLE1_ORDER.includes(m) && !SWEEP.test(m));
  out.push(metricsTable(byName([...TABLE1_ORDER, ...others.filter((m) => !m.includes('% memory') && !FITTED_ON.test(m))])));

  const sweep = Object.keys(records.methods)
    .map((m) => [m, Number(SWEEP.exec(m)?.[1])] as const)
    .filter(([, m]) => m > 0)
    .sort((a, b) => a[1] - b[1]);
  if (sweep.length > 1) {
    out.push(`\nL2D-L by M (the number of nearest memory rows grouped by item; L2D-G for reference):\n`);
    out.push(metricsTable(byName(['L2D-G', ...sweep.map(([name]) => name)])));
    if (plots) {
      const series: Series[] = [20, 50, 100].map((k, i) => ({ name: `L2D-L R@${k}`, colour: i, points: sweep.map(([name, m]) => [m, row(name).values.recall[k]] as [number, number]) }));
      if (row('L2D-G')) {
        const ends = [sweep[0][1], sweep.at(-1)![1]];
        for (const [i, k] of [20, 50, 100].entries()) series.push({ name: `L2D-G R@${k}`, dashed: true, colour: i, points: ends.map((m) => [m, row('L2D-G').values.recall[k]] as [number, number]) });
      }
      const file = join(plots, `${records.dataset}-recall-vs-m.svg`);
      writeFileSync(file, lineChart(`${records.dataset}: L2D-L Recall@K vs M`, 'M (nearest memory rows, log scale)', 'Recall@K', series));
      out.push(`\n![Recall vs M, ${records.dataset}](${relativeToDocs(file)})`);
    }
  }

  const partial = others.filter((m) => m.includes('% memory') && !FITTED_ON.test(m));
  if (partial.length) {
    out.push(`\nStoring part of the training samples (Table 3; the rows of the full shard that \`build-memory --fraction\` keeps):\n`);
    out.push(metricsTable(byName(['L2D-G', ...partial.filter((m) => m.startsWith('L2D-G')), 'L2D-L (M=1000)', ...partial.filter((m) => m.startsWith('L2D-L'))])));
  }

  const dataPath = join(dataRoot, records.dataset);
  const data = existsSync(join(dataPath, 'manifest.json')) ? loadPrepared(dataPath) : undefined;
  for (const splits of new Set(others.map((m) => FITTED_ON.exec(m)?.[1]).filter((s) => s !== undefined))) {
    const fitted = others.filter((m) => FITTED_ON.exec(m)?.[1] === splits);
    const names = splitsOfLabel(splits);
    out.push(`\nCounted from ${names.join(' and ')} (the memory: \`build-memory --split ${names.join(',')}\`; the baselines: \`evaluate --baselines-from ${names.join(',')}\`), as a store deploys them:\n`);
    // Baselines, then L2D-G, then L2D-L, as in the first table.
    const rank = (m: string) => TABLE1_ORDER.findIndex((name) => m.startsWith(`${name.replace(/ \(M=\d+\)$/, '')} (`));
    out.push(metricsTable(byName(fitted.sort((a, b) => rank(a) - rank(b)))));
    if (data) {
      const seen = new Set(names.flatMap((name) => data.split(name).map((s) => s.target)));
      const all = data.split(records.split as 'test');
      const cold = all.filter((s) => !seen.has(s.target)).length;
      out.push(`\n${cold} of the ${all.length} ${records.split} samples (${((100 * cold) / all.length).toFixed(1)}%) have a target that is no ${splits} sample's target.`);
    }
  }

  if (data) {
    // Runs with --limit N score the split's first N samples.
    const all = data.split(records.split as 'test');
    if (all.length < records.samples) throw new L2DError('invalid-argument', `${dataPath} has ${all.length} ${records.split} samples, the runs ${records.samples}: prepare the data again.`);
    const methods = [...TABLE1_ORDER, 'L2D-L (M=50)', 'L2D-L (M=200)'].filter((m) => row(m) && existsSync(join(dir, row(m).rankingsFile)));
    // Like for like: every method on the samples they all scored (runs with --limit score the first ones).
    const common = Math.min(...methods.map((m) => row(m).values.samples));
    const samples = all.slice(0, common);
    const lists = new Map(methods.map((m) => [m, readRankings(join(dir, row(m).rankingsFile), samples, data.items.length, { firstOnly: true })]));
    const score = (m: string, ids: number[]): MetricValues => evaluateRankings(ids.map((i) => samples[i]), (_, j) => lists.get(m)![ids[j]]);
    if (common < records.samples) {
      out.push(`\nEvery method on the first ${common} samples, the ones all of them scored (like for like):\n`);
      out.push(metricsTable(methods.map((m) => ({ method: m, values: score(m, samples.map((_, i) => i)) }))));
    }
    const { threshold, sparse, dense } = sparseDenseSplitOf(data, samples);
    const trained = new Set(data.split('train').map((s) => s.target));
    const cold = all.filter((s) => !trained.has(s.target)).length;
    out.push(`\n${cold} of the ${all.length} test samples (${((100 * cold) / all.length).toFixed(1)}%) have a target that is never a training target: the memory has no row for it, so L2D cannot rank it (without the cold-start rule, docs/MEMORY.md); generation and co-occurrence can.`);
    if (methods.length) {
      out.push(`\nSparse vs dense targets (Figure 4) on ${common === all.length ? `all ${common}` : `the first ${common}`} samples: sparse = the target has at most ${threshold} training samples (the median over these test targets; ${sparse.length} samples), dense = more (${dense.length}):\n`);
      out.push('| method | sparse R@20 | sparse R@50 | sparse N@50 | dense R@20 | dense R@50 | dense N@50 |\n|---|---|---|---|---|---|---|');
      for (const m of methods) {
        const [sv, dv] = [score(m, sparse), score(m, dense)];
        out.push(`| ${m} | ${fmt(sv.recall[20])} | ${fmt(sv.recall[50])} | ${fmt(sv.ndcg[50])} | ${fmt(dv.recall[20])} | ${fmt(dv.recall[50])} | ${fmt(dv.ndcg[50])} |`);
      }
    }
  } else {
    out.push(`\n(${dataPath} not found: the sparse/dense table needs the prepared data, \`npm run prepare-data -- --all\`.)`);
  }

  const latency = records.latency;
  if (latency) {
    const beam5 = latency.ms['beam-5']?.median;
    out.push(`\nPer-request latency, side by side (${latency.requests} ${records.split} requests per method, interleaved; ${latency.machine}):\n`);
    out.push('| method | median ms | mean ms | beam-5 / this (medians) | R@50 |\n|---|---|---|---|---|');
    for (const [name, t] of Object.entries(latency.ms)) {
      out.push(`| ${name} | ${t.median.toFixed(1)} | ${t.mean.toFixed(1)} | ${beam5 ? `**${(beam5 / t.median).toFixed(1)}x**` : '-'} | ${row(name) ? fmt(row(name).values.recall[50]) : '-'} |`);
    }
    out.push(`\nCommand: \`${latency.command}\``);
    if (plots) {
      const points = Object.entries(latency.ms)
        .filter(([name]) => row(name))
        .map(([name, t]) => ({ label: name, x: t.median, y: row(name).values.recall[50], group: name.startsWith('L2D') ? 'L2D' : 'language space' }));
      const file = join(plots, `${records.dataset}-quality-vs-latency.svg`);
      writeFileSync(file, scatterChart(`${records.dataset}: Recall@50 vs ms per request (CPU)`, 'median ms per request (log scale)', 'Recall@50', points));
      out.push(`\n![Quality vs latency, ${records.dataset}](${relativeToDocs(file)})`);
    }
  }
  out.push(`\nCommands of these runs:\n`);
  const commands = [...new Set(Object.values(records.methods).map((r) => r.command))];
  for (const c of commands) out.push(`    ${c}`);
  const machines = [...new Set(Object.values(records.methods).map((r) => r.machine))];
  out.push(`\nMachine: ${machines.join('; ')}. Dates: ${[...new Set(Object.values(records.methods).map((r) => r.date.slice(0, 10)))].join(', ')}.`);
  return out.join('\n');
}

function relativeToDocs(file: string): string {
  return file.replace(/^docs\//, '');
}

const USAGE =
  'usage: npm run results -- <run folder> [...] [--plots docs/plots] [--data-root data/prepared]';

function main(): void {
  const { values, positionals } = parseOptions('results', USAGE, {
    allowPositionals: true,
    options: { plots: { type: 'string', default: 'docs/plots' }, 'data-root': { type: 'string', default: 'data/prepared' } },
  });
  if (!positionals.length) exitWithUsage(USAGE);
  mkdirSync(values.plots, { recursive: true });
  for (const dir of positionals) console.log(`${datasetReport(dir, values['data-root'], values.plots)}\n`);
}

if (isEntryPoint(import.meta.url)) runCli('results', main);
