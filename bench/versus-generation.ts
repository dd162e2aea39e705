/**
 * recommend() (L2D-G, L2D-L, L2D-V, and L2D-G + L2D-L from one forward pass) against generate() (greedy, beam 5) of the
 * same model in the same worker, interleaved history by history so that
 * every method sees the same load on the machine: the side-by-side speed
 * ratio of docs/RESULTS.md. Used by bench/versus-generation.html (driven by
 * `npm run bench:versus`) and by the GPU page (bench/gpu-bench.ts).
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/comlink-errors.ts';
import type { LoadOptions, LoadStatus, WorkerApi } from '../src/worker-protocol.ts';
import { median } from '../src/core/stats.ts';
import { DEFAULT_VOTE_M } from '../src/core/decode-options.ts';

export interface VersusRow {
  method: string;
  requests: number;
  medianMs: number;
  meanMs: number;
  /** beam-5's median / this median. */
  beam5Ratio: number;
  /** Recommendations that contained the history's next item (when targets are given), of `requests`. */
  hits?: number;
}

export interface VersusResult {
  status: LoadStatus;
  rows: VersusRow[];
  k: number;
}

const METHODS = [
  { method: 'L2D-G', call: (api: Comlink.Remote<WorkerApi>, history: number[], k: number) => api.recommend({ history, k, strategy: 'global' }) },
  { method: 'L2D-L (M=1000)', call: (api: Comlink.Remote<WorkerApi>, history: number[], k: number) => api.recommend({ history, k, strategy: 'local', m: 1000 }) },
  { method: `L2D-V (M=${DEFAULT_VOTE_M})`, call: (api: Comlink.Remote<WorkerApi>, history: number[], k: number) => api.recommend({ history, k, strategy: 'vote', m: DEFAULT_VOTE_M }) },
  // Both lists from one forward pass (recommend()'s `also`); its hits are L2D-G's list's.
  {
    method: 'L2D-G + L2D-L, one pass',
    call: (api: Comlink.Remote<WorkerApi>, history: number[], k: number) => api.recommend({ history, k, strategy: 'global', also: [{ k, strategy: 'local', m: 1000 }] }),
  },
  { method: 'greedy', call: (api: Comlink.Remote<WorkerApi>, history: number[], k: number) => api.generate({ history, k, numBeams: 1 }) },
  { method: 'beam-5', call: (api: Comlink.Remote<WorkerApi>, history: number[], k: number) => api.generate({ history, k, numBeams: 5 }) },
];


export async function runVersusGeneration(
  load: LoadOptions,
  histories: { ids: number[]; target?: number }[],
  options: { k?: number; warmup?: number; log?: (line: string) => void } = {},
): Promise<VersusResult> {
  installErrorTransfer();
  const k = options.k ?? 50;
  const worker = new Worker(new URL('../workers/l2d.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<WorkerApi>(worker);
  try {
    const status = await api.load(load);
    // Warm-up: sessions made, shaders compiled, caches filled, for every method.
    for (const h of histories.slice(0, options.warmup ?? 2)) for (const m of METHODS) await m.call(api, h.ids, k);
    const times = METHODS.map(() => [] as number[]);
    const hits = METHODS.map(() => 0);
    for (const [i, h] of histories.entries()) {
      for (const [j, m] of METHODS.entries()) {
        const t0 = performance.now();
        const r = await m.call(api, h.ids, k);
        times[j].push(performance.now() - t0);
        if (h.target !== undefined && r.items.some((x) => x.id === h.target)) hits[j]++;
      }
      options.log?.(`history ${i + 1}/${histories.length}`);
    }
    const beam5 = median(times[METHODS.length - 1]);
    const rows = METHODS.map((m, j) => ({
      method: m.method,
      requests: times[j].length,
      medianMs: median(times[j]),
      meanMs: times[j].reduce((a, b) => a + b, 0) / times[j].length,
      beam5Ratio: beam5 / median(times[j]),
      ...(histories.some((h) => h.target !== undefined) ? { hits: hits[j] } : {}),
    }));
    return { status, rows, k };
  } finally {
    await api.dispose().catch(() => undefined);
    worker.terminate();
  }
}

/** Markdown table of a result. */
export function versusTable(result: VersusResult): string {
  const lines = ['| method | requests | median ms | mean ms | beam-5 / this |', '|---|---|---|---|---|'];
  for (const r of result.rows) lines.push(`| ${r.method} | ${r.requests} | ${r.medianMs.toFixed(1)} | ${r.meanMs.toFixed(1)} | **${r.beam5Ratio.toFixed(1)}x** |`);
  return lines.join('\n');
}
