/**
 * Decoder test cases, built identically in Node (CPU reference) and in the
 * page or worker (GPU decoder) from a small serialisable spec.
 */
import type { DecodeOptions } from '../../src/core/decode-options.ts';
import { fromFloat16Bits } from '../../src/core/float16.ts';
import { rowStride, type L2DMemory } from '../../src/core/memory.ts';
import { generateSyntheticMemory, syntheticQuery } from '../../src/core/synthetic-memory.ts';

export interface CaseSpec {
  name: string;
  rows: number;
  dim: number;
  items: number;
  seed: number;
  /** Row noise in grid steps; 0 makes every row of an item identical (mass ties). */
  noise?: number;
  /** Make each odd row a copy of the row before it, labelled with the next item (exact ties across items). */
  pairedDuplicates?: boolean;
  /** Query seeds; a negative seed -r means "exactly row r" (distance 0 ties). */
  querySeeds: number[];
  requests: DecodeOptions[];
  /** Force memory parts of at most this many bytes. */
  maxBindingSize?: number;
}

export function buildCaseMemory(spec: CaseSpec): L2DMemory {
  const memory = generateSyntheticMemory({ rows: spec.rows, dim: spec.dim, items: spec.items, seed: spec.seed, noise: spec.noise });
  if (spec.pairedDuplicates) {
    const stride = rowStride(spec.dim);
    for (let r = 1; r < spec.rows; r += 2) {
      memory.vectors.copyWithin(r * stride, (r - 1) * stride, r * stride);
      memory.labels[r] = (memory.labels[r - 1] + 1) % spec.items;
    }
  }
  return memory;
}

export function buildCaseQueries(spec: CaseSpec, memory: L2DMemory): Float32Array[] {
  const stride = rowStride(memory.dim);
  return spec.querySeeds.map((seed) => {
    if (seed >= 0) return syntheticQuery(memory, seed);
    const row = -seed;
    return Float32Array.from(memory.vectors.subarray(row * stride, row * stride + memory.dim), fromFloat16Bits);
  });
}

/** Item, distance, source and score of each ranked entry: what the tests compare. */
export type RankedView = [item: number, distance: number, source: string, score: number][];

export const CASES: CaseSpec[] = [
  {
    name: 'random data, batch of 3 queries',
    rows: 5000, dim: 64, items: 300, seed: 1, querySeeds: [1, 2, 3],
    requests: [{ k: 10, strategy: 'global' }, { k: 20, strategy: 'local', m: 100 }, { k: 5, strategy: 'local', m: 7 }, { k: 20, strategy: 'vote', m: 100 }, { k: 30, strategy: 'vote', m: 7 }],
  },
  {
    name: 'N not a multiple of the workgroup size, d = 24',
    rows: 1001, dim: 24, items: 97, seed: 2, querySeeds: [4, 5],
    requests: [{ k: 17, strategy: 'global' }, { k: 17, strategy: 'local', m: 257 }, { k: 17, strategy: 'vote', m: 257 }],
  },
  {
    name: 'd = 13',
    rows: 777, dim: 13, items: 40, seed: 3, querySeeds: [6],
    requests: [{ k: 40, strategy: 'global' }, { k: 12, strategy: 'local', m: 50 }],
  },
  { name: 'd = 1', rows: 300, dim: 1, items: 20, seed: 4, querySeeds: [7, -5], requests: [{ k: 20, strategy: 'global' }, { k: 20, strategy: 'local', m: 30 }, { k: 20, strategy: 'vote', m: 30 }] },
  { name: 'd = 7', rows: 513, dim: 7, items: 31, seed: 5, querySeeds: [8], requests: [{ k: 9, strategy: 'global' }, { k: 9, strategy: 'local', m: 64 }] },
  {
    name: 'exact ties: duplicated rows across items, queries equal to rows',
    rows: 2000, dim: 16, items: 50, seed: 6, pairedDuplicates: true, querySeeds: [-10, -11, 9],
    requests: [{ k: 50, strategy: 'global' }, { k: 25, strategy: 'local', m: 40 }, { k: 50, strategy: 'local', m: 2000 }, { k: 25, strategy: 'vote', m: 40 }, { k: 50, strategy: 'vote', m: 2000 }],
  },
  {
    name: 'mass ties: every row of an item identical',
    rows: 3000, dim: 8, items: 25, seed: 7, noise: 0, querySeeds: [-3, 10],
    requests: [{ k: 25, strategy: 'global' }, { k: 25, strategy: 'local', m: 300 }, { k: 25, strategy: 'vote', m: 300 }],
  },
  {
    name: 'K = N and K > N, M > N',
    rows: 60, dim: 16, items: 60, seed: 8, querySeeds: [11],
    requests: [{ k: 60, strategy: 'global' }, { k: 500, strategy: 'global' }, { k: 60, strategy: 'local', m: 60 }, { k: 100, strategy: 'local', m: 1000 }, { k: 100, strategy: 'vote', m: 1000 }],
  },
  {
    name: 'exclude list',
    rows: 4000, dim: 32, items: 200, seed: 9, querySeeds: [12, 13],
    requests: [{ k: 15, strategy: 'global', exclude: [0, 1, 2, 3, 150] }, { k: 15, strategy: 'local', m: 200, exclude: [0, 1, 2, 3, 150] }, { k: 15, strategy: 'vote', m: 200, exclude: [0, 1, 2, 3, 150] }],
  },
  {
    // A category's items: every other item excluded, so the M nearest allowed rows lie far down the scan; k past them.
    name: 'only list (with exclude)',
    rows: 4000, dim: 32, items: 200, seed: 9, querySeeds: [12, 13],
    requests: [
      { k: 15, strategy: 'global', only: [7, 30, 31, 64, 99, 150, 151, 152, 198], exclude: [150] },
      { k: 15, strategy: 'local', m: 60, only: [7, 30, 31, 64, 99, 150, 151, 152, 198], exclude: [150] },
      { k: 15, strategy: 'vote', m: 60, only: [7, 30, 31, 64, 99, 150, 151, 152, 198], exclude: [150] },
    ],
  },
  {
    name: 'memory split across several buffers (forced 64 KiB bindings)',
    rows: 9000, dim: 40, items: 400, seed: 10, querySeeds: [14, 15], maxBindingSize: 64 * 1024,
    requests: [{ k: 30, strategy: 'global' }, { k: 30, strategy: 'local', m: 500 }, { k: 30, strategy: 'vote', m: 500 }],
  },
];

/** The large case: 300k x 256 (run in the page only; about 150 MB of rows). */
export const LARGE_CASE: CaseSpec = {
  name: '300k x 256 rows',
  rows: 300_000, dim: 256, items: 5000, seed: 11, querySeeds: [16],
  requests: [{ k: 50, strategy: 'global' }, { k: 50, strategy: 'local', m: 1000 }, { k: 50, strategy: 'vote', m: 1000 }],
};
