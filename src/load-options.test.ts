import { describe, expect, it } from 'vitest';
import { checkLoadOptions } from './load-options.ts';
import type { LoadOptions } from './worker-protocol.ts';

const base: LoadOptions = { modelUrl: '/models/m' };
const fails = (extra: Record<string, unknown>) => () => checkLoadOptions({ ...base, ...extra } as LoadOptions);

describe('checkLoadOptions', () => {
  it('takes every documented value', () => {
    for (const extra of [
      { device: 'auto', dtype: 'q4', graph: 'auto', decoder: 'auto', runtime: 'auto', cache: 'indexeddb', coldStart: 'none', reusePrefix: 'auto' },
      { device: 'webgpu', dtype: 'q4f16', graph: 'fused', decoder: 'webgpu', runtime: 'jspi', cache: 'none', coldStart: 'similar-titles', reusePrefix: true, overlayCap: 0 },
      { device: 'wasm', dtype: 'fp32', graph: 'full', decoder: 'cpu', reusePrefix: false, keepHiddenOnGpu: false, revalidate: true, overlayCap: 5000, memoryUrl: '/m/memory' },
      { revalidate: 'background' },
      { wasmPaths: '/ort/' },
      { wasmPaths: { 'ort-wasm-simd-threaded.mjs': '/assets/glue-1a2b.mjs', 'ort-wasm-simd-threaded.wasm': '/assets/ort-3c4d.wasm' } },
    ]) {
      expect(fails(extra)).not.toThrow();
    }
  });

  it('names the option, its values and what it got', () => {
    expect(fails({ device: 'gpu' })).toThrow('device must be one of "auto", "webgpu", "wasm"; got "gpu".');
    expect(fails({ dtype: 'q8' })).toThrow('dtype must be one of "q4", "q4f16", "fp32"; got "q8".');
    expect(fails({ graph: 'traced' })).toThrow('graph must be one of "auto", "fused", "encoder", "full"; got "traced".');
    expect(fails({ decoder: 'gpu' })).toThrow('decoder must be one of "auto", "webgpu", "cpu"; got "gpu".');
    expect(fails({ cache: 'localStorage' })).toThrow('cache must be one of "indexeddb", "none"; got "localStorage".');
    expect(fails({ coldStart: 'magic' })).toThrow('coldStart must be one of "none", "similar-titles"; got "magic".');
    expect(fails({ reusePrefix: 'yes' })).toThrow('reusePrefix must be one of true, false, "auto"; got "yes".');
    expect(fails({ keepHiddenOnGpu: 'no' })).toThrow('keepHiddenOnGpu must be one of true, false; got "no".');
    expect(fails({ revalidate: 'yes' })).toThrow('revalidate must be one of true, false, "background"; got "yes".');
    expect(fails({ runtime: 'asyncify' })).toThrow('runtime must be one of "auto", "jspi"; got "asyncify".');
    expect(fails({ overlayCap: -1 })).toThrow('overlayCap must be a whole number of interactions (0 turns memory updates off), got -1.');
    expect(fails({ overlayCap: 2.5 })).toThrow(/got 2\.5\.$/);
    expect(fails({ memoryUrl: '' })).toThrow('memory must be the URL of a memory shard folder, got "".');
    expect(fails({ modelUrl: undefined })).toThrow('load() needs modelUrl: the URL of a model folder.');
    const paths = /^wasmPaths must be the URL of the folder holding onnxruntime-web's files, or an object giving each file's URL by its name \(ort-wasm-simd-threaded\.asyncify\.mjs, .*ort-wasm-simd-threaded\.jspi\.wasm\); got /;
    expect(fails({ wasmPaths: 42 })).toThrow(new RegExp(`${paths.source}42\\.$`));
    expect(fails({ wasmPaths: '' })).toThrow(new RegExp(`${paths.source}""\\.$`));
    expect(fails({ wasmPaths: ['/ort/'] })).toThrow(new RegExp(`${paths.source}\\[object Array\\]\\.$`));
    expect(fails({ wasmPaths: { 'ort-wasm-simd-threaded.mjs': '/a.mjs', 'ort.wasm': '/b.wasm' } })).toThrow(new RegExp(`${paths.source}a file named "ort\\.wasm"\\.$`));
    expect(fails({ wasmPaths: { 'ort-wasm-simd-threaded.wasm': 7 } })).toThrow('wasmPaths["ort-wasm-simd-threaded.wasm"] must be the file\'s URL, got 7.');
    expect(fails({ device: { name: 'webgpu' } })).toThrow('device must be one of "auto", "webgpu", "wasm"; got [object Object].');
  });
});
