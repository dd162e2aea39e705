/**
 * Memory shards on the device, in IndexedDB (through idb): a second visit
 * loads with no network at all, a cut download resumes from the last good
 * chunk, and a stored chunk that fails its checksum is fetched again.
 *
 * Records: `shards` holds one record per (model, shard, version) with the
 * manifest, catalog and a state; `chunks` holds each shard chunk as an
 * ArrayBuffer keyed by (model, shard, version, chunk index). A version
 * becomes 'complete' only once every chunk is stored and verified; an older
 * version of the same shard is deleted only after that. Concurrent loads of
 * one shard (two tabs) take turns through a Web Lock. Each committed write of
 * an overlay (the user's memory updates) is announced to the other tabs
 * (overlay-changes.ts).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { NetworkUnavailableError, ShardError, StorageQuotaError } from '../core/errors.ts';
import { ChunkChecker, PendingMemory, checkShardModel, parseShardManifest, sha256Hex, verifiedCatalog, type ChunkSink, type ShardManifest } from '../core/shard-format.ts';
import { CHUNKS_AHEAD, RELOAD, checkedOrReloaded, fetchAhead, type LoadedShard, type StreamedShard } from '../shard-fetch.ts';
import { announceOverlayChange } from './overlay-changes.ts';
import { ifUnlocked, withLock } from './web-locks.ts';

export const STORE_DB_NAME = 'l2d-memory';
const DB_VERSION = 1;

type ShardKey = [model: string, shard: string, version: string];
type ChunkKey = [model: string, shard: string, version: string, index: number];

export interface ShardRecord {
  /** SHA-256 of the model file the shard was built with. */
  model: string;
  /** Which shard: its URL unless the caller names it. */
  shard: string;
  /** First 16 hex digits of the manifest's SHA-256: a rebuilt shard is a new version. */
  version: string;
  state: 'partial' | 'complete';
  manifest: ShardManifest;
  /** items.tsv, once fetched and verified. */
  catalog?: ArrayBuffer;
  bytes: number;
  savedAt: number;
  /** When a load last used it (records from before 2026-12-07 have none: savedAt stands in). */
  usedAt?: number;
}

export interface OverlayRecord {
  model: string;
  shard: string;
  /** SHA-256 of the catalog (items.tsv) whose ids the rows use (records from before 2026-12-07 have none). */
  catalog?: string;
  /**
   * The user's own samples, oldest first, encoded (float16 bits, unpadded); `key` and `historyKeys` name the item
   * and the history by the catalog's keys (source ids), so a rebuilt catalog's ids are found again (overlay-catalog.ts).
   */
  rows: { item: number; history: number[]; hidden: Uint16Array; at: number; key?: string; historyKeys?: string[] }[];
  /** Samples seen, for the reservoir policy once the cap is reached. */
  seen: number;
}

interface StoreSchema extends DBSchema {
  shards: { key: ShardKey; value: ShardRecord; indexes: { byShard: [string, string] } };
  chunks: { key: ChunkKey; value: ArrayBuffer };
  overlays: { key: [string, string]; value: OverlayRecord };
}

export interface StorageReport {
  /** navigator.storage.persisted(): the browser will not evict this origin's data under pressure. */
  persisted?: boolean;
  usage?: number;
  quota?: number;
}

export interface StoreLoadProgress {
  loaded: number;
  total: number;
  /** Of `loaded`, bytes read from IndexedDB instead of the network. */
  fromStore: number;
}

