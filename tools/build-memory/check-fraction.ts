/**
 * Checks that `evaluate --memory-fraction F` stands for a shard built with
 * `build-memory --fraction F`: the full shard's rows picked by the same
 * seeded reservoir sample against the fraction shard (labels, float16 values).
 *
 *   npx tsx tools/build-memory/check-fraction.ts models/movielens-demo/memory/train-q4 models/movielens-demo/memory/train-q4-f0.3
 */
import { fromFloat16Bits } from '../../src/core/float16.ts';
import { selectRows } from '../../src/core/memory.ts';
import { loadShard } from '../lib/shard-files.ts';
import { reservoirSample } from './main.ts';

const [fullFolder, partFolder] = process.argv.slice(2);
if (!fullFolder || !partFolder) throw new Error('usage: check-fraction.ts <full shard> <fraction shard>');
const full = await loadShard(fullFolder);
const part = await loadShard(partFolder);
const { fraction = 1, seed = 0 } = part.manifest.dataset ?? {};
const picked = selectRows(full.memory, reservoirSample(full.memory.rows, Math.round(fraction * full.memory.rows), seed));
const sameLabels = picked.rows === part.memory.rows && picked.labels.every((l, i) => l === part.memory.labels[i]);
let maxDiff = 0;
let identical = 0;
for (let i = 0; i < picked.vectors.length; i++) {
  maxDiff = Math.max(maxDiff, Math.abs(fromFloat16Bits(picked.vectors[i]) - fromFloat16Bits(part.memory.vectors[i])));
  if (picked.vectors[i] === part.memory.vectors[i]) identical++;
}
console.log(`fraction ${fraction}, seed ${seed}: rows ${picked.rows} vs ${part.memory.rows}, same labels in order: ${sameLabels}`);
console.log(`float16 values identical: ${((100 * identical) / picked.vectors.length).toFixed(2)}%, largest difference ${maxDiff}`);
