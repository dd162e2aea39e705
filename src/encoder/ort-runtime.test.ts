import { expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import { IDENTITY_MODEL, ortBuildFor, ortWasmPaths, whereOrtFilesGo } from './ort-runtime.ts';

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

it('gives onnxruntime-web a folder as it is, or the build\'s own two files from a map of renamed files', () => {
  const renamed = {
    'ort-wasm-simd-threaded.asyncify.mjs': 'https://a.test/assets/ort-wasm-simd-threaded.asyncify-1a.mjs',
    'ort-wasm-simd-threaded.asyncify.wasm': 'https://a.test/assets/ort-wasm-simd-threaded.asyncify-2b.wasm',
    'ort-wasm-simd-threaded.mjs': 'https://a.test/assets/ort-wasm-simd-threaded-3c.mjs',
    'ort-wasm-simd-threaded.wasm': 'https://a.test/assets/ort-wasm-simd-threaded-4d.wasm',
  } as const;
  expect(ortWasmPaths(renamed, 'webgpu')).toEqual({ mjs: renamed['ort-wasm-simd-threaded.asyncify.mjs'], wasm: renamed['ort-wasm-simd-threaded.asyncify.wasm'] });
  expect(ortWasmPaths(renamed, 'wasm')).toEqual({ mjs: renamed['ort-wasm-simd-threaded.mjs'], wasm: renamed['ort-wasm-simd-threaded.wasm'] });
  // A build the map lacks (or has half of) loads from beside onnxruntime-web's script, as with no wasmPaths.
  expect(ortWasmPaths(renamed, 'jspi')).toBeUndefined();
  expect(ortWasmPaths({ 'ort-wasm-simd-threaded.wasm': renamed['ort-wasm-simd-threaded.wasm'] }, 'wasm')).toBeUndefined();
  expect(ortWasmPaths('https://cdn.test/l2d/', 'webgpu')).toBe('https://cdn.test/l2d/');
  expect(ortWasmPaths('https://cdn.test/l2d', 'wasm')).toBe('https://cdn.test/l2d/'); // a folder, as the option says
  expect(ortWasmPaths(undefined, 'wasm')).toBeUndefined();

  const tail = ": the embed's build (npm run build:embed) and the library's (npm run build:lib) write both builds' files beside their scripts.";
  expect(whereOrtFilesGo('wasm', renamed)).toBe(`Serve its files ort-wasm-simd-threaded.mjs and ort-wasm-simd-threaded.wasm at ${renamed['ort-wasm-simd-threaded.mjs']} and ${renamed['ort-wasm-simd-threaded.wasm']}${tail}`);
  expect(whereOrtFilesGo('webgpu', 'https://cdn.test/l2d/')).toBe(`Serve its files ort-wasm-simd-threaded.asyncify.mjs and ort-wasm-simd-threaded.asyncify.wasm in https://cdn.test/l2d/${tail}`);
  expect(whereOrtFilesGo('wasm', undefined)).toBe(`Serve its files ort-wasm-simd-threaded.mjs and ort-wasm-simd-threaded.wasm beside the script that loads them${tail}`);
});
