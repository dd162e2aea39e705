import { describe, expect, it } from 'vitest';
import { topK } from './top-k.ts';

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
});
