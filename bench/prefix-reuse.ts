/**
 * reusePrefix against full encodes, side by side: users whose history grows
 * one item per request (a storefront session), each request timed with a
 * worker that reuses the previous prompt's cache and with one that encodes
 * in full, interleaved. Page side of `npm run bench:prefix`.
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/comlink-errors.ts';
import type { LoadOptions, WorkerApi } from '../src/worker-protocol.ts';
import { median } from '../src/core/stats.ts';

export interface PrefixBenchRow {
  mode: 'full encode' | 'reusePrefix';
  requests: number;
  medianWallMs: number;
  medianForwardMs: number;
  /** Mean tokens run per request (reusePrefix) . */
  meanRanTokens?: number;
  meanReusedTokens?: number;
}


export async function runPrefixBench(load: LoadOptions, sessions: number[][], startLength: number): Promise<PrefixBenchRow[]> {
  installErrorTransfer();
  const modes = [false, true].map((reusePrefix) => {
    const worker = new Worker(new URL('../workers/l2d.worker.ts', import.meta.url), { type: 'module' });
    return { reusePrefix, worker, api: Comlink.wrap<WorkerApi>(worker), wall: [] as number[], forward: [] as number[], ran: [] as number[], reused: [] as number[] };
  });
  try {
    for (const m of modes) {
      await m.api.load({ ...load, reusePrefix: m.reusePrefix });
      await m.api.recommend({ history: sessions[0].slice(0, startLength), k: 50 }); // warm-up
    }
    for (const session of sessions) {
      for (let n = startLength; n <= session.length; n++) {
        for (const m of modes) {
          const t0 = performance.now();
          const r = await m.api.recommend({ history: session.slice(0, n), k: 50 });
          // The first request of a session has nothing to reuse: only growth steps count.
          if (n === startLength) continue;
          m.wall.push(performance.now() - t0);
          m.forward.push(r.timings.forward);
          if (r.prefix) {
            m.ran.push(r.prefix.ranTokens);
            m.reused.push(r.prefix.reusedTokens);
          }
        }
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return modes.map((m) => ({
      mode: m.reusePrefix ? 'reusePrefix' : 'full encode',
      requests: m.wall.length,
      medianWallMs: median(m.wall),
      medianForwardMs: median(m.forward),
      ...(m.ran.length ? { meanRanTokens: mean(m.ran), meanReusedTokens: mean(m.reused) } : {}),
    }));
  } finally {
    for (const m of modes) {
      await m.api.dispose().catch(() => undefined);
      m.worker.terminate();
    }
  }
}
