/**
 * The recommender's worker when a page passes none: the module worker Vite bundles from workers/l2d.worker.ts. A file
 * of its own so that the storefront embed's build, which always passes its Blob worker, swaps it for
 * src/embed/no-default-worker.ts and ships no second copy of the worker.
 */
import workerUrl from '../workers/l2d.worker.ts?worker&url';
import { blobModuleWorker } from './blob-worker.ts';
import type { WasmPaths } from './encoder/ort-runtime.ts';
import { ORT_FILES_BESIDE_BUNDLE } from './ort-files-beside-bundle.ts';

export interface DefaultWorker {
  worker: Worker;
  /**
   * Where onnxruntime-web's files are, for a worker that cannot find them beside itself by their names: the built
   * library's (its files' URLs, which an app's bundler may have renamed), or one run from a Blob (its folder).
   */
  wasmPaths?: WasmPaths;
}

/**
 * The worker from the bundle's folder. Where that folder is on another origin than the page (the built library,
 * dist-lib/l2d.js, imported from a CDN), a page may not start it: it runs from a Blob, onnxruntime-web pointed back at
 * that folder.
 */
export async function defaultWorker(): Promise<DefaultWorker> {
  // Resolved against this module's URL through a variable: webpack reads `new URL(<variable>, import.meta.url)` as a
  // request for a module context, which throws "Cannot find module" at run time.
  const moduleUrl = import.meta.url;
  const url = new URL(workerUrl, moduleUrl);
  const files = ORT_FILES_BESIDE_BUNDLE;
  if (url.origin === globalThis.location?.origin) return { worker: new Worker(url, { type: 'module', name: 'l2d-recommender' }), ...(files ? { wasmPaths: files } : {}) };
  const worker = await blobModuleWorker(url.href, 'l2d-recommender', (reason) =>
    `The recommender's worker (${url.href}) could not be fetched (${reason}): serve l2d-worker.js beside l2d.js (npm run build:lib writes both), with CORS where they are on another origin than the page.`);
  return { worker, wasmPaths: files ?? new URL('.', url).href };
}
