import { expect, it } from 'vitest';
import { buildShard, encodeShardChunk, type HistoryEncoder } from './shard-builder.ts';
import { toFloat16Bits } from './float16.ts';
import { encodeChunk } from './shard-format.ts';

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
