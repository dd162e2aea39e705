/**
 * What `revalidate: 'background'` costs a visit that finds a rebuilt memory, against the default (`false`: the
 * stored memory, no request), side by side in one Chromium run on the demo model: the server holds a rebuild of the
 * memory stored by the first visit (the same rows, items numbered otherwise: as large), and the second visit loads
 * with either setting. Measured: navigation to the first recommendation, and the recommend() calls made one after
 * another while the background download runs (the rebuild is fetched, each chunk verified and stored in the memory
 * worker, beside the encoder on the same cores) against the same calls with no download; how long the download took.
 * Rounds alternate which setting goes first, each pair from empty storage.
 *
 *   npm run bench:background-revalidation -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3] [--calls 20] [--throttle <Mbit/s>] [--latency <ms>]
 */
import { cpSync, rmSync } from 'node:fs';
import { parseOptions } from '../tools/lib/cli.ts';
import { median } from '../src/core/stats.ts';
import { networkOptions, optionFailure, wholeNumber } from './bench-options.ts';
import { clearOriginStorage, visitRounds, type VisitTimes } from './visit-report.ts';
import { openHarness } from '../e2e/browser.ts';
import { renumberedShard } from '../e2e/model-copy.ts';
import { describeShape } from '../tools/lib/network-shape.ts';

const USAGE = 'usage: npm run bench:background-revalidation -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3] [--calls 20] [--throttle <Mbit/s>] [--latency <ms>]';
const { values } = parseOptions('background-revalidation', USAGE, {
  options: {
    device: { type: 'string', default: 'wasm' },
    decoder: { type: 'string', default: 'cpu' },
    runs: { type: 'string', default: '3' },
    calls: { type: 'string', default: '20' },
    throttle: { type: 'string' },
    latency: { type: 'string' },
  },
});
const fail = optionFailure('background-revalidation', USAGE);
const runs = wholeNumber('--runs', values.runs, fail);
const calls = wholeNumber('--calls', values.calls, fail);
const shape = networkOptions(values, fail);

// The memory a first visit stores (a) and its rebuild (b), served in turn at one URL.
const SOURCE = 'models/movielens-demo/memory/train-q4-f0.3';
const [stored, rebuilt, served] = ['a', 'b', 'served'].map((name) => `test-results/background-revalidation-${name}`);
rmSync(stored, { recursive: true, force: true });
cpSync(SOURCE, stored, { recursive: true });
renumberedShard(stored, rebuilt);
const serve = (folder: string) => {
  rmSync(served, { recursive: true, force: true });
  cpSync(folder, served, { recursive: true });
};

const options = { modelUrl: '/models/movielens-demo', memoryUrl: `/${served}`, device: values.device, decoder: values.decoder, wasmPaths: '/node_modules/onnxruntime-web/dist/' };
const settings = [{ name: 'background', revalidate: 'background' as const }, { name: 'false', revalidate: false }];
type Setting = (typeof settings)[number];

interface Visit extends VisitTimes {
  /** Each recommend() after the first, ms, and whether the background download was still running when it ended. */
  calls: { ms: number; downloading: boolean }[];
  /** load()'s end to the background revalidation's end, ms, and what it found (none without one). */
  revalidation?: { ms: number; state: string };
}

const harness = await openHarness('e2e/harness/recommend.html', { shape });
const { page } = harness;

