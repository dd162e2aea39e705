/** The demo's data sets: each a model folder, its memory shard, its test split and train sequences (paths relative to the page). */
export interface DemoDataset {
  id: string;
  label: string;
  model: string;
  memory: string;
  test: string;
  /** The train split as user sequences (src/core/data/train-sequences.ts): the evaluation's baselines count from it. */
  train: string;
  /** How to build the memory where it is not shipped (the built demo copies only the shipped data sets). */
  buildCommand?: string;
  /** The prepared data set the test split is from (`npm run prepare-data -- --all`), for `npm run evaluate`. */
  prepared?: string;
}

export const DATASETS: readonly DemoDataset[] = [
  {
    id: 'movielens',
    label: 'MovieLens latest-small (models/movielens-demo), 30% memory in int8 rows (5.6 MB; shipped)',
    model: 'models/movielens-demo',
    memory: 'models/movielens-demo/memory/train-q4-f0.3-int8',
    test: 'models/movielens-demo/eval/test.tsv',
    train: 'models/movielens-demo/eval/train-sequences.tsv',
    prepared: 'data/prepared/movielens-latest-small',
  },
  {
    id: 'movielens-float16',
    label: 'MovieLens latest-small, the same 30% memory in float16 rows (11.1 MB, the rows it was built with; shipped)',
    model: 'models/movielens-demo',
    memory: 'models/movielens-demo/memory/train-q4-f0.3',
    test: 'models/movielens-demo/eval/test.tsv',
    train: 'models/movielens-demo/eval/train-sequences.tsv',
    prepared: 'data/prepared/movielens-latest-small',
  },
  {
    id: 'movielens-centroids',
    label: 'MovieLens latest-small, the 30% memory as centroids (1.6 MB instead of 11.1 MB; L2D-L ranks as L2D-G; shipped)',
    model: 'models/movielens-demo',
    memory: 'models/movielens-demo/memory/train-q4-f0.3-centroids',
    test: 'models/movielens-demo/eval/test.tsv',
    train: 'models/movielens-demo/eval/train-sequences.tsv',
    prepared: 'data/prepared/movielens-latest-small',
  },
  {
    id: 'amazon-games-int8',
    label: 'Amazon video games (models/amazon-games), 30% memory in int8 rows (15.5 MB instead of 30.7 MB as float16; shipped)',
    model: 'models/amazon-games',
    memory: 'models/amazon-games/memory/train-q4-f0.3-int8',
    test: 'models/amazon-games/eval/test.tsv',
    train: 'models/amazon-games/eval/train-sequences.tsv',
    prepared: 'data/prepared/amazon-games',
  },
  {
    id: 'amazon-games',
    label: 'Amazon video games (models/amazon-games), the full memory as centroids (5.8 MB instead of 102.4 MB; L2D-L ranks as L2D-G; shipped)',
    model: 'models/amazon-games',
    memory: 'models/amazon-games/memory/train-q4-centroids',
    test: 'models/amazon-games/eval/test.tsv',
    train: 'models/amazon-games/eval/train-sequences.tsv',
    prepared: 'data/prepared/amazon-games',
  },
  {
    id: 'amazon-games-full',
    label: 'Amazon video games (models/amazon-games), full memory (102.4 MB, L2D-L; built by command)',
    model: 'models/amazon-games',
    memory: 'models/amazon-games/memory/train-q4',
    test: 'models/amazon-games/eval/test.tsv',
    train: 'models/amazon-games/eval/train-sequences.tsv',
    prepared: 'data/prepared/amazon-games',
    buildCommand: 'npm run prepare-data -- --all && npm run build-memory -- --model models/amazon-games --data data/prepared/amazon-games',
  },
];

/** The page's address names no model, or names one wrongly (the message says what to write). */
export class DatasetAddressError extends Error {
  override name = 'DatasetAddressError';
}

/**
 * A researcher's own model and memory, named in the page's address:
 * `?model=<model folder>&memory=<shard folder>[&test=<test.tsv>][&train=<train-sequences.tsv>][&prepared=<folder>]`
 * (paths relative to the page, or http(s) URLs; test and train default to the model folder's eval/ files, as the
 * shipped models keep them). Undefined when the address names neither model nor memory.
 */
export function datasetFromAddress(search: string): DemoDataset | undefined {
  const params = new URLSearchParams(search);
  const model = params.get('model')?.trim();
  const memory = params.get('memory')?.trim();
  if (!model && !memory) return undefined;
  if (!model) throw new DatasetAddressError('The page\'s address names a memory but no model: add &model=<model folder> (config.json, tokenizer.json, onnx/).');
  if (!memory) throw new DatasetAddressError('The page\'s address names a model but no memory: add &memory=<shard folder> (manifest.json and its chunks; npm run build-memory writes one).');
  const path = (name: string, value: string) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !/^https?:\/\//i.test(value)) {
      throw new DatasetAddressError(`The page's address gives ${name} as "${value}": a path relative to the page or an http(s) URL is needed.`);
    }
    return value.replace(/\/+$/, '');
  };
  const folder = path('model', model);
  return {
    id: 'address',
    label: `Your model from the page's address: ${folder}, memory ${path('memory', memory)}`,
    model: folder,
    memory: path('memory', memory),
    test: path('test', params.get('test')?.trim() || `${folder}/eval/test.tsv`),
    train: path('train', params.get('train')?.trim() || `${folder}/eval/train-sequences.tsv`),
    ...(params.get('prepared')?.trim() ? { prepared: path('prepared', params.get('prepared')!.trim()) } : {}),
  };
}
