/**
 * A browser that refuses IndexedDB (site data blocked, some private windows): load() with the default cache
 * still loads the memory, from the network, and says why it is not kept; memory updates work for the page.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { outcomeValue, useFlowPage } from './flow-client.ts';

const MODEL = 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const { harness, call } = useFlowPage({ query: '?no-indexeddb' });

it('loads the memory from the network, says why it is not stored, and keeps memory updates for the page', async () => {
  const { rows } = JSON.parse(readFileSync(`${MEMORY}/manifest.json`, 'utf8')) as { rows: number };
  const loaded = outcomeValue(
    await call<{ rows: number; memorySource?: string; memoryThread?: string; storage?: unknown; storageUnavailable?: string; overlay?: { persisted: boolean } }>('load', {
      modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: '/node_modules/onnxruntime-web/dist/',
    }),
  );
  // Refused in the memory worker too: a browser that blocks site data does so in every worker.
  expect(loaded).toMatchObject({ rows, memorySource: 'network', memoryThread: 'memory worker', overlay: { rows: 0, persisted: false } });
  expect(loaded.storage).toBeUndefined();
  expect(loaded.storageUnavailable).toBe(
    'IndexedDB refused (UnknownError: The user denied permission to access the database.); the memory comes from the network and memory updates last for this page only',
  );
  const request = { history: [12, 40, 41], k: 5, strategy: 'local', m: 200 };
  expect(outcomeValue(await call<{ items: unknown[] }>('recommend', request)).items).toHaveLength(5);
  // A memory update after this very history leads L2D-L's list, for this page.
  expect(outcomeValue(await call('recordInteraction', { history: request.history, item: 3000 }))).toEqual({ rows: 1, cap: 1024, seen: 1, persisted: false });
  expect(outcomeValue(await call<{ items: { id: number }[] }>('recommend', request)).items[0].id).toBe(3000);
  expect(outcomeValue(await call('clearInteractions'))).toEqual({ rows: 0, cap: 1024, seen: 0, persisted: false });
  expect(harness.problems).toEqual([]);
});
