/**
 * reusePrefix against full encodes, side by side: users whose history grows
 * one item per request (a storefront session), each request timed in one
 * worker per mode (encoder graph x reusePrefix), interleaved request by
 * request. Page side of `npm run bench:prefix`.
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/comlink-errors.ts';
import type { LoadOptions, WorkerApi } from '../src/worker-protocol.ts';
import { median } from '../src/core/stats.ts';

/** One worker's configuration: the encoder graph asked for and whether it reuses the prefix. */
export interface PrefixBenchMode {
  graph: NonNullable<LoadOptions['graph']>;
  reusePrefix: boolean;
}

export interface PrefixBenchRow extends PrefixBenchMode {
  /** The encoder in use, e.g. 'wasm (q4, fused graph)'. */
  encoder: string;
  /** What ran the tokens after the cached prefix: the fused graph's cache or the generation graph. */
  prefixGraph?: 'fused' | 'full';
  requests: number;
  medianWallMs: number;
  medianForwardMs: number;
  /** Mean tokens run and reused per request (reusePrefix). */
  meanRanTokens?: number;
  meanReusedTokens?: number;
}

export async function runPrefixBench(load: LoadOptions, sessions: number[][], startLength: number, configurations: PrefixBenchMode[]): Promise<PrefixBenchRow[]> {
  installErrorTransfer();
  const modes = configurations.map((mode) => {
    const worker = new Worker(new URL('../workers/l2d.worker.ts', import.meta.url), { type: 'module' });
    return { ...mode, worker, api: Comlink.wrap<WorkerApi>(worker), encoder: '', prefixGraph: undefined as 'fused' | 'full' | undefined, wall: [] as number[], forward: [] as number[], ran: [] as number[], reused: [] as number[] };
  });
  try {
    for (const m of modes) {
      await m.api.load({ ...load, graph: m.graph, reusePrefix: m.reusePrefix });
      await m.api.recommend({ history: sessions[0].slice(0, startLength), k: 50 }); // warm-up
    }
    for (const session of sessions) {
      for (let n = startLength; n <= session.length; n++) {
        for (const m of modes) {
          const t0 = performance.now();
          const r = await m.api.recommend({ history: session.slice(0, n), k: 50 });
          m.encoder = r.backend.encoder;
          // The first request of a session has nothing to reuse: only growth steps count.
          if (n === startLength) continue;
          m.wall.push(performance.now() - t0);
          m.forward.push(r.timings.forward);
          if (r.prefix) {
            m.prefixGraph = r.prefix.graph;
            m.ran.push(r.prefix.ranTokens);
            m.reused.push(r.prefix.reusedTokens);
          }
        }
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return modes.map((m) => ({
      graph: m.graph,
      reusePrefix: m.reusePrefix,
      encoder: m.encoder,
      ...(m.prefixGraph ? { prefixGraph: m.prefixGraph } : {}),
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
