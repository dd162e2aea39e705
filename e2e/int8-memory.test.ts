/**
 * An int8 memory (build-memory --convert ... --rows int8) in Chromium: the worker downloads and checks it in the
 * memory worker, stores it in IndexedDB, reads it back on the next load, and both decoders (WGSL on SwiftShader,
 * the CPU one) rank exactly as the Node CPU reference does on the same shard read by tools/lib/shard-files.ts.
 */
import { expect, it } from 'vitest';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import type { DecodeOptions } from '../src/core/decode-options.ts';
import { convertMemory } from '../tools/build-memory/main.ts';
import { loadShard } from '../tools/lib/shard-files.ts';
import { outcomeValue, useFlowPage } from './flow-client.ts';

const MODEL = '/models/movielens-demo';
const WASM = '/node_modules/onnxruntime-web/dist/';
const FOLDER = 'test-results/int8-memory';

interface Status {
  memorySource: string;
  rows: number;
  rowDtype: string;
  decoder: { decoder: string };
}
interface Result {
  items: { id: number; distance: number }[];
  hidden: number[];
}

const { call } = useFlowPage();
const value = outcomeValue;

it('loads an int8 shard (half the bytes) from the network and from IndexedDB; both decoders rank as the Node reference on it', async () => {
  const manifest = await convertMemory(`${MODEL.slice(1)}/memory/train-q4-f0.3`, FOLDER, 'int8');
  expect([manifest.version, manifest.dtype, manifest.chunks.reduce((n, c) => n + c.bytes, 0)]).toEqual([2, 'int8', 21456 * (256 + 4) + 2 * 256 * 4]);
  const { memory } = await loadShard(FOLDER);
  const reference = new CpuDecoder(memory);
  const history = [12, 40, 41, 42, 100];
  const requests: (DecodeOptions & { k: number })[] = [
    { k: 50, strategy: 'vote', m: 3000 },
    { k: 50, strategy: 'local', m: 1000 },
    { k: 50, strategy: 'global' },
  ];
  const sources: string[] = [];
  for (const decoder of ['webgpu', 'cpu'] as const) {
    const loaded = value(await call<Status>('load', { modelUrl: MODEL, memoryUrl: `/${FOLDER}`, device: 'wasm', decoder, wasmPaths: WASM }));
    expect([loaded.rows, loaded.rowDtype, loaded.decoder.decoder]).toEqual([21456, 'int8', decoder]);
    sources.push(loaded.memorySource);
    for (const request of requests) {
      const result = value(await call<Result>('recommend', { history, ...request, returnHidden: true }));
      const expected = reference.decode(Array.from(result.hidden), request);
      expect(result.items.map((i) => i.id), `${decoder} ${request.strategy}`).toEqual(expected.map((x) => x.item));
      expect(result.items.map((i) => i.distance), `${decoder} ${request.strategy}`).toEqual(expected.map((x) => x.distance));
    }
  }
  expect(sources).toEqual(['network', 'indexeddb']);
});
