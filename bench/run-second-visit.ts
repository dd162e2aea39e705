/**
 * Page load to first recommendation, first visit (network) vs second visit
 * (model from the Cache API, memory from IndexedDB, the network blocked for
 * both), side by side in one Chromium run on the demo model and memory.
 *
 * With `--baseline <git ref>`, that commit's worker (its src/ and workers/, taken from git into test-results/) runs
 * behind the same page too, visit pairs alternating between the two trees, each from empty storage; medians and
 * their ratio. `--throttle <Mbit/s>` slows the page's and its workers' downloads, `--latency <ms>` (default 20 with
 * --throttle) delays each request (Chromium's network emulation): on localhost the "network" is nearly free.
 * `--memory <url>`: another memory of the demo model (default its 30% memory, /models/movielens-demo/memory/train-q4-f0.3).
 *
 *   npm run bench:second-visit -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3] [--baseline <git ref>] [--throttle <Mbit/s>] [--latency <ms>] [--memory <url>]
 */
import { parseOptions } from '../tools/lib/cli.ts';
import { archivedTree, baselineCommit, optionFailure, wholeNumber } from './bench-options.ts';
import { clearOriginStorage, mediansTable, stagesText, visitRounds, type TreeVisits, type VisitTimes } from './visit-report.ts';
import { openHarness } from '../e2e/browser.ts';

const USAGE = 'usage: npm run bench:second-visit -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3] [--baseline <git ref>] [--throttle <Mbit/s>] [--latency <ms>] [--memory <url>]';
const { values } = parseOptions('second-visit', USAGE, {
  options: {
    device: { type: 'string', default: 'wasm' },
    decoder: { type: 'string', default: 'cpu' },
    runs: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    throttle: { type: 'string' },
    latency: { type: 'string' },
    memory: { type: 'string', default: '/models/movielens-demo/memory/train-q4-f0.3' },
  },
});
const fail = optionFailure('second-visit', USAGE);
const runs = wholeNumber('--runs', values.runs, fail);
const throttleMbit = values.throttle === undefined ? undefined : Number(values.throttle);
if (throttleMbit !== undefined && !(throttleMbit > 0)) fail(`--throttle must be a download speed in Mbit/s above 0, got "${values.throttle}".`);
const latencyMs = values.latency === undefined ? (throttleMbit !== undefined ? 20 : undefined) : Number(values.latency);
if (latencyMs !== undefined && !(latencyMs >= 0)) fail(`--latency must be a delay in ms, 0 or more, got "${values.latency}".`);
const emulated = throttleMbit !== undefined || latencyMs !== undefined;

/** The trees compared: this one, and the baseline's worker where one is given. */
const trees: { name: string; worker?: string }[] = [{ name: 'this tree' }];
if (values.baseline) {
  const commit = baselineCommit(values.baseline, fail);
  archivedTree(commit, ['src', 'workers'], `visit-baseline-${commit}`);
  trees.push({ name: commit, worker: `/test-results/visit-baseline-${commit}/workers/l2d.worker.ts` });
}

const options = {
  modelUrl: '/models/movielens-demo',
  memoryUrl: values.memory,
  device: values.device,
  decoder: values.decoder,
  wasmPaths: '/node_modules/onnxruntime-web/dist/',
};
const request = { history: [12, 40, 41, 42, 100], k: 50, strategy: 'global' as const }; // as its recorded figures

interface Visit extends VisitTimes {
  source: string;
}

const harness = await openHarness('e2e/harness/recommend.html');
const { page } = harness;
if (emulated) {
  const cdp = await page.context().newCDPSession(page);
  // -1: no limit.
  const bytesPerSecond = throttleMbit !== undefined ? (throttleMbit * 1e6) / 8 : -1;
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: latencyMs ?? 0, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
}

/** Navigation start to the first recommendation, as the page measures it. */
async function visit(worker: string | undefined): Promise<Visit> {
  await page.goto(`${harness.baseUrl}/e2e/harness/recommend.html${worker ? `?worker=${encodeURIComponent(worker)}` : ''}`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return page.evaluate(async ([o, r]) => {
    const flow = (globalThis as unknown as { l2dFlow: Record<string, (x: unknown) => Promise<{ ok: boolean; value: { memorySource: string; loadMs: number; stageMs: Visit['stageMs'] }; message?: string }>> }).l2dFlow;
    const loaded = await flow.load(o);
    if (!loaded.ok) throw new Error(loaded.message);
    const recommended = await flow.recommend(r);
    if (!recommended.ok) throw new Error(recommended.message);
    return { ms: performance.now(), source: loaded.value.memorySource, loadMs: loaded.value.loadMs, stageMs: loaded.value.stageMs };
  }, [options, request] as const);
}
const clearStorage = () => clearOriginStorage(page);

const rows: string[] = [];
let visits: Map<string, TreeVisits<Visit>>;
try {
  visits = await visitRounds(
    trees,
    runs,
    {
      warmUp: async (tree) => (await clearStorage(), visit(tree.worker)),
      pair: async (tree) => {
        await page.context().unroute('**/models/**');
        await clearStorage();
        const first = await visit(tree.worker);
        await page.context().route('**/models/**', (route) => route.abort('internetdisconnected'));
        return { first, second: await visit(tree.worker) };
      },
    },
    (run, tree, first, second) =>
      rows.push(`| ${run + 1} | ${tree.name} | ${first.source} | ${first.ms.toFixed(0)} | ${stagesText(first)} | ${second.source} | ${second.ms.toFixed(0)} | ${stagesText(second)} | ${(first.ms / second.ms).toFixed(2)} |`),
  );
} finally {
  await page.context().unroute('**/models/**');
  await harness.close();
}
console.log(`encoder ${values.device}, decoder ${values.decoder}; demo model (q4, 6.7 MB), memory ${values.memory}${emulated ? `; network emulated: ${throttleMbit !== undefined ? `${throttleMbit} Mbit/s` : 'no bandwidth limit'}, ${latencyMs} ms latency` : '; localhost'}\n`);
console.log('| run | tree | first visit memory from | navigation to first recommendation ms | load() ms (model / memory [from ms] / decoder) | second visit memory from | navigation to first recommendation ms | load() ms (model / memory [from ms] / decoder) | first / second |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (trees.length === 2) {
  const [ours, base] = trees.map((t) => visits.get(t.name)!);
  console.log(`\n${mediansTable(ours, base, trees[1].name, 'navigation to first recommendation').join('\n')}`);
}
