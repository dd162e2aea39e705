/** Loads a prepared data set folder (written by tools/prepare-data) in Node. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, L2DError } from '../../src/core/errors.ts';
import { parseItems, parseManifest, parseSamples, type PreparedManifest } from '../../src/core/data/prepared-format.ts';
import { SPLITS, type PreparedItem, type Sample, type Split } from '../../src/core/data/prepare.ts';
import { readText } from './files.ts';

export interface LoadedDataset {
  dir: string;
  manifest: PreparedManifest;
  items: PreparedItem[];
  split(split: Split): Sample[];
}

export function loadPrepared(dir: string): LoadedDataset {
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new DataFormatError(
      `${dir} is not a prepared data set (it has no manifest.json); \`npm run prepare-data -- --all\` prepares the shipped ones into data/prepared/, \`npm run prepare-data -- <folder> --out ${dir}\` one of your own.`,
    );
  }
  const manifest = parseManifest(readText(join(dir, 'manifest.json')), join(dir, 'manifest.json'));
  const items = parseItems(readText(join(dir, 'items.tsv')), join(dir, 'items.tsv'));
  const cache = new Map<Split, Sample[]>();
  return {
    dir,
    manifest,
    items,
    split(split) {
      let samples = cache.get(split);
      if (!samples) {
        const file = join(dir, `${split}.tsv`);
        cache.set(split, (samples = parseSamples(readText(file), split, items.length, file)));
      }
      return samples;
    },
  };
}

/**
 * Splits as method names, memory folders and report headings write them: "train+valid". (Commas are what the
 * options take; a `+` reads in a folder name and a table.)
 */
export function splitsLabel(splits: readonly Split[]): string {
  return splits.join('+');
}

/** The splits of a splitsLabel, in its order. */
export function splitsOfLabel(label: string): Split[] {
  return parseSplits(label.split('+').join(','), 'a splits label');
}

/** --split (or `option`): one split, several joined by commas, or "all"; in time order (train, valid, test). */
export function parseSplits(text: string, option = '--split'): Split[] {
  const names = text === 'all' ? [...SPLITS] : text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !SPLITS.includes(name as Split));
  if (unknown.length > 0 || new Set(names).size !== names.length) {
    throw new L2DError('invalid-argument', `${option} takes train, valid or test, several of them joined by commas (each once), or all; got "${text}".`);
  }
  return SPLITS.filter((name) => names.includes(name));
}
