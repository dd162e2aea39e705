/**
 * Memory updates in Chromium: a user's interactions are encoded in the
 * worker, stored in IndexedDB and added to the decoder; the GPU decoder's
 * incremental update gives exactly what the CPU reference gives on the
 * stored overlay, a later visit gets them back, and deleting them restores
 * the original top-K exactly.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import { fromFloat16Bits, toFloat16Bits } from '../src/core/float16.ts';
import { centroidSampleCounts } from '../src/core/shard-format.ts';
import { buildCentroidMemory } from '../tools/build-memory/main.ts';
import { loadShard } from '../tools/lib/shard-files.ts';
import { outcomeValue, useFlowPage } from './flow-client.ts';
import { overlayRecords, type OverlayRecordToPut } from './overlay-records.ts';
import { centroidShardWithoutCounts, renumberedShard, retrainedCopy, shardForModel } from './model-copy.ts';

const MODEL = '/models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const WASM = '/node_modules/onnxruntime-web/dist/';

interface Item {
  id: number;
  sourceId: string;
  title: string;
  distance: number;
  score: number;
  source: string;
}
interface Overlay {
  rows: number;
  cap: number;
  seen: number;
  persisted: boolean;
}

const { harness, call } = useFlowPage();
const value = outcomeValue;
const load = async (decoder: 'webgpu' | 'cpu', extra: Record<string, unknown> = {}) =>
  value(await call<{ overlay: Overlay; decoder: { decoder: string } }>('load', { modelUrl: MODEL, memoryUrl: MEMORY, device: 'wasm', decoder, wasmPaths: WASM, ...extra }));
const history = [12, 40, 41, 42, 100];
const both = async () => ({
  global: value(await call<{ items: Item[] }>('recommend', { history, k: 30, strategy: 'global' })).items,
  local: value(await call<{ items: Item[] }>('recommend', { history, k: 30, strategy: 'local', m: 200 })).items,
  vote: value(await call<{ items: Item[] }>('recommend', { history, k: 30, strategy: 'vote', m: 500 })).items,
});

/**
 * A centroid memory (a), the same rebuilt with its items numbered backwards (b), and the folder the page loads them
 * from (served), which serve() fills with either: a store rebuilding its memory at the same URL.
 */
async function rebuiltMemories(name: string) {
  const a = `test-results/${name}-a`;
  await buildCentroidMemory(MEMORY.slice(1), a);
  const b = renumberedShard(a, `test-results/${name}-b`);
  const served = `test-results/${name}-served`;
  const serve = (folder: string) => {
    rmSync(served, { recursive: true, force: true });
    cpSync(folder, served, { recursive: true });
  };
  return { a, b, served, serve };
}

/** The stored overlay records of the memories served from test-results/*-served, after `put` stores one there. */
const servedOverlays = (put?: OverlayRecordToPut) => overlayRecords(harness.page, '-served', put);

