import { describe, expect, it } from 'vitest';
import { rankByVote, VOTE_SCALE } from './vote.ts';

// Items of rows 0..5.
const labels = [7, 3, 7, 5, 3, 3];
/** A row's weight when the nearest row is at distance d1 (d1 > 0). */
const weight = (d: number, d1: number) => Math.exp(-(d - d1) / (VOTE_SCALE * d1));

describe('rankByVote', () => {
  it('weighs the nearest row 1 and a row twice as far e^-2', () => {
    expect(VOTE_SCALE).toBe(0.5);
    expect(rankByVote([3, 1], [1, 4], labels, 2).map((v) => v.vote)).toEqual([1, Math.exp(-2)]);
  });

  it('sums the weights per item: several fairly near rows outvote one nearest row', () => {
    // Distances 1, 1.2, 1.2, 1.3, 3 (squared 1, 1.44, 1.44, 1.69, 9) for rows 3, 1, 4, 5, 0.
    const voted = rankByVote([3, 1, 4, 5, 0], [1, 1.44, 1.44, 1.69, 9], labels, 10);
    // item 3: rows 1, 4 (d = 1.2), 5 (d = 1.3) -> 2 e^-0.4 + e^-0.6 = 1.89; item 5: row 3 (d = 1) -> 1; item 7: row 0 -> e^-4.
    expect(voted.map((v) => v.item)).toEqual([3, 5, 7]);
    expect(voted[0].vote).toBeCloseTo(2 * Math.exp(-0.4) + Math.exp(-0.6), 12);
    expect(voted[0].vote).toBeCloseTo(2 * weight(1.2, 1) + weight(1.3, 1), 12);
    expect(voted[1].vote).toBe(1);
    expect(voted[2].vote).toBeCloseTo(Math.exp(-4), 12);
    // Each item's distance is its nearest row's.
    expect(voted.map((v) => v.squaredDistance)).toEqual([1.44, 1, 9]);
  });

  it('ranks by vote, not by distance: one row less and the nearest row\'s item is first', () => {
    expect(rankByVote([3, 1, 4], [1, 1.44, 1.44], labels, 1).map((v) => v.item)).toEqual([3]);
    // Item 3 alone at d = 1.2 (e^-0.4 = 0.67) falls behind item 5 (1).
    expect(rankByVote([3, 1], [1, 1.44], labels, 2).map((v) => v.item)).toEqual([5, 3]);
  });

  it('breaks equal votes by the order of the items\' nearest rows', () => {
    // Rows 1 and 0 both at d = 2: items 3 and 7 vote 1 each, 3 first (its row came first).
    expect(rankByVote([1, 0], [4, 4], labels, 2).map((v) => v.item)).toEqual([3, 7]);
    expect(rankByVote([0, 1], [4, 4], labels, 2).map((v) => v.item)).toEqual([7, 3]);
  });

  it('scales by the nearest positive distance when the query equals a row', () => {
    // d = 0, 2, 4: distances scaled by 2 (the nearest positive one), weights 1, e^-2, e^-4.
    const voted = rankByVote([3, 1, 0], [0, 4, 16], labels, 3);
    expect(voted.map((v) => [v.item, v.vote])).toEqual([
      [5, 1],
      [3, Math.exp(-2)],
      [7, Math.exp(-4)],
    ]);
    // Every row at 0: each row weighs 1.
    expect(rankByVote([1, 4, 3], [0, 0, 0], labels, 2).map((v) => [v.item, v.vote])).toEqual([
      [3, 2],
      [5, 1],
    ]);
  });

  it("scales by the memory's own nearest row: a user's row at h_t weighs e^2, the memory's rows as without it", () => {
    // Rows 0-3 are the memory's own, 4 and 5 a user's (memory updates, item 3), at d = 0 and 0.5; the memory's nearest at 1.
    const own = rankByVote([3, 1, 0], [1, 1.44, 4], labels, 3);
    const voted = rankByVote([4, 5, 3, 1, 0], [0, 0.25, 1, 1.44, 4], labels, 3, 4);
    expect(voted.map((v) => v.item)).toEqual([3, 5, 7]);
    expect(voted[0].vote).toBeCloseTo(Math.exp(2) + Math.exp(1) + own.find((v) => v.item === 3)!.vote, 12);
    expect(voted.slice(1)).toEqual(own.filter((v) => v.item !== 3));
    // Scaled by the rows of all (the rule without ownRows: the nearest positive distance, 0.5), the memory's nearest
    // row would weigh e^-4 beside it.
    expect(rankByVote([4, 5, 3, 1, 0], [0, 0.25, 1, 1.44, 4], labels, 3)[1]).toMatchObject({ item: 5, vote: Math.exp(-4) });
    // Only a user's rows selected: scaled by them, as before.
    expect(rankByVote([4, 5], [0.25, 1], labels, 1, 4)).toEqual(rankByVote([4, 5], [0.25, 1], labels, 1));
  });

  it('returns at most k items, and none for no rows', () => {
    expect(rankByVote([3, 1, 4, 5, 0], [1, 1.44, 1.44, 1.69, 9], labels, 2)).toHaveLength(2);
    expect(rankByVote([], [], labels, 5)).toEqual([]);
  });

  it('names rows and distances that do not pair up', () => {
    expect(() => rankByVote([1, 2], [1], labels, 2)).toThrow('rankByVote needs one distance per row (2 rows, 1 distances).');
  });
});
