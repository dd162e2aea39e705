/**
 * A slow network made by the server: each response waits a round trip before its first byte, and every body
 * crosses one shared link of a given bandwidth. The visit benches shape their servers with it instead of with
 * Chromium's network emulation, which applies to a page and its workers but not to a worker's own workers: the
 * memory stage's downloads (workers/memory.worker.ts, started by the encoder's worker) went at full speed under it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface NetworkShape {
  /** Delay before each response's first byte, ms. */
  latencyMs: number;
  /** The link's download speed; undefined: no bandwidth limit. */
  bytesPerSecond?: number;
}

/** The shape of `--throttle <Mbit/s>` and `--latency <ms>`, or undefined when neither is given. */
export function networkShape(throttleMbit: number | undefined, latencyMs: number | undefined): NetworkShape | undefined {
  if (throttleMbit === undefined && latencyMs === undefined) return undefined;
  return { latencyMs: latencyMs ?? 0, ...(throttleMbit !== undefined ? { bytesPerSecond: (throttleMbit * 1e6) / 8 } : {}) };
}

export function describeShape(shape: NetworkShape): string {
  return `${shape.bytesPerSecond !== undefined ? `${(shape.bytesPerSecond * 8) / 1e6} Mbit/s` : 'no bandwidth limit'}, ${shape.latencyMs} ms latency (shaped by the server)`;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

/**
 * A connect-style middleware (Vite's server.middlewares, or called first by a plain http handler) that holds back
 * each response's writes: the first by the latency, each body chunk until the shared link has carried it.
 */
export function shapeMiddleware(shape: NetworkShape): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  let linkFreeAt = 0;
  /** When `bytes` more will have crossed the link, counted from when it is next free. */
  const transferDelay = (bytes: number): number => {
    if (shape.bytesPerSecond === undefined || bytes === 0) return 0;
    const now = performance.now();
    linkFreeAt = Math.max(now, linkFreeAt) + (bytes / shape.bytesPerSecond) * 1000;
    return linkFreeAt - now;
  };
  return (_request, response, next) => {
    const write = response.write.bind(response) as (...args: unknown[]) => boolean;
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    let queue: Promise<unknown> = sleep(shape.latencyMs);
    const later = (chunk: unknown, send: () => void) => {
      const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.byteLength : 0;
      queue = queue.then(() => sleep(transferDelay(bytes))).then(send);
    };
    response.write = ((chunk: unknown, ...rest: unknown[]) => {
      later(chunk, () => write(chunk, ...rest));
      return true;
    }) as typeof response.write;
    response.end = ((chunk?: unknown, ...rest: unknown[]) => {
      later(typeof chunk === 'function' ? undefined : chunk, () => end(chunk, ...rest));
      return response;
    }) as typeof response.end;
    next();
  };
}
