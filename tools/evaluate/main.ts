/**
 * evaluate: Recall@K / NDCG@K (K = 20, 50, 100, full ranking) of baselines or
 * of a rankings file on a split of a prepared data set, printed in the
 * layout of the paper's Table 1.
 *
 *   npm run evaluate -- --data data/prepared/movielens-latest-small --split test
 *   npm run evaluate -- --data DIR --method popular              (popular | cooccurrence | all)
 *   npm run evaluate -- --data DIR --rankings my-rankings.tsv    (line: sample index <TAB> item ids, best first)
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoOccurrence, MostPopular, type Recommender } from '../../src/core/baselines.ts';
import type { Sample, Split } from '../../src/core/data/prepare.ts';
import { DataFormatError, L2DError } from '../../src/core/errors.ts';
import { evaluateRankings } from '../../src/core/evaluate.ts';
import { METRIC_KS, metricsTable, type MetricValues } from '../../src/core/metrics.ts';
import { readText } from '../lib/files.ts';
import { loadPrepared, type LoadedDataset } from '../lib/prepared.ts';

const MAX_K = Math.max(...METRIC_KS);

/** Reads a rankings file: one line per sample of the split, "index<TAB>id id id ...". */
export function readRankings(path: string, samples: readonly Sample[], itemCount: number): Uint32Array[] {
  const rankings: (Uint32Array | undefined)[] = new Array(samples.length);
  readText(path)
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const [indexText, ids = ''] = line.split('\t');
      const index = Number(indexText);
      if (!Number.isInteger(index) || index < 0 || index >= samples.length) {
        throw new DataFormatError(`${path}:${i + 1}: sample index "${indexText}" is outside 0..${samples.length - 1}.`);
      }
      if (rankings[index]) throw new DataFormatError(`${path}:${i + 1}: sample ${index} is ranked twice.`);
      rankings[index] = Uint32Array.from(ids.trim() === '' ? [] : ids.trim().split(/\s+/), (token) => {
        const id = Number(token);
        if (!Number.isInteger(id) || id < 0 || id >= itemCount) throw new DataFormatError(`${path}:${i + 1}: "${token}" is not an item id (0..${itemCount - 1}).`);
        return id;
      });
    });
  const missing = rankings.findIndex((r) => !r);
  if (missing >= 0) throw new DataFormatError(`${path}: no ranking for sample ${missing} (every sample of the split needs one line).`);
  return rankings as Uint32Array[];
}

export function baseline(name: string, data: LoadedDataset): Recommender {
  const train = data.split('train');
  if (name === 'popular') return new MostPopular(train, data.items.length);
  if (name === 'cooccurrence') return new CoOccurrence(train, data.items.length);
  throw new L2DError('invalid-argument', `Unknown method "${name}": use popular, cooccurrence or all.`);
}

export function evaluateBaselines(data: LoadedDataset, split: Split, methods: string[]): { method: string; values: MetricValues }[] {
  const samples = data.split(split);
  return methods.map((m) => {
    const recommender = baseline(m, data);
    return { method: recommender.name, values: evaluateRankings(samples, (s) => recommender.recommend(s.history, MAX_K)) };
  });
}

function main(): void {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      split: { type: 'string', default: 'test' },
      method: { type: 'string' },
      rankings: { type: 'string', multiple: true },
    },
  });
  if (!values.data) {
    console.error('usage: npm run evaluate -- --data <prepared folder> [--split test|valid|train] [--method popular|cooccurrence|all] [--rankings FILE ...]');
    process.exit(2);
  }
  const split = values.split as Split;
  if (!['train', 'valid', 'test'].includes(split)) throw new L2DError('invalid-argument', `--split must be train, valid or test, got "${split}".`);
  const data = loadPrepared(values.data);
  const samples = data.split(split);
  const rows: { method: string; values: MetricValues }[] = [];
  const method = values.method ?? (values.rankings ? undefined : 'all');
  if (method) rows.push(...evaluateBaselines(data, split, method === 'all' ? ['popular', 'cooccurrence'] : method.split(',')));
  for (const file of values.rankings ?? []) {
    const rankings = readRankings(file, samples, data.items.length);
    rows.push({ method: file, values: evaluateRankings(samples, (_, i) => rankings[i]) });
  }
  console.log(`${data.manifest.name}, ${split} split (${samples.length} samples, ${data.items.length} items, full ranking)\n`);
  console.log(metricsTable(rows));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    if (error instanceof L2DError) {
      console.error(`evaluate: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
