/**
 * Language-space decoding in the worker (the baseline of docs/RESULTS.md),
 * held against Node: greedy and beam search over onnxruntime-web's session
 * of the generation graph give the titles and grounded items that
 * onnxruntime-node gives for the same histories; bad requests are named.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateResult } from '../src/worker-protocol.ts';
import { loadGenerator } from '../tools/lib/generate.ts';
import { catalogTitles } from './node-reference.ts';
import { outcomeValue, useFlowPage } from './flow-client.ts';

const MODEL = process.env.L2D_TEST_MODEL ?? 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const WASM = '/node_modules/onnxruntime-web/dist/';
const histories = [[0, 5, 9], [12, 40, 41, 42, 100, 7, 3, 2, 1, 99]];

const { harness, call } = useFlowPage();
let titles: string[];
beforeAll(() => {
  titles = catalogTitles(MEMORY);
});

async function nodeGeneration(numBeams: number, history: number[], k: number) {
  const generator = await loadGenerator(MODEL, titles, { numBeams });
  try {
    return await generator.recommender.recommend(history.map((id) => titles[id]), { k, numBeams });
  } finally {
    await generator.release();
  }
}

describe('generation in the worker (wasm)', () => {
  it('loads with the L2D encoder graph, so generation makes its own session of the generation graph', async () => {
    const loaded = outcomeValue(await call<{ encoder: { graph: string } }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM }));
    expect(loaded.encoder.graph).toBe('fused'); // plain attention on wasm: not a graph generation can use
  });

  for (const numBeams of [1, 5]) {
    it(`${numBeams === 1 ? 'greedy' : `beam ${numBeams}`}: the titles and items onnxruntime-node gives`, async () => {
      for (const history of histories) {
        const r = outcomeValue(await call<GenerateResult>('generate', { history, k: 20, numBeams }));
        const expected = await nodeGeneration(numBeams, history, 20);
        expect(r.generated.map((g) => g.title)).toEqual(expected.generated);
        expect(r.generated.map((g) => g.finished)).toEqual(expected.finished);
        expect(r.items.map((x) => x.id)).toEqual(expected.items);
        expect(r.items.map((x) => x.title)).toEqual(expected.items.map((id) => titles[id]));
        expect(r.items.every((x) => x.source === 'generated')).toBe(true);
        expect(r.backend).toMatchObject({ encoder: 'wasm (q4)', numBeams });
        expect(r.timings.generate).toBeGreaterThan(0);
      }
    });
  }

  it('excludes the history when asked and still returns k items', async () => {
    const history = histories[1];
    const r = outcomeValue(await call<GenerateResult>('generate', { history, k: 30, numBeams: 2, excludeHistory: true }));
    expect(r.items).toHaveLength(30);
    expect(r.items.filter((x) => history.includes(x.id))).toEqual([]);
    // The generation session was made by an earlier call: no setup now.
    expect(r.timings.setup).toBeLessThan(5);
    // only: the grounded titles are those items' alone (five of them, so five).
    const only = [5, 50, 500, 1000, 3000];
    const within = outcomeValue(await call<GenerateResult>('generate', { history, k: 10, only }));
    expect(within.items.map((x) => x.id).sort((a, b) => a - b)).toEqual(only);
  });

  it('grounds to the catalog of a memory built in the page, not the one loaded before', async () => {
    const items = titles.slice(0, 6).map((title, id) => ({ id, sourceId: String(id), title }));
    outcomeValue(await call('buildMemory', { samples: [{ history: [0, 1], target: 2 }, { history: [3], target: 4 }], items, activate: true }));
    const r = outcomeValue(await call<GenerateResult>('generate', { history: [0, 1], k: 6, numBeams: 2 }));
    expect(r.items.map((x) => x.id).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.items.map((x) => x.title)).toEqual(r.items.map((x) => titles[x.id]));
    const tooMany = await call('generate', { history: [0, 1], k: 7 });
    expect(!tooMany.ok && tooMany.message).toMatch(/k must be an integer in 1\.\.6/);
    // The loaded memory again: its whole catalog.
    outcomeValue(await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM }));
  });

  it('names bad requests', async () => {
    const beams = await call('generate', { history: [1, 2], k: 5, numBeams: 11 });
    expect(!beams.ok && beams.message).toMatch(/numBeams must be an integer from 1 to 10, got 11/);
    const k = await call('generate', { history: [1, 2], k: 0 });
    expect(!k.ok && k.message).toMatch(/k must be an integer in 1\.\.\d+/);
    const empty = await call('generate', { history: [], k: 5 });
    expect(!empty.ok && empty.message).toMatch(/The history is empty/);
    const exclude = await call('generate', { history: [1, 2], k: 5, exclude: 3 });
    expect(!exclude.ok && exclude.message).toBe('exclude must be an array of item ids, got 3.');
    const only = await call('generate', { history: [1, 2], k: 5, only: [] });
    expect(!only.ok && only.message).toBe('only is empty: it names the items a list may hold, so no item could be recommended.');
    // The model was loaded again just before: the bad calls were refused before making its generation session.
    expect(outcomeValue(await call<GenerateResult>('generate', { history: [1, 2], k: 5 })).timings.setup).toBeGreaterThan(5);
    expect(harness.problems).toEqual([]);
  });
});

describe('generation on WebGPU', () => {
  it('runs the generation graph on the WebGPU execution provider and greedy matches Node', async () => {
    outcomeValue(await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'webgpu', decoder: 'cpu', wasmPaths: WASM }));
    const r = outcomeValue(await call<GenerateResult>('generate', { history: histories[0], k: 10 }));
    expect(r.backend.encoder).toBe('webgpu (q4)');
    const expected = await nodeGeneration(1, histories[0], 10);
    expect(r.generated.map((g) => g.title)).toEqual(expected.generated);
    expect(r.items.map((x) => x.id)).toEqual(expected.items);
  });
});
