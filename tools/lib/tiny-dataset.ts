/**
 * A three-item, two-user data set in the Amazon layout, prepared into
 * `out` (test fixture of the evaluate and results tools). Every item occurs
 * at least twice, so a 2-core keeps everything; test targets are items 1 and 2.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareFolder } from '../prepare-data/main.ts';
import { loadPrepared, type LoadedDataset } from './prepared.ts';

export function prepareTinyDataset(scratch: string, out: string): LoadedDataset {
  const src = join(scratch, 'tiny-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'items.tsv'), 'seq_id\tasin\ttitle\n1\ta\tOne\n2\tb\tTwo\n3\tc\tThree\n');
  // Each user's items once (prepare-data counts repeats once): user 1 One, Three, then Two; user 2 One, Two, then Three.
  writeFileSync(join(src, 'sequential_train.txt'), '1 1 3\n2 1 2\n');
  writeFileSync(join(src, 'sequential_valid.txt'), '1\n2\n');
  writeFileSync(join(src, 'sequential_test.txt'), '1 2\n2 3\n');
  prepareFolder(src, out, { kCore: 2 });
  return loadPrepared(out);
}
