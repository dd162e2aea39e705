import { describe, expect, it } from 'vitest';
import { topK, topKSet } from './top-k.ts';

describe('topK', () => {
  it('orders by distance, then by smaller index on ties', () => {
    const r = topK([3, 1, 2, 1, 0, 1], 4);
    expect(Array.from(r.indices)).toEqual([4, 1, 3, 5]);
    expect(Array.from(r.distances)).toEqual([0, 1, 1, 1]);
  });

  it('returns everything when k >= n, sorted', () => {
    expect(Array.from(topK([2, 0, 1], 3).indices)).toEqual([1, 2, 0]);
    expect(Array.from(topK([2, 0, 1], 10).indices)).toEqual([1, 2, 0]);
  });

  it('never selects ineligible entries', () => {
    const r = topK([0, 1, 2, 3], 3, (i) => i % 2 === 1);
    expect(Array.from(r.indices)).toEqual([1, 3]);
  });

  it('matches a full sort on random data with many ties', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 50;
    const d = Array.from({ length: 2000 }, rand);
    const expected = d.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, 123).map((p) => p[1]);
    expect(Array.from(topK(d, 123).indices)).toEqual(expected);
  });

  it('matches a full sort for many sizes, k and eligibility filters (the heap filled, replaced at its root, sifted)', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rand() * 3000);
      const levels = [2, 40, 1e6][t % 3];
      const d = Float32Array.from({ length: n }, () => Math.floor(rand() * levels) / 3 - 5);
      const k = 1 + Math.floor(rand() * (t % 4 === 0 ? n + 3 : 300));
      const eligible = t % 2 === 0 ? (i: number) => i % 3 !== 1 : undefined;
      const expected = Array.from(d, (v, i) => [v, i])
        .filter(([, i]) => !eligible || eligible(i))
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, k);
      const top = topK(d, k, eligible);
      expect(Array.from(top.indices), `case ${t}`).toEqual(expected.map((p) => p[1]));
      expect(Array.from(top.distances), `case ${t}`).toEqual(expected.map((p) => p[0]));
    }
  });

  it('ranks a large share of float32 entries through quickselect and packed keys exactly as the heap does: signs, zeros, infinities, ties', () => {
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
    const specials = [0, -0, Infinity, -Infinity, -1.5, 1.5, 3.4e38, -3.4e38, 1e-45, -1e-45];
    for (let t = 0; t < 200; t++) {
      const n = 50 + Math.floor(rand() * 3000);
      const levels = [2, 30, 1e6][t % 3];
      const values = Array.from({ length: n }, () => (rand() < 0.1 ? specials[Math.floor(rand() * specials.length)] : Math.fround(Math.floor(rand() * levels) / 7 - 2)));
      const k = Math.max(1, Math.floor(n * (0.1 + 0.9 * rand())));
      const eligible = t % 2 === 0 ? (i: number) => i % 5 !== 3 : undefined;
      // A plain array takes the heap; its Float32Array copy, at this share of k, the keyed path.
      const heap = topK(values, k, eligible);
      const keyed = topK(Float32Array.from(values), k, eligible);
      expect(Array.from(keyed.indices), `case ${t}`).toEqual(Array.from(heap.indices));
      expect(Array.from(keyed.distances), `case ${t}`).toEqual(Array.from(heap.distances));
    }
  });
});

describe('topKSet', () => {
  /** topK's selection, as a set in ascending index order: what topKSet must return. */
  const reference = (d: ArrayLike<number>, k: number, eligible?: (i: number) => boolean) => Array.from(topK(d, k, eligible).indices).sort((a, b) => a - b);

  it('takes the entries below the k-th distance and, of those tied with it, the smaller indices', () => {
    expect(Array.from(topKSet([3, 1, 2, 1, 0, 1], 3))).toEqual([1, 3, 4]);
    expect(Array.from(topKSet([3, 1, 2, 1, 0, 1], 4))).toEqual([1, 3, 4, 5]);
    expect(Array.from(topKSet([5, 5, 5, 5], 2))).toEqual([0, 1]);
  });

  it('returns every eligible entry when k reaches their count, and none for k = 0', () => {
    expect(Array.from(topKSet([2, 0, 1], 3))).toEqual([0, 1, 2]);
    expect(Array.from(topKSet([2, 0, 1, 7], 10, (i) => i !== 1))).toEqual([0, 2, 3]);
    expect(Array.from(topKSet([2, 0, 1], 0))).toEqual([]);
    expect(Array.from(topKSet([], 5))).toEqual([]);
  });

  it('selects what topK selects for many sizes, k, tie densities, eligibility filters and both precisions', () => {
    let seed = 23;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(rand() * 4000);
      const levels = [1, 3, 40, 1e6][t % 4];
      const values = Array.from({ length: n }, () => Math.floor(rand() * levels) / 3 + rand() * (t % 5 === 0 ? 1e-9 : 0));
      const d = t % 2 === 0 ? Float32Array.from(values) : values; // Float64 values that float32 would merge
      const k = Math.floor(rand() * (t % 3 === 0 ? n + 3 : 1200));
      const eligible = t % 3 === 1 ? (i: number) => i % 4 !== 2 : undefined;
      expect(Array.from(topKSet(d, k, eligible)), `case ${t}`).toEqual(reference(d, k, eligible));
    }
  });

  it('falls back to the heap, with the same selection, when quickselect runs out of partition rounds', () => {
    const d = Float32Array.from({ length: 500 }, (_, i) => (i * 7919) % 101);
    expect(Array.from(topKSet(d, 77, undefined, 0))).toEqual(reference(d, 77));
    expect(Array.from(topKSet(d, 77, undefined, 1))).toEqual(reference(d, 77));
  });
});
