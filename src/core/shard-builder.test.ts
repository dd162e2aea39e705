import { expect, it } from 'vitest';
import { CpuDecoder } from './cpu-decoder.ts';
import { serializeItems } from './data/prepared-format.ts';
import { buildCentroidShard, buildShard, encodeShardChunk, shardManifest, type HistoryEncoder } from './shard-builder.ts';
import { toFloat16Bits } from './float16.ts';
import { createMemory } from './memory.ts';
import { assembleMemory, encodeChunk, parseShardManifest, sha256Hex } from './shard-format.ts';

/** h = [history length, first title's length]: known rows without a model. */
const encoder: HistoryEncoder & { calls: number } = {
  hiddenSize: 2,
  calls: 0,
  async encode(histories) {
    this.calls++;
    return { hidden: histories.map((h) => Float32Array.of(h.length, h[0].length)), dropped: histories.map(() => 0) };
  },
};
const titles = ['a', 'bb', 'ccc', 'dddd'];
const samples = Array.from({ length: 10 }, (_, i) => ({ history: titles.slice(0, 1 + (i % 3)).map((_, j) => (i + j) % 4), target: i % 4 }));

it('encodes every sample into its row, in order, with its label', async () => {
  const { bytes, chunk } = await encodeShardChunk(encoder, samples, (id) => titles[id], 4);
  expect(chunk.rows).toBe(10);
  const vectors = Uint16Array.from(samples.flatMap((s) => [s.history.length, titles[s.history[0]].length]), toFloat16Bits);
  expect(bytes).toEqual(encodeChunk(vectors, Uint32Array.from(samples, (s) => s.target), 2));
});

it('stops between batches when its signal is aborted, with the signal\'s reason', async () => {
  const controller = new AbortController();
  const rows: number[] = [];
  encoder.calls = 0;
  const stopped = buildShard(encoder, samples, titles.map((title, id) => ({ id, sourceId: `s${id}`, title })), { model: { id: 'm', file: 'f', sha256: '0', dtype: 'q4' }, dataset: { name: 'd', split: 'custom', fraction: 1, seed: 0, samples: 10 }, chunkRows: 16 }, {
    batch: 4,
    signal: controller.signal,
    onProgress: (n) => {
      rows.push(n);
      controller.abort(new Error('enough'));
    },
  });
  await expect(stopped).rejects.toThrow('enough');
  expect([rows, encoder.calls]).toEqual([[4], 1]);
});

it('builds a centroid shard: one float16 row per item with rows (the decoders\' mean), labelled, in chunks; not from centroids again', async () => {
  // Item 0: rows (1, 2) and (2, 5) -> (1.5, 3.5); item 1: none; item 2: (0.1, -4) alone; item 3: (3, 3), (4, 4), (5, 5) -> (4, 4).
  const vectors = new Float32Array([1, 2, 0.1, -4, 3, 3, 2, 5, 4, 4, 5, 5]);
  const memory = createMemory({ dim: 2, itemCount: 4, vectors, labels: [0, 2, 3, 0, 3, 3] });
  const catalog = new TextEncoder().encode(serializeItems(['a', 'b', 'c', 'd'].map((title, id) => ({ id, sourceId: `s${id}`, title }))));
  const source = shardManifest({ model: { id: 'm', file: 'f', sha256: '0', dtype: 'q4' }, dataset: { name: 'd', split: 'train', fraction: 1, seed: 0, samples: 6 }, hiddenSize: 2, itemCount: 4, chunkRows: 2 }, [], await sha256Hex(catalog));
  const built = await buildCentroidShard(source, memory, catalog);
  expect(built.manifest).toMatchObject({ rows: 3, itemCount: 4, chunkRows: 2, hiddenSize: 2, centroids: { sampleRows: 6 }, model: source.model, dataset: source.dataset });
  expect(built.manifest.chunks.map((c) => c.rows)).toEqual([2, 1]);
  expect(built.chunks[0]).toEqual(encodeChunk(Uint16Array.from([1.5, 3.5, 0.1, -4], toFloat16Bits), Uint32Array.of(0, 2), 2));
  expect(built.chunks[1]).toEqual(encodeChunk(Uint16Array.from([4, 4], toFloat16Bits), Uint32Array.of(3), 2));
  const assembled = await assembleMemory(parseShardManifest(JSON.stringify(built.manifest)), built.chunks);
  expect(new CpuDecoder(assembled).decode([4, 4.5], { k: 4 }).map((x) => x.item)).toEqual([3, 0, 2]); // item 1 had no rows: still none
  await expect(buildCentroidShard(built.manifest, assembled, catalog)).rejects.toThrow('This shard already holds centroids (one row per item); build them from a shard of sample rows.');
  expect(() => parseShardManifest(JSON.stringify({ ...built.manifest, centroids: { sampleRows: 2 } }))).toThrow(
    'manifest.json: centroids.sampleRows must be a whole number of sample rows (at least the 3 centroid rows), got {"sampleRows":2}.',
  );
});
