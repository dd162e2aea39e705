import { describe, expect, it } from 'vitest';
import { median, quantile } from './stats.ts';

describe('stats', () => {
  it('median: the middle value, the upper middle for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
  });

  it('quantile: nearest rank, unsorted input', () => {
    const xs = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect([0, 0.1, 0.5, 0.9, 0.91, 1].map((q) => quantile(xs, q))).toEqual([1, 1, 5, 9, 10, 10]);
  });
});
