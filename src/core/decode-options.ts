/**
 * The decode request shared by the CPU and GPU decoders, and its validation:
 * one place decides what a valid request is, so both decoders reject bad
 * input with the same typed errors.
 */
import { describeValue } from './describe-value.ts';
import { InvalidArgumentError } from './errors.ts';
import type { L2DMemory } from './memory.ts';
import { padQuery } from './l2-scan.ts';

export type Strategy = 'global' | 'local';

/**
 * The default strategy, everywhere (engine, worker, embed, CLI): L2D-L had the higher Recall@50 on every whole
 * test split here (docs/RESULTS.md) and in the paper's; on a centroid memory it ranks as L2D-G.
 */
export const DEFAULT_STRATEGY: Strategy = 'local';

/** Default M of L2D-L: the paper's quality peaks at hundreds to a few thousand rows. */
export const DEFAULT_LOCAL_M = 1000;

/**
 * Largest k and M after clipping to what the memory holds. The GPU orders a
 * selection by rank counting, O(selection^2); 16384 keeps that well under a
 * scan's cost. (M = all rows is L2D-G: use strategy 'global' for it.)
 */
export const MAX_SELECTION = 16384;

export interface DecodeOptions {
  /** How many items to return (1 or more; more than the ranked items returns them all). */
  k: number;
  /** 'global' = L2D-G (item centroids), 'local' = L2D-L (top-M rows grouped by item; the default). */
  strategy?: Strategy;
  /** L2D-L's M: memory rows taken nearest to the query (default 1000). */
  m?: number;
  /** Items never to return, e.g. those already in the user's history. */
  exclude?: ArrayLike<number> | Iterable<number>;
}

export interface DecodedItem {
  /** Item label (index into the memory's item table). */
  item: number;
  /** L2 distance ||h_t - h_v||. */
  distance: number;
  /** The paper's score 1 / distance; at distance 0 Number.MAX_VALUE (still the highest, and a number JSON keeps: Infinity becomes null). */
  score: number;
  /** 'local' when ranked by its L2D-L local mean, 'global' when by its centroid. */
  source: 'local' | 'global';
}

export interface ResolvedDecodeOptions {
  k: number;
  strategy: Strategy;
  m: number;
  excluded: Set<number>;
}

export function resolveDecodeOptions(options: DecodeOptions, memory: L2DMemory): ResolvedDecodeOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`The decode options must be { k, strategy?, m?, exclude? }, got ${describeValue(options)}.`);
  const { k } = options;
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0) {
    throw new InvalidArgumentError(`k must be a positive integer, got ${describeValue(k)}.`);
  }
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  if (strategy !== 'global' && strategy !== 'local') {
    throw new InvalidArgumentError(`strategy must be 'global' (L2D-G) or 'local' (L2D-L), got '${String(strategy)}'.`);
  }
  const m = options.m ?? DEFAULT_LOCAL_M;
  if (typeof m !== 'number' || !Number.isInteger(m) || m <= 0) {
    throw new InvalidArgumentError(`m must be a positive integer, got ${describeValue(m)}.`);
  }
  const excluded = new Set<number>();
  for (const item of Array.from(options.exclude ?? [])) {
    if (!Number.isInteger(item) || item < 0 || item >= memory.itemCount) {
      throw new InvalidArgumentError(`exclude holds ${describeValue(item)}, which is not an item of this memory (0..${memory.itemCount - 1}).`);
    }
    excluded.add(item);
  }
  const clippedM = Math.min(m, memory.rows);
  if (strategy === 'local' && clippedM > MAX_SELECTION) {
    throw new InvalidArgumentError(`m may be at most ${MAX_SELECTION} (got ${m}); M = all rows equals L2D-G, so use strategy 'global' for it.`);
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
