/**
 * A second visit with the network blocked: the worker loads the model from
 * the Cache API and the memory from IndexedDB and recommends exactly what
 * the first, online visit did. (The app's own code and onnxruntime-web's
 * wasm come from the dev server here; offline app code is the page's
 * HTTP cache or service worker, not the store's job.)
 */
import { expect, it } from 'vitest';
import { outcomeValue, useFlowPage } from './flow-client.ts';

const MODEL = '/models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const WASM = '/node_modules/onnxruntime-web/dist/';

interface Status {
  memorySource: string;
  rows: number;
  storage: { usage: number; quota: number };
}
interface Result {
  items: { id: number; distance: number }[];
}

const { harness, call } = useFlowPage();
const value = outcomeValue;
const options = { modelUrl: MODEL, memoryUrl: MEMORY, device: 'wasm', decoder: 'cpu', wasmPaths: WASM };
const request = { history: [12, 40, 41, 42, 100], k: 20, strategy: 'local', m: 200 };

it('a second visit with the model and memory blocked on the network recommends exactly what the first did', async () => {
  const first = value(await call<Status>('load', options));
  expect(first.memorySource).toBe('network');
  expect(first.storage.usage).toBeGreaterThan(10e6);
  const online = value(await call<Result>('recommend', request));

  const blocked: string[] = [];
  await harness.page.context().route('**/models/**', (route) => {
    blocked.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  await harness.page.reload();
  await harness.page.waitForSelector('body[data-ready="true"]', { state: 'attached' });

  // Without the store the blocked network is fatal: proof that nothing below came from it.
  const noStore = await call<Status>('load', { ...options, cache: 'none' });
  expect(!noStore.ok && noStore.code).toBe('network-unavailable');

  expect(blocked.some((u) => u.endsWith('config.json'))).toBe(true);

  // With the store, stored copies come first: nothing is even asked of the network.
  const tried = blocked.length;
  const second = value(await call<Status>('load', options));
  expect([second.memorySource, second.rows]).toEqual(['indexeddb', first.rows]);
  const offline = value(await call<Result>('recommend', request));
  expect(offline.items).toEqual(online.items);
  expect(blocked.slice(tried)).toEqual([]);

  // revalidate asks the network first and falls back to the stored copies when it does not answer.
  const revalidated = value(await call<Status & { storedInstead?: string }>('load', { ...options, revalidate: true }));
  expect(revalidated.memorySource).toBe('indexeddb');
  expect(revalidated.storedInstead).toMatch(/\/memory\/train-q4-f0\.3\/manifest\.json could not be fetched \(.+\); the stored copy was used\.$/);
  expect(blocked.slice(tried).some((u) => u.endsWith('encoder_q4_fused_plain.onnx'))).toBe(true);
  expect(blocked.slice(tried).some((u) => u.endsWith('manifest.json'))).toBe(true);
  expect(value(await call<Result>('recommend', request)).items).toEqual(online.items);

  // In the background: the stored copies at once, no model file asked for; the manifest's request fails behind the load.
  const before = blocked.length;
  const background = value(await call<Status>('load', { ...options, revalidate: 'background' }));
  expect(background.memorySource).toBe('indexeddb');
  expect(value(await call<Result>('recommend', request)).items).toEqual(online.items);
  expect(value(await call('revalidated'))).toEqual({ state: 'failed', reason: expect.stringMatching(/^NetworkUnavailableError: .*manifest\.json could not be fetched .*the stored memory stays in use\.$/) });
  expect(blocked.slice(before).map((u) => u.split('/').pop())).toEqual(['manifest.json']);
});
