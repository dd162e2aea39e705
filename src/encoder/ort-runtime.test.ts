import { expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import { IDENTITY_MODEL, ortBuildFor } from './ort-runtime.ts';

it('picks the wasm-only build when wasm was decided up front, a WebGPU build otherwise; jspi only where asked for and there', () => {
  expect(ortBuildFor(['wasm'])).toEqual({ build: 'wasm' });
  expect(ortBuildFor(['wasm'], 'jspi', true)).toEqual({ build: 'wasm' });
  expect(ortBuildFor(['webgpu'])).toEqual({ build: 'webgpu' });
  expect(ortBuildFor(['webgpu', 'wasm'], 'auto', true)).toEqual({ build: 'webgpu' });
  expect(ortBuildFor(['webgpu', 'wasm'], 'jspi', true)).toEqual({ build: 'jspi' });
  expect(ortBuildFor(['webgpu'], 'jspi', false)).toEqual({ build: 'webgpu', fallback: "runtime 'jspi' needs JavaScript Promise Integration, which this browser lacks; the asyncify WebGPU build runs" });
});

it('the model that starts a build\'s wasm is a valid ONNX file: y = Identity(x) on float[1]', async () => {
  const session = await ortNode.InferenceSession.create(Uint8Array.from(IDENTITY_MODEL));
  try {
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const { y } = await session.run({ x: new ortNode.Tensor('float32', Float32Array.of(2.5), [1]) });
    expect(Array.from(y.data as Float32Array)).toEqual([2.5]);
  } finally {
    await session.release();
  }
});
