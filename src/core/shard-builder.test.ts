import { expect, it } from 'vitest';
import { CpuDecoder } from './cpu-decoder.ts';
import { serializeItems } from './data/prepared-format.ts';
import { buildCentroidShard, buildShard, convertShardRows, encodeShardChunk, lengthOrder, shardManifest, type HistoryEncoder } from './shard-builder.ts';
import { toFloat16Bits } from './float16.ts';
import { createMemory } from './memory.ts';
import { assembleMemory, centroidSampleCounts, chunkBytes, encodeChunk, encodeRowsChunk, formatShardManifest, parseShardManifest, sha256Hex } from './shard-format.ts';

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
const samples = Array.from({ length: 10 }, (_, i) => ({ history: titles.slice(0, 1 + (i % 3)).map((_, j) => (i + j) % 4), target: (i + 3) % 4 }));
const catalog = titles.map((title, id) => ({ id, sourceId: `s${id}`, title }));
const description = { model: { id: 'm', file: 'f', sha256: '0', dtype: 'q4' }, dataset: { name: 'd', split: 'custom', fraction: 1, seed: 0, samples: 10 }, chunkRows: 16 };

it('encodes every sample into its row, in order, with its label', async () => {
  const { bytes, chunk } = await encodeShardChunk(encoder, samples, (id) => titles[id], { batch: 4 });
  expect(chunk.rows).toBe(10);
  const vectors = Uint16Array.from(samples.flatMap((s) => [s.history.length, titles[s.history[0]].length]), toFloat16Bits);
  expect(bytes).toEqual(encodeChunk(vectors, Uint32Array.from(samples, (s) => s.target), 2));
});

it('encodes in batches of like length (a batch is padded to its longest prompt), each row at its sample\'s place', async () => {
  const batches: string[][][] = [];
  const recording: HistoryEncoder = { hiddenSize: 2, encode: async (histories) => (batches.push(histories), encoder.encode(histories)) };
  const { bytes } = await encodeShardChunk(recording, samples, (id) => titles[id], { batch: 4 });
  // By the titles' characters: the three one-title histories of 'a' or 'bb' first, ..., ties in sample order.
  const length = (h: string[]) => h.reduce((n, t) => n + t.length + 4, 0);
  const lengths = batches.map((batch) => batch.map(length));
  expect(lengths.flat()).toEqual([...lengths.flat()].sort((a, b) => a - b));
  expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
  const vectors = Uint16Array.from(samples.flatMap((s) => [s.history.length, titles[s.history[0]].length]), toFloat16Bits);
  expect(bytes).toEqual(encodeChunk(vectors, Uint32Array.from(samples, (s) => s.target), 2));
  // Only the newest `maxHistory` titles make a prompt: the order goes by those.
  expect(lengthOrder([['a', 'dddddddd'], ['bbbbbbbbbbbb', 'a', 'c'], ['cc', 'dd']], 2)).toEqual([1, 2, 0]);
  expect(lengthOrder([['a', 'dddddddd'], ['bbbbbbbbbbbb', 'a', 'c'], ['cc', 'dd']])).toEqual([2, 0, 1]);
});

it('encodes a history that repeats an item as a query does: once, at its last place', async () => {
  const seen: string[][] = [];
  const recording: HistoryEncoder = { hiddenSize: 2, encode: async (histories) => (seen.push(...histories), encoder.encode(histories)) };
  await encodeShardChunk(recording, [{ history: [0, 1, 0, 2], target: 3 }], (id) => titles[id], { batch: 4 });
  expect(seen).toEqual([['bb', 'a', 'ccc']]);
});

it("refuses a sample whose history holds its target, as recordInteraction does, naming it", async () => {
  const bad = [...samples.slice(0, 3), { history: [1, 2], target: 2 }];
  await expect(buildShard(encoder, bad, catalog, description)).rejects.toThrow(
    `Sample 3's history holds its target, item 2: a memory row is "history -> next item", and no training sample's history holds its target`,
  );
});

