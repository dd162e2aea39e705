/**
 * Model files (config, tokenizer, ONNX) kept in the Cache API. Cache first
 * (as transformers.js and web-llm do: a model URL names one model), so a
 * later visit makes no request at all; `revalidate` asks the network first
 * and falls back to the cache when it does not answer.
 */
import { L2DError, NetworkUnavailableError } from '../core/errors.ts';
import { withLock } from './web-locks.ts';

export const MODEL_CACHE_NAME = 'l2d-models-v2';

/**
 * v1 (before 2026-12-05) may hold a model folder's prompt-template.json from before its history window
 * (maxHistory): cache first, it would never be asked for again, and long histories would be read whole. Its other
 * files move to v2 as they are (no model is downloaded again); the templates are fetched again.
 */
const RETIRED_MODEL_CACHE = 'l2d-models-v1';

async function moveRetiredCache(): Promise<void> {
  if (!(await caches.has(RETIRED_MODEL_CACHE))) return;
  const [from, to] = await Promise.all([caches.open(RETIRED_MODEL_CACHE), caches.open(MODEL_CACHE_NAME)]);
  for (const request of await from.keys()) {
    if (new URL(request.url).pathname.endsWith('/prompt-template.json')) continue;
    // Another tab may be moving it too; a file gone with its deletion of v1 is simply fetched again.
    const response = await from.match(request);
    if (response) await to.put(request, response);
  }
  await caches.delete(RETIRED_MODEL_CACHE);
}

export async function cachedFetch(input: string, options: { revalidate?: boolean } = {}): Promise<Response> {
  const cache = await modelCache();
  if (!options.revalidate) {
    const cached = await cache?.match(input);
    if (cached) return cached;
  }
  try {
    // Revalidating: a conditional request (no-cache), so a model rebuilt at the same URL is never an old copy
    // from the HTTP cache (a CDN's max-age), and an unchanged one costs a 304.
    const response = await fetch(input, options.revalidate ? { cache: 'no-cache' } : undefined);
    if (options.revalidate && response.ok && cache) {
      // Unchanged (the same validator as the stored copy): the stored copy, not megabytes written again each visit.
      const stored = await cache.match(input);
      if (stored && sameVersion(stored, response)) {
        discard(response);
        return stored;
      }
    }
    if (response.ok && cache) {
      // A full copy for the cache; a quota error here costs only the offline copy.
      await cache.put(input, response.clone()).catch(() => undefined);
    }
    if (!response.ok && cache) return (await cache.match(input)) ?? response;
    return response;
  } catch (error) {
    const cached = await cache?.match(input);
    if (cached) return cached;
    throw error;
  }
}

/** Lets go of a response whose body is not wanted (the stored copy serves, or the request failed). */
function discard(response: Response): void {
  void response.body?.cancel().catch(() => undefined);
}

/** Whether two responses for one URL are one version of the file: the same ETag, else the same Last-Modified and length. */
function sameVersion(a: Response, b: Response): boolean {
  const header = (r: Response, name: string) => r.headers.get(name);
  const etag = header(a, 'etag');
  if (etag !== null || header(b, 'etag') !== null) return etag === header(b, 'etag');
  const modified = header(a, 'last-modified');
  return modified !== null && modified === header(b, 'last-modified') && header(a, 'content-length') === header(b, 'content-length');
}

/** The move under way: a load fetches its files in parallel, and one move serves them all. */
let moving: Promise<void> | undefined;

/** The Cache API's copy of model files, or none where the browser has no Cache API (or refuses it). */
async function modelCache(): Promise<Cache | undefined> {
  if (typeof caches === 'undefined') return undefined;
  // A refused move leaves files to fetch again, nothing worse.
  moving ??= moveRetiredCache()
    .catch(() => undefined)
    .finally(() => (moving = undefined));
  await moving;
  return caches.open(MODEL_CACHE_NAME).catch(() => undefined);
}

/** A model file's folder: the URL without its file name, and without onnx/ for the ONNX files. */
export function modelFolder(fileUrl: string): string {
  return fileUrl.replace(/\/(onnx\/)?[^/]+$/, '');
}

