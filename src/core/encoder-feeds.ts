/**
 * The inputs of one encoder forward pass, for onnxruntime in Node and in the
 * browser alike: token id rows left-padded to one width (so the last column
 * is every row's last real token), the attention mask, position ids that
 * count real tokens only, and empty past key/values.
 */
export interface ModelShape {
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

/** Reads the model shape from a Hugging Face config.json object. */
export function modelShape(config: Record<string, unknown>): ModelShape {
  const hidden = Number(config.hidden_size);
  const heads = Number(config.num_attention_heads);
  return {
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
