import { describe, expect, it } from 'vitest';
import { GRAPH_ORDER, memoriesSha256, pickEncoderGraph, probeCosine, probeRows, type EncoderManifest, type FusedAttention } from './encoder-manifest.ts';

const entry = (memoriesOf: string, attention?: FusedAttention | 'unnamed') => ({
  sha256: 'a',
  memoriesOf,
  memoriesOfSha256: 'b',
  // 'unnamed': a fused entry from before the attention was recorded (GroupQueryAttention).
  ...(attention ? { fused: { by: 'test', ops: {}, ...(attention === 'unnamed' ? {} : { attention }) } } : {}),
});
const manifest: EncoderManifest = {
  graphs: {
    'encoder_q4.onnx': entry('model_q4.onnx'),
    'encoder_q4_fused.onnx': entry('model_q4.onnx', 'unnamed'),
    'encoder_q4_fused_plain.onnx': entry('model_q4.onnx', 'plain'),
    'encoder_q4f16_fused.onnx': entry('model_q4f16.onnx', 'gqa'),
  },
};
const files = (want: Parameters<typeof pickEncoderGraph>[2], runtime: Parameters<typeof pickEncoderGraph>[3], generation = 'model_q4.onnx') =>
  pickEncoderGraph(manifest, generation, want, runtime).map((g) => g.file);

describe('pickEncoderGraph', () => {
  it("'auto' lists every graph for the generation graph, in the runtime's order: GroupQueryAttention first on WebGPU and in Node, plain attention on wasm", () => {
    expect(GRAPH_ORDER).toEqual({ webgpu: ['fused-gqa', 'fused-plain', 'traced'], 'node-cpu': ['fused-gqa', 'fused-plain', 'traced'], wasm: ['fused-plain', 'traced', 'fused-gqa'] });
    expect(files('auto', 'webgpu')).toEqual(['encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx', 'encoder_q4.onnx']);
    expect(files('auto', 'node-cpu')).toEqual(['encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx', 'encoder_q4.onnx']);
    expect(files('auto', 'wasm')).toEqual(['encoder_q4_fused_plain.onnx', 'encoder_q4.onnx', 'encoder_q4_fused.onnx']);
  });
  it('by name: only that kind, in the same order', () => {
    expect(files('fused', 'wasm')).toEqual(['encoder_q4_fused_plain.onnx', 'encoder_q4_fused.onnx']);
    expect(files('fused', 'webgpu')).toEqual(['encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx']);
    expect(files('encoder', 'webgpu')).toEqual(['encoder_q4.onnx']);
    expect(files('encoder', 'webgpu', 'model_q4f16.onnx')).toEqual([]);
    expect(files('auto', 'webgpu', 'model_q4f16.onnx')).toEqual(['encoder_q4f16_fused.onnx']);
  });
  it('nothing for a generation graph the manifest does not bind, or an empty manifest', () => {
    expect(files('auto', 'webgpu', 'model.onnx')).toEqual([]);
    expect(pickEncoderGraph({ graphs: {} }, 'model_q4.onnx', 'auto', 'webgpu')).toEqual([]);
  });
});

describe('memoriesSha256', () => {
  const sha = (c: string) => c.repeat(64);
  const bound = (memoriesOf: string, memoriesOfSha256: string) => ({ sha256: sha('0'), memoriesOf, memoriesOfSha256 });
  it("is the generation graph's SHA-256 its encoder graphs all name, per generation graph", () => {
    const graphs = { 'encoder_q4.onnx': bound('model_q4.onnx', sha('a')), 'encoder_q4_fused.onnx': bound('model_q4.onnx', sha('a')), 'encoder_q4f16_fused.onnx': bound('model_q4f16.onnx', sha('b')) };
    expect(memoriesSha256({ graphs }, 'model_q4.onnx')).toBe(sha('a'));
    expect(memoriesSha256({ graphs }, 'model_q4f16.onnx')).toBe(sha('b'));
  });
  it('is unknown where no graph is bound to that file, where the entries disagree (a stale manifest), or where the value is no SHA-256', () => {
    expect(memoriesSha256({ graphs: { 'encoder_q4.onnx': bound('model_q4.onnx', sha('a')) } }, 'model.onnx')).toBeUndefined();
    expect(memoriesSha256({ graphs: {} }, 'model_q4.onnx')).toBeUndefined();
    expect(memoriesSha256({ graphs: { 'encoder_q4.onnx': bound('model_q4.onnx', sha('a')), 'encoder_q4_fused.onnx': bound('model_q4.onnx', sha('c')) } }, 'model_q4.onnx')).toBeUndefined();
    expect(memoriesSha256({ graphs: { 'encoder_q4.onnx': bound('model_q4.onnx', 'b') } }, 'model_q4.onnx')).toBeUndefined();
    expect(memoriesSha256({ graphs: { 'encoder_q4.onnx': { sha256: sha('0'), memoriesOf: 'model_q4.onnx' } as never } }, 'model_q4.onnx')).toBeUndefined();
  });
});

describe('the probe', () => {
  const probe = { input_ids: [5, 6, 7, 8], hidden: [1, 0], shorter: { tokens: 2, hidden: [0, 1] } };
  it('runs the whole probe and its shorter prefix as rows of one batch', () => {
    expect(probeRows(probe)).toEqual([[5, 6, 7, 8], [5, 6]]);
    expect(probeRows({ input_ids: [5, 6], hidden: [1, 0] })).toEqual([[5, 6]]);
  });
  it('is as good as its worse row, and says which', () => {
    expect(probeCosine(probe, [[1, 0], [0, 1]])).toEqual({ cosine: 1, row: 'whole' });
    expect(probeCosine(probe, [[1, 0], [0, -1]])).toEqual({ cosine: -1, row: 'shorter' });
    expect(probeCosine(probe, [[-1, 0], [0, 1]])).toEqual({ cosine: -1, row: 'whole' });
    expect(probeCosine(probe, [[1, 0], [0, 0]]).row).toBe('shorter'); // NaN: a zero row is never a match
    expect(probeCosine({ input_ids: [5], hidden: [1, 1] }, [[2, 2]]).cosine).toBeCloseTo(1, 12);
  });
});