/** An entry beside a model folder's files that holds when a load last used it (Date.now(), as text). */
const USED_MARKER = '.l2d-used';
/** An entry beside a model folder's files: the server's memory was built with another model (markModelStale). */
const STALE_MARKER = '.l2d-stale';
const isMarker = (url: string) => url.endsWith(`/${USED_MARKER}`) || url.endsWith(`/${STALE_MARKER}`);
const markerOf = (folderUrl: string, marker: string) => `${folderUrl.replace(/\/$/, '')}/${marker}`;

/**
 * Marks the cached model in `folderUrl` (absolute) as rebuilt on the server: a background revalidation found its
 * memory built with another model. The next load with `revalidate: 'background'` then asks the network first for
 * the model's files and the memory (as `revalidate: true` does), and clears the mark once it loaded.
 */
export async function markModelStale(folderUrl: string): Promise<void> {
  await (await modelCache())?.put(markerOf(folderUrl, STALE_MARKER), new Response(String(Date.now())));
}

/** Whether markModelStale marked the model in `folderUrl`. */
export async function isModelStale(folderUrl: string): Promise<boolean> {
  return (await (await modelCache())?.match(markerOf(folderUrl, STALE_MARKER))) !== undefined;
}

export async function clearModelStale(folderUrl: string): Promise<void> {
  await (await modelCache())?.delete(markerOf(folderUrl, STALE_MARKER));
}

/** Held while a refresh puts a model's new files in place, and while model files are deleted: the two never interleave. */
const MODEL_FILES_LOCK = 'l2d-model-files';

/** Caches refreshCachedModel stages a model's new files in, one per refresh: this prefix and Date.now(). */
const STAGING_PREFIX = 'l2d-models-staging-';
/** A staging cache this old is a refresh whose page closed before it ended: the next refresh deletes it. */
const ABANDONED_STAGING_MS = 60 * 60 * 1000;

/** A model's files as refreshCachedModel fetched them again, for its `accept` to judge before any is kept. */
export interface RefreshedModelFiles {
  /** The files of the model cached on this device (less graphs the server no longer has), relative to its folder (config.json, onnx/encoder.json, ...). */
  files: string[];
  /** A file's server copy (the stored one where the server's is the same version); undefined for a file not among them. */
  read(file: string): Promise<Response | undefined>;
}

/**
 * Fetches every cached file of the model in `folderUrl` (absolute) again, with conditional requests, into a
 * staging cache, and, where `accept` takes them, puts the changed ones in the model cache in place of the old:
 * the next load then reads the server's model with no request; a cached ONNX graph the server no longer has (404,
 * 410) is deleted with them. Any other failed request, `accept` returning false, or
 * the model's files deleted meanwhile (deleteStoredData) leaves the cache as it was: nothing fetched is kept.
 * Whether the new files were kept.
 */
export async function refreshCachedModel(folderUrl: string, accept: (model: RefreshedModelFiles) => Promise<boolean>, signal?: AbortSignal): Promise<boolean> {
  const cache = await modelCache();
  if (!cache) return false;
  await deleteAbandonedStaging();
  const prefix = `${folderUrl.replace(/\/$/, '')}/`;
  const urls = (await cache.keys()).map((request) => request.url).filter((url) => url.startsWith(prefix) && !isMarker(url));
  const stagingName = `${STAGING_PREFIX}${Date.now()}`;
  const staging = await caches.open(stagingName);
  try {
    const changed = new Set<string>();
    const gone = new Set<string>();
    for (const url of urls) {
      const response = await fetch(url, { cache: 'no-cache', signal }).catch((error: Error) => {
        throw new NetworkUnavailableError(`${url} could not be fetched (${error.message}); the stored model stays in use.`);
      });
      if ((response.status === 404 || response.status === 410) && /\.onnx(_data)?$/.test(url)) {
        // A graph the new model's export left out: deleted with the old files once accepted.
        discard(response);
        gone.add(url);
        continue;
      }
      if (!response.ok) {
        discard(response);
        throw new L2DError('invalid-argument', `${url}: HTTP ${response.status}; the stored model stays in use.`);
      }
      const stored = await cache.match(url);
      if (stored && sameVersion(stored, response)) {
        discard(response);
        continue;
      }
      await staging.put(url, response);
      changed.add(url);
    }
    const kept = urls.filter((url) => !gone.has(url));
    const read = async (file: string) => {
      const url = prefix + file;
      if (!kept.includes(url)) return undefined;
      return changed.has(url) ? staging.match(url) : cache.match(url);
    };
    if (!(await accept({ files: kept.map((url) => url.slice(prefix.length)), read }))) return false;
    return await withLock(MODEL_FILES_LOCK, async () => {
      // Deleted meanwhile (deleteStoredData): nothing is put back.
      for (const url of urls) if (!(await cache.match(url))) return false;
      for (const url of changed) await cache.put(url, (await staging.match(url))!);
      for (const url of gone) await cache.delete(url);
      return true;
    });
  } finally {
    await caches.delete(stagingName).catch(() => false);
  }
}