export interface StoreStreamOptions {
  /** The model in use: a shard built with another is refused. */
  model: { sha256: string; hiddenSize: number };
  /** Names the shard (default: its URL), e.g. to keep one copy across mirrors. */
  shardId?: string;
  onProgress?: (p: StoreLoadProgress) => void;
  /**
   * 'network' (default): fetch the manifest first, so a rebuilt shard is
   * picked up; 'store': use the newest complete stored version without
   * asking the network (a second visit makes no request), the network only
   * for what is missing or corrupted.
   */
  prefer?: 'network' | 'store';
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

export interface StoreLoadOptions extends StoreStreamOptions {
  /** Rows to reserve after the shard's (memory updates append there). */
  spareRows?: number;
}

/** A shard whose chunks went to a ChunkSink (ShardStore.stream). */
export interface StoredChunks extends StreamedShard {
  /** Where the chunks came from. */
  source: 'network' | 'indexeddb' | 'mixed';
  version: string;
  /** Chunks found corrupted in IndexedDB and fetched again. */
  refetched: number[];
  /** Why the stored copy was used although the network was asked first (offline; the server's memory of another model). */
  storedInstead?: string;
}

export interface StoredShard extends StoredChunks, LoadedShard {}

/**
 * What a background revalidation (ShardStore.refresh) found: the stored version is the server's ('current'), the
 * server's new version is now stored for the next load ('stored'), or the server's memory was built with another
 * model (its SHA-256), whose files the next load must fetch first ('model-changed').
 */
export type ShardRefresh = { state: 'current' | 'stored'; version: string } | { state: 'model-changed'; model: string };

/** A manifest request the server answered with an error status (told apart from a request that never got an answer). */
class HttpStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : (bytes / 2 ** 20).toFixed(1));

/** How full this origin is, for a StorageQuotaError: "this site may use Q MB, U MB are in use". */
async function roomReport(): Promise<string> {
  const { usage, quota } = await storageReport();
  return `this site may use ${mb(quota)} MB, ${mb(usage)} MB are in use`;
}

function isQuotaError(error: unknown): boolean {
  const e = error as { name?: string; inner?: { name?: string } } | undefined;
  return e?.name === 'QuotaExceededError' || (e?.name === 'AbortError' && e.inner?.name === 'QuotaExceededError');
}

export async function storageReport(): Promise<StorageReport> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!storage) return {};
  const [estimate, persisted] = await Promise.all([storage.estimate?.().catch(() => undefined), storage.persisted?.().catch(() => undefined)]);
  return { persisted, usage: estimate?.usage, quota: estimate?.quota };
}

/** Asks the browser to keep this origin's data under storage pressure (pages only: workers lack persist()). */
export async function requestPersistence(): Promise<boolean | undefined> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  return typeof storage?.persist === 'function' ? storage.persist().catch(() => undefined) : undefined;
}

/** How long a stored shard no load has used is kept (see ShardStore's used()). */
export const UNUSED_SHARD_MS = 30 * 24 * 60 * 60 * 1000;

export class ShardStore {
  private constructor(readonly db: IDBPDatabase<StoreSchema>) {}

