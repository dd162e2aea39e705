/**
 * A module worker run from a Blob of its script: a page may not start a worker from another origin, so the embed's
 * worker and the library's (l2d.js on a CDN) are fetched (CORS) and run so. The worker revokes its Blob URL once it
 * runs; a page with a Content-Security-Policy allows it with `worker-src blob:`.
 */
import { NetworkUnavailableError } from './core/errors.ts';

/** `url`'s script as a module worker from a Blob; `unavailable(reason)` is the message when it cannot be fetched. */
export async function blobModuleWorker(url: string, name: string, unavailable: (reason: string) => string): Promise<Worker> {
  let source: Blob;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    source = await response.blob();
  } catch (error) {
    throw new NetworkUnavailableError(unavailable((error as Error).message));
  }
  const blob = new Blob(['URL.revokeObjectURL(import.meta.url);\n', source], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(blob), { type: 'module', name });
}
