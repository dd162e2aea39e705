/**
 * What the recommender keeps on the device, listed and deleted (src/store/stored-data.ts) in Chromium, beside
 * a worker that stored a model (Cache API), a memory (IndexedDB) and a memory update.
 */
import { describe, expect, it } from 'vitest';
import { outcomeValue, useFlowPage } from './flow-client.ts';
import type { StoredData } from '../src/store/stored-data.ts';

const MODEL = '/models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const WASM = '/node_modules/onnxruntime-web/dist/';

const { harness, call } = useFlowPage();
const value = outcomeValue;
const load = async () => value(await call<{ memorySource: string; overlay: { rows: number } }>('load', { modelUrl: `${harness.baseUrl}${MODEL}`, memoryUrl: `${harness.baseUrl}${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM }));
const stored = async () => value(await call<StoredData>('storedData'));

describe('stored data', () => {
  it('lists the model files, memory and memory updates a load and a purchase stored, and deletes each kind alone, then everything', async () => {
    expect(await stored()).toMatchObject({ models: [], memories: [], interactions: [] });
    expect((await load()).memorySource).toBe('network');
    value(await call('recordInteraction', { history: [1, 2], item: 3 }));
    const before = await stored();
    const model = `${harness.baseUrl}${MODEL}`;
    const memory = `${harness.baseUrl}${MEMORY}`;
    expect(before.models).toEqual([{ url: model, files: expect.any(Number), bytes: expect.any(Number) }]);
    // At least the config, the tokenizer and one graph, and more bytes than the q4 graph alone (6 MB).
    expect(before.models[0].files).toBeGreaterThanOrEqual(3);
    expect(before.models[0].bytes).toBeGreaterThan(6e6);
    expect(before.memories).toEqual([{ url: memory, model: expect.stringMatching(/^[0-9a-f]{64}$/), version: expect.any(String), state: 'complete', bytes: expect.any(Number), savedAt: expect.any(Number) }]);
    expect(before.memories[0].bytes).toBeGreaterThan(1e7);
    expect(before.interactions).toEqual([{ memory, model: before.memories[0].model, rows: 1 }]);
    expect(before.storage.usage).toBeGreaterThan(before.memories[0].bytes);

    // The memory alone (a relative URL, as a page gives it): the model files and the user's update stay.
    expect(value(await call('deleteStoredData', { memory: MEMORY }))).toEqual({ modelFiles: 0, memoryVersions: 1, interactions: 0 });
    expect(await stored()).toMatchObject({ models: before.models, memories: [], interactions: before.interactions });
    // The next load downloads the memory again and still applies the update.
    expect(await load()).toMatchObject({ memorySource: 'network', overlay: { rows: 1 } });

    // The model alone: its files; the next load fetches them again.
    expect(value(await call('deleteStoredData', { model: `${MODEL}/` }))).toEqual({ modelFiles: before.models[0].files, memoryVersions: 0, interactions: 0 });
    expect((await stored()).models).toEqual([]);
    await load();
    expect((await stored()).models).toEqual(before.models);

    // Everything, the user's update too; the worker in use takes that in (as after a forget()).
    expect(value(await call('deleteStoredData', { everything: true }))).toEqual({ modelFiles: before.models[0].files, memoryVersions: 1, interactions: 1 });
    expect(await stored()).toMatchObject({ models: [], memories: [], interactions: [] });
    await expect.poll(async () => value(await call<{ rows: number }[]>('heardInteractions')), { timeout: 10_000 }).toEqual([{ rows: 0, cap: 1024, seen: 0, persisted: true }]);
    expect(harness.problems).toEqual([]);
  });

  it('names a request that says nothing to delete, or says it wrongly, deleting nothing', async () => {
    await load();
    const before = await stored();
    for (const [request, message] of [
      [{}, 'deleteStoredData: say what to delete: a model URL, a memory URL, or everything: true.'],
      [{ modell: MODEL }, 'deleteStoredData takes model, memory and everything; not modell.'],
      [{ model: 5 }, 'deleteStoredData: model must be a URL, got 5.'],
      [{ memory: '' }, 'deleteStoredData: memory must be a URL, got "".'],
      [{ everything: 'yes' }, 'deleteStoredData: everything must be true or false, got "yes".'],
      [null, 'deleteStoredData needs { model?, memory?, everything? }: what to delete.'],
    ] as const) {
      const bad = await call('deleteStoredData', request);
      expect(!bad.ok && [bad.name, bad.message]).toEqual(['InvalidArgumentError', message]);
    }
    // A URL nothing is stored under: nothing deleted, no error.
    expect(value(await call('deleteStoredData', { model: '/models/another', memory: '/models/another/memory' }))).toEqual({ modelFiles: 0, memoryVersions: 0, interactions: 0 });
    expect(await stored()).toMatchObject({ models: before.models, memories: before.memories });
  });

  it("a load deletes the cached files of another model folder no load used for 30 days (a store's model moved to a new URL); never the one in use", async () => {
    value(await call('deleteStoredData', { everything: true }));
    const folder = (name: string) => `${harness.baseUrl}/models/${name}`;
    // Other folders as earlier visits left them: last used 31 days ago, 29 days ago, and before markers existed.
    await harness.page.evaluate(
      async ([old, recent, legacy]) => {
        const cache = await caches.open('l2d-models-v2');
        const day = 24 * 60 * 60 * 1000;
        for (const url of [old, recent, legacy]) {
          await cache.put(`${url}/config.json`, new Response('{}'));
          await cache.put(`${url}/onnx/model_q4.onnx`, new Response('graph'));
        }
        await cache.put(`${old}/.l2d-used`, new Response(String(Date.now() - 31 * day)));
        await cache.put(`${recent}/.l2d-used`, new Response(String(Date.now() - 29 * day)));
      },
      [folder('old-model'), folder('recent-model'), folder('legacy-model')],
    );
    await load();
    const urls = async () => (await stored()).models.map((m) => m.url).sort();
    expect(await urls()).toEqual([folder('legacy-model'), folder('movielens-demo'), folder('recent-model')]);
    // The folder in use is marked now: a load of it never deletes it, whatever was there before.
    expect(await harness.page.evaluate(async (url) => Number(await (await (await caches.open('l2d-models-v2')).match(`${url}/.l2d-used`))!.text()), folder('movielens-demo'))).toBeGreaterThan(Date.now() - 60_000);
    await load();
    expect(await urls()).toEqual([folder('legacy-model'), folder('movielens-demo'), folder('recent-model')]);
    // Deleting the model counts its files, not its marker.
    expect(value(await call<{ modelFiles: number }>('deleteStoredData', { model: '/models/legacy-model' })).modelFiles).toBe(2);
    expect(harness.problems).toEqual([]);
  });

  it('revalidate: an unchanged model file is used as stored, not written again; a changed one replaces it', async () => {
    await load();
    const config = `${harness.baseUrl}${MODEL}/config.json`;
    // The stored copy marked (same body and validators), then an older version's copy under another validator.
    const mark = (stale: boolean) =>
      harness.page.evaluate(
        async ([url, stale]) => {
          const cache = await caches.open('l2d-models-v2');
          const stored = (await cache.match(url))!;
          const headers = new Headers(stored.headers);
          headers.set('x-l2d-test', 'the stored copy');
          if (stale) {
            headers.set('etag', '"an-older-version"');
            headers.delete('last-modified');
          }
          await cache.put(url, new Response(await stored.text(), { headers }));
        },
        [config, stale] as const,
      );
    const marked = () => harness.page.evaluate(async (url) => (await (await caches.open('l2d-models-v2')).match(url))!.headers.get('x-l2d-test'), config);
    const revalidating = async () =>
      value(await call('load', { modelUrl: `${harness.baseUrl}${MODEL}`, memoryUrl: `${harness.baseUrl}${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, revalidate: true }));
    await mark(false);
    await revalidating();
    expect(await marked()).toBe('the stored copy');
    await mark(true);
    await revalidating();
    expect(await marked()).toBeNull();
    expect(harness.problems).toEqual([]);
  });

  it('model files an earlier version cached (l2d-models-v1) move to l2d-models-v2, less the prompt template, fetched again with its history window', async () => {
    value(await call('deleteStoredData', { everything: true }));
    const model = `${harness.baseUrl}${MODEL}`;
    // An earlier visit's cache: the template as it was before maxHistory, and a config.json marked so that a moved copy shows.
    await harness.page.evaluate(async (model) => {
      const v1 = await caches.open('l2d-models-v1');
      const template = await (await fetch(`${model}/prompt-template.json`)).json();
      delete template.maxHistory;
      await v1.put(`${model}/prompt-template.json`, new Response(JSON.stringify(template), { headers: { 'content-type': 'application/json' } }));
      const config = await (await fetch(`${model}/config.json`)).text();
      await v1.put(`${model}/config.json`, new Response(config, { headers: { 'content-type': 'application/json', 'x-l2d-test': 'moved from v1' } }));
    }, model);
    await load();
    const after = await harness.page.evaluate(async (model) => {
      const v2 = await caches.open('l2d-models-v2');
      return {
        v1: await caches.has('l2d-models-v1'),
        config: (await v2.match(`${model}/config.json`))?.headers.get('x-l2d-test'),
        template: await (await v2.match(`${model}/prompt-template.json`))?.json(),
      };
    }, model);
    expect(after).toMatchObject({ v1: false, config: 'moved from v1', template: { maxHistory: 10 } });
    // The model reads its window: a 14-item history's oldest 4 are left out.
    const long = [12, 40, 41, 42, 100, 7, 3, 2, 1, 99, 5, 9, 300, 17];
    expect(value(await call<{ droppedOldest: number }>('recommend', { history: long, k: 5 })).droppedOldest).toBe(4);
    expect(harness.problems).toEqual([]);
  });
});
