/**
 * The decode request shared by the CPU and GPU decoders, and its validation:
 * one place decides what a valid request is, so both decoders reject bad
 * input with the same typed errors.
 */
import { describeValue } from './describe-value.ts';
import { InvalidArgumentError } from './errors.ts';
import type { L2DMemory } from './memory.ts';
import { padQuery } from './l2-scan.ts';
import type { VotedItem } from './vote.ts';

export type Strategy = 'global' | 'local' | 'vote';

/** The strategies, in the order error messages and option lists name them. */
export const STRATEGIES: readonly Strategy[] = ['local', 'global', 'vote'];

/** Whether a strategy starts from the M memory rows nearest to h_t (and so takes `m`). */
export function takesRows(strategy: Strategy): boolean {
  return strategy !== 'global';
}

/**
 * The default strategy, everywhere (engine, worker, embed, CLI): L2D-V had the highest Recall@50 and NDCG@50 on
 * both data sets' test splits, after its scale and M were chosen on validation (docs/RESULTS.md, "L2D-V": +14% and
 * +9% R@50 over L2D-L); on a centroid memory (one row per item) it ranks as L2D-G.
 */
export const DEFAULT_STRATEGY: Strategy = 'vote';

/** Default M of L2D-L: the paper's quality peaks at hundreds to a few thousand rows. */
export const DEFAULT_LOCAL_M = 1000;

/** Default M of L2D-V: its best on movielens' validation split, with the full memory and with 30% of it (docs/RESULTS.md). */
export const DEFAULT_VOTE_M = 3000;

/**
 * Largest k and M after clipping to what the memory holds. The GPU orders a
 * selection by rank counting, O(selection^2); 16384 keeps that well under a
 * scan's cost. (M = all rows is L2D-G: use strategy 'global' for it.)
 */
export const MAX_SELECTION = 16384;

export interface DecodeOptions {
  /** How many items to return (1 or more; more than the ranked items returns them all). */
  k: number;
  /**
   * 'global' = L2D-G (item centroids), 'local' = L2D-L (top-M rows grouped by item), 'vote' = L2D-V (the top-M rows
   * vote for their items, nearer rows weigh more: src/core/vote.ts; the default).
   */
  strategy?: Strategy;
  /** M of L2D-L and L2D-V: memory rows taken nearest to the query (default 1000 for L2D-L, 3000 for L2D-V). */
  m?: number;
  /** Items never to return, e.g. those already in the user's history, or a store's sold-out products. */
  exclude?: ArrayLike<number> | Iterable<number>;
  /**
   * The only items that may be returned (a category page's products), less `exclude`'s: the rows of other items are
   * skipped before the M nearest are taken, as excluded ones are. A list is shorter than k when fewer items remain.
   */
  only?: ArrayLike<number> | Iterable<number>;
}

export type DecodedSource = 'local' | 'global' | 'vote';

export interface DecodedItem {
  /** Item label (index into the memory's item table). */
  item: number;
  /** L2 distance ||h_t - h_v||. */
  distance: number;
  /**
   * Higher ranks first. 'local' and 'global': the paper's score 1 / distance; at distance 0 Number.MAX_VALUE (still
   * the highest, and a number JSON keeps: Infinity becomes null). 'vote': the item's vote (its nearest row alone gives 1).
   */
  score: number;
  /**
   * 'local' when ranked by its L2D-L local mean (distance: to that mean), 'global' when by its centroid, 'vote' by
   * its L2D-V vote (distance: to its nearest memory row).
   */
  source: DecodedSource;
}

/**
 * A request's list length against the catalog: recommend() and generate() in the worker, and the recommend CLI, refuse
 * a k past the catalog's size rather than answer a shorter list than asked (the decoders alone return all items then).
 */
export function checkK(k: unknown, itemCount: number, name: string): asserts k is number {
  if (!Number.isInteger(k) || (k as number) < 1 || (k as number) > itemCount) {
    throw new InvalidArgumentError(`${name} must be an integer in 1..${itemCount} (the catalog's size), got ${describeValue(k)}.`);
  }
}

