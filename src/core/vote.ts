/**
 * L2D-V: the top-M memory rows nearest to h_t vote for their items, each row
 * with weight exp(-(d - d1) / (VOTE_SCALE * d1)), d its L2 distance and d1
 * the nearest row's. Items rank by their summed votes; ties go to the item
 * whose nearest row ranks first. The nearest row weighs 1, a row twice as
 * far e^-2.
 *
 * Where L2D-L ranks an item by its group's mean, which a single near row
 * and many far ones pull alike, the vote counts how many rows sit near h_t
 * and how near. VOTE_SCALE and L2D-V's default M were chosen on movielens'
 * validation split and scored on its test split (docs/RESULTS.md, "L2D-V").
 *
 * A user's memory updates (rows after the memory's own) are weighed on the memory's own rows' scale (ownRows):
 * one recorded after this very history, at h_t, would otherwise leave every other row a weight of ~0.
 *
 * Both decoders select the rows (the CPU's top-K, the GPU's radix select:
 * the same rows in the same order) and call this one function on them, so
 * their rankings agree exactly. It is O(M) over scalars: no row vectors.
 */
import { InvalidArgumentError } from './errors.ts';
import { topK } from './top-k.ts';

/** The weights' distance scale, in units of the nearest row's distance (0.5, 1 and 2 tried; 0.5 best at M >= 2000). */
export const VOTE_SCALE = 0.5;

export interface VotedItem {
  item: number;
  /** The summed weights of the item's rows (the nearest row alone gives 1). */
  vote: number;
  /** Squared L2 distance of the item's nearest selected row. */
  squaredDistance: number;
}

/**
 * `rows` and `squaredDistances`: the selected rows, nearest first (the decoders' tie rule: distance, then row id).
 * `labels[row]` is a row's item. Returns up to k items, the highest vote first.
 *
 * `ownRows`: rows below it are the memory's own, those from it a user's memory updates (appended after them). The
 * weights are scaled by the memory's own nearest row, so a user's row at (or next to) this very h_t (a choice
 * recorded after the same history) weighs up to e^2 ≈ 7.4 of them instead of making every other row's weight ~0;
 * without such rows (or none of the memory's own among the selected) the rule is the one above.
 */
export function rankByVote(rows: ArrayLike<number>, squaredDistances: ArrayLike<number>, labels: ArrayLike<number>, k: number, ownRows = Infinity): VotedItem[] {
  if (rows.length !== squaredDistances.length) {
    throw new InvalidArgumentError(`rankByVote needs one distance per row (${rows.length} rows, ${squaredDistances.length} distances).`);
  }
  if (rows.length === 0) return [];
  // The rows the weights are scaled on: the memory's own from its nearest selected one, or every row where that is
  // the nearest of all or none of them is selected.
  let first = 0;
  while (first < rows.length && rows[first] >= ownRows) first++;
  if (first === rows.length) first = 0;
  const scaledOn = first === 0 ? Infinity : ownRows;
  const scale = VOTE_SCALE * voteScale(rows, squaredDistances, scaledOn);
  const nearest = Math.sqrt(squaredDistances[first]);
  // Items in the order of their nearest row (first seen): the tie rule is this order.
  const slotOf = new Map<number, number>();
  const items: VotedItem[] = [];
  for (let j = 0; j < rows.length; j++) {
    const item = labels[rows[j]];
    const weight = Math.exp((nearest - Math.sqrt(squaredDistances[j])) / scale);
    const slot = slotOf.get(item);
    if (slot !== undefined) items[slot].vote += weight;
    else {
      slotOf.set(item, items.length);
      items.push({ item, vote: weight, squaredDistance: squaredDistances[j] });
    }
  }
  // Highest vote first, equal votes in first-seen order: topK's (value, index) order on the negated votes.
  const top = topK(Float64Array.from(items, (x) => -x.vote), k);
  return Array.from(top.indices, (slot) => items[slot]);
}

/**
 * The distance the weights are scaled by: the nearest row's (of those below `scaledOn`). A query equal to a memory
 * row (d1 = 0) takes the nearest positive distance instead, so the other rows still vote; if every such row is at 0, 1.
 */
function voteScale(rows: ArrayLike<number>, squaredDistances: ArrayLike<number>, scaledOn: number): number {
  for (let j = 0; j < squaredDistances.length; j++) if (rows[j] < scaledOn && squaredDistances[j] > 0) return Math.sqrt(squaredDistances[j]);
  return 1;
}
