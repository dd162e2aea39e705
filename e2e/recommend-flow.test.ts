/**
 * The recommend flow in Chromium: history -> worker encoder (onnxruntime-web,
 * WebGPU and wasm) -> h_t -> decode engine -> top-K, held against Node:
 * h_t against onnxruntime-node on the same prompt (cosine >= 0.999) and the
 * top-K against the CPU reference decoder run on the page's own h_t (equal).
 * On WebGPU both paths run: h_t kept in onnxruntime-web's GPU buffer and fed
 * to the decoder on the same device, and h_t read back to JavaScript first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import { cosine } from '../src/core/encoder-feeds.ts';
import type { EncoderManifest } from '../src/core/encoder-manifest.ts';
import { fromFloat16Bits } from '../src/core/float16.ts';
import { encodeShardChunk } from '../src/core/shard-builder.ts';
import { assembleMemory, type ShardManifest } from '../src/core/shard-format.ts';
import type { L2DMemory } from '../src/core/memory.ts';
import type { NodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadNodeReference } from './node-reference.ts';
import { modelCopy as copyModel } from './model-copy.ts';
import { useFlowPage } from './flow-client.ts';

const MODEL = process.env.L2D_TEST_MODEL ?? 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const WASM = '/node_modules/onnxruntime-web/dist/';

interface FlowResult {
  items: { id: number; title: string; distance: number; source: string }[];
  hidden: number[];
  unknownItems: number[];
  droppedOldest: number;
  backend: { encoder: string; decoder: string; hiddenOnGpu: boolean };
  timings: Record<string, number>;
}

const { harness, call } = useFlowPage({ allowed: /skipped history items not in the catalog/ });
let node: NodeEncoder;
let memory: L2DMemory;
let titles: string[];
const histories = [[0, 5, 9], [12, 40, 41, 42, 100, 7, 3, 2, 1, 99], [300]];

beforeAll(async () => {
  ({ node, memory, titles } = await loadNodeReference(MODEL, MEMORY));
});
afterAll(async () => {
  await node?.release();
});


const configs = [
  { name: 'WebGPU encoder and decoder on one device, h_t kept on the GPU', device: 'webgpu', decoder: 'webgpu', keepHiddenOnGpu: true },
  { name: 'WebGPU encoder and decoder, h_t read back to JavaScript', device: 'webgpu', decoder: 'webgpu', keepHiddenOnGpu: false },
  { name: 'wasm encoder, CPU decoder', device: 'wasm', decoder: 'cpu', keepHiddenOnGpu: true },
] as const;

for (const config of configs) {
  describe(config.name, () => {
    const { device, decoder, keepHiddenOnGpu } = config;
    const onGpu = device === 'webgpu' && keepHiddenOnGpu;
    it('loads the model and its memory', async () => {
      const wasmFetched: string[] = [];
      const onRequest = (request: { url(): string }) => {
        if (request.url().endsWith('.wasm')) wasmFetched.push(request.url().split('/').pop()!);
      };
      harness.page.on('request', onRequest);
      const r = await call<{ encoder: { device: string; runtime: string; maxHistory?: number }; decoder: { decoder: string }; rows: number; hiddenOnGpu: boolean }>('load', {
        modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device, decoder, keepHiddenOnGpu, wasmPaths: WASM,
      });
      harness.page.off('request', onRequest);
      if (!r.ok) throw new Error(r.message);
      expect(r.value.decoder.decoder).toBe(decoder);
      expect(r.value.encoder.device).toBe(device);
      expect(r.value.encoder.maxHistory).toBe(10); // the model's history window, from its prompt-template.json
      // Decided on wasm up front: the wasm-only onnxruntime-web build, whose binary is half the WebGPU build's. The worker
      // fetches a build's binary once, at its first session (these configurations run in order in one worker).
      expect(r.value.encoder.runtime).toBe(`onnxruntime-web/${device}`);
      if (config === configs[0] || device === 'wasm') expect(wasmFetched).toEqual([device === 'wasm' ? 'ort-wasm-simd-threaded.wasm' : 'ort-wasm-simd-threaded.asyncify.wasm']);
      expect(r.value.hiddenOnGpu).toBe(onGpu);
      expect(r.value.rows).toBe(memory.rows);
    });

    for (const strategy of ['global', 'local'] as const) {
      it(`L2D-${strategy === 'global' ? 'G' : 'L'}: h_t matches onnxruntime-node and the top-K equals the CPU reference on it`, async () => {
        const cpu = new CpuDecoder(memory);
        for (const history of histories) {
          const r = await call<FlowResult>('recommend', { history, k: 20, strategy, m: 200, returnHidden: true });
          if (!r.ok) throw new Error(r.message);
          expect(r.value.backend.hiddenOnGpu).toBe(onGpu);
          // GPU stage times where the adapter has timestamp queries; none on the CPU decoder.
          if (decoder === 'cpu') expect(r.value.timings.scan).toBeUndefined();
          const [expectedHidden] = (await node.encode([history.map((id) => titles[id])])).hidden;
          expect(cosine(r.value.hidden, expectedHidden)).toBeGreaterThanOrEqual(0.999);
          const reference = cpu.decode(r.value.hidden, { k: 20, strategy, m: 200 });
          expect(r.value.items.map((x) => x.id)).toEqual(reference.map((x) => x.item));
          expect(r.value.items.map((x) => x.title)).toEqual(reference.map((x) => titles[x.item]));
          expect(r.value.items.map((x) => x.distance)).toEqual(reference.map((x) => x.distance));
        }
        expect(harness.problems).toEqual([]);
      });
    }

    it('more lists from the same forward pass (also): each as the CPU reference ranks on the one h_t, and as recommend() gives it alone', async () => {
      const cpu = new CpuDecoder(memory);
      const history = histories[1];
      const also = [{ k: 20, strategy: 'local', m: 200 }, { k: 5 }, { k: 3, strategy: 'local', m: 50 }] as const;
      const r = await call<FlowResult & { also: { items: { id: number }[]; timings: { decode: number } }[] }>('recommend', { history, k: 10, strategy: 'global', also, excludeHistory: true, returnHidden: true });
      if (!r.ok) throw new Error(r.message);
      const exclude = history;
      expect(r.value.items.map((x) => x.id)).toEqual(cpu.decode(r.value.hidden, { k: 10, strategy: 'global', exclude }).map((x) => x.item));
      expect(r.value.also.map((list) => list.items.map((x) => x.id))).toEqual(also.map((list) => cpu.decode(r.value.hidden, { ...list, exclude }).map((x) => x.item)));
      // A list that names no strategy is L2D-V with M = 3000 (the default of recommend(), the embed and the engine).
      expect(r.value.also[1].items.map((x) => x.id)).toEqual(cpu.decode(r.value.hidden, { k: 5, strategy: 'vote', m: 3000, exclude }).map((x) => x.item));
      expect(r.value.also.every((list) => list.timings.decode >= 0)).toBe(true);
      for (const [i, list] of also.entries()) {
        const alone = await call<FlowResult>('recommend', { history, ...list, excludeHistory: true });
        expect(alone.ok && alone.value.items.map((x) => x.id)).toEqual(r.value.also[i].items.map((x) => x.id));
      }
      expect(harness.problems).toEqual([]);
    });

    it("only: a category's items, less exclude and the history, ranked as the CPU reference ranks them on the one h_t (also's lists too)", async () => {
      const cpu = new CpuDecoder(memory);
      const history = histories[1];
      const only = [3, 12, 40, 77, 120, 500, 901, 1500, 2000];
      const r = await call<FlowResult & { also: { items: { id: number }[] }[] }>('recommend', { history, k: 20, only, exclude: [77], excludeHistory: true, returnHidden: true, also: [{ k: 3, strategy: 'local', m: 50 }] });
      if (!r.ok) throw new Error(r.message);
      const filter = { only, exclude: [77, ...history] };
      // 3, 12 and 40 are history items: five remain, so the list of 20 holds five.
      expect(r.value.items.map((x) => x.id).sort((a, b) => a - b)).toEqual([120, 500, 901, 1500, 2000]);
      expect(r.value.items.map((x) => x.id)).toEqual(cpu.decode(r.value.hidden, { k: 20, ...filter }).map((x) => x.item));
      expect(r.value.also[0].items.map((x) => x.id)).toEqual(cpu.decode(r.value.hidden, { k: 3, strategy: 'local', m: 50, ...filter }).map((x) => x.item));
      expect(harness.problems).toEqual([]);
    });

    it('a recommend() cancelled while it runs ends before its decode, in AbortError from the worker itself; the next call is answered', async () => {
      const cancelled = await call('recommendCancelled', { history: histories[1], k: 20, strategy: 'local', m: 200 });
      expect(!cancelled.ok && [cancelled.name, cancelled.code, cancelled.message]).toEqual(['AbortError', 'aborted', 'recommend() was aborted by its signal.']);
      const next = await call<FlowResult>('recommend', { history: histories[0], k: 5 });
      expect(next.ok && next.value.items).toHaveLength(5);
      expect(harness.problems).toEqual([]);
    });
  });
}

const modelCopy = (name: string, edit?: (manifest: EncoderManifest) => void) => copyModel(MODEL, name, edit);

describe('the L2D encoder graphs', () => {
  it('on wasm auto takes the fused graph with plain attention (the fastest there), and every graph recommends what the generation graph does', async () => {
    const results: Record<string, { ids: number[]; file: string; graph: string }> = {};
    for (const graph of ['auto', 'fused', 'encoder', 'full'] as const) {
      const loaded = await call<{ encoder: { file: string; graph: string; memoryFile: string; warmupMs: number } }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, graph });
      if (!loaded.ok) throw new Error(loaded.message);
      expect(loaded.value.encoder.memoryFile).toBe('onnx/model_q4.onnx');
      expect(loaded.value.encoder.warmupMs).toBeGreaterThan(0);
      const r = await call<FlowResult>('recommend', { history: histories[1], k: 20, strategy: 'local', m: 200 });
      if (!r.ok) throw new Error(r.message);
      results[graph] = { ids: r.value.items.map((x) => x.id), file: loaded.value.encoder.file, graph: loaded.value.encoder.graph };
    }
    expect(results.auto).toMatchObject({ file: 'onnx/encoder_q4_fused_plain.onnx', graph: 'fused' });
    expect(results.fused.file).toBe('onnx/encoder_q4_fused_plain.onnx');
    expect(results.encoder).toMatchObject({ file: 'onnx/encoder_q4.onnx', graph: 'encoder' });
    expect(results.full).toMatchObject({ file: 'onnx/model_q4.onnx', graph: 'full' });
    for (const graph of ['auto', 'fused', 'encoder']) expect(results[graph].ids).toEqual(results.full.ids);
  });

  it('a graph whose warm-up misses its probe is not used: auto falls back to the next graph and says why; asked for by name, it is an error', async () => {
    // A copy of the model folder whose plain-attention and traced graphs' probe references are wrong, as if their kernels computed wrong here.
    const folder = modelCopy('probe-mismatch-model', (manifest) => {
      for (const file of ['encoder_q4_fused_plain.onnx', 'encoder_q4.onnx']) {
        const probe = manifest.graphs[file].probe!;
        probe.hidden = probe.hidden.map((x) => -x);
      }
    });

    const auto = await call<{ encoder: { file: string; graph: string; fallbackReason?: string } }>('load', { modelUrl: `/${folder}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM });
    if (!auto.ok) throw new Error(auto.message);
    expect(auto.value.encoder).toMatchObject({ file: 'onnx/encoder_q4_fused.onnx', graph: 'fused' });
    expect(auto.value.encoder.fallbackReason).toMatch(/onnx\/encoder_q4_fused_plain\.onnx failed on wasm \(its hidden state on the export's probe differs from the reference \(cosine -1\.0000 < 0\.999\).*; onnx\/encoder_q4\.onnx failed on wasm \(its hidden state on the export's probe differs/);
    const r = await call<FlowResult>('recommend', { history: histories[1], k: 5 });
    expect(r.ok).toBe(true);

    const named = await call('load', { modelUrl: `/${folder}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, graph: 'encoder' });
    expect(named.ok).toBe(false);
    expect(!named.ok && named.message).toMatch(/^Could not load an encoder from \/test-results\/probe-mismatch-model: onnx\/encoder_q4\.onnx failed on wasm \(its hidden state on the export's probe differs/);
    expect(harness.problems).toEqual([]);
  });

  it('the probe\'s shorter, padded row counts too: a graph right on one prompt but wrong in a padded batch is not used', async () => {
    const folder = modelCopy('probe-batch-mismatch-model', (manifest) => {
      const shorter = manifest.graphs['encoder_q4_fused_plain.onnx'].probe!.shorter!;
      shorter.hidden = shorter.hidden.map((x) => -x);
    });
    const auto = await call<{ encoder: { file: string; fallbackReason?: string } }>('load', { modelUrl: `/${folder}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM });
    if (!auto.ok) throw new Error(auto.message);
    expect(auto.value.encoder.file).toBe('onnx/encoder_q4.onnx');
    expect(auto.value.encoder.fallbackReason).toMatch(/onnx\/encoder_q4_fused_plain\.onnx failed on wasm \(its hidden state on the probe's shorter row \(padded, in a batch of two\) differs from the reference \(cosine -1\.0000 < 0\.999\)/);
    expect(harness.problems).toEqual([]);
  });

  it("the fused graph on the worker's shared device: h_t equals onnxruntime-node's, stays in onnxruntime-web's GPU buffer and feeds the WGSL decoder", async () => {
    // The shared device is made without the 'subgroups' feature, so onnxruntime-web takes its attention path
    // that SwiftShader computes right (docs/MODELS.md): the fused graph passes its probe here.
    const loaded = await call<{ encoder: { graph: string; fallbackReason?: string }; hiddenOnGpu: boolean }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'webgpu', decoder: 'webgpu', graph: 'fused', wasmPaths: WASM });
    if (!loaded.ok) throw new Error(loaded.message);
    expect(loaded.value.encoder.graph).toBe('fused');
    expect(loaded.value.hiddenOnGpu).toBe(true);
    const cpu = new CpuDecoder(memory);
    for (const strategy of ['global', 'local'] as const) {
      for (const history of histories) {
        const r = await call<FlowResult>('recommend', { history, k: 20, strategy, m: 200, returnHidden: true });
        if (!r.ok) throw new Error(r.message);
        expect(r.value.backend).toMatchObject({ encoder: 'webgpu (q4, fused graph)', hiddenOnGpu: true });
        const [expectedHidden] = (await node.encode([history.map((id) => titles[id])])).hidden;
        expect(cosine(r.value.hidden, expectedHidden)).toBeGreaterThanOrEqual(0.999);
        const reference = cpu.decode(r.value.hidden, { k: 20, strategy, m: 200 });
        expect(r.value.items.map((x) => x.id)).toEqual(reference.map((x) => x.item));
        expect(r.value.items.map((x) => x.distance)).toEqual(reference.map((x) => x.distance));
      }
    }
    expect(harness.problems).toEqual([]);
  });

  it("runtime 'jspi': the JSPI WebGPU build on the worker's shared device, h_t kept on the GPU and equal to onnxruntime-node's; a bad value is refused", async () => {
    const loaded = await call<{ encoder: { runtime: string; graph: string; fallbackReason?: string }; hiddenOnGpu: boolean }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'webgpu', decoder: 'webgpu', graph: 'encoder', runtime: 'jspi', wasmPaths: WASM });
    if (!loaded.ok) throw new Error(loaded.message);
    // Chromium 137+ has JSPI.
    expect(loaded.value.encoder).toMatchObject({ runtime: 'onnxruntime-web/jspi', graph: 'encoder' });
    expect(loaded.value.encoder.fallbackReason).toBeUndefined();
    expect(loaded.value.hiddenOnGpu).toBe(true);
    const cpu = new CpuDecoder(memory);
    for (const history of histories) {
      const r = await call<FlowResult>('recommend', { history, k: 20, strategy: 'local', m: 200, returnHidden: true });
      if (!r.ok) throw new Error(r.message);
      expect(r.value.backend.hiddenOnGpu).toBe(true);
      const [expectedHidden] = (await node.encode([history.map((id) => titles[id])])).hidden;
      expect(cosine(r.value.hidden, expectedHidden)).toBeGreaterThanOrEqual(0.999);
      expect(r.value.items.map((x) => x.id)).toEqual(cpu.decode(r.value.hidden, { k: 20, strategy: 'local', m: 200 }).map((x) => x.item));
    }
    const bad = await call('load', { modelUrl: `/${MODEL}`, device: 'webgpu', runtime: 'asyncify', wasmPaths: WASM });
    expect(!bad.ok && bad.message).toBe('runtime must be one of "auto", "jspi"; got "asyncify".');
    expect(harness.problems).toEqual([]);
  });

  it('a listed graph the server does not have: auto goes on to the next and says so; asked for by name, the HTTP error', async () => {
    // The dev server answers unknown paths with its index page, so the 404 is made here, as a static host would.
    const folder = modelCopy('missing-graph-model');
    for (const file of ['encoder_q4_fused_plain.onnx', 'encoder_q4.onnx']) await harness.page.context().route(`**/${folder}/onnx/${file}`, (route) => route.fulfill({ status: 404, body: 'not found' }));
    harness.allow(/status of 404/);
    const auto = await call<{ encoder: { file: string; fallbackReason?: string } }>('load', { modelUrl: `/${folder}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, cache: 'none' });
    if (!auto.ok) throw new Error(auto.message);
    expect(auto.value.encoder.file).toBe('onnx/encoder_q4_fused.onnx');
    expect(auto.value.encoder.fallbackReason).toMatch(/onnx\/encoder_q4_fused_plain\.onnx unavailable \(.*HTTP 404.*; onnx\/encoder_q4\.onnx unavailable \(\/test-results\/missing-graph-model\/onnx\/encoder_q4\.onnx: HTTP 404/);
    const named = await call('load', { modelUrl: `/${folder}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, cache: 'none', graph: 'encoder' });
    expect(!named.ok && named.message).toMatch(/encoder_q4\.onnx: HTTP 404; the model folder has no q4 file onnx\/encoder_q4\.onnx/);
  });

  it('an onnx/encoder.json the server answers with an HTML page: auto runs the generation graph and says why; a graph asked for by name is an error naming the file', async () => {
    const folder = modelCopy('unreadable-manifest-model');
    await harness.page.context().route(`**/${folder}/onnx/encoder.json`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Shop</title>' }));
    const auto = await call<{ encoder: { file: string; graph: string; fallbackReason?: string } }>('load', { modelUrl: `/${folder}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, cache: 'none' });
    if (!auto.ok) throw new Error(auto.message);
    expect(auto.value.encoder).toMatchObject({ file: 'onnx/model_q4.onnx', graph: 'full' });
    expect(auto.value.encoder.fallbackReason).toBe(`no encoder graph: /${folder}/onnx/encoder.json: the server answered with an HTML page, not this JSON file (is the file there? Many servers answer a missing file with their index page)`);
    expect((await call<FlowResult>('recommend', { history: histories[1], k: 5 })).ok).toBe(true);
    const named = await call('load', { modelUrl: `/${folder}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, cache: 'none', graph: 'fused' });
    expect(!named.ok && named.message).toMatch(/^graph 'fused' is found through onnx\/encoder\.json, which could not be read: .*encoder\.json: the server answered with an HTML page/);
  });

  it('the memory loads beside the model: it starts before the model is ready, and gives the same recommendations', async () => {
    const loaded = await call<{ rows: number; loadMs: number; stageMs: { model: number; memory: number; memoryStart: number; decoder: number } }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, cache: 'none' });
    if (!loaded.ok) throw new Error(loaded.message);
    const { stageMs, loadMs } = loaded.value;
    // encoder.json names the file memories are bound to: the memory starts before a session exists.
    expect(stageMs.memoryStart).toBeLessThan(stageMs.model);
    expect(loadMs).toBeLessThan(stageMs.model + stageMs.memory + stageMs.decoder);
    expect(loaded.value.rows).toBe(memory.rows);
    const r = await call<FlowResult>('recommend', { history: histories[1], k: 20, strategy: 'local', m: 200, returnHidden: true });
    if (!r.ok) throw new Error(r.message);
    expect(r.value.items.map((x) => x.id)).toEqual(new CpuDecoder(memory).decode(r.value.hidden, { k: 20, strategy: 'local', m: 200 }).map((x) => x.item));
  });

  for (const cache of ['none', 'indexeddb'] as const) {
    it(`a stale encoder.json (another model file's SHA-256) whose graphs the server lacks: the memory started for it is dropped and loaded again for the generation graph in use (cache '${cache}')`, async () => {
      const folder = modelCopy(`stale-manifest-model-${cache}`, (manifest) => {
        for (const entry of Object.values(manifest.graphs)) entry.memoriesOfSha256 = 'f'.repeat(64);
      });
      const graphs = ['encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx', 'encoder_q4.onnx'].map((file) => `**/${folder}/onnx/${file}`);
      for (const graph of graphs) await harness.page.context().route(graph, (route) => route.fulfill({ status: 404, body: 'not found' }));
      harness.allow(/status of 404/);
      try {
        const loaded = await call<{ rows: number; encoder: { graph: string }; stageMs: { model: number; memoryStart: number } }>('load', { modelUrl: `/${folder}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, cache });
        if (!loaded.ok) throw new Error(loaded.message);
        expect(loaded.value.encoder.graph).toBe('full');
        expect(loaded.value.rows).toBe(memory.rows);
        // The memory that counted started once the model was ready (the first was for the stale SHA-256).
        expect(loaded.value.stageMs.memoryStart).toBeGreaterThanOrEqual(loaded.value.stageMs.model);
        const r = await call<FlowResult>('recommend', { history: histories[0], k: 10, strategy: 'global', returnHidden: true });
        if (!r.ok) throw new Error(r.message);
        expect(r.value.items.map((x) => x.id)).toEqual(new CpuDecoder(memory).decode(r.value.hidden, { k: 10, strategy: 'global' }).map((x) => x.item));
      } finally {
        for (const graph of graphs) await harness.page.context().unroute(graph);
      }
    });
  }
});

describe('a memory built in the page', () => {
  // (history -> next item) samples over the demo catalog: every prefix of a few sequences.
  const sequences = [[0, 5, 9, 14, 20, 33], [12, 40, 41, 42, 100, 7, 3, 2, 1, 99], [300, 301, 302, 303], [7, 8, 9, 10, 11, 12, 13]];
  const allSamples = sequences.flatMap((seq) => seq.slice(1).map((target, i) => ({ history: seq.slice(0, i + 1), target })));

  for (const device of ['wasm', 'webgpu'] as const) {
    it(`on ${device}: the same shard format as tools/build-memory, h_t equal to onnxruntime-node's, and recommendations from it`, async () => {
      // SwiftShader encodes slowly: fewer samples there.
      const samples = device === 'webgpu' ? allSamples.slice(0, 8) : allSamples;
      const loaded = await call<{ rows: number; decoder?: unknown }>('load', { modelUrl: `/${MODEL}`, device, decoder: 'cpu', wasmPaths: WASM });
      if (!loaded.ok) throw new Error(loaded.message);
      expect(loaded.value.rows).toBe(0);
      expect(loaded.value.decoder).toBeUndefined();
      const none = await call('recommend', { history: [1, 2], k: 5 });
      expect(!none.ok && none.message).toMatch(/No memory is loaded: give load\(\) a memoryUrl, or build one/);

      const items = titles.map((title, id) => ({ id, sourceId: String(id), title }));
      const noItems = await call('buildMemory', { samples });
      expect(!noItems.ok && noItems.message).toMatch(/needs the catalog/);
      const badSample = await call('buildMemory', { samples: [{ history: [1, 999999], target: 2 }], items });
      expect(!badSample.ok && badSample.message).toMatch(/Sample 0 names item 999999, which is not in the catalog/);

      const r = await call<{ manifest: ShardManifest; chunks: number[][]; catalog: string; progressCalls: number; status?: object }>('buildMemory', {
        samples, items, chunkRows: 8, batch: 3, name: 'e2e', activate: true,
      });
      if (!r.ok) throw new Error(r.message);
      expect(r.value.status).toMatchObject({ rows: samples.length, items: titles.length, memorySource: 'page', decoder: { decoder: 'cpu' } });
      const { manifest } = r.value;
      expect(manifest).toMatchObject({ format: 'l2d-memory-shard', rows: samples.length, hiddenSize: node.hiddenSize, chunkRows: 8, itemCount: titles.length });
      expect(manifest.model).toMatchObject({ id: 'movielens-demo', file: 'onnx/model_q4.onnx', sha256: node.sha256 });
      expect(manifest.chunks.map((c) => c.file)).toEqual(Array.from({ length: Math.ceil(samples.length / 8) }, (_, i) => `chunk-0000${i}.bin`));
      expect(r.value.progressCalls).toBeGreaterThanOrEqual(manifest.chunks.length);
      // The chunks pass their checksums and assemble into a memory; rows match Node's encoder, labels are the targets.
      const built = await assembleMemory(manifest, r.value.chunks.map((c) => Uint8Array.from(c)));
      expect(Array.from(built.labels)).toEqual(samples.map((s) => s.target));
      const reference = await encodeShardChunk(node, samples, (id) => titles[id], { batch: 4 });
      const referenceMemory = await assembleMemory({ ...manifest, chunkRows: samples.length, chunks: [{ file: 'x', ...reference.chunk }] }, [reference.bytes]);
      const d = node.hiddenSize;
      const stride = built.vectors.length / built.rows;
      for (let row = 0; row < samples.length; row++) {
        const a = Array.from(built.vectors.subarray(row * stride, row * stride + d), fromFloat16Bits);
        const b = Array.from(referenceMemory.vectors.subarray(row * stride, row * stride + d), fromFloat16Bits);
        expect(cosine(a, b)).toBeGreaterThanOrEqual(0.999);
      }
      // activate: the new shard is the worker's memory now.
      const rec = await call<FlowResult>('recommend', { history: [0, 5], k: 5, strategy: 'global', returnHidden: true });
      if (!rec.ok) throw new Error(rec.message);
      const expected = new CpuDecoder(built).decode(rec.value.hidden, { k: 5, strategy: 'global' });
      expect(rec.value.items.map((x) => x.id)).toEqual(expected.map((x) => x.item));
      if (device === 'wasm') {
        // rows: 'int8': the same rows in half the bytes, each value within half its dimension's step of the float16 build's.
        const int8 = await call<{ manifest: ShardManifest; chunks: number[][] }>('buildMemory', { samples, items, chunkRows: 8, batch: 3, rows: 'int8' });
        if (!int8.ok) throw new Error(int8.message);
        expect([int8.value.manifest.version, int8.value.manifest.dtype]).toEqual([2, 'int8']);
        expect(int8.value.manifest.chunks.map((c) => c.bytes)).toEqual(manifest.chunks.map((c) => c.rows * (d + 4) + d * 4));
        const fromInt8 = await assembleMemory(int8.value.manifest, int8.value.chunks.map((c) => Uint8Array.from(c)));
        expect(fromInt8.labels).toEqual(built.labels);
        built.vectors.forEach((bits, i) => expect(Math.abs(fromFloat16Bits(bits) - fromFloat16Bits(fromInt8.vectors[i]))).toBeLessThan(0.02));
        const badRows = await call('buildMemory', { samples, items, rows: 'int4' });
        expect(!badRows.ok && badRows.message).toBe("rows must be 'float16' or 'int8', got \"int4\" (a string).");
      }
      expect(harness.problems).toEqual([]);
    });
  }
});

describe("the model's history window (prompt-template.json's maxHistory: 10, as it was trained)", () => {
  it('a longer history is cut to its newest 10 titles: the same h_t and list as those alone, the rest counted as dropped', async () => {
    const long = [12, 40, 41, 42, 100, 7, 3, 2, 1, 99, 5, 9, 300, 17];
    const request = { k: 20, strategy: 'local', m: 200, returnHidden: true };
    const whole = await call<FlowResult>('recommend', { history: long, ...request });
    const newest = await call<FlowResult>('recommend', { history: long.slice(-10), ...request });
    if (!whole.ok || !newest.ok) throw new Error(`${!whole.ok ? whole.message : ''} ${!newest.ok ? newest.message : ''}`);
    expect([whole.value.droppedOldest, newest.value.droppedOldest]).toEqual([4, 0]);
    expect(whole.value.hidden).toEqual(newest.value.hidden);
    expect(whole.value.items).toEqual(newest.value.items);
    // Node's encoder reads the same template: the whole history there is its newest 10 titles too.
    const [nodeWhole, nodeNewest] = (await node.encode([long.map((id) => titles[id]), long.slice(-10).map((id) => titles[id])])).hidden;
    expect(Array.from(nodeWhole)).toEqual(Array.from(nodeNewest));
    expect(cosine(whole.value.hidden, nodeNewest)).toBeGreaterThanOrEqual(0.999);
    expect(harness.problems).toEqual([]);
  });
});

describe('a history that repeats an item', () => {
  it('counts it once, at its last place, as the training data does: the same h_t and list as the history without the earlier ones', async () => {
    const request = { k: 20, strategy: 'local', m: 200, returnHidden: true };
    const repeated = await call<FlowResult>('recommend', { history: [12, 40, 12, 41, 40, 12], ...request });
    const distinct = await call<FlowResult>('recommend', { history: [41, 40, 12], ...request });
    if (!repeated.ok || !distinct.ok) throw new Error(`${!repeated.ok ? repeated.message : ''} ${!distinct.ok ? distinct.message : ''}`);
    expect(repeated.value.hidden).toEqual(distinct.value.hidden);
    expect(repeated.value.items).toEqual(distinct.value.items);
    expect(repeated.value.droppedOldest).toBe(0);
  });
});

describe('bad input through the worker', () => {
  it('skips unknown items with a warning, and rejects empty or all-unknown histories and bad k', async () => {
    const skipped = await call<FlowResult>('recommend', { history: [3, 999999], k: 5 });
    expect(skipped.ok && skipped.value.unknownItems).toEqual([999999]);
    const empty = await call('recommend', { history: [], k: 5 });
    expect(!empty.ok && empty.message).toMatch(/The history is empty/);
    // The typed error survives the worker boundary: class, name and code.
    expect(!empty.ok && [empty.name, empty.code, empty.isL2DError]).toEqual(['InvalidArgumentError', 'invalid-argument', true]);
    // Every list is checked before the forward pass: the request's own, and each of `also`.
    for (const [request, message] of [
      [{ strategy: 'near' }, "strategy must be 'local' (L2D-L), 'global' (L2D-G) or 'vote' (L2D-V), got 'near'."],
      [{ also: [{ k: 5 }, { k: 0 }] }, `also[1].k must be an integer in 1..${titles.length} (the catalog's size), got 0.`],
      [{ also: [{ k: 5, strategy: 'local', m: -3 }] }, 'also[0]: m must be a positive integer, got -3.'],
      [{ also: { k: 5 } }, 'also must be an array of at most 8 lists ({ k, strategy?, m? }), got object.'],
      [{ also: Array.from({ length: 9 }, () => ({ k: 1 })) }, 'also must be an array of at most 8 lists ({ k, strategy?, m? }), got 9 lists.'],
      [{ also: [null] }, 'also[0] must be a list request { k, strategy?, m? }, got null.'],
      [{ history: [3, '12'] }, `history[1] is "12" (a string), not an item id: ids are integers 0..${titles.length - 1}, an item's index in catalog() (a store's own keys map to them through sourceIds()).`],
      [{ history: [2.5] }, `history[0] is 2.5, not an item id: ids are integers 0..${titles.length - 1}, an item's index in catalog() (a store's own keys map to them through sourceIds()).`],
      [{ history: '3,4' }, 'The history must be an array of item ids (oldest first), got "3,4" (a string).'],
      [{ exclude: 5 }, 'exclude must be an array of item ids, got 5.'],
      [{ exclude: ['5'] }, `exclude holds "5" (a string), which is not an item of this memory (0..${titles.length - 1}).`],
      [{ only: 5 }, 'only must be an array of item ids, got 5.'],
      [{ only: [] }, 'only is empty: it names the items a list may hold, so no item could be recommended.'],
      [{ only: [4, titles.length] }, `only holds ${titles.length}, which is not an item of this memory (0..${titles.length - 1}).`],
      [{ k: '5' }, `k must be an integer in 1..${titles.length} (the catalog's size), got "5" (a string).`],
      // A string is truthy: "no" excluded the history.
      [{ excludeHistory: 'no' }, 'excludeHistory must be true or false, got "no" (a string).'],
      [{ returnHidden: 1 }, 'returnHidden must be true or false, got 1.'],
    ] as const) {
      const bad = await call('recommend', { history: [3], k: 5, ...request });
      expect(!bad.ok && [bad.name, bad.message]).toEqual(['InvalidArgumentError', message]);
    }
    // A request that is no object at all (null failed inside with a TypeError).
    for (const [method, message] of [
      ['recommend', 'recommend() takes { history, k, strategy?, m?, exclude?, only?, excludeHistory?, also?, returnHidden?, signal? }, got null.'],
      ['generate', 'generate() takes { history, k, numBeams?, exclude?, only?, excludeHistory?, signal? }, got null.'],
      ['recordInteraction', 'recordInteraction() takes { history, item }, got null.'],
    ] as const) {
      const bad = await call(method, null);
      expect(!bad.ok && [bad.name, bad.message]).toEqual(['InvalidArgumentError', message]);
    }
    const beams = await call('generate', { history: [3], k: 5, numBeams: '2' });
    expect(!beams.ok && beams.message).toBe('numBeams must be an integer from 1 to 10, got "2" (a string).');
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
