/** Test page of the IndexedDB shard store (src/store), with a fetch that can fail on cue. */
import { deleteDB } from 'idb';
import { L2DError } from '../../src/core/errors.ts';
import { rowStride } from '../../src/core/memory.ts';
import { sha256Hex } from '../../src/core/shard-format.ts';
import { ShardStore, storageReport } from '../../src/store/shard-store.ts';
import { cachedFetch, cachedModelFiles, deleteCachedModels, refreshCachedModel } from '../../src/store/model-cache.ts';
import { prefetchRebuiltModel } from '../../src/store/rebuilt-model.ts';

interface LoadCase {
  db: string;
  url: string;
  model: { sha256: string; hiddenSize: number };
  /** Chunk files fetched before the network "drops" (a cut download). */
  failAfterChunks?: number;
  /** Every request fails, as with no network. */
  offline?: boolean;
  /** Appended to the manifest's text: the same shard as a new version. */
  manifestSuffix?: string;
  /** The manifest's whole answer instead (a host's index page in its place). */
  manifestAnswer?: string;
  prefer?: 'network' | 'store';
  /** Each chunk's answer held this long (a slow download). */
  chunkDelayMs?: number;
}

async function memoryDigest(vectors: Uint16Array, labels: Uint32Array): Promise<string> {
  const bytes = new Uint8Array(vectors.byteLength + labels.byteLength);
  bytes.set(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  bytes.set(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength), vectors.byteLength);
  return sha256Hex(bytes);
}

/** The case's fetch: it records each request's file name, and fails or rewrites answers as the case asks. */
function caseFetch(c: LoadCase, requests: string[]): typeof fetch {
  let chunkFetches = 0;
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (c.offline) throw new TypeError('Failed to fetch');
    if (/chunk-\d+\.bin$/.test(url) && c.failAfterChunks !== undefined && chunkFetches++ >= c.failAfterChunks) throw new TypeError('Failed to fetch');
    requests.push(url.split('/').pop()!);
    if (c.chunkDelayMs && /chunk-\d+\.bin$/.test(url)) await new Promise((resolve) => setTimeout(resolve, c.chunkDelayMs));
    const response = await fetch(input, init);
    if (c.manifestAnswer !== undefined && url.endsWith('manifest.json')) return new Response(c.manifestAnswer, { headers: { 'Content-Type': 'text/html' } });
    if (c.manifestSuffix && url.endsWith('manifest.json')) return new Response((await response.text()) + c.manifestSuffix);
    return response;
  }) as typeof fetch;
}

async function load(c: LoadCase) {
  const requests: string[] = [];
  const fakeFetch = caseFetch(c, requests);
  const store = await ShardStore.open(c.db);
  try {
    const progress: number[] = [];
    // How many requests were made when each chunk was in: the next one's download starts before.
    const requestsAtProgress: number[] = [];
    const shard = await store.load(c.url, {
      model: c.model,
      fetch: fakeFetch,
      prefer: c.prefer,
      onProgress: (p) => {
        progress.push(p.loaded);
        requestsAtProgress.push(requests.length);
      },
    });
    const { memory } = shard;
    return {
      ok: true as const,
      source: shard.source,
      refetched: shard.refetched,
      ...(shard.storedInstead ? { storedInstead: shard.storedInstead } : {}),
      rows: memory.rows,
      stride: rowStride(memory.dim),
      items: shard.items.length,
      digest: await memoryDigest(memory.vectors, memory.labels),
      requests,
      progress,
      requestsAtProgress,
    };
  } catch (error) {
    const e = error as L2DError;
    return { ok: false as const, name: e.name, code: e.code, message: e.message, isL2DError: e instanceof L2DError, requests };
  } finally {
    store.close();
  }
}

/** ShardStore.refresh (a background revalidation) as the case sets it up: what it found, or its error, and its requests. */
async function refresh(c: LoadCase) {
  const requests: string[] = [];
  const store = await ShardStore.open(c.db);
  try {
    return { ok: true as const, found: await store.refresh(c.url, { model: c.model, fetch: caseFetch(c, requests) }), requests };
  } catch (error) {
    const e = error as L2DError;
    return { ok: false as const, name: e.name, message: e.message, requests };
  } finally {
    store.close();
  }
}

