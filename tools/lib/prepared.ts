/** Loads a prepared data set folder (written by tools/prepare-data) in Node. */
import { join } from 'node:path';
import { parseItems, parseManifest, parseSamples, type PreparedManifest } from '../../src/core/data/prepared-format.ts';
import type { PreparedItem, Sample, Split } from '../../src/core/data/prepare.ts';
import { readText } from './files.ts';

export interface LoadedDataset {
  dir: string;
  manifest: PreparedManifest;
  items: PreparedItem[];
  split(split: Split): Sample[];
}

export function loadPrepared(dir: string): LoadedDataset {
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
