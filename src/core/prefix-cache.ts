/**
 * Reuse of work across one user's successive requests (issue 9): the
 * key/value caches of the last few prompts are kept (one per history in use:
 * a storefront's widgets each have theirs), and the next prompt runs only
 * its tokens after the longest common token prefix with one of them. Since a growing history
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

export interface PrefixCacheOptions {
  /** Prompts kept (least recently used goes first); default 4: a storefront's few widgets, each its own history. */
  capacity?: number;
  /**
   * Tokens every prompt starts with (the template's instruction). A stored prompt that shared more than
   * these with the one a plan reused from is the same history grown or changed, and replaces it; one that
   * shared only these (another widget's history) is kept beside it.
   */
  sharedPrefix?: number;
}

interface Entry<C> {
  ids: number[];
  cache: C;
}

export class PromptPrefixCache<C = KvCache> {
  /** Most recently used first. */
  private entries: Entry<C>[] = [];
  /** The entry the last plan reused from, and how many tokens. */
  private planned: { entry: Entry<C>; reused: number } | undefined;
  /** The last plan's cut copy, freed once the prompt it served is stored or the cache cleared. */
  private handedOut: C | undefined;
  private readonly capacity: number;
  private readonly sharedPrefix: number;

  constructor(
    private readonly ops: CacheOps<C>,
    options: PrefixCacheOptions = {},
  ) {
    this.capacity = options.capacity ?? 4;
    this.sharedPrefix = options.sharedPrefix ?? 0;
    if (!(Number.isInteger(this.capacity) && this.capacity >= 1)) throw new Error(`A prefix cache keeps at least one prompt, got capacity ${this.capacity}.`);
  }

  /** Prompts kept, most recently used first (tests, status). */
  get prompts(): number {
    return this.entries.length;
  }

  /** What to run for a prompt: at least its last token (its hidden state is the output). From the kept prompt sharing the longest prefix. */
  plan(ids: readonly number[]): PrefixPlan<C> {
    this.release(this.handedOut);
    this.handedOut = undefined;
    this.planned = undefined;
    let best: Entry<C> | undefined;
    let common = 0;
    for (const entry of this.entries) {
      const limit = Math.min(ids.length - 1, entry.ids.length, this.ops.length(entry.cache));
      let n = 0;
      while (n < limit && ids[n] === entry.ids[n]) n++;
      if (n > common) [best, common] = [entry, n]; // ties: the more recent one
    }
    if (!best) return { reused: 0, tokens: [...ids], past: undefined };
    this.touch(best);
    this.planned = { entry: best, reused: common };
    const past = common < this.ops.length(best.cache) ? this.ops.truncate(best.cache, common) : best.cache;
    if (past !== best.cache) this.handedOut = past;
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
    // The same history grown or changed replaces its old prompt; the same prompt again replaces itself.
    const same = this.entries.find((e) => e.ids.length === ids.length && e.ids.every((id, i) => id === ids[i]));
    const replaced = same ?? (this.planned && this.planned.reused > this.sharedPrefix ? this.planned.entry : undefined);
    this.planned = undefined;
    if (replaced) {
      if (replaced.cache !== cache) this.release(replaced.cache);
      this.entries = this.entries.filter((e) => e !== replaced);
    }
    this.entries.unshift({ ids: [...ids], cache });
    for (const evicted of this.entries.splice(this.capacity)) this.release(evicted.cache);
  }

  clear(): void {
    this.release(this.handedOut);
    for (const entry of this.entries) this.release(entry.cache);
    this.handedOut = undefined;
    this.planned = undefined;
    this.entries = [];
  }

  private touch(entry: Entry<C>): void {
    this.entries = [entry, ...this.entries.filter((e) => e !== entry)];
  }

  private release(cache: C | undefined): void {
    if (cache !== undefined) this.ops.dispose?.(cache);
  }
}
