import { describe, expect, it } from 'vitest';
import { graphFeeds, graphKind, graphSignature, lastTokenRows, type TensorConstructor } from './encoder-feeds.ts';

class FakeTensor {
  constructor(readonly type: string, readonly data: BigInt64Array | Int32Array | Float32Array | Uint16Array, readonly dims: readonly number[]) {}
}
const Tensor = FakeTensor as unknown as TensorConstructor<FakeTensor>;
const shape = { hiddenSize: 2, layers: 2, kvHeads: 1, headDim: 4, padTokenId: 0 };
const rows = [[5, 6, 7], [9]];

describe('graphKind', () => {
  it('tells the three graphs apart by their inputs', () => {
    expect(graphKind(['input_ids', 'attention_mask', 'position_ids', 'past_key_values.0.key'])).toBe('generation');
    expect(graphKind(['input_ids', 'attention_mask', 'position_ids'])).toBe('encoder');
    expect(graphKind(['input_ids', 'seqlens_k', 'total_sequence_length'])).toBe('fused');
  });
});

describe('graphSignature', () => {
  const fusedInputs = ['input_ids', 'seqlens_k', 'total_sequence_length'];
  it('a fused graph with cache inputs: their float type from the session\'s input metadata', () => {
    const inputNames = [...fusedInputs, 'past_key.0', 'past_value.0'];
    const meta = (type: string) => inputNames.map((name) => ({ name, isTensor: true as const, type: name.startsWith('past') ? type : 'int32' }));
    expect(graphSignature({ inputNames, inputMetadata: meta('float16') })).toEqual({ kind: 'fused', cache: 'float16' });
    expect(graphSignature({ inputNames, inputMetadata: meta('float32') })).toEqual({ kind: 'fused', cache: 'float32' });
  });
  it('no cache: the fused graphs of the first export, and the traced graphs (whose cache, if any, is the generation graph\'s own)', () => {
    expect(graphSignature({ inputNames: fusedInputs })).toEqual({ kind: 'fused' });
    expect(graphSignature({ inputNames: ['input_ids', 'attention_mask', 'position_ids', 'past_key_values.0.key'] })).toEqual({ kind: 'generation' });
  });
});

describe('graphFeeds', () => {
  it('fused: right-padded ids, each row\'s token count - 1, and the width', () => {
    const { feeds, width } = graphFeeds(Tensor, rows, shape, 'fused');
    expect(width).toBe(1);
    expect(Object.keys(feeds)).toEqual(['input_ids', 'seqlens_k', 'total_sequence_length']);
    expect(Array.from(feeds.input_ids.data as BigInt64Array, Number)).toEqual([5, 6, 7, 9, 0, 0]);
    expect(feeds.input_ids.dims).toEqual([2, 3]);
    expect([feeds.seqlens_k.type, Array.from(feeds.seqlens_k.data as Int32Array)]).toEqual(['int32', [2, 0]]);
    expect([feeds.total_sequence_length.type, Array.from(feeds.total_sequence_length.data as Int32Array), feeds.total_sequence_length.dims]).toEqual(['int32', [3], []]);
  });
  it('fused with cache inputs: the same, and an empty cache per layer and row in the cache\'s float type', () => {
    const { feeds } = graphFeeds(Tensor, rows, shape, { kind: 'fused', cache: 'float16' });
    expect(Object.keys(feeds)).toEqual(['input_ids', 'seqlens_k', 'total_sequence_length', 'past_key.0', 'past_value.0', 'past_key.1', 'past_value.1']);
    expect(Array.from(feeds.seqlens_k.data as Int32Array)).toEqual([2, 0]);
    expect([feeds['past_value.1'].type, feeds['past_value.1'].data, feeds['past_value.1'].dims]).toEqual(['float16', new Uint16Array(0), [2, 1, 0, 4]]);
    expect(graphFeeds(Tensor, rows, shape, { kind: 'fused', cache: 'float32' }).feeds['past_key.0'].type).toBe('float32');
  });
  it('traced encoder: left padding, mask and positions, no cache; generation graph: an empty cache per layer and the full width', () => {
    const encoder = graphFeeds(Tensor, rows, shape, 'encoder');
    expect(encoder.width).toBe(1);
    expect(Array.from(encoder.feeds.input_ids.data as BigInt64Array, Number)).toEqual([5, 6, 7, 0, 0, 9]);
    expect(Array.from(encoder.feeds.attention_mask.data as BigInt64Array, Number)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(Array.from(encoder.feeds.position_ids.data as BigInt64Array, Number)).toEqual([0, 1, 2, 0, 0, 0]);
    expect(Object.keys(encoder.feeds)).toHaveLength(3);
    const generation = graphFeeds(Tensor, rows, shape, 'generation');
    expect(generation.width).toBe(3);
    expect(Object.keys(generation.feeds)).toHaveLength(3 + 2 * shape.layers);
    expect(generation.feeds['past_key_values.1.value'].dims).toEqual([2, 1, 0, 4]);
  });
  it('an empty batch or an empty row is an error, not a zero-width tensor', () => {
    expect(() => graphFeeds(Tensor, [], shape, 'fused')).toThrow(/every row needs at least one token/);
    expect(() => graphFeeds(Tensor, [[1], []], shape, 'encoder')).toThrow(/every row needs at least one token/);
  });
});

describe('lastTokenRows', () => {
  it('the last column of each row, or each row when the width is 1', () => {
    const data = Float32Array.from([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(lastTokenRows(data, 2, 2, 2).map((r) => Array.from(r))).toEqual([[2, 2], [4, 4]]);
    expect(lastTokenRows(data.subarray(0, 4), 2, 1, 2).map((r) => Array.from(r))).toEqual([[1, 1], [2, 2]]);
  });
});
