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
 */
import type { KvCache } from './onnx-step-model.ts';

export interface PrefixPlan {
  /** Tokens whose keys and values come from the cache. */
  reused: number;
  /** The tokens to run. */
  tokens: number[];
  /** The cache cut to `reused` tokens (undefined: run from scratch). */
  past: KvCache | undefined;
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

export class PromptPrefixCache {
  private ids: number[] = [];
  private cache: KvCache | undefined;

  constructor(
    private readonly kvHeads: number,
    private readonly headDim: number,
  ) {}

  /** What to run for a prompt: at least its last token (its hidden state is the output). */
  plan(ids: readonly number[]): PrefixPlan {
    let common = 0;
    const limit = Math.min(ids.length - 1, this.ids.length, this.cache?.length ?? 0);
    while (common < limit && ids[common] === this.ids[common]) common++;
    if (!this.cache || common === 0) return { reused: 0, tokens: [...ids], past: undefined };
    return { reused: common, tokens: ids.slice(common), past: truncateKv(this.cache, common, this.kvHeads, this.headDim) };
  }

  /** Keeps the cache of a prompt that was just run in full (plan's past + the tokens run). */
  store(ids: readonly number[], cache: KvCache): void {
    if (cache.length !== ids.length) throw new Error(`The cache covers ${cache.length} tokens, the prompt ${ids.length}.`);
    this.ids = [...ids];
    this.cache = cache;
  }

  clear(): void {
    this.ids = [];
    this.cache = undefined;
  }
}
