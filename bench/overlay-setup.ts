/**
 * `npm run bench:overlay-setup [-- --quick]`: what a first memory update costs the CPU when the GPU decodes
 * (DecodeEngine's CentroidOverlay: the touched items' centroids, and the shard's own to restore them), side by
 * side in one process, alternating: the shard's centroids all computed first (shardCentroids, as before
 * 2026-12-06, session 19) vs item by item from their rows (centroidOverlayOfRows, as DecodeEngine makes it). Both give the same changes
 * (else it exits 1). The update: 10 rows of 5 items, then dropping it (what clearInteractions() writes).
 */
import { rowStride, type L2DMemory } from '../src/core/memory.ts';
import { CentroidOverlay, centroidOverlayOfRows, EMPTY_OVERLAY, shardCentroidFrom, shardCentroids, withOverlay, type OverlayRows } from '../src/core/overlay.ts';
import { median } from '../src/core/stats.ts';
import { generateSyntheticMemory } from '../src/core/synthetic-memory.ts';
import { parseOptions } from '../tools/lib/cli.ts';
import { loadShard } from '../tools/lib/shard-files.ts';

const { values } = parseOptions('bench:overlay-setup', 'usage: npm run bench:overlay-setup [-- --quick]', {
  options: { quick: { type: 'boolean', default: false } },
});
const memories: [string, () => Promise<L2DMemory>][] = [
  ['demo 30% memory (21,456 x 256)', async () => (await loadShard('models/movielens-demo/memory/train-q4-f0.3')).memory],
  ['synthetic 100k x 256', async () => generateSyntheticMemory({ rows: 100_000, dim: 256, items: 5_000, seed: 1 })],
  ...(values.quick ? [] : ([['synthetic 300k x 896', async () => generateSyntheticMemory({ rows: 300_000, dim: 896, items: 10_000, seed: 3 })]] as [string, () => Promise<L2DMemory>][])),
];

/** 10 rows: two of each of 5 items, copies of the memory's first rows (unpadded). */
function updateOf(memory: L2DMemory): OverlayRows {
  const stride = rowStride(memory.dim);
  const vectors = new Uint16Array(10 * memory.dim);
  for (let r = 0; r < 10; r++) vectors.set(memory.vectors.subarray(r * stride, r * stride + memory.dim), r * memory.dim);
  return { vectors, labels: Uint32Array.from({ length: 10 }, (_, r) => (r * 37) % 5) };
}

const ways = {
  'all centroids first': (memory: L2DMemory) => new CentroidOverlay(memory, shardCentroidFrom(shardCentroids(memory), rowStride(memory.dim))),
  'item by item': (memory: L2DMemory) => centroidOverlayOfRows(memory),
} as const;
type Way = keyof typeof ways;

console.log('A first memory update and its removal, the CPU side of the GPU decoder; medians of 5 after a warm-up (ms).\n');
console.log('| memory | all centroids first ms | item by item ms | ratio |');
console.log('|---|---|---|---|');
let differing = 0;
for (const [name, load] of memories) {
  const memory = await load();
  const merged = withOverlay(memory, updateOf(memory));
  const times: Record<Way, number[]> = { 'all centroids first': [], 'item by item': [] };
  for (let i = 0; i < 6; i++) {
    const order: Way[] = i % 2 === 0 ? ['all centroids first', 'item by item'] : ['item by item', 'all centroids first'];
    const changes: Partial<Record<Way, string>> = {};
    for (const way of order) {
      const t0 = performance.now();
      const overlay = ways[way](memory);
      const written = [overlay.changes(merged), overlay.changes(withOverlay(memory, EMPTY_OVERLAY))];
      if (i > 0) times[way].push(performance.now() - t0);
      changes[way] = JSON.stringify(written.map((list) => list.map((c) => [c.item, c.count, Array.from(c.vector)])));
    }
    if (changes['all centroids first'] !== changes['item by item']) differing++;
  }
  const [all, itemwise] = [median(times['all centroids first']), median(times['item by item'])];
  console.log(`| ${name} | ${all.toFixed(1)} | ${itemwise.toFixed(1)} | ${(all / itemwise).toFixed(1)} |`);
}
if (differing > 0) {
  console.error(`\n${differing} rounds gave different centroid changes.`);
  process.exit(1);
}
console.log('\nEvery round: the same centroid changes, bit for bit.');
