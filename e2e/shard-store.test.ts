/**
 * The IndexedDB shard store in Chromium (src/store/shard-store.ts), on the
 * demo memory (2 chunks): first load from the network, second load with no
 * network from IndexedDB, a cut download resumed, a corrupted stored chunk
 * fetched again, a quota error with nothing half-written, two tabs at once,
 * and a new version replacing the old only once complete. Every successful
 * load must give the bytes Node reads from the shard's files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { loadShard } from '../tools/lib/shard-files.ts';
import { openHarness, type HarnessPage } from './browser.ts';

const MEMORY = 'models/movielens-demo/memory/train-q4-f0.3';

interface Loaded {
  ok: true;
  source: 'network' | 'indexeddb' | 'mixed';
  refetched: number[];
  rows: number;
  items: number;
  digest: string;
  requests: string[];
  requestsAtProgress: number[];
  progress: number[];
  storedInstead?: string;
}
type Failed = { ok: false; name: string; code: string; message: string; isL2DError: boolean; requests: string[] };
interface Stored {
  version: string;
  state: string;
  chunks: number[];
}

let harness: HarnessPage;
let model: { sha256: string; hiddenSize: number };
let digest: string;
let rows: number;
let url: string;

beforeAll(async () => {
  harness = await openHarness('e2e/harness/store.html');
  const manifest = JSON.parse((await import('node:fs')).readFileSync(`${MEMORY}/manifest.json`, 'utf8'));
  model = { sha256: manifest.model.sha256, hiddenSize: manifest.hiddenSize };
  const { memory } = await loadShard(MEMORY, model);
  rows = memory.rows;
  digest = createHash('sha256')
    .update(new Uint8Array(memory.vectors.buffer, memory.vectors.byteOffset, memory.vectors.byteLength))
    .update(new Uint8Array(memory.labels.buffer, memory.labels.byteOffset, memory.labels.byteLength))
    .digest('hex');
  url = `${harness.baseUrl}/${MEMORY}`;
});
afterAll(async () => {
  await harness?.close();
});

const storeCall = <T>(page: Page, fn: string, ...args: unknown[]) =>
  page.evaluate(([f, a]) => (globalThis as unknown as Record<string, Record<string, (...x: unknown[]) => Promise<unknown>>>).l2dStore[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
const call = <T>(fn: string, ...args: unknown[]) => storeCall<T>(harness.page, fn, ...args);
const load = (db: string, extra: Record<string, unknown> = {}) => call<Loaded | Failed>('load', { db, url, model, ...extra });
const loaded = (r: Loaded | Failed): Loaded => {
  if (!r.ok) throw new Error(`load failed: ${r.name}: ${r.message}`);
  return r;
};
const failed = (r: Loaded | Failed): Failed => {
  if (r.ok) throw new Error(`load succeeded (${r.source}) where it should fail`);
  return r;
};

describe('the IndexedDB shard store', () => {
  it('reports a quota error as StorageQuotaError with the space needed, leaving nothing stored', async () => {
    await call('reset', 'quota');
    const cdp = await harness.page.context().newCDPSession(harness.page);
    // Room for 4 MB more than is in use; the shard needs 10.6 MB. This test runs first: Chromium
    // did not apply the override once earlier tests had stored shards in the origin.
    const { usage } = await call<{ usage: number }>('storage');
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: harness.baseUrl, quotaSize: usage + 4_000_000 });
    try {
      const full = failed(await load('quota'));
      expect([full.name, full.code, full.isL2DError]).toEqual(['StorageQuotaError', 'storage-quota', true]);
      expect(full.message).toMatch(/needs 10\.\d MB.*nothing partial was kept/);
      expect(await call<Stored[]>('inspect', 'quota')).toEqual([]);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: harness.baseUrl });
    }
    expect(loaded(await load('quota')).digest).toBe(digest);
  });

  it('loads from the network first, then from IndexedDB with no network at all, with identical bytes', async () => {
    await call('reset', 'visits');
    const first = loaded(await load('visits'));
    expect(first.source).toBe('network');
    expect([first.rows, first.digest]).toEqual([rows, digest]);
    expect(first.requests).toEqual(['manifest.json', 'chunk-00000.bin', 'chunk-00001.bin', 'items.tsv']);
    // Each download starts while the chunk before is verified and stored: chunk 1 before chunk 0 is in, the catalog before chunk 1.
    expect(first.requestsAtProgress).toEqual([3, 4]);
    expect(first.progress.at(-1)).toBeGreaterThan(first.progress[0]);
    expect(await call<Stored[]>('inspect', 'visits')).toMatchObject([{ state: 'complete', chunks: [0, 1] }]);

    const second = loaded(await load('visits', { offline: true }));
    expect(second.source).toBe('indexeddb');
    expect(second.requests).toEqual([]);
    expect(second.digest).toBe(digest);
    expect(second.storedInstead).toBe(`${url}/manifest.json could not be fetched (Failed to fetch); the stored copy was used.`);

    // Online again: only the manifest is fetched, or nothing at all when the store is preferred.
    const third = loaded(await load('visits'));
    expect([third.source, third.requests]).toEqual(['indexeddb', ['manifest.json']]);
    const fourth = loaded(await load('visits', { prefer: 'store' }));
    expect([fourth.source, fourth.requests, fourth.digest]).toEqual(['indexeddb', [], digest]);
  });

  it('names a memory URL the server has nothing at, or answers with a page, as a wrong URL (not as offline), storing nothing', async () => {
    await call('reset', 'nowhere');
    const missing = failed(await call<Loaded | Failed>('load', { db: 'nowhere', url: `${harness.baseUrl}/models/movielens-demo/memory/not-built`, model }));
    expect([missing.name, missing.code]).toEqual(['ShardError', 'shard-invalid']);
    expect(missing.message).toBe(
      `${harness.baseUrl}/models/movielens-demo/memory/not-built/manifest.json: HTTP 404, and no copy of this memory is stored on this device; is the memory URL right (is the memory built)?`,
    );
    const page = failed(await load('nowhere', { manifestAnswer: '<!doctype html><html><body>The demo</body></html>' }));
    expect([page.name, page.code]).toEqual(['ShardError', 'shard-invalid']);
    expect(page.message).toMatch(/manifest\.json: the server answered with an HTML page, not this JSON file \(is the file there\?/);
    expect(await call<Stored[]>('inspect', 'nowhere')).toEqual([]);
  });

  it('resumes a cut download from the last good chunk, and keeps the partial shard invisible meanwhile', async () => {
    await call('reset', 'resume');
    const cut = failed(await load('resume', { failAfterChunks: 1 }));
    expect([cut.name, cut.code]).toEqual(['NetworkUnavailableError', 'network-unavailable']);
    expect(cut.message).toMatch(/chunk-00001\.bin could not be fetched.*next load resumes/);
    expect(await call<Stored[]>('inspect', 'resume')).toMatchObject([{ state: 'partial', chunks: [0] }]);

    const offline = failed(await load('resume', { offline: true }));
    expect(offline.code).toBe('network-unavailable');
    expect(offline.message).toMatch(/no complete copy of this memory is stored/);

    const resumed = loaded(await load('resume'));
    expect(resumed.source).toBe('mixed');
    expect(resumed.requests).toEqual(['manifest.json', 'chunk-00001.bin', 'items.tsv']);
    expect(resumed.digest).toBe(digest);
    expect(await call<Stored[]>('inspect', 'resume')).toMatchObject([{ state: 'complete', chunks: [0, 1] }]);
  });

  it('detects a corrupted chunk in IndexedDB and fetches it again (and refuses it offline)', async () => {
    await call('reset', 'corrupt');
    loaded(await load('corrupt'));
    await call('corruptChunk', 'corrupt', 1);
    const offline = failed(await load('corrupt', { offline: true }));
    expect([offline.name, offline.message]).toEqual(['ShardError', expect.stringMatching(/Chunk 1 of the stored memory is corrupted.*SHA-256/)]);

    const repaired = loaded(await load('corrupt'));
    expect(repaired.refetched).toEqual([1]);
    expect(repaired.requests).toEqual(['manifest.json', 'chunk-00001.bin']);
    expect(repaired.digest).toBe(digest);
    const again = loaded(await load('corrupt', { offline: true }));
    expect([again.source, again.refetched, again.digest]).toEqual(['indexeddb', [], digest]);
  });

  it('refuses a shard built for another model and stores nothing', async () => {
    await call('reset', 'other-model');
    const refused = failed(await call<Loaded | Failed>('load', { db: 'other-model', url, model: { ...model, sha256: '0'.repeat(64) } }));
    expect([refused.name, refused.message]).toEqual(['ShardError', expect.stringMatching(/not with the model in use/)]);
    expect(await call<Stored[]>('inspect', 'other-model')).toEqual([]);
  });

  it("a server whose memory is another model's (a deploy half done): the stored copy of this model's stands in, with no chunk asked for; with none stored, refused", async () => {
    await call('reset', 'half-deployed');
    loaded(await load('half-deployed'));
    const manifest = JSON.parse((await import('node:fs')).readFileSync(`${MEMORY}/manifest.json`, 'utf8'));
    const otherModel = JSON.stringify({ ...manifest, model: { ...manifest.model, sha256: 'f'.repeat(64) } });
    const stood = loaded(await load('half-deployed', { manifestAnswer: otherModel }));
    expect([stood.source, stood.requests, stood.digest]).toEqual(['indexeddb', ['manifest.json'], digest]);
    expect(stood.storedInstead).toBe(`The server's memory (${url}/manifest.json) was built with another model (sha256 ffffffffffff…) than the one in use; this model's stored copy was used.`);
    await call('reset', 'half-deployed');
    const refused = failed(await load('half-deployed', { manifestAnswer: otherModel }));
    expect([refused.name, refused.message]).toEqual(['ShardError', expect.stringMatching(/sha256 ffffffffffff…\), not with the model in use/)]);
  });

  it('keeps the old version until a new version of the shard is complete', async () => {
    await call('reset', 'versions');
    loaded(await load('versions'));
    const [v1] = await call<Stored[]>('inspect', 'versions');
    failed(await load('versions', { manifestSuffix: '\n', failAfterChunks: 1 }));
    const both = await call<Stored[]>('inspect', 'versions');
    expect(both.map((r) => [r.version === v1.version ? 'v1' : 'v2', r.state]).sort()).toEqual([['v1', 'complete'], ['v2', 'partial']]);
    // Offline meanwhile, the complete old version serves.
    expect(loaded(await load('versions', { offline: true })).digest).toBe(digest);

    loaded(await load('versions', { manifestSuffix: '\n' }));
    const after = await call<Stored[]>('inspect', 'versions');
    expect(after).toHaveLength(1);
    expect(after[0].version).not.toBe(v1.version);
    expect(after[0].state).toBe('complete');
  });

  it("deletes the old model's copy once a memory rebuilt at its URL with a retrained model is complete, unless a load of it is under way", async () => {
    await call('reset', 'retrained');
    const versions = async () => (await call<(Stored & { model: string })[]>('inspect', 'retrained')).map((r) => [r.model === model.sha256 ? 'old' : 'new', r.state]).sort();
    const manifest = JSON.parse((await import('node:fs')).readFileSync(`${MEMORY}/manifest.json`, 'utf8'));
    const retrained = { ...model, sha256: 'f'.repeat(64) };
    const rebuilt = { model: retrained, manifestAnswer: JSON.stringify({ ...manifest, model: { ...manifest.model, sha256: retrained.sha256 } }) };
    loaded(await load('retrained'));
    // Cut: the new model's version is partial, the old model's copy stays.
    failed(await load('retrained', { ...rebuilt, failAfterChunks: 1 }));
    expect(await versions()).toEqual([['new', 'partial'], ['old', 'complete']]);
    loaded(await load('retrained', rebuilt));
    expect(await versions()).toEqual([['new', 'complete']]);

    // Back to the old model, while another tab holds the retrained model's shard lock (a load of it under way): kept.
    const tab = await harness.openTab('e2e/harness/store.html');
    try {
      await tab.evaluate((name) => {
        void navigator.locks.request(name, () => new Promise((release) => Object.assign(globalThis, { releaseShard: release })));
      }, `l2d-shard ${retrained.sha256} ${url}`);
      loaded(await load('retrained'));
      expect(await versions()).toEqual([['new', 'complete'], ['old', 'complete']]);
      await tab.evaluate(() => (globalThis as unknown as { releaseShard: () => void }).releaseShard());
    } finally {
      await tab.close();
    }
    // The next completion of this model's version takes it (a rebuild of the same model, as another version).
    loaded(await load('retrained', { manifestSuffix: '\n' }));
    expect(await versions()).toEqual([['old', 'complete']]);
  });

  it('revalidates in the background: one request where nothing changed; a rebuilt version stored for the next load (resumed when cut), the old deleted only then; offline or another model stores nothing', async () => {
    type Refreshed = { ok: true; found: { state: string; version?: string; model?: string }; requests: string[] } | { ok: false; name: string; message: string; requests: string[] };
    const refresh = (extra: Record<string, unknown> = {}) => call<Refreshed>('refresh', { db: 'background', url, model, ...extra });
    const versions = async () => (await call<Stored[]>('inspect', 'background')).map((r) => [r.version, r.state, r.chunks]);
    await call('reset', 'background');
    loaded(await load('background'));
    const [[v1]] = await versions();
    expect(await refresh()).toEqual({ ok: true, found: { state: 'current', version: v1 }, requests: ['manifest.json'] });

    // Rebuilt on the server (another manifest), the download cut after one chunk: v1 stays, v2 partial.
    const cut = await refresh({ manifestSuffix: '\n', failAfterChunks: 1 });
    expect(cut).toMatchObject({ ok: false, name: 'NetworkUnavailableError', message: expect.stringMatching(/chunk-00001\.bin could not be fetched .*the next load resumes/) });
    const partial = await versions();
    expect(partial).toHaveLength(2);
    const v2 = partial.find(([v]) => v !== v1)![0];
    expect(partial).toEqual(expect.arrayContaining([[v1, 'complete', [0, 1]], [v2, 'partial', [0]]]));
    // Meanwhile a load from the store is v1, untouched, with no request.
    const meanwhile = loaded(await load('background', { prefer: 'store' }));
    expect([meanwhile.source, meanwhile.digest, meanwhile.requests]).toEqual(['indexeddb', digest, []]);

    const offline = await refresh({ manifestSuffix: '\n', offline: true });
    expect(offline).toMatchObject({ ok: false, name: 'NetworkUnavailableError', message: expect.stringMatching(/manifest\.json could not be fetched .*the stored memory stays in use\.$/) });
    // Resumed: only the missing chunk (and the catalog) downloaded, each verified; v1 deleted once v2 is complete.
    const stored = await refresh({ manifestSuffix: '\n' });
    expect(stored).toEqual({ ok: true, found: { state: 'stored', version: v2 }, requests: ['manifest.json', 'chunk-00001.bin', 'items.tsv'] });
    expect(await versions()).toEqual([[v2, 'complete', [0, 1]]]);
    const next = loaded(await load('background', { prefer: 'store' }));
    expect([next.source, next.digest, next.requests]).toEqual(['indexeddb', digest, []]);

    // A load from the store in another tab, begun while a revalidation downloads a rebuild: it waits for the shard's
    // lock, and then reads the version the revalidation completed (the one it first saw is deleted by then).
    const tab = await harness.openTab('e2e/harness/store.html');
    let v3: string;
    try {
      const rebuilding = refresh({ manifestSuffix: '\n\n', chunkDelayMs: 1500 });
      await new Promise((resolve) => setTimeout(resolve, 500)); // the revalidation holds the lock by now
      const [rebuilt, waited] = await Promise.all([rebuilding, storeCall<Loaded | Failed>(tab, 'load', { db: 'background', url, model, prefer: 'store' })]);
      expect(rebuilt).toMatchObject({ ok: true, found: { state: 'stored' } });
      expect([loaded(waited).source, loaded(waited).digest, loaded(waited).requests]).toEqual(['indexeddb', digest, []]);
      v3 = (rebuilt as { found: { version: string } }).found.version;
      expect(await versions()).toEqual([[v3, 'complete', [0, 1]]]);
    } finally {
      await tab.close();
    }

    // A memory the server rebuilt with another model: nothing downloaded, the model named.
    const otherModel = await refresh({ model: { ...model, sha256: 'f'.repeat(64) } });
    expect(otherModel).toEqual({ ok: true, found: { state: 'model-changed', model: model.sha256 }, requests: ['manifest.json'] });
    expect(await versions()).toEqual([[v3, 'complete', [0, 1]]]);
  });

  it("deletes another memory's copy once no load has used it for 30 days (a store's earlier deploy at another URL), never the one in use", async () => {
    await call('reset', 'unused');
    const centroids = `${harness.baseUrl}/models/movielens-demo/memory/train-q4-f0.3-centroids`;
    const shards = async () => (await call<(Stored & { shard: string })[]>('inspect', 'unused')).map((r) => r.shard.split('/').pop()).sort();
    loaded(await load('unused'));
    await call('backdate', 'unused', 29);
    loaded(await load('unused', { url: centroids }));
    expect(await shards()).toEqual(['train-q4-f0.3', 'train-q4-f0.3-centroids']); // 29 days: kept
    await call('backdate', 'unused', 2);
    // The centroids, used 2 days ago, are loaded again (from the store): the other memory, 31 days unused, goes.
    expect(loaded(await load('unused', { url: centroids })).source).toBe('indexeddb');
    expect(await shards()).toEqual(['train-q4-f0.3-centroids']);
    // Used now: backdated 31 days, still not deleted by a load of itself.
    await call('backdate', 'unused', 31);
    loaded(await load('unused', { url: centroids, prefer: 'store' }));
    expect(await shards()).toEqual(['train-q4-f0.3-centroids']);
  });

  it("reads a memory's stored updates in one go: the model's record, and other models' that hold rows, none of another memory", async () => {
    const put = [
      { model: 'm-now', shard: '/mem', rows: 2 },
      { model: 'm-earlier', shard: '/mem', rows: 3 },
      { model: 'm-older', shard: '/mem', rows: 1 },
      { model: 'm-forgotten', shard: '/mem', rows: 0 },
      { model: 'm-now', shard: '/other-mem', rows: 4 },
      { model: 'm-earlier', shard: '/other-mem', rows: 5 },
    ];
    expect(await call('overlays', 'overlays-of', 'm-now', '/mem', put)).toEqual({ own: 'm-now@/mem:2', others: ['m-earlier@/mem:3', 'm-older@/mem:1'] });
    expect(await call('overlays', 'overlays-of', 'm-new', '/other-mem', [])).toEqual({ others: ['m-earlier@/other-mem:5', 'm-now@/other-mem:4'] });
    expect(await call('overlays', 'overlays-of', 'm-now', '/no-such-mem', [])).toEqual({ others: [] });
    await call('reset', 'overlays-of');
  });

  it('ends with one correct shard when two tabs load it at the same time', async () => {
    await call('reset', 'tabs');
    const tab = await harness.openTab('e2e/harness/store.html');
    let v3: string;
    try {
      const [a, b] = await Promise.all([load('tabs'), storeCall<Loaded | Failed>(tab, 'load', { db: 'tabs', url, model })]);
      expect([loaded(a).digest, loaded(b).digest]).toEqual([digest, digest]);
      // The Web Lock makes the second tab wait and read what the first stored.
      const chunkFetches = [...loaded(a).requests, ...loaded(b).requests].filter((r) => r.startsWith('chunk-'));
      expect(chunkFetches.sort()).toEqual(['chunk-00000.bin', 'chunk-00001.bin']);
      expect(await call<Stored[]>('inspect', 'tabs')).toMatchObject([{ state: 'complete', chunks: [0, 1] }]);
    } finally {
      await tab.close();
    }
  });
});