describe('memory updates', () => {
  it('adds the user\'s samples incrementally on the GPU, equal to the CPU reference, kept across visits, and removed exactly', async () => {
    const gpuLoad = await load('webgpu');
    expect(gpuLoad.decoder.decoder).toBe('webgpu');
    expect(gpuLoad.overlay).toEqual({ rows: 0, cap: 1024, seen: 0, persisted: true });
    const before = await both();
    // An item far down the list: after the user chose it (after this very history) three times, it must rise.
    const { id: chosen, distance: before250 } = value(await call<{ items: Item[] }>('recommend', { history, k: 300, strategy: 'global' })).items[250];
    expect(before.global.map((i) => i.id)).not.toContain(chosen);
    let overlay: Overlay | undefined;
    for (let i = 0; i < 3; i++) overlay = value(await call<Overlay>('recordInteraction', { history, item: chosen }));
    expect(overlay).toEqual({ rows: 3, cap: 1024, seen: 3, persisted: true });
    const afterGpu = await both();
    // The three new rows are this very prompt's h_t: the nearest rows, so the item leads L2D-L, and L2D-V, where each
    // weighs ~e^2 of the memory's nearest row (scaled by the memory's own rows: theirs vote after it as before).
    expect(afterGpu.local[0]).toMatchObject({ id: chosen, source: 'local' });
    expect(afterGpu.vote[0]).toMatchObject({ id: chosen, source: 'vote' });
    expect(afterGpu.vote[0].score).toBeGreaterThan(3 * Math.exp(1.9));
    // (The three rows take three of the M selected: the far end of the list may lose a row's vote.)
    expect(afterGpu.vote.slice(1, 21).map((i) => [i.id, i.score])).toEqual(before.vote.filter((i) => i.id !== chosen).slice(0, 20).map((i) => [i.id, i.score]));
    // Its centroid moved towards this h_t.
    const distanceOf = async () => value(await call<{ items: Item[] }>('recommend', { history, k: 300, strategy: 'global' })).items.find((i) => i.id === chosen)?.distance ?? Infinity;
    expect(await distanceOf()).toBeLessThan(before250);

    // A later visit (CPU decoder this time) reads the overlay back from IndexedDB: the same numbers.
    const cpuLoad = await load('cpu');
    expect(cpuLoad.overlay).toEqual({ rows: 3, cap: 1024, seen: 3, persisted: true });
    expect(await both()).toEqual(afterGpu);

    // Bad input changes nothing.
    const unknown = await call('recordInteraction', { history, item: 1e9 });
    expect(!unknown.ok && [unknown.name, unknown.message]).toEqual(['InvalidArgumentError', expect.stringMatching(/Unknown item 1000000000.*Nothing was recorded/)]);
    const asText = await call('recordInteraction', { history, item: String(chosen) });
    expect(!asText.ok && asText.message).toMatch(new RegExp(`^Unknown item "${chosen}" \\(a string\\): the catalog's ids are 0\\.\\.3495\\. Nothing was recorded\\.$`));
    const itself = await call('recordInteraction', { history: [...history, chosen], item: chosen });
    expect(!itself.ok && itself.message).toBe(
      `The history holds item ${chosen} itself: give the history before the interaction, less the item (a memory row is "history -> next item", and no training sample's history holds its target). Nothing was recorded.`,
    );
    const empty = await call('recordInteraction', { history: [], item: chosen });
    expect(!empty.ok && empty.message).toMatch(/history is empty/);
    expect(await both()).toEqual(afterGpu);

    // Deleting restores the original top-K exactly, on the CPU now and on the GPU after a reload.
    expect(value(await call<Overlay>('clearInteractions'))).toEqual({ rows: 0, cap: 1024, seen: 0, persisted: true });
    expect(await both()).toEqual(before);
    expect((await load('webgpu')).overlay.rows).toBe(0);
    expect(await both()).toEqual(before);
  });

  it('the GPU decoder restores exactly after an update and a delete without a reload', async () => {
    await load('webgpu');
    value(await call('clearInteractions')); // whatever an earlier test left
    const before = await both();
    value(await call('recordInteraction', { history: [7, 8, 9], item: 3 }));
    expect(await both()).not.toEqual(before);
    value(await call('clearInteractions'));
    expect(await both()).toEqual(before);
  });

  it('cold-start centroids: the same ranking on the GPU and the CPU, with items no row carries', async () => {
    const gpu = await load('webgpu', { coldStart: 'similar-titles' });
    value(await call('clearInteractions'));
    const coldItems = (gpu as unknown as { coldStartItems: number }).coldStartItems;
    expect(coldItems).toBeGreaterThan(100);
    const onGpu = await both();
    // The full L2D-G ranking: items without a centroid are missing from it unless the rule gave them one.
    const ranked = async () => value(await call<{ items: Item[] }>('recommend', { history, k: 3496, strategy: 'global' })).items.length;
    const rankedWithRule = await ranked();
    const cpu = await load('cpu', { coldStart: 'similar-titles' });
    expect((cpu as unknown as { coldStartItems: number }).coldStartItems).toBe(coldItems);
    expect(await both()).toEqual(onGpu);
    const off = await load('cpu');
    expect((off as unknown as { coldStartItems?: number }).coldStartItems).toBeUndefined();
    expect(rankedWithRule - (await ranked())).toBe(coldItems);
    const bad = await call('load', { modelUrl: MODEL, memoryUrl: MEMORY, device: 'wasm', wasmPaths: WASM, coldStart: 'magic' });
    expect(!bad.ok && bad.message).toBe('coldStart must be one of "none", "similar-titles"; got "magic".');
  });

  it('two tabs of one store both keep their samples and take in each other\'s at once: a purchase, a forget', async () => {
    await load('cpu');
    value(await call('clearInteractions'));
    const before = await both();
    // A second tab of the same store, loaded before the first tab's purchase.
    const tab = await harness.openTab('e2e/harness/recommend.html');
    const tabCall = <T>(fn: string, arg?: unknown) =>
      tab.evaluate(([f, a]) => (globalThis as unknown as Record<string, Record<string, (x: unknown) => Promise<unknown>>>).l2dFlow[f as string](a), [fn, arg] as const) as Promise<{ ok: boolean; value: T }>;
    try {
      const tabLoad = await tabCall<{ overlay: Overlay }>('load', { modelUrl: MODEL, memoryUrl: MEMORY, device: 'wasm', decoder: 'cpu', wasmPaths: WASM });
      expect(tabLoad.value.overlay).toEqual({ rows: 0, cap: 1024, seen: 0, persisted: true });
      const tabBoth = async () => ({
        global: (await tabCall<{ items: Item[] }>('recommend', { history, k: 30, strategy: 'global' })).value.items,
        local: (await tabCall<{ items: Item[] }>('recommend', { history, k: 30, strategy: 'local', m: 200 })).value.items,
        vote: (await tabCall<{ items: Item[] }>('recommend', { history, k: 30, strategy: 'vote', m: 500 })).value.items,
      });
      // What each tab heard of the other's changes (its worker took them in, then told its page), since last asked.
      const heardByTab = async () => (await tabCall<Overlay[]>('heardInteractions')).value;
      const heardByFirst = async () => value(await call<Overlay[]>('heardInteractions'));
      expect(await heardByTab()).toEqual([]);
      expect(value(await call<Overlay>('recordInteraction', { history, item: 7 }))).toEqual({ rows: 1, cap: 1024, seen: 1, persisted: true });
      // The second tab takes the purchase in without a reload: the same lists as the first tab's.
      await expect.poll(() => heardByTab(), { timeout: 10_000 }).toEqual([{ rows: 1, cap: 1024, seen: 1, persisted: true }]);
      const afterPurchase = await both();
      expect(afterPurchase).not.toEqual(before);
      expect(await tabBoth()).toEqual(afterPurchase);
      // The second tab's purchase lands on top of the first tab's; the first tab takes it in too, not its own.
      expect((await tabCall<Overlay>('recordInteraction', { history: [1, 2], item: 9 })).value).toEqual({ rows: 2, cap: 1024, seen: 2, persisted: true });
      await expect.poll(() => heardByFirst(), { timeout: 10_000 }).toEqual([{ rows: 2, cap: 1024, seen: 2, persisted: true }]);
      expect(await heardByTab()).toEqual([]);
      // A later visit gets both.
      expect((await load('cpu')).overlay).toEqual({ rows: 2, cap: 1024, seen: 2, persisted: true });
      // A tab's forgetting is the other's at once: its lists are the memory's own again, exactly.
      value(await call('clearInteractions'));
      await expect.poll(() => heardByTab(), { timeout: 10_000 }).toEqual([{ rows: 0, cap: 1024, seen: 0, persisted: true }]);
      expect(await tabBoth()).toEqual(before);
      // Nothing of the cleared rows is written back by the other tab's next purchase.
      expect((await tabCall<Overlay>('recordInteraction', { history: [1, 2], item: 9 })).value).toEqual({ rows: 1, cap: 1024, seen: 1, persisted: true });
      value(await call('clearInteractions'));
    } finally {
      await tab.close();
    }
  });

  it("leaves out a stored row whose history holds its item (recorded before that was refused), and drops it from storage at the next record", async () => {
    await load('cpu');
    value(await call('clearInteractions'));
    expect(value(await call<Overlay>('recordInteraction', { history, item: 7 }))).toMatchObject({ rows: 1 });
    // The stored record as an older embed could leave it: a second row, "history ending in 100 -> 100".
    const stored = (old: number[] | null) =>
      harness.page.evaluate(async (old) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => Object.assign(indexedDB.open('l2d-memory'), { onsuccess(this: IDBOpenDBRequest) { resolve(this.result); }, onerror: reject }));
        const tx = db.transaction('overlays', 'readwrite');
        const store = tx.objectStore('overlays');
        const [key] = await new Promise<IDBValidKey[]>((resolve) => Object.assign(store.getAllKeys(), { onsuccess(this: IDBRequest<IDBValidKey[]>) { resolve(this.result); } }));
        const record = await new Promise<{ rows: { item: number; history: number[] }[]; seen: number }>((resolve) => Object.assign(store.get(key), { onsuccess(this: IDBRequest) { resolve(this.result); } }));
        if (old) {
          record.rows.push({ ...record.rows[0], item: old.at(-1)!, history: old });
          record.seen++;
          store.put(record); // in-line key ([model, shard])
        }
        await new Promise((resolve) => (tx.oncomplete = resolve));
        db.close();
        return record.rows.map((r) => r.item);
      }, old);
    expect(await stored(history)).toEqual([7, 100]);
    expect((await load('cpu')).overlay).toEqual({ rows: 1, cap: 1024, seen: 2, persisted: true });
    value(await call<Overlay>('recordInteraction', { history, item: 8 }));
    expect(await stored(null)).toEqual([7, 8]);
    value(await call('clearInteractions'));
  });

  it('a memory rebuilt at the same URL with its items numbered otherwise: the stored updates follow their items by key', async () => {
    const { a, b, served, serve } = await rebuiltMemories('renumber');
    const loadServed = async () => value(await call<{ overlay: Overlay; items: number }>('load', { modelUrl: MODEL, memoryUrl: `/${served}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, revalidate: true }));
    const listed = async (ids: number[]) => value(await call<{ items: Item[] }>('recommend', { history: ids, k: 300, strategy: 'global' })).items.map((i) => [i.sourceId, i.distance]);
    serve(a);
    await loadServed();
    value(await call('clearInteractions'));
    const plain = await listed(history);
    const chosen = value(await call<{ items: Item[] }>('recommend', { history, k: 300, strategy: 'global' })).items[250].id;
    for (let i = 0; i < 2; i++) value(await call<Overlay>('recordInteraction', { history, item: chosen }));
    const updated = await listed(history);
    expect(updated).not.toEqual(plain);
    // The store rebuilds: the same items, numbered backwards. The same history by its new ids gives the same list,
    // the updates on the same item (before: on whichever item took its old id).
    serve(b);
    const reloaded = await loadServed();
    expect(reloaded.overlay).toMatchObject({ rows: 2, seen: 2 });
    const last = reloaded.items - 1;
    expect(await listed(history.map((id) => last - id))).toEqual(updated);
    // Recorded again under the new numbering: the stored rows are all in it now.
    value(await call<Overlay>('recordInteraction', { history: history.map((id) => last - id), item: last - chosen }));
    expect((await loadServed()).overlay).toMatchObject({ rows: 3 });
    value(await call('clearInteractions'));
  });

  it("revalidate: 'background': the stored memory at once, a rebuild downloaded behind it for the next load; a memory of another model makes the next load ask the network first, and the stored copy stands in for it", async () => {
    const { a, b, served, serve } = await rebuiltMemories('background');
    type Loaded = { memorySource: string; items: number; storedInstead?: string; revalidation?: { state: string; version?: string; model?: string } };
    const loadServed = async () => value(await call<Loaded>('load', { modelUrl: MODEL, memoryUrl: `/${served}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, revalidate: 'background' }));
    const revalidated = async () => value(await call<Loaded['revalidation']>('revalidated'));
    const firstId = async () => value(await call<{ items: Item[] }>('recommend', { history: [0], k: 1, strategy: 'global' })).items[0].sourceId;
    serve(a);
    // Nothing stored yet: from the network, so nothing to revalidate.
    expect(await loadServed()).toMatchObject({ memorySource: 'network' });
    expect(await revalidated()).toBeUndefined();
    const second = await loadServed();
    expect([second.memorySource, second.revalidation]).toEqual(['indexeddb', { state: 'checking' }]); // started as load() returned
    expect(await revalidated()).toEqual({ state: 'current', version: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const first = await firstId(); // catalog id 0 is a's first item

    // The store rebuilds at the same URL (items numbered backwards): this load keeps a's memory, the next has b's.
    serve(b);
    expect((await loadServed()).memorySource).toBe('indexeddb');
    expect(await firstId()).toBe(first);
    expect(await revalidated()).toMatchObject({ state: 'stored' });
    const rebuilt = await loadServed();
    expect(rebuilt.memorySource).toBe('indexeddb');
    expect(await firstId()).not.toBe(first); // id 0 is b's first item now: a's last
    expect(await revalidated()).toMatchObject({ state: 'current' });

    // Rebuilt with another model, whose files the model URL does not serve (a deploy half done): nothing downloaded;
    // the next load asks the network first, as revalidate: true (so no background revalidation after it), and
    // takes the stored copy, which matches the model in use, in place of the server's memory.
    const manifest = JSON.parse(readFileSync(`${served}/manifest.json`, 'utf8'));
    writeFileSync(`${served}/manifest.json`, JSON.stringify({ ...manifest, model: { ...manifest.model, sha256: 'f'.repeat(64) } }));
    expect((await loadServed()).memorySource).toBe('indexeddb');
    expect(await revalidated()).toEqual({ state: 'model-changed', model: 'f'.repeat(64) });
    const standIn = await loadServed();
    expect(standIn).toMatchObject({ memorySource: 'indexeddb', storedInstead: expect.stringMatching(/-served\/manifest\.json\) was built with another model \(sha256 ffffffffffff…\) than the one in use; this model's stored copy was used\.$/) });
    expect(await firstId()).not.toBe(first); // b's, as stored
    expect(await revalidated()).toBeUndefined();
    // The mark cleared: the next load from the store, and its revalidation finds a's version served again.
    serve(a);
    expect((await loadServed()).memorySource).toBe('indexeddb');
    expect(await revalidated()).toMatchObject({ state: 'stored' });
    expect((await loadServed()).memorySource).toBe('indexeddb');
    expect(await firstId()).toBe(first);
    expect(await revalidated()).toMatchObject({ state: 'current' });
  });

  it("a retrained model at the same memory URL: the user's updates encoded again with it behind its first load, the old model's record gone; a forget forgets every model's", async () => {
    const { a, served, serve } = await rebuiltMemories('retrained');
    const retrained = retrainedCopy('models/movielens-demo', 'retrained-model');
    type Reencoded = { state: string; fromModels: string[]; rows: number; dropped?: number; ms?: number };
    type Loaded = { overlay: Overlay & { reencoded?: Reencoded } };
    const loadWith = async (modelUrl: string) => value(await call<Loaded>('load', { modelUrl, memoryUrl: `/${served}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, revalidate: true }));
    const storedRecords = (add?: { model: string; shard: string }) => servedOverlays(add && { ...add, rows: [{ item: 1, history: [2], at: 1 }] });
    const hiddenOf = async () => value(await call<{ hidden: number[] }>('recommend', { history, k: 1, returnHidden: true })).hidden;

    serve(a);
    await loadWith(MODEL);
    value(await call('clearInteractions'));
    const chosen = value(await call<{ items: Item[] }>('recommend', { history, k: 300, strategy: 'global' })).items[250].id;
    for (let i = 0; i < 3; i++) value(await call<Overlay>('recordInteraction', { history, item: chosen }));
    const [before] = await storedRecords();
    const oldHidden = await hiddenOf();
    value(await call('heardInteractions')); // none expected before the retrained model's load

    // Retrained: the memory at the same URL is now built with the new model, which loads from its own folder. The
    // load returns before the rows are encoded again; a recommend() meanwhile is answered.
    serve(shardForModel(a, retrained, `test-results/retrained-b`));
    const loaded = await loadWith(`/${retrained}`);
    expect(loaded.overlay).toEqual({ rows: 0, cap: 1024, seen: 0, persisted: true, reencoded: { state: 'encoding', fromModels: [before.model], rows: 3, stored: 0 } });
    const newHidden = await hiddenOf();
    let heard: (Overlay & { reencoded?: Reencoded })[] = [];
    for (let tries = 0; heard.length === 0 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      heard = value(await call<typeof heard>('heardInteractions'));
    }
    expect(heard).toEqual([{ rows: 3, cap: 1024, seen: 3, persisted: true, reencoded: { state: 'stored', fromModels: [before.model], rows: 3, dropped: 0, ms: expect.any(Number) } }]);
    const [after, ...none] = await storedRecords();
    expect(none).toEqual([]);
    expect(after.model).not.toBe(before.model);
    expect(after.items).toEqual([chosen, chosen, chosen]);
    // Each row is the new model's h_t of that history (float16), not the old model's.
    const maxDiff = (bits: number[], h: number[]) => Math.max(...bits.map((b, i) => Math.abs(fromFloat16Bits(b) - h[i])));
    expect(maxDiff(after.hidden[0], newHidden)).toBeLessThan(2e-3);
    expect(maxDiff(before.hidden[0], oldHidden)).toBeLessThan(2e-3);
    expect(maxDiff(after.hidden[0], oldHidden)).toBeGreaterThan(0.05);
    // Those rows are the nearest to that h_t again: the item leads L2D-L.
    expect(value(await call<{ items: Item[] }>('recommend', { history, k: 5, strategy: 'local', m: 200 })).items[0]).toMatchObject({ id: chosen, source: 'local' });

    // The next load finds nothing to take over; the rows stay.
    expect((await loadWith(`/${retrained}`)).overlay).toEqual({ rows: 3, cap: 1024, seen: 3, persisted: true });
    // A forget forgets every model's record of this memory: an earlier model's would otherwise come back at the next load.
    await storedRecords({ model: before.model, shard: after.shard });
    value(await call('clearInteractions'));
    expect(await storedRecords()).toEqual([]);
  });

  it("re-encoding stores a part at a time: a later load() goes on with the rows not yet stored, none lost or stored twice", async () => {
    const { a, served, serve } = await rebuiltMemories('reencode-parts');
    type Loaded = { overlay: Overlay & { reencoded?: { state: string; rows: number; stored?: number } } };
    const loadServed = async () => value(await call<Loaded>('load', { modelUrl: MODEL, memoryUrl: `/${served}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM, revalidate: true }));
    serve(a);
    await loadServed();
    value(await call('clearInteractions'));
    value(await call<Overlay>('recordInteraction', { history, item: 7 }));
    const [{ model, shard }] = await servedOverlays();
    value(await call('clearInteractions'));
    // 160 purchases recorded with an earlier model of this memory URL (hidden states of zeros): ~4 s to encode on wasm.
    const earlier = 'an-earlier-model';
    const rows = Array.from({ length: 160 }, (_, i) => ({ item: 200 + i, history: [i + 1, i + 2, i + 3], at: 1000 + i }));
    await servedOverlays({ model: earlier, shard, rows });

    expect((await loadServed()).overlay.reencoded).toEqual({ state: 'encoding', fromModels: [earlier], rows: 160, stored: 0 });
    // Wait for the first part stored (the model's record holds rows, the earlier one the rest), then load again.
    let part: Awaited<ReturnType<typeof servedOverlays>> = [];
    for (let tries = 0; tries < 400; tries++) {
      part = await servedOverlays();
      if (part.length !== 1 || part[0].model !== earlier) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(part.map((r) => r.model).sort(), 'a part is stored before the whole run ends').toEqual([earlier, model].sort());
    const reloaded = await loadServed();
    const [partEarlier, partOwn] = [part.find((r) => r.model === earlier)!, part.find((r) => r.model === model)!];
    // Newest first: the part holds the newest rows, the earlier record exactly the others.
    expect([...partOwn.at, ...partEarlier.at].sort((x, y) => x - y)).toEqual(rows.map((r) => r.at));
    expect(Math.min(...partOwn.at)).toBeGreaterThan(Math.max(...partEarlier.at));
    expect(partOwn.seen + partEarlier.seen).toBe(160);
    // The later load uses the stored part at once and encodes only the rest (that run may have stored more meanwhile).
    expect(reloaded.overlay.rows).toBeGreaterThanOrEqual(partOwn.items.length);
    expect(reloaded.overlay.reencoded).toEqual({ state: 'encoding', fromModels: [earlier], rows: 160 - reloaded.overlay.rows, stored: 0 });

    await expect.poll(async () => (await servedOverlays()).map((r) => r.model), { timeout: 30_000 }).toEqual([model]);
    const [done] = await servedOverlays();
    expect(done.items).toEqual(rows.map((r) => r.item));
    expect(done.seen).toBe(160);
    // Every row encoded again by this model (none kept its zeros).
    expect(done.hidden.filter((h) => h.every((bits) => bits === 0))).toEqual([]);
    value(await call('clearInteractions'));
  });

  it('keeps at most overlayCap samples (a reservoir of all recorded)', async () => {
    await load('cpu', { overlayCap: 2 });
    value(await call('clearInteractions'));
    let overlay: Overlay | undefined;
    for (const item of [1, 2, 3, 4]) overlay = value(await call<Overlay>('recordInteraction', { history, item }));
    expect(overlay).toEqual({ rows: 2, cap: 2, seen: 4, persisted: true });
    // A later visit with a smaller cap keeps the newest stored samples that fit, instead of failing.
    expect((await load('cpu', { overlayCap: 1 })).overlay).toEqual({ rows: 1, cap: 1, seen: 4, persisted: true });
    expect((await load('cpu', { overlayCap: 0 })).overlay).toEqual({ rows: 0, cap: 0, seen: 4, persisted: true });
    value(await call('clearInteractions'));
  });

  it('reads a centroid memory (build-memory --centroids-of): the CPU rule on its rows, L2D-L as L2D-G; updates weigh the user\'s row against the item\'s samples, equal to the CPU reference', async () => {
    // A stored sample for the shipped memory: the centroid memory (another URL) has its own.
    await load('cpu');
    value(await call<Overlay>('recordInteraction', { history, item: 7 }));
    const folder = 'test-results/centroid-memory';
    await buildCentroidMemory(MEMORY.slice(1), folder);
    const { manifest, memory } = await loadShard(folder);
    const sampleCounts = centroidSampleCounts(manifest, memory)!;
    for (const decoder of ['webgpu', 'cpu'] as const) {
      const loaded = value(await call<{ rows: number; centroidMemory?: unknown; overlay: Overlay; decoder: { decoder: string } }>('load', { modelUrl: MODEL, memoryUrl: `/${folder}`, device: 'wasm', decoder, wasmPaths: WASM }));
      expect(loaded.decoder.decoder).toBe(decoder);
      expect([loaded.rows, loaded.centroidMemory, loaded.overlay]).toEqual([3034, { sampleRows: 21456, memoryUpdates: true }, { rows: 0, cap: 1024, seen: 0, persisted: true }]);
      const global = value(await call<{ items: Item[]; hidden: number[] }>('recommend', { history, k: 300, strategy: 'global', returnHidden: true }));
      const reference = new CpuDecoder(memory, { sampleCounts });
      expect(global.items.map((i) => i.id)).toEqual(reference.decode(Array.from(global.hidden), { k: 300, strategy: 'global' }).map((x) => x.item));
      const local = value(await call<{ items: Item[] }>('recommend', { history, k: 300, strategy: 'local', m: 200 })).items;
      expect(local.map((i) => i.id)).toEqual(global.items.map((i) => i.id));

      // The user chose an item far down the list after this history, twice: its centroid moves by 2 / (n + 2) towards h_t.
      const chosen = global.items[250].id;
      for (let i = 0; i < 2; i++) value(await call<Overlay>('recordInteraction', { history, item: chosen }));
      const after = value(await call<{ items: Item[] }>('recommend', { history, k: 300, strategy: 'global' })).items;
      const h = Uint16Array.from(global.hidden, toFloat16Bits);
      reference.setOverlay({ vectors: Uint16Array.from([...h, ...h]), labels: Uint32Array.of(chosen, chosen) });
      const expected = reference.decode(Array.from(global.hidden), { k: 300, strategy: 'global' });
      expect(after.map((i) => i.id)).toEqual(expected.map((x) => x.item));
      expect(after.map((i) => i.distance)).toEqual(expected.map((x) => x.distance));
      expect(after.findIndex((i) => i.id === chosen)).toBeLessThan(250);
      expect(value(await call<Overlay>('clearInteractions'))).toEqual({ rows: 0, cap: 1024, seen: 0, persisted: true });
      expect(value(await call<{ items: Item[] }>('recommend', { history, k: 300, strategy: 'global' })).items).toEqual(global.items.map(({ id, sourceId, title, distance, score, source }) => ({ id, sourceId, title, distance, score, source })));
    }
    // A centroid shard without its items' sample counts (built before they were stored): read as before, no updates.
    const legacy = centroidShardWithoutCounts(folder, 'test-results/centroid-memory-legacy');
    const old = value(await call<{ centroidMemory?: unknown; overlay: Overlay }>('load', { modelUrl: MODEL, memoryUrl: `/${legacy}`, device: 'wasm', decoder: 'cpu', wasmPaths: WASM }));
    expect([old.centroidMemory, old.overlay.cap]).toEqual([{ sampleRows: 21456, memoryUpdates: false }, 0]);
    const refused = await call('recordInteraction', { history, item: 7 });
    expect(!refused.ok && refused.message).toBe("This memory holds one centroid per item without its items' sample counts (built before they were stored): build it again with build-memory --centroids-of for memory updates. Nothing was recorded.");
    // Back on the shipped memory, its stored sample is still there.
    expect((await load('cpu')).overlay).toMatchObject({ rows: 1, seen: 1 });
    value(await call('clearInteractions'));
  });
});
