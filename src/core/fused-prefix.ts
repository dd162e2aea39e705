/**
 * Prefix reuse (src/core/prefix-cache.ts) through the fused encoder graph
 * (tools/export/fused_encoder.py): its GroupQueryAttention takes the cached
 * keys and values of the prompt's first tokens (past_key.<i>, past_value.<i>,
 * rows x kvHeads x length x headDim: the layout KvCache keeps) and returns
 * them with this call's tokens appended (present_key.<i>, present_value.<i>).
 * One graph then serves whole prompts, batches and the tokens after a cached
 * prefix: no generation graph to fetch, and on WebGPU the fused graph's ~35
 * kernels instead of the generation graph's ~377.
 */
import type { CacheFloat, ModelShape, TensorConstructor } from './encoder-feeds.ts';
import type { KvArray, KvCache } from './onnx-step-model.ts';

/** An output of either onnxruntime; getData also reads one kept in a GPU buffer (and frees it with release = true). */
interface OutputTensor {
  getData(release?: boolean): Promise<unknown>;
}

/** The part of an onnxruntime session this needs. */
export interface FusedSession<T> {
  run(feeds: Record<string, T>, fetches: readonly string[]): Promise<Record<string, OutputTensor>>;
}

/** A cache given as ready tensors, in KvCache's order (e.g. GPU buffers: src/encoder/gpu-kv-cache.ts). */
export interface TensorCache<T> {
  length: number;
  tensors: T[];
}

export interface FusedPrefixRun<T> {
  feeds: Record<string, T>;
  /** The outputs to fetch: the hidden state, then the presents in KvCache order. */
  fetches: string[];
  /** Cached + new tokens: the length of the presents. */
  total: number;
}

/** The feeds of one batch-of-one call: `tokens` after the `past.length` cached ones. */
export function fusedPrefixRun<T>(Tensor: TensorConstructor<T>, shape: ModelShape, float: CacheFloat, tokens: readonly number[], past: KvCache | TensorCache<T> | undefined): FusedPrefixRun<T> {
  if (tokens.length === 0) throw new RangeError('fusedPrefixRun: at least one token to run.');
  const ready = past && !('rows' in past) ? past.tensors : undefined;
  if (past && 'rows' in past && past.rows !== 1) throw new RangeError('fusedPrefixRun: the cache must hold one row.');
  const cached = past?.length ?? 0;
  const total = cached + tokens.length;
  const feeds: Record<string, T> = {
    input_ids: new Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
    seqlens_k: new Tensor('int32', Int32Array.of(total - 1), [1]),
    total_sequence_length: new Tensor('int32', Int32Array.of(total), []),
  };
  const fetches = ['last_token_hidden_state'];
  for (let i = 0; i < shape.layers; i++) {
    for (const [j, part] of ['key', 'value'].entries()) {
      if (ready) feeds[`past_${part}.${i}`] = ready[2 * i + j];
      else {
        const data = (past as KvCache | undefined)?.tensors[2 * i + j] ?? (float === 'float16' ? new Uint16Array(0) : new Float32Array(0));
        feeds[`past_${part}.${i}`] = new Tensor(float, data, [1, shape.kvHeads, cached, shape.headDim]);
      }
      fetches.push(`present_${part}.${i}`);
    }
  }
  return { feeds, fetches, total };
}

/** The whole prompt's cache from a call's presents (read to JavaScript). */
export async function presentCache(out: Record<string, OutputTensor>, run: FusedPrefixRun<unknown>): Promise<KvCache> {
  const tensors = await Promise.all(run.fetches.slice(1).map(async (name) => (await out[name].getData(true)) as KvArray));
  return { rows: 1, length: run.total, tensors };
}

/**
 * The last token's final-norm hidden state of a batch-of-one prompt whose
 * first `past.length` tokens are cached in `past`, and the cache of the whole prompt.
 */
export async function fusedLastHiddenAfter<T>(
  session: FusedSession<T>,
  Tensor: TensorConstructor<T>,
  shape: ModelShape,
  float: CacheFloat,
  tokens: readonly number[],
  past: KvCache | undefined,
): Promise<{ hidden: Float32Array; cache: KvCache }> {
  const run = fusedPrefixRun(Tensor, shape, float, tokens, past);
  const out = await session.run(run.feeds, run.fetches);
  const hidden = (await out.last_token_hidden_state.getData(true)) as Float32Array;
  return { hidden: hidden.slice(0, shape.hiddenSize), cache: await presentCache(out, run) };
}
