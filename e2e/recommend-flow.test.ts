/**
 * The recommend flow in Chromium: history -> worker encoder (onnxruntime-web,
 * WebGPU and wasm) -> h_t -> decode engine -> top-K, held against Node:
 * h_t against onnxruntime-node on the same prompt (cosine >= 0.999) and the
 * top-K against the CPU reference decoder run on the page's own h_t (equal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import { parseItems } from '../src/core/data/prepared-format.ts';
import { cosine } from '../src/core/encoder-feeds.ts';
import type { L2DMemory } from '../src/core/memory.ts';
import { loadNodeEncoder, type NodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadShard } from '../tools/lib/shard-files.ts';
import { openHarness, type HarnessPage } from './browser.ts';

const MODEL = process.env.L2D_TEST_MODEL ?? 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4`;
const WASM = '/node_modules/onnxruntime-web/dist/';

type Outcome<T> = { ok: true; value: T } | { ok: false; name: string; message: string; code?: string; isL2DError: boolean };
interface FlowResult {
  items: { id: number; title: string; distance: number; source: string }[];
  hidden: number[];
  unknownItems: number[];
  backend: { encoder: string; decoder: string };
  timings: Record<string, number>;
}

let harness: HarnessPage;
let node: NodeEncoder;
let memory: L2DMemory;
let titles: string[];
const histories = [[0, 5, 9], [12, 40, 41, 42, 100, 7, 3, 2, 1, 99], [300]];

beforeAll(async () => {
  harness = await openHarness('e2e/harness/recommend.html');
  harness.allow(/skipped history items not in the catalog/);
  node = await loadNodeEncoder(MODEL, 'q4');
  ({ memory } = await loadShard(MEMORY, { sha256: node.sha256, hiddenSize: node.hiddenSize }));
  titles = parseItems(readFileSync(`${MEMORY}/items.tsv`, 'utf8')).map((item) => item.title);
});
afterAll(async () => {
  await node?.release();
  await harness?.close();
});

const call = <T>(fn: string, arg: unknown) =>
  harness.page.evaluate(([f, a]) => (globalThis as unknown as Record<string, Record<string, (x: unknown) => Promise<unknown>>>).l2dFlow[f as string](a), [fn, arg] as const) as Promise<Outcome<T>>;

for (const device of ['webgpu', 'wasm'] as const) {
  describe(`encoder on ${device}`, () => {
    it('loads the model and its memory', async () => {
      // The GPU decoder with the WebGPU encoder, the CPU decoder with wasm: both paths are held against Node.
      const decoder = device === 'webgpu' ? 'webgpu' : 'cpu';
      const r = await call<{ encoder: { device: string }; decoder: { decoder: string }; rows: number }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device, decoder, wasmPaths: WASM });
      expect(r.ok && r.value.decoder.decoder).toBe(decoder);
      expect(r.ok ? r.value.encoder.device : r).toBe(device);
      expect(r.ok && r.value.rows).toBe(memory.rows);
    });

    for (const strategy of ['global', 'local'] as const) {
      it(`L2D-${strategy === 'global' ? 'G' : 'L'}: h_t matches onnxruntime-node and the top-K equals the CPU reference on it`, async () => {
        const cpu = new CpuDecoder(memory);
        for (const history of histories) {
          const r = await call<FlowResult>('recommend', { history, k: 20, strategy, m: 200, returnHidden: true });
          if (!r.ok) throw new Error(r.message);
          const [expectedHidden] = (await node.encode([history.map((id) => titles[id])])).hidden;
          expect(cosine(r.value.hidden, expectedHidden)).toBeGreaterThanOrEqual(0.999);
          const reference = cpu.decode(r.value.hidden, { k: 20, strategy, m: 200 });
          expect(r.value.items.map((x) => x.id)).toEqual(reference.map((x) => x.item));
          expect(r.value.items.map((x) => x.title)).toEqual(reference.map((x) => titles[x.item]));
        }
        expect(harness.problems).toEqual([]);
      });
    }
  });
}

describe('bad input through the worker', () => {
  it('skips unknown items with a warning, and rejects empty or all-unknown histories and bad k', async () => {
    const skipped = await call<FlowResult>('recommend', { history: [3, 999999], k: 5 });
    expect(skipped.ok && skipped.value.unknownItems).toEqual([999999]);
    const empty = await call('recommend', { history: [], k: 5 });
    expect(!empty.ok && empty.message).toMatch(/The history is empty/);
    // The typed error survives the worker boundary: class, name and code.
    expect(!empty.ok && [empty.name, empty.code, empty.isL2DError]).toEqual(['InvalidArgumentError', 'invalid-argument', true]);
    const unknown = await call('recommend', { history: [-1, 1e9], k: 5 });
    expect(!unknown.ok && unknown.message).toMatch(/None of the history's items is in the catalog/);
    const badK = await call('recommend', { history: [3], k: 0 });
    expect(!badK.ok && badK.message).toMatch(/k must be an integer in 1\.\.\d+/);
  });

  it('refuses a memory built with another model, and a corrupted chunk', async () => {
    // Context-level routing also sees the worker's requests.
    await harness.page.context().route('**/tampered/**', async (route) => {
      const path = new URL(route.request().url()).pathname.replace(/^\/tampered\/[^/]+/, '');
      const response = await route.fetch({ url: new URL(path, route.request().url()).href });
      let body = Buffer.from(await response.body());
      if (path.endsWith('manifest.json') && route.request().url().includes('other-model')) {
        const m = JSON.parse(body.toString());
        m.model.sha256 = 'f'.repeat(64);
        body = Buffer.from(JSON.stringify(m));
      } else if (path.endsWith('.bin')) {
        body[100] ^= 0x01;
      }
      await route.fulfill({ response, body });
    });
    const other = await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/tampered/other-model/${MEMORY}`, device: 'wasm', wasmPaths: WASM });
    expect(!other.ok && other.message).toMatch(/This memory was built with model .* not with the model in use/);
    expect(!other.ok && [other.name, other.code]).toEqual(['ShardError', 'shard-invalid']);
    const flipped = await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/tampered/flip/${MEMORY}`, device: 'wasm', wasmPaths: WASM });
    expect(!flipped.ok && flipped.message).toMatch(/fails its SHA-256 checksum/);
  });
});