async function inspect(db: string) {
  const store = await ShardStore.open(db);
  try {
    const records = await store.list();
    return Promise.all(records.map(async (r) => ({ ...r, chunks: await store.storedChunks(r.model, r.shard, r.version) })));
  } finally {
    store.close();
  }
}

/** Flips one byte of a stored chunk, as a disk error would. */
async function corruptChunk(db: string, index: number) {
  const store = await ShardStore.open(db);
  try {
    const [record] = await store.list();
    const key: [string, string, string, number] = [record.model, record.shard, record.version, index];
    const bytes = new Uint8Array((await store.db.get('chunks', key))!);
    bytes[1234] ^= 0xff;
    await store.db.put('chunks', bytes.buffer, key);
  } finally {
    store.close();
  }
}

/** Moves every stored version's last use (and save) `days` into the past, as if no load had used it since. */
async function backdate(db: string, days: number) {
  const store = await ShardStore.open(db);
  try {
    const shift = days * 24 * 60 * 60 * 1000;
    for (const record of await store.db.getAll('shards')) {
      await store.db.put('shards', { ...record, savedAt: record.savedAt - shift, usedAt: (record.usedAt ?? record.savedAt) - shift });
    }
  } finally {
    store.close();
  }
}

let heldRefresh: { open: () => void; outcome: Promise<boolean> } | undefined;

/** The model cache's side (src/store/model-cache.ts, rebuilt-model.ts), outcomes as plain values. */
const modelCache = {
  /** Each file's text as a load reads it (cache first, stored on the way). */
  read: (urls: string[]) => Promise.all(urls.map(async (url) => (await cachedFetch(url)).text())),
  prefetchRebuiltModel: async (folderUrl: string, memoryModel: string) => {
    try {
      return { ok: true, model: (await prefetchRebuiltModel(folderUrl, memoryModel)) ?? null };
    } catch (error) {
      const { name, message } = error as Error;
      return { ok: false, name, message, isL2DError: error instanceof L2DError };
    }
  },
  /** A refresh of `folderUrl` that accepts the new files once released (release()); its outcome is release()'s. */
  refreshHeld: async (folderUrl: string) => {
    let open!: () => void;
    const held = new Promise<void>((resolve) => (open = resolve));
    let accepted!: () => void;
    const reached = new Promise<void>((resolve) => (accepted = resolve));
    const outcome = refreshCachedModel(folderUrl, async () => (accepted(), await held, true));
    heldRefresh = { open, outcome };
    await reached;
  },
  release: async () => {
    heldRefresh!.open();
    return heldRefresh!.outcome;
  },
  deleteModel: async (folderUrl: string) => (await deleteCachedModels(folderUrl)).length,
  cachedFiles: async () => (await cachedModelFiles()).map((file) => file.url),
  stagingCaches: async () => (await caches.keys()).filter((name) => name.startsWith('l2d-models-staging-')),
  openCache: async (name: string) => void (await caches.open(name)),
  reset: async () => {
    for (const name of await caches.keys()) await caches.delete(name);
  },
};

(globalThis as unknown as { l2dModelCache: unknown }).l2dModelCache = modelCache;
/** Stores overlay records (rows of one zero hidden state each, `rows` of them), then reads `shard`'s back as `model`'s (overlaysOf). */
async function overlays(db: string, model: string, shard: string, put: { model: string; shard: string; rows: number }[]) {
  const store = await ShardStore.open(db);
  try {
    for (const record of put) {
      const rows = Array.from({ length: record.rows }, (_, i) => ({ item: i, history: [i + 1], hidden: new Uint16Array(4), at: i }));
      await store.updateOverlay(record.model, record.shard, () => ({ model: record.model, shard: record.shard, rows, seen: record.rows }));
    }
    const { own, others } = await store.overlaysOf(model, shard);
    const named = (r: { model: string; shard: string; rows: unknown[] }) => `${r.model}@${r.shard}:${r.rows.length}`;
    return { own: own && named(own), others: others.map(named).sort() };
  } finally {
    store.close();
  }
}

(globalThis as unknown as { l2dStore: unknown }).l2dStore = {
  load,
  overlays,
  refresh,
  inspect,
  corruptChunk,
  backdate,
  reset: (db: string) => deleteDB(db),
  storage: storageReport,
};
document.body.dataset.ready = 'true';
