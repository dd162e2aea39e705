import { expect, it } from 'vitest';
import { fuseRankings } from './fusion-probe.ts';

it('fuses two ranked lists by weighted reciprocal rank, ties by smaller id', () => {
  // c = 0: ranks score w/1, w/2, w/3. a = [5, 1, 2], b = [2, 5, 9].
  expect(fuseRankings([5, 1, 2], [2, 5, 9], 1, 0, 3)).toEqual([5, 1, 2]); // b weighs nothing: a's order
  expect(fuseRankings([5, 1, 2], [2, 5, 9], 0, 0, 2)).toEqual([2, 5]);
  // Even weights: 5 = 0.5 + 0.25, 2 = 0.5/3 + 0.5, 1 = 0.25, 9 = 0.5/3.
  expect(fuseRankings([5, 1, 2], [2, 5, 9], 0.5, 0, 4)).toEqual([5, 2, 1, 9]);
  // Equal scores: the smaller id first.
  expect(fuseRankings([7], [3], 0.5, 0, 2)).toEqual([3, 7]);
});