  static async open(name = STORE_DB_NAME): Promise<ShardStore> {
    const db = await openDB<StoreSchema>(name, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('shards', { keyPath: ['model', 'shard', 'version'] }).createIndex('byShard', ['model', 'shard']);
        db.createObjectStore('chunks');
        db.createObjectStore('overlays', { keyPath: ['model', 'shard'] });
      },
    });
    return new ShardStore(db);
  }

  /**
   * Our database if this origin has one and IndexedDB opens here, else undefined: none is made just to look into
   * it or to delete from it.
   */
  static async openExisting(): Promise<ShardStore | undefined> {
    try {
      if (typeof indexedDB === 'undefined') return undefined;
      const databases = await indexedDB.databases?.().catch(() => undefined);
      if (databases && !databases.some((d) => d.name === STORE_DB_NAME)) return undefined;
      return await ShardStore.open();
    } catch {
      return undefined; // IndexedDB refused here: nothing of ours can be stored in it
    }
  }

  close(): void {
    this.db.close();
  }

  /** Every stored shard version, complete or not. */
  async list(): Promise<Omit<ShardRecord, 'catalog' | 'manifest'>[]> {
    return (await this.db.getAll('shards')).map(({ catalog: _c, manifest: _m, ...rest }) => rest);
  }

  async storedChunks(model: string, shard: string, version: string): Promise<number[]> {
    const keys = await this.db.getAllKeys('chunks', IDBKeyRange.bound([model, shard, version, 0], [model, shard, version, Infinity]));
    return keys.map((k) => k[3]);
  }

  /**
   * Loads a shard: chunks already stored (and verified) come from IndexedDB,
   * the rest from the network, each stored as it arrives. When the manifest
   * cannot be fetched (offline), or names another model than the one in use
   * (a deploy half done), the newest complete stored version is used.
   */
  async load(url: string, options: StoreLoadOptions): Promise<StoredShard> {
    const pending = new PendingMemory(options.spareRows ?? 0);
    const stored = await this.stream(url, options, pending.sinkFor);
    return { ...stored, memory: pending.finish() };
  }

  /**
   * load(), each chunk handed to the sink `sinkFor` makes for the manifest as soon as it is read or downloaded:
   * the sink checks it (one it refuses with a ShardError is fetched again where it came from the store, else the
   * load fails with that error), and takes it once it is stored.
   */
  async stream(url: string, options: StoreStreamOptions, sinkFor: (manifest: ShardManifest) => ChunkSink): Promise<StoredChunks> {
    const base = url.replace(/\/$/, '');
    const shard = options.shardId ?? base;
    const fetchFn = options.fetch ?? fetch.bind(globalThis);
    if (options.prefer === 'store') {
      const stored = await this.fillNewestComplete(base, shard, options, fetchFn, true, sinkFor);
      if (stored) return stored;
    }
    let manifestText: string;
    try {
      manifestText = await fetchManifestText(base, fetchFn);
    } catch (error) {
      const stored = await this.fillNewestComplete(base, shard, options, fetchFn, false, sinkFor);
      if (stored) return { ...stored, storedInstead: `${base}/manifest.json could not be fetched (${(error as Error).message}); the stored copy was used.` };
      // A server that answers, but not with the manifest, is a wrong URL (or an unbuilt memory), not an offline device.
      if (error instanceof HttpStatus) {
        throw new ShardError(`${base}/manifest.json: HTTP ${error.status}, and no copy of this memory is stored on this device; is the memory URL right (is the memory built)?`);
      }
      throw new NetworkUnavailableError(
        `${base}/manifest.json could not be fetched (${(error as Error).message}) and no complete copy of this memory is stored on this device yet.`,
      );
    }
    const manifest = parseShardManifest(manifestText, `${base}/manifest.json`);
    if (manifest.model.sha256 !== options.model.sha256) {
      // The server's memory is another model's (a deploy half done: the memory there before its model): this
      // model's stored copy stands in, as when the network does not answer; offline, since the server's chunk
      // files are that other memory's now.
      const stored = await this.fillNewestComplete(base, shard, options, fetchFn, false, sinkFor);
      if (stored) return { ...stored, storedInstead: `The server's memory (${base}/manifest.json) was built with another model (sha256 ${manifest.model.sha256.slice(0, 12)}…) than the one in use; this model's stored copy was used.` };
    }
    checkShardModel(manifest, options.model);
    const version = await manifestVersion(manifestText);
    let used: ShardRecord | undefined;
    const loaded = await withLock(lockName(options.model.sha256, shard), async () => {
      const record = await this.versionRecord(options.model.sha256, shard, version, manifest);
      const filled = await this.fill(base, record, options, fetchFn, true, sinkFor);
      await this.deleteOtherVersions(record);
      used = record;
      return filled;
    });
    return this.used(loaded, used!);
  }

  /**
   * The newest complete stored version, read (and filled where `online`) under the shard's lock; undefined where none
   * is stored. Looked up again under the lock: another tab may have replaced it while this one waited (a
   * revalidation completing a rebuilt version deletes the old one).
   */
  private async fillNewestComplete(base: string, shard: string, options: StoreStreamOptions, fetchFn: typeof fetch, online: boolean, sinkFor: (manifest: ShardManifest) => ChunkSink): Promise<StoredChunks | undefined> {
    const model = options.model.sha256;
    if (!(await this.newestComplete(model, shard))) return undefined;
    let used: ShardRecord | undefined;
    const loaded = await withLock(lockName(model, shard), async () => {
      used = await this.newestComplete(model, shard);
      return used && this.fill(base, used, options, fetchFn, online, sinkFor);
    });
    return loaded && this.used(loaded, used!);
  }

  /**
   * Revalidation in the background (load()'s `revalidate: 'background'`, after a load from the stored copy): asks
   * the network for the shard's manifest and, where it names a version not stored complete, downloads that version
   * (resuming a partial one), verifying each chunk as a load does, for the next load to use; the version in use now
   * stays in memory and is deleted from the store once the new one is complete. A manifest of a memory built with
   * another model downloads nothing: the model itself was rebuilt ('model-changed'). Failures throw as a load's do;
   * the stored versions are kept.
   */
  async refresh(url: string, options: StoreStreamOptions): Promise<ShardRefresh> {
    const base = url.replace(/\/$/, '');
    const shard = options.shardId ?? base;
    const fetchFn = options.fetch ?? fetch.bind(globalThis);
    const manifestText = await fetchManifestText(base, fetchFn).catch((error: Error) => {
      throw error instanceof HttpStatus
        ? new ShardError(`${base}/manifest.json: HTTP ${error.status}; the stored memory stays in use.`)
        : new NetworkUnavailableError(`${base}/manifest.json could not be fetched (${error.message}); the stored memory stays in use.`);
    });
    const manifest = parseShardManifest(manifestText, `${base}/manifest.json`);
    if (manifest.model.sha256 !== options.model.sha256) return { state: 'model-changed', model: manifest.model.sha256 };
    checkShardModel(manifest, options.model);
    const version = await manifestVersion(manifestText);
    return withLock(lockName(options.model.sha256, shard), async () => {
      const record = await this.versionRecord(options.model.sha256, shard, version, manifest);
      if (record.state === 'complete') return { state: 'current', version };
      const checker = new ChunkChecker(manifest);
      await this.fill(base, record, options, fetchFn, true, () => ({ check: (index, chunk) => checker.check(index, chunk), take: () => undefined }));
      await this.deleteOtherVersions(record);
      return { state: 'stored', version };
    });
  }

  /** The stored record of a shard version, or a new 'partial' one for it (call under the shard's lock). */
  private async versionRecord(model: string, shard: string, version: string, manifest: ShardManifest): Promise<ShardRecord> {
    const stored = await this.db.get('shards', [model, shard, version]);
    if (stored) return stored;
    const bytes = manifest.chunks.reduce((s, c) => s + c.bytes, 0);
    const record: ShardRecord = { model, shard, version, state: 'partial', manifest, bytes, savedAt: Date.now() };
    await this.write(record, () => this.db.put('shards', record));
    return record;
  }

  /**
   * After a load: the version it used is marked used now, and every other shard's versions not used for
   * UNUSED_SHARD_MS are deleted (a memory the site no longer names, e.g. an earlier deploy's at another URL, would
   * otherwise stay for good). They are downloadable copies; the user's memory updates (overlays) are never touched.
   * Best effort: a failure here never fails the load.
   */
  private async used(loaded: StoredChunks, record: Pick<ShardRecord, 'model' | 'shard' | 'version'>): Promise<StoredChunks> {
    try {
      const now = Date.now();
      // Read and written in one transaction: another tab's write of the record in between is not undone.
      const tx = this.db.transaction('shards', 'readwrite');
      const current = await tx.store.get([record.model, record.shard, record.version]);
      if (current) await tx.store.put({ ...current, usedAt: now });
      await tx.done;
      for (const other of await this.list()) {
        if ((other.model === record.model && other.shard === record.shard) || (other.usedAt ?? other.savedAt) > now - UNUSED_SHARD_MS) continue;
        // Skipped while another tab loads it (holding its lock); looked at again under the lock.
        await ifUnlocked(lockName(other.model, other.shard), async () => {
          const again = await this.db.get('shards', [other.model, other.shard, other.version]);
          if (again && (again.usedAt ?? again.savedAt) <= now - UNUSED_SHARD_MS) await this.deleteVersion(again);
        });
      }
    } catch {
      // The next load tries again.
    }
    return loaded;
  }

  async getOverlay(model: string, shard: string): Promise<OverlayRecord | undefined> {
    return this.db.get('overlays', [model, shard]);
  }

  /**
   * Changes the stored overlay in one transaction: `change` gets the record as stored now (another tab may have
   * added to it, or cleared it, since this one loaded) and returns the next, which is stored whole (one record, so
   * a failed write leaves the previous one) and returned. Two tabs recording at once both keep their rows; `change`
   * must not await (the transaction would end).
   */
  async updateOverlay(model: string, shard: string, change: (stored: OverlayRecord | undefined) => OverlayRecord): Promise<OverlayRecord> {
    try {
      const tx = this.db.transaction('overlays', 'readwrite');
      const next = change(await tx.store.get([model, shard]));
      await Promise.all([tx.store.put(next), tx.done]);
      announceOverlayChange({ model, shard });
      return next;
    } catch (error) {
      if (!isQuotaError(error)) throw error;
      throw new StorageQuotaError(`The browser has no room to store your interactions (${await roomReport()}); the previous ones are kept.`);
    }
  }

  /**
   * The user's memory updates stored for `shard`, read in one transaction: `model`'s record, and the other models'
   * that hold rows (recorded with an earlier model at this memory URL: reencoded-overlay.ts). One transaction, so a
   * takeover committed by another tab meanwhile is seen whole or not at all, never its rows in neither record. Keys
   * are read first: other shards' records are not read.
   */
  async overlaysOf(model: string, shard: string): Promise<{ own?: OverlayRecord; others: OverlayRecord[] }> {
    const tx = this.db.transaction('overlays', 'readonly');
    const keys = (await tx.store.getAllKeys()).filter((key) => key[1] === shard);
    const records = await Promise.all(keys.map((key) => tx.store.get(key)));
    await tx.done;
    const own = records.find((record) => record?.model === model);
    const others = records.filter((record): record is OverlayRecord => record !== undefined && record.model !== model && record.rows.length > 0);
    return { ...(own ? { own } : {}), others };
  }

  /**
   * Takes other models' overlays of a shard over as `model`'s, in one transaction: where every record of `taken`
   * is still stored as it was read, `next` gets `model`'s record as stored now and returns the one to store, and each
   * taken record is replaced by its `left` (the rows still to take over) or deleted; else (another tab took them over,
   * or recorded into one meanwhile) nothing changes and undefined is returned. `announce`: the models whose tabs are
   * told (default: every one changed). `next` must not await (the transaction would end). The transaction starts at
   * the call, before any await: a condition checked just before holds for it (the worker's `current()`).
   */
  async takeOverOverlays(
    model: string,
    shard: string,
    taken: OverlayRecord[],
    next: (stored: OverlayRecord | undefined) => OverlayRecord,
    { left = [], announce = [model, ...taken.map((record) => record.model)] }: { left?: (OverlayRecord | undefined)[]; announce?: readonly string[] } = {},
  ): Promise<OverlayRecord | undefined> {
    let written: OverlayRecord | undefined;
    try {
      const tx = this.db.transaction('overlays', 'readwrite');
      const now = await Promise.all(taken.map((record) => tx.store.get([record.model, shard])));
      if (now.every((record, i) => record !== undefined && sameOverlay(record, taken[i]))) {
        written = next(await tx.store.get([model, shard]));
        await Promise.all([tx.store.put(written), ...taken.map((record, i) => (left[i] ? tx.store.put(left[i]!) : tx.store.delete([record.model, shard])))]);
      }
      await tx.done;
    } catch (error) {
      if (!isQuotaError(error)) throw error;
      throw new StorageQuotaError(`The browser has no room to store your interactions for this model (${await roomReport()}); they stay stored for the model they were recorded with.`);
    }
    if (written) for (const changed of announce) announceOverlayChange({ model: changed, shard });
    return written;
  }

  /** Deletes the user's overlays of a shard URL, whatever model they were made with; how many there were. */
  async deleteOverlaysOf(shard: string): Promise<number> {
    const keys = await this.keysAt('overlays', shard);
    const tx = this.db.transaction('overlays', 'readwrite');
    await Promise.all([...keys.map((key) => tx.store.delete(key)), tx.done]);
    if (keys.length > 0) announceOverlayChange({ shard });
    return keys.length;
  }

  /**
   * Deletes every stored version of the shard at `shard` (its URL) and its chunks, whatever model it was built
   * with, each under the shard's lock (a load under way in another tab finishes first; it holds its memory in
   * RAM). The user's memory updates are not touched (deleteOverlaysOf). Returns how many versions were deleted.
   */
  async deleteShardsAt(shard: string): Promise<number> {
    const versions = await this.keysAt('shards', shard);
    for (const [model, , version] of versions) await withLock(lockName(model, shard), () => this.deleteVersion({ model, shard, version }));
    return versions.length;
  }

  /** Every stored overlay's key and size (the rows themselves stay in the store). */
  async listOverlays(): Promise<{ model: string; shard: string; rows: number }[]> {
    return (await this.db.getAll('overlays')).map(({ model, shard, rows }) => ({ model, shard, rows: rows.length }));
  }

  private async newestComplete(model: string, shard: string): Promise<ShardRecord | undefined> {
    const records = (await this.db.getAllFromIndex('shards', 'byShard', [model, shard])).filter((r) => r.state === 'complete');
    return records.sort((a, b) => b.savedAt - a.savedAt)[0];
  }

  /** Reads every chunk from the store, fetching what is missing or corrupted (when online), and completes the record. */
  private async fill(base: string, record: ShardRecord, options: StoreStreamOptions, fetchFn: typeof fetch, online: boolean, sinkFor: (manifest: ShardManifest) => ChunkSink): Promise<StoredChunks> {
    const { manifest } = record;
    const key = [record.model, record.shard, record.version] as const;
    const sink = sinkFor(manifest);
    const total = record.bytes;
    let loaded = 0;
    let fromStore = 0;
    const refetched: number[] = [];
    const fetchBytes = async (file: string, init?: RequestInit): Promise<ArrayBuffer> => {
      let response: Response;
      try {
        response = await fetchFn(`${base}/${file}`, init);
      } catch (error) {
        throw new NetworkUnavailableError(`${base}/${file} could not be fetched (${(error as Error).message}); the chunks stored so far are kept and the next load resumes from them.`);
      }
      if (!response.ok) throw new NetworkUnavailableError(`${base}/${file}: HTTP ${response.status}; the chunks stored so far are kept and the next load resumes from them.`);
      return response.arrayBuffer();
    };
    // Each chunk's bytes from the store where it holds them, else the network, then the catalog where none is
    // stored: the next read or download runs while a chunk is verified (and stored).
    const storedChunks = new Set((await this.db.getAllKeys('chunks', IDBKeyRange.bound([...key, 0], [...key, Infinity]))).map((chunkKey) => chunkKey[3]));
    const files = [...manifest.chunks.map((c) => c.file), manifest.catalog.file];
    const catalogIndex = manifest.chunks.length;
    const fromStoreAt = (index: number) => index !== catalogIndex && storedChunks.has(index);
    const wanted = (index: number) => fromStoreAt(index) || (online && (index !== catalogIndex || !record.catalog));
    const bytesOf = fetchAhead<ArrayBuffer | undefined>(files.length, CHUNKS_AHEAD, wanted, (index) => (fromStoreAt(index) ? this.db.get('chunks', [...key, index]) : fetchBytes(files[index])));
    for (const [index, meta] of manifest.chunks.entries()) {
      const stored = fromStoreAt(index) ? await bytesOf(index) : undefined;
      if (stored) {
        try {
          await sink.check(index, stored);
          sink.take(index, stored);
          loaded += meta.bytes;
          fromStore += meta.bytes;
          options.onProgress?.({ loaded, total, fromStore });
          continue;
        } catch (error) {
          if (!(error instanceof ShardError)) throw error;
          if (!online) throw new ShardError(`Chunk ${index} of the stored memory is corrupted and cannot be fetched again while offline: ${error.message}`);
          refetched.push(index);
          await this.db.delete('chunks', [...key, index]);
        }
      } else if (!online) {
        throw new ShardError(`Chunk ${index} of the stored memory is missing and cannot be fetched while offline.`);
      }
      // A chunk the store held (its read taken above) is fetched anew; one it lacked may be downloading already.
      const downloaded = fromStoreAt(index) ? await fetchBytes(meta.file) : (await bytesOf(index))!;
      // Verified before it is stored; an old copy from the HTTP cache is fetched again past it.
      const { bytes } = await checkedOrReloaded(downloaded, (chunk) => sink.check(index, chunk), () => fetchBytes(meta.file, RELOAD));
      await this.write(record, () => this.db.put('chunks', bytes, [...key, index]));
      sink.take(index, bytes);
      loaded += meta.bytes;
      options.onProgress?.({ loaded, total, fromStore });
    }
    let catalog = record.catalog;
    let items;
    if (!catalog || (await sha256Hex(catalog)) !== manifest.catalog.sha256) {
      if (!online) throw new ShardError('The stored catalog of this memory is corrupted and cannot be fetched again while offline.');
      const verified = await checkedOrReloaded((await bytesOf(catalogIndex))!, (bytes) => verifiedCatalog(manifest, bytes, `${base}/${manifest.catalog.file}`), () => fetchBytes(manifest.catalog.file, RELOAD));
      catalog = verified.bytes;
      items = verified.checked;
    } else {
      items = await verifiedCatalog(manifest, catalog, `${base}/${manifest.catalog.file}`);
    }
    if (record.state !== 'complete' || record.catalog !== catalog) {
      const complete: ShardRecord = { ...record, catalog, state: 'complete', savedAt: Date.now() };
      await this.write(record, () => this.db.put('shards', complete));
    }
    const source = fromStore === total ? 'indexeddb' : fromStore === 0 ? 'network' : 'mixed';
    return { manifest, items, source, version: record.version, refetched };
  }

  /**
   * One write; on a quota error the unfinished version is deleted (nothing
   * half-written stays, older complete versions are kept) and a
   * StorageQuotaError says how much space the shard needs.
   */
  private async write(record: ShardRecord, put: () => Promise<unknown>): Promise<void> {
    try {
      await put();
    } catch (error) {
      if (!isQuotaError(error)) throw error;
      const current = await this.db.get('shards', [record.model, record.shard, record.version]);
      if (current?.state !== 'complete') await this.deleteVersion(record).catch(() => undefined);
      const situation = `The browser has no room to store this memory: it needs ${mb(record.bytes)} MB, ${await roomReport()}.`;
      throw new StorageQuotaError(`${situation} Free some space (or allow more storage for this site) and load again; nothing partial was kept.`, situation);
    }
  }

  private async deleteVersion(record: Pick<ShardRecord, 'model' | 'shard' | 'version'>): Promise<void> {
    const tx = this.db.transaction(['shards', 'chunks'], 'readwrite');
    await Promise.all([
      tx.objectStore('chunks').delete(IDBKeyRange.bound([record.model, record.shard, record.version, 0], [record.model, record.shard, record.version, Infinity])),
      tx.objectStore('shards').delete([record.model, record.shard, record.version]),
      tx.done,
    ]);
  }

  /**
   * Once `keep` is complete: the shard's other versions are deleted, this model's and other models' (a memory the
   * store rebuilt with a retrained model replaces the old model's, which would otherwise stay until the 30-day
   * aging); another model's version is skipped while a load of it holds its lock (the next completion or the aging
   * takes it).
   */
  private async deleteOtherVersions(keep: ShardRecord): Promise<void> {
    for (const [model, shard, version] of await this.keysAt('shards', keep.shard)) {
      if (model === keep.model) {
        if (version !== keep.version) await this.deleteVersion({ model, shard, version }); // under this lock already
      } else {
        await ifUnlocked(lockName(model, shard), () => this.deleteVersion({ model, shard, version }));
      }
    }
  }

  /** The keys of a store's records of `shard`, whatever model: keys only (shard records hold catalogs of megabytes). */
  private async keysAt<S extends 'shards' | 'overlays'>(storeName: S, shard: string): Promise<StoreSchema[S]['key'][]> {
    return (await this.db.getAllKeys(storeName)).filter((key) => key[1] === shard);
  }
}

/** Whether an overlay record is still the one read earlier: a record or a forget changes its count or its newest row. */
function sameOverlay(a: OverlayRecord, b: OverlayRecord): boolean {
  return a.seen === b.seen && a.rows.length === b.rows.length && a.rows.at(-1)?.at === b.rows.at(-1)?.at;
}

/** The shard's manifest.json as text: a conditional request, so a rebuild behind an HTTP cache is seen. */
async function fetchManifestText(base: string, fetchFn: typeof fetch): Promise<string> {
  const response = await fetchFn(`${base}/manifest.json`, { cache: 'no-cache' });
  if (!response.ok) throw new HttpStatus(response.status);
  return response.text();
}

/** A stored version's name: the first 16 hex digits of its manifest's SHA-256 (a rebuilt shard is a new version). */
async function manifestVersion(manifestText: string): Promise<string> {
  return (await sha256Hex(new TextEncoder().encode(manifestText))).slice(0, 16);
}

function lockName(model: string, shard: string): string {
  return `l2d-shard ${model} ${shard}`;
}
