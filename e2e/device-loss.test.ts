/**
 * The worker's WebGPU device lost between calls and in the middle of one (a
 * GPU reset, a driver update): the next call rebuilds the encoder and the
 * decoder from the memory the worker holds, says so, and answers exactly as
 * before — the user's recorded interactions included; work behind the calls
 * (a retrained model's memory updates encoded again) goes on after it.
 */
import { expect, it } from 'vitest';
import { outcomeValue, useFlowPage } from './flow-client.ts';
import { overlayRecords, type OverlayRecordToPut } from './overlay-records.ts';

const MODEL = 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const { harness, call } = useFlowPage({ query: '?device-loss', allowed: /destroyed|lost|Device was/i });

interface Result {
  items: { id: number; distance: number }[];
  backend: { encoder: string; decoder: string; hiddenOnGpu: boolean; recovered?: string };
}

it('recommends the same after the device is lost, between calls and just as a call starts, and says it rebuilt', async () => {
  // WebGPU encoder and decoder on one device, h_t kept on the GPU: everything lives on the device.
  const loaded = outcomeValue(await call<{ hiddenOnGpu: boolean }>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'webgpu', decoder: 'webgpu', graph: 'encoder', cache: 'none', wasmPaths: '/node_modules/onnxruntime-web/dist/' }));
  expect(loaded.hiddenOnGpu).toBe(true);
  const request = { history: [12, 40, 41, 42], k: 20, strategy: 'local', m: 200 };
  // The user's own interaction after this very history: its row (distance ~0) leads L2D-L's list.
  outcomeValue(await call('recordInteraction', { history: request.history, item: 3000 }));
  const before = outcomeValue(await call<Result>('recommend', request));
  expect(before.items[0].id).toBe(3000);
  expect(before.backend.recovered).toBeUndefined();

  // Lost between calls: the worker hears of it, and the next call rebuilds first.
  await call('loseDevice');
  await new Promise((r) => setTimeout(r, 500));
  const after = outcomeValue(await call<Result>('recommend', request));
  expect(after.backend.recovered).toMatch(/^the WebGPU device was lost \(destroyed.*\); the encoder and decoder were rebuilt$/);
  expect(after.backend.hiddenOnGpu).toBe(true);
  expect(after.items).toEqual(before.items);
  expect(outcomeValue(await call<Result>('recommend', request)).backend.recovered).toBeUndefined();

  // Lost as a call starts, before the worker knows: that call fails on the dead device, rebuilds and runs again.
  const [, during] = await Promise.all([call('loseDevice'), call<Result>('recommend', request)]);
  expect(outcomeValue(during).backend.recovered).toMatch(/^the WebGPU device was lost/);
  expect(outcomeValue(during).items).toEqual(before.items);
  expect(harness.problems).toEqual([]);
});

it('with reusePrefix on the fused graph (its cache in GPU buffers): the lost cache is dropped with the device, and the rebuilt worker answers the same', async () => {
  outcomeValue(await call('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'webgpu', decoder: 'webgpu', reusePrefix: true, cache: 'none', wasmPaths: '/node_modules/onnxruntime-web/dist/' }));
  const history = [12, 40, 41, 42, 100];
  type Prefixed = Result & { prefix?: { reusedTokens: number; graph: string } };
  const ask = async (n: number) => outcomeValue(await call<Prefixed>('recommend', { history: history.slice(0, n), k: 20 }));
  await ask(3);
  expect((await ask(4)).prefix).toMatchObject({ graph: 'fused' });
  const before = await ask(5);
  expect(before.prefix!.reusedTokens).toBeGreaterThan(0);
  expect(before.backend.hiddenOnGpu).toBe(true);

  await call('loseDevice');
  await new Promise((r) => setTimeout(r, 500));
  const after = await ask(5);
  expect(after.backend.recovered).toMatch(/^the WebGPU device was lost/);
  expect(after.prefix).toMatchObject({ reusedTokens: 0, graph: 'fused' });
  expect(after.items.map((x) => x.id)).toEqual(before.items.map((x) => x.id));
  // And the rebuilt cache is used again.
  expect((await ask(4)).prefix!.reusedTokens).toBeGreaterThan(0);
  expect(harness.problems).toEqual([]);
});

it("a device lost while a retrained model's memory updates are encoded again behind the load: rebuilt, the run goes on to the end, and the next call says so", async () => {
  type Loaded = { hiddenOnGpu: boolean; overlay: { rows: number; reencoded?: { state: string; rows?: number; stored?: number } } };
  // In the store this time (the re-encoding takes over records kept in IndexedDB), all on one WebGPU device.
  const loadStored = async () => outcomeValue(await call<Loaded>('load', { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'webgpu', decoder: 'webgpu', wasmPaths: '/node_modules/onnxruntime-web/dist/' }));
  const records = (put?: OverlayRecordToPut) => overlayRecords(harness.page, MEMORY, put);
  await loadStored();
  outcomeValue(await call('recordInteraction', { history: [12, 40], item: 7 }));
  const [{ model, shard }] = await records();
  outcomeValue(await call('clearInteractions'));
  // 32 purchases recorded with an earlier model of this memory (hidden states of zeros): ~20 s of batches on SwiftShader.
  const earlier = 'an-earlier-model';
  const rows = Array.from({ length: 32 }, (_, i) => ({ item: 200 + i, history: [i + 1, i + 2, i + 3], at: 1000 + i }));
  await records({ model: earlier, shard, rows });

  const loaded = await loadStored();
  expect(loaded.hiddenOnGpu).toBe(true);
  expect(loaded.overlay.reencoded).toMatchObject({ state: 'encoding', rows: 32 });
  // Once a part is stored (the run is under way), the device goes.
  await expect.poll(async () => (await records()).map((r) => r.model).sort(), { timeout: 60_000, interval: 20 }).toEqual([earlier, model].sort());
  await call('loseDevice');

  await expect.poll(async () => (await records()).map((r) => r.model), { timeout: 60_000, interval: 200 }).toEqual([model]);
  const [done] = await records();
  expect(done.items).toEqual(rows.map((r) => r.item));
  expect(done.hidden.filter((h) => h.every((bits) => bits === 0))).toEqual([]);
  // The rebuild happened behind the page's calls: the next call reports it, once.
  const request = { history: [12, 40, 41, 42], k: 20 };
  expect(outcomeValue(await call<Result>('recommend', request)).backend.recovered).toMatch(/^the WebGPU device was lost \(destroyed.*\); the encoder and decoder were rebuilt$/);
  expect(outcomeValue(await call<Result>('recommend', request)).backend.recovered).toBeUndefined();
  expect(outcomeValue(await call('clearInteractions'))).toMatchObject({ rows: 0, reencoded: { state: 'stored' } });
  expect(harness.problems).toEqual([]);
});
