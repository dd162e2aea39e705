/**
 * The recommender's worker when a page passes none: a module worker that Vite bundles from
 * workers/l2d.worker.ts. A file of its own so that the storefront embed's build, which always passes its Blob
 * worker, swaps it for src/embed/no-default-worker.ts and ships no second copy of the worker.
 */
export function defaultWorker(): Worker {
  return new Worker(new URL('../workers/l2d.worker.ts', import.meta.url), { type: 'module', name: 'l2d-recommender' });
}
