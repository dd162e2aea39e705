import { expect, it } from 'vitest';
import { ortBuildFor } from './ort-runtime.ts';

it('picks the wasm-only build when wasm was decided up front, a WebGPU build otherwise; jspi only where asked for and there', () => {
  expect(ortBuildFor(['wasm'])).toEqual({ build: 'wasm' });
  expect(ortBuildFor(['wasm'], 'jspi', true)).toEqual({ build: 'wasm' });
  expect(ortBuildFor(['webgpu'])).toEqual({ build: 'webgpu' });
  expect(ortBuildFor(['webgpu', 'wasm'], 'auto', true)).toEqual({ build: 'webgpu' });
  expect(ortBuildFor(['webgpu', 'wasm'], 'jspi', true)).toEqual({ build: 'jspi' });
  expect(ortBuildFor(['webgpu'], 'jspi', false)).toEqual({ build: 'webgpu', fallback: "runtime 'jspi' needs JavaScript Promise Integration, which this browser lacks; the asyncify WebGPU build runs" });
});