export interface ResolvedDecodeOptions {
  k: number;
  strategy: Strategy;
  m: number;
  excluded: Set<number>;
}

/**
 * The items a list may not return: `exclude`'s, and with `only` every item it does not name. Each id is checked
 * against the catalog (0..itemCount-1), in the option's name; an empty `only` is refused, as it would allow nothing.
 */
export function excludedItems(filter: Pick<DecodeOptions, 'exclude' | 'only'>, itemCount: number): Set<number> {
  const ids = (name: 'exclude' | 'only'): number[] => {
    const value = filter[name];
    if (value === undefined) return [];
    if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`${name} must be an array of item ids, got ${describeValue(value)}.`);
    const list = Array.from(value);
    for (const item of list) {
      if (!Number.isInteger(item) || item < 0 || item >= itemCount) {
        throw new InvalidArgumentError(`${name} holds ${describeValue(item)}, which is not an item of this memory (0..${itemCount - 1}).`);
      }
    }
    return list;
  };
  const excluded = new Set(ids('exclude'));
  if (filter.only !== undefined) {
    const allowed = new Set(ids('only'));
    if (allowed.size === 0) throw new InvalidArgumentError('only is empty: it names the items a list may hold, so no item could be recommended.');
    for (let item = 0; item < itemCount; item++) if (!allowed.has(item)) excluded.add(item);
  }
  return excluded;
}

export function resolveDecodeOptions(options: DecodeOptions, memory: L2DMemory): ResolvedDecodeOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`The decode options must be { k, strategy?, m?, exclude?, only? }, got ${describeValue(options)}.`);
  const { k } = options;
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0) {
    throw new InvalidArgumentError(`k must be a positive integer, got ${describeValue(k)}.`);
  }
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  if (!STRATEGIES.includes(strategy)) {
    throw new InvalidArgumentError(`strategy must be 'local' (L2D-L), 'global' (L2D-G) or 'vote' (L2D-V), got '${String(strategy)}'.`);
  }
  const m = options.m ?? (strategy === 'vote' ? DEFAULT_VOTE_M : DEFAULT_LOCAL_M);
  if (typeof m !== 'number' || !Number.isInteger(m) || m <= 0) {
    throw new InvalidArgumentError(`m must be a positive integer, got ${describeValue(m)}.`);
  }
  const excluded = excludedItems(options, memory.itemCount);
  const clippedM = Math.min(m, memory.rows);
  if (takesRows(strategy) && clippedM > MAX_SELECTION) {
    throw new InvalidArgumentError(
      strategy === 'local'
        ? `m may be at most ${MAX_SELECTION} (got ${m}); M = all rows equals L2D-G, so use strategy 'global' for it.`
        : `m may be at most ${MAX_SELECTION} (got ${m}).`,
    );
  }
  if (Math.min(k, memory.itemCount) > MAX_SELECTION) {
    throw new InvalidArgumentError(`k may be at most ${MAX_SELECTION} (got ${k}).`);
  }
  return { k, strategy, m: clippedM, excluded };
}

/** Validates queries against the memory and returns them padded for the scans. */
export function resolveQueries(queries: ArrayLike<number>[], memory: L2DMemory): Float32Array[] {
  if (queries.length === 0) throw new InvalidArgumentError('No query was given.');
  return queries.map((q, i) => padQuery(q, memory.dim, queries.length > 1 ? `query ${i}` : 'query'));
}

/** Turns a squared distance into the public item record. */
export function decodedItem(item: number, squaredDistance: number, source: 'local' | 'global'): DecodedItem {
  const distance = Math.sqrt(squaredDistance);
  return { item, distance, score: distance > 0 ? 1 / distance : Number.MAX_VALUE, source };
}

/** An L2D-V item as the public record. */
export function votedItem(voted: VotedItem): DecodedItem {
  return { item: voted.item, distance: Math.sqrt(voted.squaredDistance), score: voted.vote, source: 'vote' };
}
