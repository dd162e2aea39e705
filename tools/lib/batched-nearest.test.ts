/**
 * The batched row scan of evaluate gives exactly the CPU reference's
 * top-M rows, hence the same L2D-L rankings, on a synthetic memory with
 * near-ties and on the demo model's real memory.
 */
import { describe, expect, it } from 'vitest';
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { padQuery } from '../../src/core/l2-scan.ts';
import { generateSyntheticMemory, syntheticQuery } from '../../src/core/synthetic-memory.ts';
import { rowStride, selectRows } from '../../src/core/memory.ts';
import { float16Table } from '../../src/core/float16.ts';
import { BatchedNearestRows } from './batched-nearest.ts';
import { loadShard } from './shard-files.ts';

describe('BatchedNearestRows', () => {
  it('selects the reference top-M rows exactly, also with duplicated rows (ties)', async () => {
    const base = generateSyntheticMemory({ rows: 3000, dim: 40, items: 90, seed: 9 });
    // Every 7th row duplicated: exact distance ties that only the row-index rule orders.
    const memory = selectRows(base, Array.from({ length: 3400 }, (_, i) => (i < 3000 ? i : (i - 3000) * 7)));
    const decoder = new CpuDecoder(memory);
    const batched = await BatchedNearestRows.create(memory);
    try {
      const queries = Array.from({ length: 6 }, (_, s) => padQuery(syntheticQuery(memory, 50 + s), memory.dim));
      const nearest = await batched.nearestRows(queries, 700);
      const ms = [10, 100, 700];
      queries.forEach((q, i) => {
        expect(nearest[i]).toHaveLength(700);
        const sweep = decoder.decodeLocalSweep(q.subarray(0, memory.dim), ms, { k: 40 }, nearest[i]);
        ms.forEach((m, j) => expect(sweep[j]).toEqual(decoder.decode(q.subarray(0, memory.dim), { k: 40, strategy: 'local', m })));
      });
    } finally {
      await batched.release();
    }
  });

  it('equals the reference on the demo memory, with queries that are memory rows (distance 0 and near-ties)', async () => {
    const { memory } = await loadShard('models/movielens-demo/memory/train-q4-f0.3');
    const decoder = new CpuDecoder(memory);
    const batched = await BatchedNearestRows.create(memory);
    const halves = float16Table();
    const stride = rowStride(memory.dim);
    try {
      const queries = [5, 900, 12345].map((r) => Float32Array.from(memory.vectors.subarray(r * stride, (r + 1) * stride), (b) => halves[b]));
      const nearest = await batched.nearestRows(queries, 1000);
      queries.forEach((q, i) => {
        const [local] = decoder.decodeLocalSweep(q.subarray(0, memory.dim), [1000], { k: 100 }, nearest[i]);
        expect(local).toEqual(decoder.decode(q.subarray(0, memory.dim), { k: 100, strategy: 'local', m: 1000 }));
      });
    } finally {
      await batched.release();
    }
  });

  it('refuses precomputed rows that cannot be the top M', () => {
    const memory = generateSyntheticMemory({ rows: 100, dim: 8, items: 5, seed: 1 });
    const decoder = new CpuDecoder(memory);
    const q = syntheticQuery(memory, 1);
    expect(() => decoder.decodeLocalSweep(q, [50], { k: 5 }, new Uint32Array(10))).toThrow(/nearestRows must hold the top 50 rows/);
    expect(() => decoder.decodeLocalSweep(q, [5], { k: 5, exclude: [1] }, new Uint32Array(10))).toThrow(/with no excluded items/);
  });
});
