/**
 * reusePrefix in the worker: as a user's history grows, each request runs
 * only the tokens after the previous prompt's prefix, and h_t and the top-K
 * are those of a full encode (onnxruntime-node; CPU reference on the page's h_t).
 * Through the generation graph (wasm: the traced encoder is in use) and
 * through the fused graph's own cache (wasm with graph 'fused'; WebGPU on the
 * decoder's shared device, where the fused graph is the encoder). Another
 * history in between (a storefront's second widget) does not evict the first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import { cosine } from '../src/core/encoder-feeds.ts';
import type { L2DMemory } from '../src/core/memory.ts';
import type { RecommendResult } from '../src/worker-protocol.ts';
import type { NodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadNodeReference } from './node-reference.ts';
import { outcomeValue, useFlowPage } from './flow-client.ts';
import { modelCopy } from './model-copy.ts';

const MODEL = process.env.L2D_TEST_MODEL ?? 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const WASM = '/node_modules/onnxruntime-web/dist/';
type Result = Omit<RecommendResult, 'hidden'> & { hidden: number[] };

const { harness, call } = useFlowPage();
let node: NodeEncoder;
let memory: L2DMemory;
let titles: string[];
beforeAll(async () => {
  ({ node, memory, titles } = await loadNodeReference(MODEL, MEMORY));
});
afterAll(async () => {
  await node?.release();
});
const sequence = [12, 40, 41, 42, 100, 7, 3];

const CASES = [
  { device: 'wasm', decoder: 'cpu', graph: 'encoder', prefixGraph: 'full', encoder: 'wasm (q4, encoder graph)', hiddenOnGpu: false },
  // wasm 'auto': the fused graph with plain attention.
  { device: 'wasm', decoder: 'cpu', graph: 'auto', prefixGraph: 'fused', encoder: 'wasm (q4, fused graph)', hiddenOnGpu: false },
  // The fused graph on the decoder's device: h_t goes to the WGSL decoder without a readback, the cache to JavaScript.
  { device: 'webgpu', decoder: 'webgpu', graph: 'auto', prefixGraph: 'fused', encoder: 'webgpu (q4, fused graph)', hiddenOnGpu: true },
] as const;

for (const { device, decoder, graph, prefixGraph, encoder, hiddenOnGpu } of CASES) {
  describe(`reusePrefix on ${device}, graph ${graph}`, () => {
    it(`runs only the new tokens of a growing history (${prefixGraph === 'fused' ? 'fused graph\'s cache' : 'generation graph'}) and recommends what a full encode does`, async () => {
      outcomeValue(await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device, decoder, graph, wasmPaths: WASM, reusePrefix: true }));
      const cpu = new CpuDecoder(memory);
      // SwiftShader is slow: a shorter sequence there.
      const steps = device === 'webgpu' ? 3 : sequence.length - 1;
      for (let n = 2; n <= steps + 1; n++) {
        const history = sequence.slice(0, n);
        const r = outcomeValue(await call<Result>('recommend', { history, k: 20, strategy: 'local', m: 200, returnHidden: true }));
        const [full] = (await node.encode([history.map((id) => titles[id])])).hidden;
        expect(cosine(r.hidden, full)).toBeGreaterThanOrEqual(0.999);
        expect(r.items.map((x) => x.id)).toEqual(cpu.decode(r.hidden, { k: 20, strategy: 'local', m: 200 }).map((x) => x.item));
        expect([r.backend.encoder, r.backend.hiddenOnGpu, r.prefix?.graph, r.prefix?.fallbackReason]).toEqual([encoder, hiddenOnGpu, prefixGraph, undefined]);
        if (n === 2) expect(r.prefix?.reusedTokens).toBe(0);
        else expect(r.prefix!.reusedTokens).toBeGreaterThan(r.prefix!.ranTokens);
      }
      // Another user's history: only the template's instruction is shared, and the answer is still exact.
      const other = [300, 301];
      const r = outcomeValue(await call<Result>('recommend', { history: other, k: 10, returnHidden: true }));
      expect(r.prefix!.reusedTokens).toBeLessThan(20);
      const [full] = (await node.encode([other.map((id) => titles[id])])).hidden;
      expect(cosine(r.hidden, full)).toBeGreaterThanOrEqual(0.999);
      // Back to the first history, grown: its prompt was kept beside the other one (a storefront's two widgets), so it reuses.
      const back = [...sequence.slice(0, steps + 1), 99];
      const again = outcomeValue(await call<Result>('recommend', { history: back, k: 10, returnHidden: true }));
      expect(again.prefix!.reusedTokens).toBeGreaterThan(again.prefix!.ranTokens);
      const [fullBack] = (await node.encode([back.map((id) => titles[id])])).hidden;
      expect(cosine(again.hidden, fullBack)).toBeGreaterThanOrEqual(0.999);
      expect(harness.problems).toEqual([]);
    });
  });
}

it("reusePrefix 'auto' reuses only through the fused graph's own cache: never with the traced graph (no generation graph fetched), always with a fused one", async () => {
  const fetched: string[] = [];
  const watch = (request: { url(): string }) => void fetched.push(request.url());
  harness.page.on('request', watch);
  try {
    outcomeValue(await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', graph: 'encoder', wasmPaths: WASM, reusePrefix: 'auto', cache: 'none' }));
    for (const n of [2, 3]) expect(outcomeValue(await call<Result>('recommend', { history: sequence.slice(0, n), k: 5 })).prefix).toBeUndefined();
    // The worker's fetches are seen here (the traced graph's is), the generation graph's is not among them.
    expect(fetched.filter((u) => u.endsWith('/onnx/encoder_q4.onnx'))).toHaveLength(1);
    expect(fetched.filter((u) => u.endsWith('/model_q4.onnx'))).toEqual([]);
    outcomeValue(await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, reusePrefix: 'auto', cache: 'none' }));
    outcomeValue(await call<Result>('recommend', { history: sequence.slice(0, 2), k: 5 }));
    const grown = outcomeValue(await call<Result>('recommend', { history: sequence.slice(0, 3), k: 5 }));
    expect(grown.prefix?.graph).toBe('fused');
    expect(grown.prefix!.reusedTokens).toBeGreaterThan(grown.prefix!.ranTokens);
    expect(fetched.filter((u) => u.endsWith('/model_q4.onnx'))).toEqual([]);
  } finally {
    harness.page.off('request', watch);
  }
  const bad = await call('load', { modelUrl: `/${MODEL}`, device: 'wasm', wasmPaths: WASM, reusePrefix: 'yes' });
  expect(!bad.ok && bad.message).toBe('reusePrefix must be one of true, false, "auto"; got "yes".');
});

it("a fused graph whose cache path computes wrong here is not used for the prefix: the generation graph reuses it, and the result says why", async () => {
  // A copy whose layer-0 GroupQueryAttention returns its keys and values swapped: whole prompts (and so the
  // load-time probe) are unaffected, only a call that feeds that cache back is wrong. (Without the plain-attention
  // graph, so that 'fused' on wasm is this one.)
  const swap = "import sys, onnx\nm = onnx.load(sys.argv[1])\nfor n in m.graph.node:\n    if 'present_key.0' in n.output: n.output[1], n.output[2] = n.output[2], n.output[1]\nonnx.save(m, sys.argv[1])";
  const folder = modelCopy(MODEL, 'cache-swap-model', (manifest, copy) => {
    const fused = `${copy}/onnx/encoder_q4_fused.onnx`;
    execFileSync('/usr/bin/python3', ['-c', swap, fused]);
    manifest.graphs['encoder_q4_fused.onnx'].sha256 = createHash('sha256').update(readFileSync(fused)).digest('hex');
    rmSync(`${copy}/onnx/encoder_q4_fused_plain.onnx`);
    delete manifest.graphs['encoder_q4_fused_plain.onnx'];
  });

  const loaded = outcomeValue(await call<{ encoder: { graph: string } }>('load', { modelUrl: `/${folder}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', graph: 'fused', wasmPaths: WASM, reusePrefix: true, cache: 'none' }));
  expect(loaded.encoder.graph).toBe('fused');
  for (const n of [2, 3]) {
    const history = sequence.slice(0, n);
    const r = outcomeValue(await call<Result>('recommend', { history, k: 10, returnHidden: true }));
    expect(r.prefix?.graph).toBe('full');
    expect(r.prefix?.fallbackReason).toMatch(/^the fused graph's key\/value cache path differs from the reference here \(cosine -?[\d.]+ < 0\.999\); the generation graph reuses the prefix$/);
    const [full] = (await node.encode([history.map((id) => titles[id])])).hidden;
    expect(cosine(r.hidden, full)).toBeGreaterThanOrEqual(0.999);
  }
  // 'auto' takes no reuse at all then (it would need the generation graph).
  outcomeValue(await call('load', { modelUrl: `/${folder}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', graph: 'fused', wasmPaths: WASM, reusePrefix: 'auto', cache: 'none' }));
  expect(outcomeValue(await call<Result>('recommend', { history: sequence.slice(0, 2), k: 10 })).prefix).toBeUndefined();
  expect(harness.problems).toEqual([]);
});

it('without reusePrefix nothing is reused', async () => {
  outcomeValue(await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM }));
  await call('recommend', { history: sequence.slice(0, 2), k: 5 });
  const r = outcomeValue(await call<Result>('recommend', { history: sequence.slice(0, 3), k: 5 }));
  expect(r.prefix).toBeUndefined();
});