/** Navigation to the first recommendation, then `calls` more recommend() calls, as the page measures them. */
async function visit(revalidate: boolean | 'background'): Promise<Visit> {
  await page.goto(`${harness.baseUrl}/e2e/harness/recommend.html`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return page.evaluate(
    async ([o, n]) => {
      // No named functions in here: tsx's keepNames would wrap them in a helper the page lacks.
      type Outcome = { ok: boolean; value: unknown; message?: string };
      const flow = (globalThis as unknown as { l2dFlow: Record<string, (x?: unknown) => Promise<Outcome>> }).l2dFlow;
      const requests = Array.from({ length: n + 1 }, (_, i) => ({ history: [12, 40, 41, 42, 100 + i], k: 50, strategy: 'global' }));
      const loaded = await flow.load(o);
      if (!loaded.ok) throw new Error(loaded.message);
      const loadEnd = performance.now();
      let settled: { ms: number; state: string } | undefined;
      const revalidation = flow.revalidated().then((outcome) => {
        if (!outcome.ok) throw new Error(outcome.message);
        const found = outcome.value as { state: string } | undefined;
        if (found) settled = { ms: performance.now() - loadEnd, state: found.state };
      });
      const first = await flow.recommend(requests[0]);
      if (!first.ok) throw new Error(first.message);
      const ms = performance.now();
      const timed: { ms: number; downloading: boolean }[] = [];
      for (const request of requests.slice(1)) {
        const t0 = performance.now();
        const outcome = await flow.recommend(request);
        if (!outcome.ok) throw new Error(outcome.message);
        timed.push({ ms: performance.now() - t0, downloading: o.revalidate === 'background' && settled === undefined });
      }
      await revalidation;
      const { loadMs, stageMs } = loaded.value as { loadMs: number; stageMs: Visit['stageMs'] };
      return { ms, loadMs, stageMs, calls: timed, ...(settled ? { revalidation: settled } : {}) };
    },
    [{ ...options, revalidate }, calls] as const,
  );
}

const rows: string[] = [];
let visits: Awaited<ReturnType<typeof visitRounds<Setting, Visit>>>;
try {
  visits = await visitRounds<Setting, Visit>(
    settings,
    runs,
    {
      warmUp: async () => (await clearOriginStorage(page), serve(stored), visit(false)),
      pair: async (setting) => {
        await clearOriginStorage(page);
        serve(stored);
        const first = await visit(false);
        serve(rebuilt);
        return { first, second: await visit(setting.revalidate) };
      },
    },
    (run, setting, _first, second) => {
      const during = second.calls.filter((c) => c.downloading).map((c) => c.ms);
      const after = second.calls.filter((c) => !c.downloading).map((c) => c.ms);
      const cell = (ms: number[]) => (ms.length ? `${median(ms).toFixed(1)} (${ms.length})` : '–');
      const found = second.revalidation ? `${second.revalidation.state} after ${second.revalidation.ms.toFixed(0)}` : '–';
      rows.push(`| ${run + 1} | ${setting.name} | ${second.ms.toFixed(0)} | ${second.loadMs.toFixed(0)} | ${cell(during)} | ${cell(after)} | ${found} |`);
    },
  );
} finally {
  await harness.close();
}
console.log(`encoder ${values.device}, decoder ${values.decoder}; demo model (q4), memory ${SOURCE} (a rebuild of it served on the second visit)${shape ? `; ${describeShape(shape)}` : '; localhost'}\n`);
console.log('| run | revalidate | second visit: navigation to first recommendation ms | load() ms | recommend() ms while the rebuild downloads, median (calls) | recommend() ms otherwise, median (calls) | revalidation, ms after load() |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
const of = (name: string) => visits.get(name)!.second;
const firstRecommendation = (name: string) => median(of(name).map((v) => v.ms));
/** The median of a setting's recommend() calls made while the download ran (or not); undefined where there were none. */
const callMs = (name: string, downloading: boolean) => {
  const ms = of(name).flatMap((v) => v.calls.filter((c) => c.downloading === downloading).map((c) => c.ms));
  return ms.length > 0 ? median(ms) : undefined;
};
const [background, plain] = [firstRecommendation('background'), firstRecommendation('false')];
console.log(`\nmedians (ratio background / false; above 1: background is slower)\n`);
console.log('| measure | background ms | false ms | ratio |');
console.log('|---|---|---|---|');
console.log(`| second visit: navigation to first recommendation | ${background.toFixed(0)} | ${plain.toFixed(0)} | ${(background / plain).toFixed(2)} |`);
const duringDownload = callMs('background', true);
const noDownload = callMs('false', false)!;
console.log(`| recommend() while the rebuild downloads, vs with no download | ${duringDownload === undefined ? '– (every download ended before the first call)' : duringDownload.toFixed(1)} | ${noDownload.toFixed(1)} | ${duringDownload === undefined ? '–' : (duringDownload / noDownload).toFixed(2)} |`);
