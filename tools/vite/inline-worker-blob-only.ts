/**
 * Vite's inline worker (`?worker&inline`) makes a Blob worker and, where that throws, a data: URL worker from
 * `encodeURIComponent(jsContent)`, which the minifier folds into a second, percent-encoded copy of the worker's
 * code: the memory worker's took 11 KB gzipped of l2d-worker.js. The one caller (src/store/memory-thread.ts) has a
 * fallback of its own (the stage runs in the encoder's worker and says why), so the data: branch rethrows instead.
 * For the worker bundles (`worker.plugins`) of both builds.
 */
import type { Plugin } from 'vite';

/** The data: fallback in Vite 8's inline worker wrapper (vite:worker's load hook; reformatted by then, so either quote). */
const DATA_URL_FALLBACK = /(["'])data:text\/javascript;charset=utf-8,\1\s*\+\s*encodeURIComponent\(jsContent\)/;

export function inlineWorkerBlobOnly(): Plugin {
  return {
    name: 'l2d-inline-worker-blob-only',
    apply: 'build',
    enforce: 'post',
    transform(code, id) {
      if (!/\?worker&inline$/.test(id)) return undefined;
      // Vite changed its wrapper: fail the build rather than ship the copy unnoticed.
      if (!DATA_URL_FALLBACK.test(code)) this.error(`${id}: Vite's inline worker wrapper no longer builds its data: URL as ${DATA_URL_FALLBACK.source}; update tools/vite/inline-worker-blob-only.ts.`);
      return { code: code.replace(DATA_URL_FALLBACK, '(() => { throw e; })()'), map: null };
    },
  };
}