it('stops between batches when its signal is aborted, with the signal\'s reason', async () => {
  const controller = new AbortController();
  const rows: number[] = [];
  encoder.calls = 0;
  const stopped = buildShard(encoder, samples, catalog, description, {
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
  expect(built.manifest).toMatchObject({ rows: 3, itemCount: 4, chunkRows: 2, hiddenSize: 2, centroids: { sampleRows: 6, itemSamples: [2, 0, 1, 3] }, model: source.model, dataset: source.dataset });
  expect(built.manifest.chunks.map((c) => c.rows)).toEqual([2, 1]);
  expect(built.chunks[0]).toEqual(encodeChunk(Uint16Array.from([1.5, 3.5, 0.1, -4], toFloat16Bits), Uint32Array.of(0, 2), 2));
  expect(built.chunks[1]).toEqual(encodeChunk(Uint16Array.from([4, 4], toFloat16Bits), Uint32Array.of(3), 2));
  const assembled = await assembleMemory(parseShardManifest(JSON.stringify(built.manifest)), built.chunks);
  expect(new CpuDecoder(assembled).decode([4, 4.5], { k: 4 }).map((x) => x.item)).toEqual([3, 0, 2]); // item 1 had no rows: still none
  await expect(buildCentroidShard(built.manifest, assembled, catalog)).rejects.toThrow('This shard already holds centroids (one row per item); build them from a shard of sample rows.');
  expect(() => parseShardManifest(JSON.stringify({ ...built.manifest, centroids: { sampleRows: 2 } }))).toThrow(
    'manifest.json: centroids.sampleRows must be a whole number of sample rows (at least the 3 centroid rows), got {"sampleRows":2}.',
  );
  expect(centroidSampleCounts(built.manifest, assembled)).toEqual(Uint32Array.of(2, 0, 1, 3));
  // manifest.json keeps the counts on one line, and reads back the same.
  const text = formatShardManifest(built.manifest);
  expect(text).toContain('"itemSamples": [2,0,1,3]');
  expect(parseShardManifest(text)).toEqual(built.manifest);
});

it('refuses sample counts that do not fit the centroid shard, saying what is wrong', async () => {
  const base = { format: 'l2d-memory-shard', version: 1, model: { id: 'm', file: 'f', sha256: '0', dtype: 'q4' }, dataset: { name: 'd', split: 'train', fraction: 1, seed: 0, samples: 6 }, hiddenSize: 2, dtype: 'float16', rows: 3, itemCount: 4, chunkRows: 4, chunks: [{ file: 'chunk-00000.bin', rows: 3, bytes: chunkBytes(3, 2), sha256: '0' }], catalog: { file: 'items.tsv', sha256: '0' } };
  const withCounts = (itemSamples: unknown, sampleRows = 6) => JSON.stringify({ ...base, centroids: { sampleRows, itemSamples } });
  expect(parseShardManifest(withCounts([2, 0, 1, 3])).centroids).toEqual({ sampleRows: 6, itemSamples: [2, 0, 1, 3] });
  expect(() => parseShardManifest(withCounts([2, 0, 4]))).toThrow('manifest.json: centroids.itemSamples must be 4 whole numbers, one per item (got 3 counts).');
  expect(() => parseShardManifest(withCounts([2, 0, 1.5, 3]))).toThrow('manifest.json: centroids.itemSamples must be 4 whole numbers, one per item (item 2 has 1.5).');
  expect(() => parseShardManifest(withCounts('2,0,1,3'))).toThrow('manifest.json: centroids.itemSamples must be 4 whole numbers, one per item (got string).');
  expect(() => parseShardManifest(withCounts([2, 0, 1, 4]))).toThrow('manifest.json: centroids.itemSamples add up to 7 sample rows over 3 items; the manifest says 6 sample rows and 3 centroid rows.');
  expect(() => parseShardManifest(withCounts([2, 1, 0, 3]))).not.toThrow();
  // Counts whose items with samples are not the rows' items: found where the rows are read.
  const manifest = parseShardManifest(withCounts([2, 1, 0, 3]));
  const memory = createMemory({ dim: 2, itemCount: 4, vectors: new Float32Array(6), labels: [0, 2, 3] });
  expect(() => centroidSampleCounts(manifest, memory)).toThrow('Centroid row 1 is of item 2, which the manifest lists with no samples: the shard is not one centroid per item.');
  const twice = createMemory({ dim: 2, itemCount: 4, vectors: new Float32Array(6), labels: [0, 0, 3] });
  expect(() => centroidSampleCounts(parseShardManifest(withCounts([2, 1, 0, 3])), twice)).toThrow('Centroid row 1 is a second row of item 0: the shard is not one centroid per item.');
  expect(centroidSampleCounts({ ...manifest, centroids: { sampleRows: 6 } }, memory)).toBeUndefined();
});

it('builds int8 shards (format version 2): from the encoder\'s float32 rows, as centroids, and by converting a float16 shard', async () => {
  const { bytes } = await encodeShardChunk(encoder, samples, (id) => titles[id], { batch: 4, dtype: 'int8' });
  const rows = Float32Array.from(samples.flatMap((s) => [s.history.length, titles[s.history[0]].length]));
  expect(bytes).toEqual(encodeRowsChunk(rows, Uint32Array.from(samples, (s) => s.target), 2, 'int8'));

  const float16 = await buildShard(encoder, samples, catalog, { ...description, chunkRows: 4 });
  const int8 = await buildShard(encoder, samples, catalog, { ...description, chunkRows: 4, dtype: 'int8' });
  expect([float16.manifest.version, float16.manifest.dtype, int8.manifest.version, int8.manifest.dtype]).toEqual([1, 'float16', 2, 'int8']);
  expect(int8.manifest.chunks.map((c) => c.bytes)).toEqual([4, 4, 2].map((n) => chunkBytes(n, 2, 'int8')));
  const fromFloat16 = await assembleMemory(float16.manifest, float16.chunks);
  const fromInt8 = await assembleMemory(parseShardManifest(JSON.stringify(int8.manifest)), int8.chunks);

  // Converting the float16 shard quantizes the same values chunk by chunk: the int8 build's bytes exactly.
  const converted = await convertShardRows(float16.manifest, fromFloat16, float16.catalog, 'int8');
  expect([converted.manifest, converted.chunks]).toEqual([int8.manifest, int8.chunks]);
  // And back: float16 rows holding exactly the halves the int8 shard is read as.
  const back = await convertShardRows(int8.manifest, fromInt8, int8.catalog, 'float16');
  const withoutChecksums = (m: typeof back.manifest) => ({ ...m, chunks: m.chunks.map(({ sha256: _, ...c }) => c) });
  expect(withoutChecksums(back.manifest)).toEqual(withoutChecksums(float16.manifest));
  expect((await assembleMemory(back.manifest, back.chunks)).vectors).toEqual(fromInt8.vectors);
  await expect(convertShardRows(int8.manifest, fromInt8, int8.catalog, 'int8')).rejects.toThrow("This shard's rows are int8 already.");

  // Centroids of an int8 shard are int8 unless asked otherwise.
  const centroids = await buildCentroidShard(int8.manifest, fromInt8, int8.catalog);
  expect([centroids.manifest.version, centroids.manifest.dtype]).toEqual([2, 'int8']);
  expect((await buildCentroidShard(int8.manifest, fromInt8, int8.catalog, 'float16')).manifest.dtype).toBe('float16');
});
