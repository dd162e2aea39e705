/**
 * The recommender worker with its memory worker (the Worker it makes named 'l2d-memory') changed, by this
 * worker's name; onnxruntime-web's own workers are left alone:
 * - 'missing': no Worker in workers at all, as in a browser without nested workers;
 * - 'throws': making it throws, as a browser that refuses it outright does;
 * - 'refused': it fails to start (an error event), as where a page's policy refuses it;
 * - 'busy': the real one, and this worker's thread held for BUSY_MS as soon as the memory stage is handed to it
 *   (as onnxruntime-web's session and warm-up hold it), the hold's start and end posted to the page
 *   ({ l2dBusy: 'start' | 'end', at: epoch ms }).
 * (A static import: the worker starts its memory worker only in load(), after this module's changes.)
 */
import '../../workers/l2d.worker.ts';

const BUSY_MS = 4000;
const BrowserWorker = Worker;
const mode = self.name;

/** A memory worker that dispatches an error event instead of starting. */
class RefusedWorker extends EventTarget {
  constructor() {
    super();
    setTimeout(() => this.dispatchEvent(new ErrorEvent('error', { message: "Refused to create a worker: it violates the page's Content Security Policy" })));
  }
  postMessage(): void {}
  terminate(): void {}
}

/** The real memory worker; this thread held once the stage is handed to it. */
class HeldWorker extends BrowserWorker {
  override postMessage(message: unknown, transfer?: Transferable[] | StructuredSerializeOptions): void {
    super.postMessage(message, transfer as Transferable[]);
    if ((message as { path?: string[] } | null)?.path?.[0] !== 'stream') return;
    setTimeout(() => {
      const at = () => performance.timeOrigin + performance.now();
      self.postMessage({ l2dBusy: 'start', at: at() });
      const end = performance.now() + BUSY_MS;
      while (performance.now() < end);
      self.postMessage({ l2dBusy: 'end', at: at() });
    });
  }
}

if (mode === 'missing') Reflect.deleteProperty(self, 'Worker');
else self.Worker = class extends BrowserWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    if (options?.name === 'l2d-memory') {
      if (mode === 'throws') throw new DOMException('The operation is insecure.', 'SecurityError');
      if (mode === 'refused') return new RefusedWorker() as unknown as Worker;
      if (mode === 'busy') return new HeldWorker(url, options);
    }
    super(url, options);
  }
};
