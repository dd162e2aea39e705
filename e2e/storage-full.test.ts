/**
 * A device with no room left for the memory (the origin's quota nearly used up): load() still loads it, from the
 * network, says why it is not kept, and keeps memory updates, which need little room; with room again, the next
 * load stores it. Before, load() failed with StorageQuotaError and the widgets showed no list.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { outcomeValue, useFlowPage } from './flow-client.ts';

const MODEL = 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const { harness, call } = useFlowPage();

interface Loaded {
  rows: number;
  memorySource?: string;
  storageUnavailable?: string;
  overlay?: { persisted: boolean };
}

it('loads the memory from the network when it cannot be stored, says so, and stores it once there is room', async () => {
  const { rows } = JSON.parse(readFileSync(`${MEMORY}/manifest.json`, 'utf8')) as { rows: number };
  const options = { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: '/node_modules/onnxruntime-web/dist/' };
  const cdp = await harness.page.context().newCDPSession(harness.page);
  // Room for 2 MB more than is in use (the model's files in the Cache API count too); the shard needs 10.6 MB.
  const usage = await harness.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: harness.baseUrl, quotaSize: usage + 2_000_000 });
  try {
    const full = outcomeValue(await call<Loaded>('load', options));
    expect(full).toMatchObject({ rows, memorySource: 'network', overlay: { persisted: true } });
    expect(full.storageUnavailable).toMatch(
      /^The browser has no room to store this memory: it needs 10\.\d MB, this site may use [\d.]+ MB, [\d.]+ MB are in use\. It comes from the network on this visit; memory updates are still kept where there is room\.$/,
    );
    const request = { history: [12, 40, 41], k: 5, strategy: 'local', m: 200 };
    expect(outcomeValue(await call<{ items: unknown[] }>('recommend', request)).items).toHaveLength(5);
    expect(outcomeValue(await call('recordInteraction', { history: request.history, item: 3000 }))).toEqual({ rows: 1, cap: 1024, seen: 1, persisted: true });
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: harness.baseUrl });
  }
  // Room again: this load stores it (from the network), the next reads it from IndexedDB; the update was kept.
  const stored = outcomeValue(await call<Loaded>('load', options));
  expect(stored).toMatchObject({ rows, memorySource: 'network', overlay: { rows: 1, persisted: true } });
  expect(stored.storageUnavailable).toBeUndefined();
  expect(outcomeValue(await call<Loaded>('load', options))).toMatchObject({ memorySource: 'indexeddb' });
  expect(harness.problems).toEqual([]);
});
