/**
 * Reuse of work across one user's successive requests (issue 9): the
 * key/value cache of the last prompt is kept, and the next prompt runs only
 * its tokens after the longest common token prefix. Since a growing history
 * keeps the template's instruction and the older titles in place, a request
 * that adds one item encodes that title and the template's suffix only.
 *
 * The rule is on token ids, not text: identical ids at identical positions
 * (batch of one, no padding) have identical keys and values, so reusing them
 * gives the hidden state of a full encode (up to float summation order). A
 * prompt that differs earlier (the oldest titles dropped to fit the context,
 * another user, another model) reuses only what is still identical, which
 * can be nothing: a stale cache is cut, never reused wrongly.
 *
 * Where the cache lives is the caller's: JavaScript arrays (kvCacheOps) or
 * GPU buffers (src/encoder/gpu-kv-cache.ts); CacheOps says how to measure,
 * cut and free one.
 */
import type { KvCache } from './onnx-step-model.ts';

/** How to handle one kind of cache: its length in tokens, a copy of its first tokens, freeing it. */
export interface CacheOps<C> {
  length(cache: C): number;
  /** The first `length` tokens' keys and values (a new cache; the original stays valid). */
  truncate(cache: C, length: number): C;
  /** Frees a cache this class no longer hands out (GPU buffers); nothing for JavaScript arrays. */
  dispose?(cache: C): void;
}

export interface PrefixPlan<C = KvCache> {
  /** Tokens whose keys and values come from the cache. */
  reused: number;
  /** The tokens to run. */
  tokens: number[];
  /** The cache cut to `reused` tokens (undefined: run from scratch); valid until the next store() or clear(). */
  past: C | undefined;
}

/** Keys/values of the first `length` tokens of a batch-of-one cache (layout rows x kvHeads x length x headDim). */
export function truncateKv(cache: KvCache, length: number, kvHeads: number, headDim: number): KvCache {
  if (cache.rows !== 1) throw new Error('truncateKv takes a cache of one row.');
  if (length >= cache.length) return cache;
  const tensors = cache.tensors.map((data) => {
    // Same element type as the cache (float32, or float16 bits).
    const out = new (data.constructor as new (size: number) => typeof data)(kvHeads * length * headDim);
    for (let h = 0; h < kvHeads; h++) out.set(data.subarray(h * cache.length * headDim, (h * cache.length + length) * headDim), h * length * headDim);
    return out;
  });
  return { rows: 1, length, tensors };
}

/** A cache kept in JavaScript arrays (KvCache). */
export function kvCacheOps(kvHeads: number, headDim: number): CacheOps<KvCache> {
  return { length: (c) => c.length, truncate: (c, length) => truncateKv(c, length, kvHeads, headDim) };
}

export class PromptPrefixCache<C = KvCache> {
  private ids: number[] = [];
  private cache: C | undefined;
  /** The last plan's cut copy, freed once the prompt it served is stored or the cache cleared. */
  private handedOut: C | undefined;

  constructor(private readonly ops: CacheOps<C>) {}

  /** What to run for a prompt: at least its last token (its hidden state is the output). */
  plan(ids: readonly number[]): PrefixPlan<C> {
    this.release(this.handedOut);
    this.handedOut = undefined;
    let common = 0;
    const limit = Math.min(ids.length - 1, this.ids.length, this.cache ? this.ops.length(this.cache) : 0);
    while (common < limit && ids[common] === this.ids[common]) common++;
    if (!this.cache || common === 0) return { reused: 0, tokens: [...ids], past: undefined };
    const past = common < this.ops.length(this.cache) ? this.ops.truncate(this.cache, common) : this.cache;
    if (past !== this.cache) this.handedOut = past;
    return { reused: common, tokens: ids.slice(common), past };
  }

  /** Keeps the cache of a prompt that was just run in full (plan's past + the tokens run). */
  store(ids: readonly number[], cache: C): void {
    if (this.ops.length(cache) !== ids.length) {
      this.release(cache);
      throw new Error(`The cache covers ${this.ops.length(cache)} tokens, the prompt ${ids.length}.`);
    }
    this.release(this.handedOut);
    this.handedOut = undefined;
    if (this.cache !== cache) this.release(this.cache);
    this.ids = [...ids];
    this.cache = cache;
  }

  clear(): void {
    this.release(this.handedOut);
    this.release(this.cache);
    this.handedOut = undefined;
    this.ids = [];
    this.cache = undefined;
  }

  private release(cache: C | undefined): void {
    if (cache !== undefined) this.ops.dispose?.(cache);
  }
}
