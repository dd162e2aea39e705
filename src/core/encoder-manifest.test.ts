import { describe, expect, it } from 'vitest';
import { FUSED_FIRST, pickEncoderGraph, probeCosine, probeRows, type EncoderManifest } from './encoder-manifest.ts';

const entry = (memoriesOf: string, fused = false) => ({ sha256: 'a', memoriesOf, memoriesOfSha256: 'b', ...(fused ? { fused: { by: 'test', ops: {} } } : {}) });
const manifest: EncoderManifest = {
  graphs: {
    'encoder_q4.onnx': entry('model_q4.onnx'),
    'encoder_q4_fused.onnx': entry('model_q4.onnx', true),
    'encoder_q4f16_fused.onnx': entry('model_q4f16.onnx', true),
  },
};
const files = (want: Parameters<typeof pickEncoderGraph>[2], runtime: Parameters<typeof pickEncoderGraph>[3], generation = 'model_q4.onnx') =>
  pickEncoderGraph(manifest, generation, want, runtime).map((g) => g.file);

describe('pickEncoderGraph', () => {
  it("'auto' lists both kinds for the generation graph, fused first where it is faster", () => {
    expect(FUSED_FIRST).toEqual({ webgpu: true, 'node-cpu': true, wasm: false });
    expect(files('auto', 'webgpu')).toEqual(['encoder_q4_fused.onnx', 'encoder_q4.onnx']);
    expect(files('auto', 'node-cpu')).toEqual(['encoder_q4_fused.onnx', 'encoder_q4.onnx']);
    expect(files('auto', 'wasm')).toEqual(['encoder_q4.onnx', 'encoder_q4_fused.onnx']);
  });
  it('by name: only that kind, on any runtime', () => {
    expect(files('fused', 'wasm')).toEqual(['encoder_q4_fused.onnx']);
    expect(files('encoder', 'webgpu')).toEqual(['encoder_q4.onnx']);
    expect(files('encoder', 'webgpu', 'model_q4f16.onnx')).toEqual([]);
    expect(files('auto', 'webgpu', 'model_q4f16.onnx')).toEqual(['encoder_q4f16_fused.onnx']);
  });
  it('nothing for a generation graph the manifest does not bind, or an empty manifest', () => {
    expect(files('auto', 'webgpu', 'model.onnx')).toEqual([]);
    expect(pickEncoderGraph({ graphs: {} }, 'model_q4.onnx', 'auto', 'webgpu')).toEqual([]);
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
