/**
 * The generation graph (onnx/model_<dtype>.onnx: logits and a key/value
 * cache) as a StepModel for beam search, for onnxruntime-node and
 * onnxruntime-web alike (both share onnxruntime-common's Tensor and session
 * API). The cache stays in JavaScript memory between steps: beam reordering
 * is then a plain copy of row blocks. Keeping it in GPU buffers would save
 * a readback and an upload per step on WebGPU (not done: the demo model's
 * cache is ~3 MB at 150 tokens x 5 beams: 4 layers x K,V x 4 heads x 32 floats).
 */
import type { StepModel } from './beam-search.ts';
import type { ModelShape, TensorConstructor } from './encoder-feeds.ts';

/**
 * Cached keys or values: float32, or float16 (the q4f16 fused graph's cache) as
 * raw bits, or a Float16Array where the JavaScript engine has one (onnxruntime
 * returns that there); code that copies a cache keeps its element type.
 */
export type KvArray = Float32Array | Uint16Array;

/** Per layer: key then value, each rows x kvHeads x length x headDim. */
export interface KvCache {
  rows: number;
  length: number;
  tensors: KvArray[];
}

interface OutputTensor {
  data: unknown;
  dims: readonly number[];
}

/** The part of an onnxruntime InferenceSession this needs. */
export interface StepSession<T> {
  run(feeds: Record<string, T>, fetches: readonly string[]): Promise<Record<string, OutputTensor>>;
}

/** One forward pass of `tokens` (equal-length rows, no padding) after `cache`: the requested outputs and the new cache. */
async function forward<T>(
  session: StepSession<T>,
  Tensor: TensorConstructor<T>,
  shape: ModelShape,
  tokens: number[][],
  cache: KvCache | undefined,
  output: 'logits' | 'last_hidden_state',
): Promise<{ data: Float32Array; width: number; cache: KvCache }> {
  const rows = tokens.length;
  const t = tokens[0].length;
  const past = cache?.length ?? 0;
  const feeds: Record<string, T> = {
    input_ids: new Tensor('int64', BigInt64Array.from(tokens.flat(), BigInt), [rows, t]),
    attention_mask: new Tensor('int64', new BigInt64Array(rows * (past + t)).fill(1n), [rows, past + t]),
    position_ids: new Tensor('int64', BigInt64Array.from({ length: rows * t }, (_, i) => BigInt(past + (i % t))), [rows, t]),
  };
  const presents: string[] = [];
  for (let i = 0; i < shape.layers; i++) {
    for (const [j, kind] of ['key', 'value'].entries()) {
      const data = cache ? cache.tensors[2 * i + j] : new Float32Array(0);
      feeds[`past_key_values.${i}.${kind}`] = new Tensor('float32', data, [rows, shape.kvHeads, past, shape.headDim]);
      presents.push(`present.${i}.${kind}`);
    }
  }
  const out = await session.run(feeds, [output, ...presents]);
  const tensors = presents.map((name) => out[name].data as Float32Array);
  return { data: out[output].data as Float32Array, width: out[output].dims[2], cache: { rows, length: past + t, tensors } };
}

/**
 * The last token's final-norm hidden state of a batch-of-one prompt whose
 * first tokens are already in `past` (src/core/prefix-cache.ts), and the
 * cache of the whole prompt.
 */
export async function lastHiddenAfter<T>(
  session: StepSession<T>,
  Tensor: TensorConstructor<T>,
  shape: ModelShape,
  tokens: number[],
  past: KvCache | undefined,
): Promise<{ hidden: Float32Array; cache: KvCache }> {
  const { data, width, cache } = await forward(session, Tensor, shape, [tokens], past, 'last_hidden_state');
  return { hidden: data.slice((tokens.length - 1) * width, tokens.length * width), cache };
}

export function onnxStepModel<T>(session: StepSession<T>, Tensor: TensorConstructor<T>, shape: ModelShape): StepModel<KvCache> {
  const block = (length: number) => shape.kvHeads * length * shape.headDim;
  return {
    async step(tokens, cache) {
      const t = tokens[0].length;
      const { data: logits, width: vocab, cache: next } = await forward(session, Tensor, shape, tokens, cache, 'logits');
      const last = tokens.map((_, r) => logits.slice(((r + 1) * t - 1) * vocab, (r + 1) * t * vocab));
      return { logits: last, cache: next };
    },
    reorder(cache, order) {
      // Greedy and settled beams keep their rows: no copy.
      if (order.length === cache.rows && order.every((r, i) => r === i)) return cache;
      const size = block(cache.length);
      const tensors = cache.tensors.map((data) => {
        const next = new Float32Array(order.length * size);
        order.forEach((r, i) => next.set(data.subarray(r * size, (r + 1) * size), i * size));
        return next;
      });
      return { rows: order.length, length: cache.length, tensors };
    },
  };
}
