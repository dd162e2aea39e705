/**
 * The prepared data set folder, as text. Written by tools/prepare-data,
 * read by the evaluation, training and memory-building tools and by pages.
 *
 *   manifest.json   format, version, name, options, file list, statistics
 *   items.tsv       id <TAB> source_id <TAB> title            (header line)
 *   train.tsv, valid.tsv, test.tsv
 *                   user <TAB> target <TAB> time <TAB> history (ids, oldest first, space-separated)
 *   train-sequences.tsv
 *                   the train split as each user's sequence (./train-sequences.ts)
 */
import { DataFormatError } from '../errors.ts';
import { parseJsonText } from '../json-text.ts';
import type { DatasetStats, PreparedItem, Sample, SkippedEvents, Split } from './prepare.ts';

export const PREPARED_FORMAT = 'l2d-prepared-dataset';
export const PREPARED_VERSION = 1;

export interface PreparedManifest {
  format: typeof PREPARED_FORMAT;
  version: number;
  name: string;
  source: string;
  kCore: number;
  maxHistory: number;
  splitRule: string;
  stats: DatasetStats;
  files: string[];
  /** Source events left out (prepare-data --skip-unknown-items); absent where none were. */
  skipped?: SkippedEvents;
  /** Earlier interactions of a user with an item they interacted with again (the last is kept); absent where none. */
  repeatsMerged?: number;
}

const ITEMS_HEADER = 'id\tsource_id\ttitle';
const SAMPLES_HEADER = 'user\ttarget\ttime\thistory';

export function serializeItems(items: PreparedItem[]): string {
  return [ITEMS_HEADER, ...items.map((i) => `${i.id}\t${i.sourceId}\t${i.title}`)].join('\n') + '\n';
}

export function serializeSamples(samples: Sample[]): string {
  return [SAMPLES_HEADER, ...samples.map((s) => `${s.user}\t${s.target}\t${s.time}\t${s.history.join(' ')}`)].join('\n') + '\n';
}

function lines(text: string, file: string, header: string): string[] {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  if (all[0] !== header) throw new DataFormatError(`${file}:1: expected the header "${header.replace(/\t/g, '\\t')}".`);
  return all;
}

function nonNegativeInt(value: string, file: string, line: number, what: string): number {
  if (!/^\d+$/.test(value)) throw new DataFormatError(`${file}:${line}: ${what} "${value}" is not a non-negative integer.`);
  return Number(value);
}

export function parseItems(text: string, file = 'items.tsv'): PreparedItem[] {
  return lines(text, file, ITEMS_HEADER)
    .slice(1)
    .map((line, i) => {
      const fields = line.split('\t');
      if (fields.length !== 3) throw new DataFormatError(`${file}:${i + 2}: expected 3 tab-separated fields, found ${fields.length}.`);
      const id = nonNegativeInt(fields[0], file, i + 2, 'id');
      if (id !== i) throw new DataFormatError(`${file}:${i + 2}: item ids must be 0, 1, 2, ... in order; found ${id} where ${i} was expected.`);
      if (!fields[2]) throw new DataFormatError(`${file}:${i + 2}: item ${id} has an empty title.`);
      return { id, sourceId: fields[1], title: fields[2] };
    });
}

export function parseSamples(text: string, split: Split, itemCount: number, file = `${split}.tsv`): Sample[] {
  return lines(text, file, SAMPLES_HEADER)
    .slice(1)
    .map((line, i) => {
      const n = i + 2;
      const fields = line.split('\t');
      if (fields.length !== 4) throw new DataFormatError(`${file}:${n}: expected 4 tab-separated fields, found ${fields.length}.`);
      const item = (value: string) => {
        const id = nonNegativeInt(value, file, n, 'item id');
        if (id >= itemCount) throw new DataFormatError(`${file}:${n}: item id ${id} is not in items.tsv (${itemCount} items).`);
        return id;
      };
      const history = fields[3] === '' ? [] : fields[3].split(' ').map(item);
      if (history.length === 0) throw new DataFormatError(`${file}:${n}: the sample has an empty history.`);
      return { user: nonNegativeInt(fields[0], file, n, 'user'), target: item(fields[1]), time: Number(fields[2]), history, split };
    });
}

export function parseManifest(text: string, file = 'manifest.json'): PreparedManifest {
  const manifest = parseJsonText<PreparedManifest>(text, file, (message) => new DataFormatError(message));
  if (manifest.format !== PREPARED_FORMAT) throw new DataFormatError(`${file}: not a prepared data set (format "${String(manifest.format)}", expected "${PREPARED_FORMAT}").`);
  if (manifest.version !== PREPARED_VERSION) {
    throw new DataFormatError(`${file}: prepared-data format version ${manifest.version} is not supported (this code reads version ${PREPARED_VERSION}); prepare the data again.`);
  }
  return manifest;
}
