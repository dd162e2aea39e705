/**
 * The recommender worker in a browser that refuses IndexedDB (site data blocked, some private windows): every
 * open fails as Chromium's does there, in this worker and in the memory worker it starts (which runs
 * no-indexeddb-memory.worker.ts instead: the same worker, refused too). (Static imports: the workers open their
 * store only in load(), after these patches are in place.)
 */
import '../../workers/l2d.worker.ts';
import './refuse-indexeddb.ts';

const BrowserWorker = Worker;
self.Worker = class extends BrowserWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(options?.name === 'l2d-memory' ? new URL('./no-indexeddb-memory.worker.ts', import.meta.url) : url, options);
  }
};