/** Deletes staging caches left by refreshes whose page closed (another tab's refresh under way is younger); every one with `now` Infinity. */
async function deleteAbandonedStaging(now = Date.now()): Promise<void> {
  for (const name of await caches.keys()) {
    if (name.startsWith(STAGING_PREFIX) && Number(name.slice(STAGING_PREFIX.length)) < now - ABANDONED_STAGING_MS) await caches.delete(name);
  }
}

/** How long the cached files of a model folder no load has used are kept (see ageCachedModels). */
export const UNUSED_MODEL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * After a load of the model in `folderUrl` (absolute): marks it used now, and deletes the cached files of every other
 * model folder no load used for UNUSED_MODEL_MS (a store that moved its model to a new URL would otherwise leave the
 * old one's megabytes for good). A folder cached before markers existed is marked now. Best effort; the URLs deleted.
 */
export async function ageCachedModels(folderUrl: string, now = Date.now()): Promise<string[]> {
  const cache = await modelCache();
  if (!cache) return [];
  const marker = (folder: string) => markerOf(folder, USED_MARKER);
  await cache.put(marker(folderUrl), new Response(String(now)));
  const folders = new Set((await cache.keys()).map((request) => request.url).filter((url) => !isMarker(url)).map(modelFolder));
  const deleted: string[] = [];
  for (const folder of folders) {
    const used = await cache.match(marker(folder));
    if (!used) await cache.put(marker(folder), new Response(String(now)));
    else if (Number(await used.text()) < now - UNUSED_MODEL_MS) deleted.push(...(await deleteCachedModels(folder)));
  }
  return deleted;
}

/** Every model file kept in the Cache API: its URL and size in bytes. */
export async function cachedModelFiles(): Promise<{ url: string; bytes: number }[]> {
  const cache = await modelCache();
  if (!cache) return [];
  const files = [];
  for (const request of await cache.keys()) {
    if (isMarker(request.url)) continue;
    const response = await cache.match(request);
    const length = Number(response?.headers.get('content-length'));
    // Without a length header, the stored body's size (a Blob: its bytes are not read).
    files.push({ url: request.url, bytes: Number.isFinite(length) && length > 0 ? length : ((await response?.blob())?.size ?? 0) });
  }
  return files;
}

/** Deletes the cached files of the model folder at `folderUrl` (an absolute URL), or of every model without one; the URLs deleted. */
export async function deleteCachedModels(folderUrl?: string): Promise<string[]> {
  const cache = await modelCache();
  if (!cache) return [];
  const prefix = folderUrl === undefined ? '' : `${folderUrl.replace(/\/$/, '')}/`;
  if (folderUrl === undefined) await deleteAbandonedStaging(Infinity);
  // Not in the middle of a refresh's copy (refreshCachedModel), which would leave part of the folder.
  return withLock(MODEL_FILES_LOCK, async () => {
    const deleted: string[] = [];
    for (const request of await cache.keys()) {
      if (request.url.startsWith(prefix) && (await cache.delete(request)) && !isMarker(request.url)) deleted.push(request.url);
    }
    return deleted;
  });
}
