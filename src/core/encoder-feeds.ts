/**
 * The inputs of one encoder forward pass, for onnxruntime in Node and in the
 * browser alike. The traced graphs (generation and encoder) take token id
 * rows left-padded to one width (so the last column is every row's last real
 * token), the attention mask, position ids that count real tokens only, and,
 * for the generation graph, empty past key/values. The fused encoder graph
 * (tools/export/fused_encoder.py) takes GroupQueryAttention's inputs instead:
 * right-padded rows, each row's token count - 1 and the width.
 */
export interface ModelShape {
  hiddenSize: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  padTokenId: number;
}

export interface EncoderFeeds {
  batch: number;
  width: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  positionIds: BigInt64Array;
}

export function encoderFeeds(rows: readonly (readonly number[])[], padTokenId: number): EncoderFeeds {
  const batch = rows.length;
  const width = Math.max(...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(batch * width).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(batch * width);
  const positionIds = new BigInt64Array(batch * width);
  rows.forEach((ids, r) => {
    const offset = r * width + (width - ids.length);
    ids.forEach((id, j) => {
      inputIds[offset + j] = BigInt(id);
      attentionMask[offset + j] = 1n;
      positionIds[offset + j] = BigInt(j);
    });
  });
  return { batch, width, inputIds, attentionMask, positionIds };
}

/** The Tensor constructor of onnxruntime-web or onnxruntime-node (both share onnxruntime-common's API); float16 data is raw bits. */
export type TensorConstructor<T> = new (type: 'int64' | 'int32' | 'float32' | 'float16', data: BigInt64Array | Int32Array | Float32Array | Uint16Array, dims: readonly number[]) => T;

/**
 * The three kinds of graph a model folder has, told apart by their inputs:
 * 'generation' (model_<dtype>.onnx, with a key/value cache), 'encoder'
 * (encoder_<dtype>.onnx, traced, last token only) and 'fused'
 * (encoder_<dtype>_fused.onnx, GroupQueryAttention's inputs).
 */
export type GraphKind = 'generation' | 'encoder' | 'fused';

export function graphKind(inputNames: readonly string[]): GraphKind {
  if (inputNames.includes('seqlens_k')) return 'fused';
  return inputNames.some((n) => n.startsWith('past_key_values.')) ? 'generation' : 'encoder';
}

/** The float type of a fused graph's key/value cache (its activations': float16 for q4f16). */
export type CacheFloat = 'float32' | 'float16';

/**
 * A graph's kind and, for a fused graph with key/value cache inputs
 * (past_key.<i> / past_value.<i>, fused exports since the prefix reuse), their
 * float type; fused graphs of the first export have none.
 */
export interface GraphSignature {
  kind: GraphKind;
  cache?: CacheFloat;
}

/** The part of an onnxruntime session graphSignature reads (inputMetadata: onnxruntime-common >= 1.21). */
interface SessionInputs {
  inputNames: readonly string[];
  inputMetadata?: readonly ({ name: string; isTensor: boolean; type?: string } | { name: string; isTensor: false })[];
}

export function graphSignature(session: SessionInputs): GraphSignature {
  const kind = graphKind(session.inputNames);
  if (kind !== 'fused' || !session.inputNames.includes('past_key.0')) return { kind };
  const meta = session.inputMetadata?.find((m) => m.name === 'past_key.0');
  return { kind, cache: meta && 'type' in meta && meta.type === 'float16' ? 'float16' : 'float32' };
}

/** The output holding the hidden states: every position's for the generation graph, the last token's for the encoder graphs. */
export const HIDDEN_OUTPUT: Record<GraphKind, string> = { generation: 'last_hidden_state', encoder: 'last_token_hidden_state', fused: 'last_token_hidden_state' };

/**
 * The feeds of one forward pass of a graph of `kind`, and the row width of
 * its output (1 for the encoder graphs, whose output is one row per input row).
 */
export function graphFeeds<T>(Tensor: TensorConstructor<T>, rows: readonly (readonly number[])[], shape: ModelShape, graph: GraphKind | GraphSignature): { feeds: Record<string, T>; width: number } {
  if (rows.length === 0 || rows.some((r) => r.length === 0)) throw new RangeError('graphFeeds: every row needs at least one token.');
  const { kind, cache } = typeof graph === 'string' ? { kind: graph, cache: undefined } : graph;
  if (kind !== 'fused') {
    const { feeds, width } = onnxFeeds(Tensor, rows, shape, kind === 'generation');
    return { feeds, width: kind === 'generation' ? width : 1 };
  }
  const width = Math.max(...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(rows.length * width).fill(BigInt(shape.padTokenId));
  rows.forEach((ids, r) => ids.forEach((id, j) => (inputIds[r * width + j] = BigInt(id))));
  const feeds = {
    input_ids: new Tensor('int64', inputIds, [rows.length, width]),
    seqlens_k: new Tensor('int32', Int32Array.from(rows, (r) => r.length - 1), [rows.length]),
    total_sequence_length: new Tensor('int32', Int32Array.of(width), []),
    ...(cache ? emptyFusedCache(Tensor, shape, rows.length, cache) : {}),
  };
  return { feeds, width: 1 };
}

/** Whole prompts through a fused graph with cache inputs: no cached tokens, per layer. */
function emptyFusedCache<T>(Tensor: TensorConstructor<T>, shape: ModelShape, rows: number, float: CacheFloat): Record<string, T> {
  const feeds: Record<string, T> = {};
  for (let i = 0; i < shape.layers; i++) {
    for (const part of ['key', 'value']) {
      feeds[`past_${part}.${i}`] = new Tensor(float, float === 'float16' ? new Uint16Array(0) : new Float32Array(0), [rows, shape.kvHeads, 0, shape.headDim]);
    }
  }
  return feeds;
}

/**
 * The named inputs of one forward pass for either onnxruntime: ids, mask and
 * positions from `encoderFeeds`, and an empty past key/value per layer.
 */
export function onnxFeeds<T>(
  Tensor: TensorConstructor<T>,
  rows: readonly (readonly number[])[],
  shape: ModelShape,
  /** The generation graph takes (empty) past key/values; the encoder graph has no cache inputs. */
  withPast = true,
): { feeds: Record<string, T>; width: number } {
  const f = encoderFeeds(rows, shape.padTokenId);
  const feeds: Record<string, T> = {
    input_ids: new Tensor('int64', f.inputIds, [f.batch, f.width]),
    attention_mask: new Tensor('int64', f.attentionMask, [f.batch, f.width]),
    position_ids: new Tensor('int64', f.positionIds, [f.batch, f.width]),
  };
  for (let i = 0; withPast && i < shape.layers; i++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new Tensor('float32', new Float32Array(0), [f.batch, shape.kvHeads, 0, shape.headDim]);
  }
  return { feeds, width: f.width };
}

/** The last real token's hidden state of each row, from a [batch, width, d] output (left padding; width 1: one row each). */
export function lastTokenRows(data: Float32Array, rows: number, width: number, d: number): Float32Array[] {
  return Array.from({ length: rows }, (_, r) => data.slice((r * width + width - 1) * d, (r * width + width) * d));
}

/** Reads the model shape from a Hugging Face config.json object. */
export function modelShape(config: Record<string, unknown>): ModelShape {
  const hidden = Number(config.hidden_size);
  const heads = Number(config.num_attention_heads);
  return {
    hiddenSize: hidden,
    layers: Number(config.num_hidden_layers),
    kvHeads: Number(config.num_key_value_heads ?? heads),
    headDim: Number(config.head_dim ?? hidden / heads),
    padTokenId: Number(config.pad_token_id ?? 0),
  };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}
