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

/** L2D-G, as the recorded figures were measured: this bench times the encoder, and L2D-G's decode is the smaller part. */
const REQUEST = { k: 50, strategy: 'global' } as const;

export async function runPrefixBench(load: LoadOptions, sessions: number[][], startLength: number, configurations: PrefixBenchMode[]): Promise<PrefixBenchRow[]> {
  installErrorTransfer();
  const modes = configurations.map((mode) => {
    const worker = new Worker(new URL('../workers/l2d.worker.ts', import.meta.url), { type: 'module' });
    return { ...mode, worker, api: Comlink.wrap<WorkerApi>(worker), encoder: '', prefixGraph: undefined as 'fused' | 'full' | undefined, wall: [] as number[], forward: [] as number[], ran: [] as number[], reused: [] as number[] };
  });
  try {
    for (const m of modes) {
      await m.api.load({ ...load, graph: m.graph, reusePrefix: m.reusePrefix });
      await m.api.recommend({ history: sessions[0].slice(0, startLength), ...REQUEST }); // warm-up
    }
    for (const session of sessions) {
      for (let n = startLength; n <= session.length; n++) {
        for (const m of modes) {
          const t0 = performance.now();
          const r = await m.api.recommend({ history: session.slice(0, n), ...REQUEST });
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

/** The markdown table of runPrefixBench's rows, and the ratios side by side. */
export function prefixTable(rows: PrefixBenchRow[]): string {
  const lines = ['| encoder | reusePrefix | prefix run by | requests | median wall ms | median forward ms | tokens run (mean) | tokens reused (mean) |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const by = r.prefixGraph === 'fused' ? 'fused graph (its cache)' : r.prefixGraph === 'full' ? 'generation graph' : '-';
    lines.push(`| ${r.encoder} | ${r.reusePrefix ? 'yes' : 'no'} | ${by} | ${r.requests} | ${r.medianWallMs.toFixed(1)} | ${r.medianForwardMs.toFixed(1)} | ${r.meanRanTokens?.toFixed(0) ?? 'all'} | ${r.meanReusedTokens?.toFixed(0) ?? 0} |`);
  }
  const row = (graph: string, reuse: boolean) => rows.find((r) => r.graph === graph && r.reusePrefix === reuse);
  lines.push('');
  for (const graph of ['encoder', 'fused']) {
    const full = row(graph, false), reuse = row(graph, true);
    if (full && reuse) lines.push(`graph ${graph}: full encode / reusePrefix, wall ${(full.medianWallMs / reuse.medianWallMs).toFixed(2)}x (forward ${(full.medianForwardMs / reuse.medianForwardMs).toFixed(2)}x)`);
  }
  const generation = row('encoder', true), fused = row('fused', true);
  if (generation && fused) lines.push(`reusePrefix, generation graph / fused graph's cache: wall ${(generation.medianWallMs / fused.medianWallMs).toFixed(2)}x (forward ${(generation.medianForwardMs / fused.medianForwardMs).toFixed(2)}x)`);
  lines.push('(forward of an encode whose h_t stays on the GPU is the time to submit it; its GPU time shows in the wall time)');
  return lines.join('\n');
}

/** The four workers: traced encoder (its prefix reuse runs the generation graph) and fused, each without and with reusePrefix. */
export const PREFIX_BENCH_MODES: PrefixBenchMode[] = (['encoder', 'fused'] as const).flatMap((graph) => [false, true].map((reusePrefix) => ({ graph, reusePrefix })));
