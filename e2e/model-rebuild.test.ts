/**
 * A store retrains its model and rebuilds the memory with it, both at the same URLs, with the embed's
 * `revalidate: 'background'`: the shopper's visit that finds it keeps the model it loaded and stores the new model's
 * files and memory behind the page; the next visit reads both with no request and recommends exactly what a load of
 * the new model gives. A refresh that cannot fetch every file keeps nothing of it, and the next visit asks the
 * network first; stored model files left of two versions are asked of the network again instead of failing every
 * later load. The two bundled models stand for the old and the retrained one.
 */
import { expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { outcomeValue, useFlowPage } from './flow-client.ts';

const WASM = '/node_modules/onnxruntime-web/dist/';
const SERVED_MODEL = 'test-results/rebuilt-model';
const SERVED_MEMORY = 'test-results/rebuilt-model-memory';
const MODELS = {
  movielens: { folder: 'models/movielens-demo', memory: 'models/movielens-demo/memory/train-q4-f0.3-centroids' },
  games: { folder: 'models/amazon-games', memory: 'models/amazon-games/memory/train-q4-centroids' },
};

interface Loaded {
  memorySource: string;
  items: number;
  revalidation?: { state: string };
}
interface Listed {
  items: { sourceId: string; distance: number }[];
}

const { harness, call } = useFlowPage();
const value = outcomeValue;
const options = { modelUrl: `/${SERVED_MODEL}`, memoryUrl: `/${SERVED_MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, revalidate: 'background' };
const loadServed = async (extra: Record<string, unknown> = {}) => value(await call<Loaded>('load', { ...options, ...extra }));
const revalidated = async () => value(await call<Record<string, unknown> | undefined>('revalidated'));
const listed = async () => value(await call<Listed>('recommend', { history: [0, 1, 2], k: 20, strategy: 'global' })).items.map((i) => [i.sourceId, i.distance]);
const itemCount = (model: keyof typeof MODELS) => readFileSync(`${MODELS[model].memory}/items.tsv`, 'utf8').trim().split('\n').length - 1;
const memoryModel = (model: keyof typeof MODELS) => JSON.parse(readFileSync(`${MODELS[model].memory}/manifest.json`, 'utf8')).model.sha256 as string;

/** The server's model and memory folders filled with `model`'s (a deploy of a retrained model at the same URLs). */
function serve(model: keyof typeof MODELS): void {
  for (const folder of [SERVED_MODEL, SERVED_MEMORY]) rmSync(folder, { recursive: true, force: true });
  cpSync(MODELS[model].folder, SERVED_MODEL, { recursive: true, filter: (src) => !/\/(memory|eval|fixtures)(\/|$)|\.safetensors$/.test(src) });
  cpSync(MODELS[model].memory, SERVED_MEMORY, { recursive: true });
}

/** The server's copy of a file of the served model put among the device's stored model files (model-cache.ts). */
async function storeFromServer(file: string): Promise<void> {
  await harness.page.evaluate(async (url) => {
    const cache = await caches.open('l2d-models-v2');
    await cache.put(url, await fetch(url, { cache: 'no-cache' }));
  }, `${harness.baseUrl}/${SERVED_MODEL}/${file}`);
}

/** Requests for the served folders made while `work` runs, refused as offline; their file names. */
async function offline<T>(work: () => Promise<T>): Promise<{ result: T; asked: string[] }> {
  const asked: string[] = [];
  const pattern = '**/test-results/rebuilt-model*/**';
  await harness.page.context().route(pattern, (route) => {
    asked.push(route.request().url().split('/').pop()!);
    return route.abort('internetdisconnected');
  });
  try {
    return { result: await work(), asked };
  } finally {
    await harness.page.context().unroute(pattern);
  }
}

it("a retrained model and its memory at the same URLs: stored behind the visit that finds them, the next visit reads both with no request; a cut refresh keeps nothing", async () => {
  serve('movielens');
  expect((await loadServed()).memorySource).toBe('network');
  const movielensLists = await listed();
  expect(await loadServed()).toMatchObject({ memorySource: 'indexeddb', items: itemCount('movielens') });
  expect(await revalidated()).toMatchObject({ state: 'current' });

  // Retrained: a refresh that cannot fetch the encoder graph keeps none of the new files (a cache-first load still
  // reads the old model whole) and leaves the next background load asking the network first.
  serve('games');
  const graph = '**/rebuilt-model/onnx/encoder_q4_fused_plain.onnx';
  await harness.page.context().route(graph, (route) => route.abort('internetdisconnected'));
  try {
    expect(await loadServed()).toMatchObject({ memorySource: 'indexeddb', items: itemCount('movielens') });
    expect(await revalidated()).toEqual({ state: 'failed', reason: expect.stringMatching(/^NetworkUnavailableError: .*\/rebuilt-model\/onnx\/encoder_q4_fused_plain\.onnx could not be fetched .*the stored model stays in use\.$/) });
  } finally {
    await harness.page.context().unroute(graph);
  }
  expect(await loadServed({ revalidate: false })).toMatchObject({ memorySource: 'indexeddb', items: itemCount('movielens') });
  expect(await listed()).toEqual(movielensLists);
  expect(await loadServed()).toMatchObject({ memorySource: 'network', items: itemCount('games') });
  const gamesLists = await listed();
  expect(gamesLists).not.toEqual(movielensLists);
  expect(await revalidated()).toBeUndefined(); // from the network: nothing to revalidate

  // Retrained back: this visit keeps the games model; the movielens model and memory are stored behind it.
  serve('movielens');
  const finding = await loadServed();
  expect(finding).toMatchObject({ memorySource: 'indexeddb', items: itemCount('games') });
  expect(await listed()).toEqual(gamesLists);
  expect(await revalidated()).toEqual({ state: 'model-stored', model: memoryModel('movielens'), version: expect.stringMatching(/^[0-9a-f]{16}$/) });
  expect(await listed()).toEqual(gamesLists); // the page keeps what it loaded

  // The next visit: the new model and memory from the device; the only request is the background manifest check.
  const { result: next, asked } = await offline(async () => {
    const loaded = await loadServed();
    return { loaded, lists: await listed(), revalidation: await revalidated() };
  });
  expect(next.loaded).toMatchObject({ memorySource: 'indexeddb', items: itemCount('movielens') });
  expect(next.lists).toEqual(movielensLists);
  expect(next.revalidation).toMatchObject({ state: 'failed' });
  expect(asked).toEqual(['manifest.json']);
});

it('stored model files of two versions (a revalidation cut between them): the load asks the network again and loads the server\'s model; a server whose own files disagree still fails, naming the file', async () => {
  value(await call('deleteStoredData', { everything: true }));
  serve('movielens');
  const cacheFirst = { revalidate: false };
  expect(await loadServed(cacheFirst)).toMatchObject({ memorySource: 'network', items: itemCount('movielens') });
  // The retrained model on the server; only its onnx/encoder.json reached the device's stored copies.
  serve('games');
  await storeFromServer('onnx/encoder.json');
  // (Its memory, named by the new encoder.json, was downloaded beside the first try and is read from the store.)
  expect(await loadServed(cacheFirst)).toMatchObject({ memorySource: 'indexeddb', items: itemCount('games') });
  expect(await listed()).toEqual(await (async () => {
    const direct = value(await call<Loaded>('load', { ...options, modelUrl: `/${MODELS.games.folder}`, memoryUrl: `/${MODELS.games.memory}`, revalidate: false }));
    expect(direct.items).toBe(itemCount('games'));
    return listed();
  })());
  // From the stored copies again, now of one version.
  expect(await loadServed(cacheFirst)).toMatchObject({ memorySource: 'indexeddb', items: itemCount('games') });

  // The server's own encoder.json is another model's, and so is the stored one now: asked again, the load still fails.
  cpSync(`${MODELS.movielens.folder}/onnx/encoder.json`, `${SERVED_MODEL}/onnx/encoder.json`);
  await storeFromServer('onnx/encoder.json');
  const failed = await call('load', { ...options, revalidate: false });
  expect(failed).toMatchObject({ ok: false, name: 'InvalidArgumentError', message: expect.stringMatching(/rebuilt-model\/onnx\/encoder_q4_fused_plain\.onnx is not the file onnx\/encoder\.json describes .*export the encoder again\.$/) });
});

it('a deletion while a retrained model is stored behind the page stops its downloads, and nothing it fetched is stored after', async () => {
  value(await call('deleteStoredData', { everything: true }));
  serve('movielens');
  expect(await loadServed()).toMatchObject({ memorySource: 'network' });
  serve('games');
  // The server's memory manifest held back: the refresh asks for it first (finding another model), then again once
  // the new model's files are stored; the deletion comes while that second request waits, when no store's lock is
  // held. Held until the end: the deletion must not wait for it.
  const manifest = `**/${SERVED_MEMORY}/manifest.json`;
  let asked = 0;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await harness.page.context().route(manifest, async (route) => {
    if (++asked === 2) await held;
    await route.continue().catch(() => undefined); // the page stopped asking meanwhile
  });
  try {
    expect(await loadServed()).toMatchObject({ memorySource: 'indexeddb', items: itemCount('movielens') });
    await expect.poll(() => asked, { timeout: 30_000 }).toBe(2);
    const deleted = value(await call<{ modelFiles: number; memoryVersions: number }>('deleteStoredData', { everything: true }));
    expect(await revalidated()).toEqual({ state: 'failed', reason: expect.stringMatching(/the stored data is being deleted \(deleteStoredData\)/) });
    // The old memory and the files of both models (the new ones had been put in place): deleted, none stored after.
    expect(deleted.memoryVersions).toBe(1);
    expect(deleted.modelFiles).toBeGreaterThan(0);
    release();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(value(await call<{ models: unknown[]; memories: unknown[] }>('storedData'))).toMatchObject({ models: [], memories: [] });
  } finally {
    release();
    await harness.page.context().unroute(manifest);
  }
});
