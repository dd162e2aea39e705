/**
 * A probe, not a feature: how much two methods' lists add to each other, by weighted reciprocal-rank fusion of
 * their top-100 lists as `npm run evaluate -- --out DIR` saved them (each item scores w / (c + rank) from a list
 * that ranks it, 1-based; ties by smaller id), scored on the split those lists rank.
 *
 *   npm run evaluate -- --data data/prepared/movielens-latest-small --split valid --model models/movielens-demo \
 *        --memory <full memory> --m none --vote-m 3000 --method cooccurrence --out /tmp/fusion
 *   npx tsx bench/fusion-probe.ts --data data/prepared/movielens-latest-small --split valid \
 *        --a /tmp/fusion/l2d-v-m3000.tsv --b /tmp/fusion/item-co-occurrence.tsv
 */
import type { Split } from '../src/core/data/prepare.ts';
import { evaluateRankings } from '../src/core/evaluate.ts';
import { readRankings } from '../tools/evaluate/main.ts';
import { exitWithUsage, isEntryPoint, parseOptions, runCli } from '../tools/lib/cli.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';

/** Weighted reciprocal-rank fusion of two ranked lists: the top `k` by summed w / (c + rank). */
export function fuseRankings(a: ArrayLike<number>, b: ArrayLike<number>, weightA: number, c: number, k: number): number[] {
  const score = new Map<number, number>();
  const add = (list: ArrayLike<number>, weight: number) => {
    for (let r = 0; r < list.length; r++) score.set(list[r], (score.get(list[r]) ?? 0) + weight / (c + r + 1));
  };
  add(a, weightA);
  add(b, 1 - weightA);
  return [...score.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, k).map(([id]) => id);
}

async function main(): Promise<void> {
  const usage = 'usage: npx tsx bench/fusion-probe.ts --data <prepared> --split valid --a <rankings.tsv> --b <rankings.tsv>';
  const { values } = parseOptions('fusion-probe', usage, {
    options: { data: { type: 'string' }, split: { type: 'string', default: 'valid' }, a: { type: 'string' }, b: { type: 'string' } },
  });
  if (!values.data || !values.a || !values.b) exitWithUsage(usage);
  const data = loadPrepared(values.data!);
  const samples = data.split(values.split as Split);
  const [a, b] = [values.a!, values.b!].map((file) => readRankings(file, samples, data.items.length));
  console.log(`${data.manifest.name}, ${values.split} (${samples.length} samples): a = ${values.a}, b = ${values.b}\n`);
  console.log('| weight of a | c | R@20 | R@50 | R@100 | N@50 |\n|---|---|---|---|---|---|');
  for (const [weightA, c] of [[1, 60], [0, 60], [0.5, 60], [0.3, 60], [0.2, 60], [0.3, 20]] as const) {
    const fused = samples.map((_, i) => fuseRankings(a[i], b[i], weightA, c, 100));
    const v = evaluateRankings(samples, (_, i) => fused[i]);
    console.log(`| ${weightA} | ${c} | ${[v.recall[20], v.recall[50], v.recall[100], v.ndcg[50]].map((x) => x.toFixed(4)).join(' | ')} |`);
  }
}

if (isEntryPoint(import.meta.url)) runCli('fusion-probe', main);
