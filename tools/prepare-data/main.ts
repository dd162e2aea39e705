/**
 * prepare-data: source data set folder(s) -> prepared data set folder(s).
 *
 *   npm run prepare-data -- ../shared/data/movielens-latest-small [--out data/prepared/movielens-latest-small]
 *   npm run prepare-data -- --all        # both data sets in ../shared/data
 *
 * Options: --k-core N (5), --max-history N (10), --skip-unknown-items (a store's export: leave out, and count,
 * events of products items.csv no longer lists, instead of stopping at the first). Prints the statistics table;
 * writes it into the folder as stats.md. The output folder appears whole or
 * not at all. train-sequences.tsv is the train split again, compact: what the
 * demo page counts its baselines from (copied into a model's eval/ folder).
 */
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../../src/core/errors.ts';
import { parseWholeNumber } from '../../src/core/setting-text.ts';
import { datasetStats, prepareDataset, statsTable, SPLITS, type PreparedDataset, type SkippedEvents } from '../../src/core/data/prepare.ts';
import { PREPARED_FORMAT, PREPARED_VERSION, serializeItems, serializeSamples, type PreparedManifest } from '../../src/core/data/prepared-format.ts';
import { serializeTrainSequences, TRAIN_SEQUENCES_FILE } from '../../src/core/data/train-sequences.ts';
import { checkReplaceableFolder, manifestOutput, writeFolderAtomically } from '../lib/files.ts';
import { detectFormat, readAmazon, readMovielens, readStore } from './readers.ts';
import { exitWithUsage, isEntryPoint, parseOptions, runCli } from '../lib/cli.ts';

const PREPARED_OUTPUT = manifestOutput(PREPARED_FORMAT, 'a prepared data set');

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const SHARED_DATA = resolve(projectRoot, '../shared/data');
export const DEFAULT_SOURCES = ['amazon-games', 'movielens-latest-small'].map((d) => join(SHARED_DATA, d));
export const DEFAULT_OUT = join(projectRoot, 'data/prepared');

const TIME_SPLIT = 'Global 8:1:1 by time: all samples sorted by target timestamp (ties: user, then position); the first floor(0.8 n) train, the next floor(0.9 n) - floor(0.8 n) valid, the rest test.';

export const SPLIT_RULES = {
  amazon:
    'Shipped split: each user\'s sequence is sequential_train ++ sequential_valid ++ sequential_test (the files hold the user\'s interactions in time order); a sample takes the split of the file its target comes from; 5-core is applied to the whole sequence first.',
  movielens: TIME_SPLIT,
  store: TIME_SPLIT,
};

export interface PrepareResult {
  out: string;
  data: PreparedDataset;
  manifest: PreparedManifest;
}

export function prepareFolder(source: string, out: string, options: { kCore?: number; maxHistory?: number; skipUnknownItems?: boolean } = {}): PrepareResult {
  checkReplaceableFolder(out, PREPARED_OUTPUT); // before reading: a mistyped --out was deleted
  const format = detectFormat(source);
  const name = basename(resolve(source));
  if (options.skipUnknownItems && format !== 'store') {
    throw new InvalidArgumentError(`--skip-unknown-items is for a store's export (items.csv and events.csv); ${source} is the ${format} layout, whose every event must name a listed item.`);
  }
  const raw = format === 'store' ? readStore(source, name, { skipUnknownItems: options.skipUnknownItems }) : { amazon: readAmazon, movielens: readMovielens }[format](source, name);
  const kCore = options.kCore ?? 5;
  const maxHistory = options.maxHistory ?? 10;
  const data = prepareDataset(raw, { kCore, maxHistory, splitBy: format === 'amazon' ? 'events' : 'time' });
  const stats = datasetStats(data);
  const files = ['items.tsv', ...SPLITS.map((s) => `${s}.tsv`), TRAIN_SEQUENCES_FILE, 'stats.md', 'manifest.json'];
  const manifest: PreparedManifest = {
    format: PREPARED_FORMAT,
    version: PREPARED_VERSION,
    name,
    source: format,
    kCore,
    maxHistory,
    splitRule: SPLIT_RULES[format],
    stats,
    files,
    ...(raw.skipped ? { skipped: raw.skipped } : {}),
    ...(data.repeatsMerged > 0 ? { repeatsMerged: data.repeatsMerged } : {}),
  };
  checkReplaceableFolder(out, PREPARED_OUTPUT);
  writeFolderAtomically(out, {
    'items.tsv': serializeItems(data.items),
    'train.tsv': serializeSamples(data.samples.train),
    'valid.tsv': serializeSamples(data.samples.valid),
    'test.tsv': serializeSamples(data.samples.test),
    [TRAIN_SEQUENCES_FILE]: serializeTrainSequences(data.samples.train, maxHistory),
    'stats.md': `${statsTable(name, stats)}\n`,
    'manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
  });
  return { out, data, manifest };
}

const USAGE =
  'usage: npm run prepare-data -- <source-folder> [--out <folder>] [--k-core 5] [--max-history 10] [--skip-unknown-items]\n       npm run prepare-data -- --all';

function main(): void {
  const { values, positionals } = parseOptions('prepare-data', USAGE, {
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      all: { type: 'boolean', default: false },
      'k-core': { type: 'string' },
      'max-history': { type: 'string' },
      'skip-unknown-items': { type: 'boolean', default: false },
    },
  });
  const sources = values.all ? DEFAULT_SOURCES : positionals;
  if (sources.length === 0) exitWithUsage(USAGE);
  if (values.out && sources.length > 1) throw new InvalidArgumentError('--out names one output folder; give one source folder with it.');
  const kCore = values['k-core'] === undefined ? undefined : parseWholeNumber(values['k-core'], '--k-core');
  const maxHistory = values['max-history'] === undefined ? undefined : parseWholeNumber(values['max-history'], '--max-history');
  for (const source of sources) {
    const out = values.out ?? join(DEFAULT_OUT, basename(resolve(source)));
    const t0 = performance.now();
    const { manifest } = prepareFolder(source, out, { kCore, maxHistory, skipUnknownItems: values['skip-unknown-items'] });
    if (manifest.skipped) console.log(skippedReport(manifest.skipped));
    if (manifest.repeatsMerged) console.log(`Merged ${manifest.repeatsMerged} repeated interaction(s): a user's interactions with one item count once, at the last.`);
    console.log(`${statsTable(manifest.name, manifest.stats)}\n-> ${out} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
}

/** What --skip-unknown-items left out, for the terminal (the manifest keeps the same under "skipped"). */
export function skippedReport(skipped: SkippedEvents): string {
  const more = skipped.unknownItem - skipped.examples.length;
  return `Left out ${skipped.unknownItem} event(s) of products items.csv does not list: ${skipped.examples.join(', ')}${more > 0 ? `, and ${more} more` : ''}.`;
}

if (isEntryPoint(import.meta.url)) runCli('prepare-data', main);
