import { describe, expect, it } from 'vitest';
import { CoOccurrence, MostPopular, recommendWithoutHistory } from './baselines.ts';
import type { Sample } from './data/prepare.ts';

const s = (history: number[], target: number): Sample => ({ user: 0, history, target, time: 0, split: 'train' });
// Item 3 is the most frequent target (3x), then 1 (2x), then 0 and 2 (1x each, tie -> smaller id first).
const train = [s([0], 3), s([0, 1], 3), s([2], 3), s([0], 1), s([2, 1], 1), s([1], 0), s([3], 2)];

describe('MostPopular', () => {
  it('ranks by training-target count, ties by smaller id', () => {
    expect(new MostPopular(train, 5).recommend([4], 5)).toEqual([3, 1, 0, 2, 4]);
  });
});

describe('CoOccurrence', () => {
  const model = new CoOccurrence(train, 5);
  it('scores items that followed the history items, recency-discounted', () => {
    // weights from 0: ->3: 1 (s1) + 1/2 (s2, distance 2) = 1.5; ->1: 1 (s4)
    expect(model.recommend([0], 2)).toEqual([3, 1]);
    // weights from 1: ->3: 1 (s2), ->1: 1 (s5, last), ->0: 1 (s6). Ties broken by popularity: 3 (3x), 1 (2x), 0 (1x).
    expect(model.recommend([1], 3)).toEqual([3, 1, 0]);
    // History [2, 1]: item 2 (distance 2, discount 1/2) adds 3: 0.5, 1: 0.5 (2->1 weight 1/2 * 1/2 = 0.25)...
    // 2 -> 3: 1, 2 -> 1: 0.5; 1 -> 3: 1, 1 -> 1: 1, 1 -> 0: 1.
    // scores: 3 = 1*0.5 + 1 = 1.5; 1 = 0.5*0.5 + 1 = 1.25; 0 = 1.
    expect(model.recommend([2, 1], 3)).toEqual([3, 1, 0]);
  });
  it("takes MostPopular's counts (one count per data set in the demo) and ranks the same; refuses counts of another catalog", () => {
    const popular = new MostPopular(train, 5);
    expect(Array.from(popular.counts)).toEqual([1, 2, 1, 3, 0]);
    const shared = new CoOccurrence(train, 5, popular.counts);
    for (const history of [[0], [1], [2, 1], [4], [3]]) expect(shared.recommend(history, 5)).toEqual(model.recommend(history, 5));
    expect(() => new CoOccurrence(train, 5, new Uint32Array(4))).toThrow('counts has 4 items; the catalog 5.');
  });
  it('fills up with popular items and leaves no state behind', () => {
    expect(model.recommend([4], 3)).toEqual([3, 1, 0]);
    expect(model.recommend([3], 5)).toEqual([2, 3, 1, 0, 4]);
    expect(model.recommend([3], 5)).toEqual([2, 3, 1, 0, 4]);
  });
});

describe('CoOccurrence counted in any order', () => {
  it('ranks the same whatever the order of its training samples: exact weights, exact ties', () => {
    // Item 0 precedes item 1 at distances 1, 2 and 6 (weight 5/3) and item 2 at distances 1, 3 and 3 (5/3 too).
    // Summed in floating point, 1 + 1/2 + 1/6 is 1.6666666666666667 but 1/6 + 1/2 + 1 is 1.6666666666666665, as
    // is 1 + 1/3 + 1/3: one order would put item 1 first. The weights tie, so the more popular item 2 comes first.
    const toItem1 = [s([0], 1), s([0, 9], 1), s([0, 9, 9, 9, 9, 9], 1)];
    const toItem2 = [s([0], 2), s([0, 9, 9], 2), s([0, 9, 9], 2), s([8], 2)];
    for (const order of [[...toItem1, ...toItem2], [...toItem1].reverse().concat(toItem2), [...toItem2, ...toItem1].reverse()]) {
      expect(new CoOccurrence(order, 10).recommend([0], 2)).toEqual([2, 1]);
    }
  });
});

describe('recommendWithoutHistory', () => {
  it("is the baseline's list without the history's items, the next ones moved up to k", () => {
    const popular = new MostPopular(train, 5);
    expect(recommendWithoutHistory(popular, [1, 3], 3)).toEqual([0, 2, 4]);
    expect(recommendWithoutHistory(popular, [3, 3, 1], 2)).toEqual([0, 2]); // a repeated item counts once
    // Fewer items than k outside the history: all of them.
    expect(recommendWithoutHistory(popular, [0, 1, 2], 5)).toEqual([3, 4]);
    const model = new CoOccurrence(train, 5);
    expect(model.recommend([2], 3)).toEqual([3, 1, 0]);
    expect(recommendWithoutHistory(model, [2], 3)).toEqual([3, 1, 0]);
    expect(recommendWithoutHistory(model, [2, 1], 3)).toEqual(model.recommend([2, 1], 5).filter((id) => id !== 2 && id !== 1).slice(0, 3));
  });
});
