/**
 * What the recommender keeps on this device, and deleting it: model files (Cache API), memory shards
 * (IndexedDB) and the user's memory updates. A load never deletes another URL's files, so a store that moved
 * its model or memory to a new URL, or a researcher who tried several, frees the old ones here. Runs in the
 * page or a worker, with no recommender started.
 */
import { InvalidArgumentError } from '../core/errors.ts';
import { cachedModelFiles, deleteCachedModels, modelFolder } from './model-cache.ts';
import { ShardStore, storageReport, type StorageReport } from './shard-store.ts';
import { announceDeletion } from './deletion-signal.ts';
import { BACKGROUND_REFRESH_LOCK, withLock } from './web-locks.ts';

export interface StoredData {
  /** Model folders with files in the Cache API. */
  models: { url: string; files: number; bytes: number }[];
  /** Memory shard versions in IndexedDB ('partial': a download not finished yet). */
  memories: { url: string; model: string; version: string; state: 'partial' | 'complete'; bytes: number; savedAt: number }[];
  /** The user's memory updates, per memory and model. */
  interactions: { memory: string; model: string; rows: number }[];
  /** This origin's usage and quota, as the browser estimates them (every kind of site data). */
  storage: StorageReport;
}

export interface DeleteStoredDataRequest {
  /** A model folder URL (as given to createRecommender): its files in the Cache API. */
  model?: string;
  /** A memory shard URL: its stored versions, whatever model they were built with. The user's updates stay. */
  memory?: string;
  /** Everything listed by storedData(), the user's memory updates too (open tabs take that in at once). */
  everything?: boolean;
}

export interface DeletedData {
  modelFiles: number;
  memoryVersions: number;
  interactions: number;
}

/** What the recommender keeps on this device. */
export async function storedData(): Promise<StoredData> {
  const folders = new Map<string, { url: string; files: number; bytes: number }>();
  for (const file of await cachedModelFiles()) {
    const url = modelFolder(file.url);
    const folder = folders.get(url) ?? { url, files: 0, bytes: 0 };
    folder.files += 1;
    folder.bytes += file.bytes;
    folders.set(folder.url, folder);
  }
  const store = await ShardStore.openExisting();
  try {
    const memories = ((await store?.list()) ?? []).map(({ shard, model, version, state, bytes, savedAt }) => ({ url: shard, model, version, state, bytes, savedAt }));
    const interactions = ((await store?.listOverlays()) ?? []).map(({ shard, model, rows }) => ({ memory: shard, model, rows }));
    return { models: [...folders.values()], memories, interactions, storage: await storageReport() };
  } finally {
    store?.close();
  }
}

const REQUEST_KEYS = ['model', 'memory', 'everything'];

/** Throws an InvalidArgumentError naming what is wrong with a deleteStoredData request. */
export function checkDeleteRequest(request: DeleteStoredDataRequest): void {
  if (typeof request !== 'object' || request === null) throw new InvalidArgumentError('deleteStoredData needs { model?, memory?, everything? }: what to delete.');
  const unknown = Object.keys(request).filter((key) => !REQUEST_KEYS.includes(key));
  if (unknown.length > 0) throw new InvalidArgumentError(`deleteStoredData takes model, memory and everything; not ${unknown.join(', ')}.`);
  for (const key of ['model', 'memory'] as const) {
    const url = request[key];
    if (url !== undefined && (typeof url !== 'string' || url === '')) throw new InvalidArgumentError(`deleteStoredData: ${key} must be a URL, got ${JSON.stringify(url)}.`);
  }
  if (request.everything !== undefined && typeof request.everything !== 'boolean') throw new InvalidArgumentError(`deleteStoredData: everything must be true or false, got ${JSON.stringify(request.everything)}.`);
  if (!request.model && !request.memory && !request.everything) throw new InvalidArgumentError('deleteStoredData: say what to delete: a model URL, a memory URL, or everything: true.');
}

/** Deletes what `request` names (once a refresh behind a load under way has ended); how much of each kind was deleted. */
export async function deleteStoredData(request: DeleteStoredDataRequest): Promise<DeletedData> {
  checkDeleteRequest(request);
  // After a refresh under way behind a load, which would otherwise store its files or memory after these are gone;
  // told first to stop its downloads, so that this need not wait for them.
  announceDeletion();
  return withLock(BACKGROUND_REFRESH_LOCK, () => deleteNow(request));
}

async function deleteNow(request: DeleteStoredDataRequest): Promise<DeletedData> {
  // The URLs as the worker keys them: absolute, without a trailing slash.
  const absolute = (url: string) => new URL(url, globalThis.location?.href).href.replace(/\/$/, '');
  const deleted: DeletedData = { modelFiles: 0, memoryVersions: 0, interactions: 0 };
  if (request.everything || request.model) deleted.modelFiles = (await deleteCachedModels(request.everything ? undefined : absolute(request.model!))).length;
  if (!request.everything && !request.memory) return deleted;
  const store = await ShardStore.openExisting();
  if (!store) return deleted;
  try {
    const shards = request.everything
      ? [...new Set([...(await store.list()).map((r) => r.shard), ...(await store.listOverlays()).map((o) => o.shard)])]
      : [absolute(request.memory!)];
    for (const shard of shards) {
      deleted.memoryVersions += await store.deleteShardsAt(shard);
      if (request.everything) deleted.interactions += await store.deleteOverlaysOf(shard);
    }
  } finally {
    store.close();
  }
  return deleted;
}
