/**
 * Page load to first recommendation, first visit (network) vs second visit
 * (model from the Cache API, memory from IndexedDB, the network blocked for
 * both), side by side in one Chromium run on the demo model and memory.
 *
 * With `--baseline <git ref>`, that commit's worker (its src/ and workers/, taken from git into test-results/) runs
 * behind the same page too, visit pairs alternating between the two trees, each from empty storage; medians and
 * their ratio. `--throttle <Mbit/s>` slows every download to that speed over one shared link, `--latency <ms>` (default
 * 20 with --throttle) delays each response (the dev server shapes them: tools/lib/network-shape.ts, which reaches the
 * memory worker's downloads too, where Chromium's emulation did not): on localhost the "network" is nearly free.
 * `--memory <url>`: another memory of the demo model (default its 30% memory, /models/movielens-demo/memory/train-q4-f0.3).
 * `--versus-memory <url>`: instead of a baseline commit, this tree's worker on a second memory of the demo model
 * (e.g. its int8 conversion, built into test-results/), alternating with the first in the same way.
 *
 *   npm run bench:second-visit -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3] [--baseline <git ref> | --versus-memory <url>] [--throttle <Mbit/s>] [--latency <ms>] [--memory <url>]
 */
import { parseOptions } from '../tools/lib/cli.ts';
import { baselineWorker, networkOptions, optionFailure, wholeNumber } from './bench-options.ts';
import { clearOriginStorage, mediansTable, stagesText, visitRounds, type TreeVisits, type VisitTimes } from './visit-report.ts';
import { openHarness } from '../e2e/browser.ts';
import { describeShape } from '../tools/lib/network-shape.ts';

const USAGE = 'usage: npm run bench:second-visit -- [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3] [--baseline <git ref> | --versus-memory <url>] [--throttle <Mbit/s>] [--latency <ms>] [--memory <url>]';
const { values } = parseOptions('second-visit', USAGE, {
  options: {
    device: { type: 'string', default: 'wasm' },
    decoder: { type: 'string', default: 'cpu' },
    runs: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    throttle: { type: 'string' },
    latency: { type: 'string' },
    memory: { type: 'string', default: '/models/movielens-demo/memory/train-q4-f0.3' },
    'versus-memory': { type: 'string' },
  },
});
const fail = optionFailure('second-visit', USAGE);
const runs = wholeNumber('--runs', values.runs, fail);
const shape = networkOptions(values, fail);

/** The trees compared: this one, and the baseline's worker where one is given, or this one on another memory. */
const trees: { name: string; worker?: string; memory?: string }[] = [{ name: 'this tree' }];
if (values.baseline && values['versus-memory']) fail('--baseline and --versus-memory compare different things: give one of them.');
if (values['versus-memory'] === values.memory) fail(`--versus-memory names the memory compared against (--memory, ${values.memory}): give another.`);
// The memory compared first, so the medians' ratio reads as its speed-up over --memory's.
if (values['versus-memory']) trees.splice(0, 1, { name: values['versus-memory'], memory: values['versus-memory'] }, { name: values.memory });
if (values.baseline) trees.push(baselineWorker(values.baseline, 'visit', fail));

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

const harness = await openHarness('e2e/harness/recommend.html', { shape });
const { page } = harness;

/** Navigation start to the first recommendation, as the page measures it. */
async function visit({ worker, memory }: (typeof trees)[number]): Promise<Visit> {
  await page.goto(`${harness.baseUrl}/e2e/harness/recommend.html${worker ? `?worker=${encodeURIComponent(worker)}` : ''}`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return page.evaluate(async ([o, r]) => {
    const flow = (globalThis as unknown as { l2dFlow: Record<string, (x: unknown) => Promise<{ ok: boolean; value: { memorySource: string; loadMs: number; stageMs: Visit['stageMs'] }; message?: string }>> }).l2dFlow;
    const loaded = await flow.load(o);
    if (!loaded.ok) throw new Error(loaded.message);
    const recommended = await flow.recommend(r);
    if (!recommended.ok) throw new Error(recommended.message);
    return { ms: performance.now(), source: loaded.value.memorySource, loadMs: loaded.value.loadMs, stageMs: loaded.value.stageMs };
  }, [{ ...options, memoryUrl: memory ?? options.memoryUrl }, request] as const);
}
/** The second visit has none of the model's or the memories' files from the network. */
const offlinePaths = ['**/models/**', ...trees.flatMap((t) => (t.memory && !t.memory.startsWith('/models/') ? [`**${t.memory}/**`] : []))];
const setOffline = async (offline: boolean) => {
  for (const path of offlinePaths) {
    if (offline) await page.context().route(path, (route) => route.abort('internetdisconnected'));
    else await page.context().unroute(path);
  }
};
const clearStorage = () => clearOriginStorage(page);

const rows: string[] = [];
let visits: Map<string, TreeVisits<Visit>>;
try {
  visits = await visitRounds(
    trees,
    runs,
    {
      warmUp: async (tree) => (await clearStorage(), visit(tree)),
      pair: async (tree) => {
        await setOffline(false);
        await clearStorage();
        const first = await visit(tree);
        await setOffline(true);
        return { first, second: await visit(tree) };
      },
    },
    (run, tree, first, second) =>
      rows.push(`| ${run + 1} | ${tree.name} | ${first.source} | ${first.ms.toFixed(0)} | ${stagesText(first)} | ${second.source} | ${second.ms.toFixed(0)} | ${stagesText(second)} | ${(first.ms / second.ms).toFixed(2)} |`),
  );
} finally {
  await setOffline(false);
  await harness.close();
}
console.log(`encoder ${values.device}, decoder ${values.decoder}; demo model (q4, 6.7 MB), memory ${trees.map((t) => t.memory ?? values.memory).filter((m, i, all) => all.indexOf(m) === i).join(' vs ')}${shape ? `; ${describeShape(shape)}` : '; localhost'}\n`);
console.log('| run | tree | first visit memory from | navigation to first recommendation ms | load() ms (model / memory [from ms] / decoder) | second visit memory from | navigation to first recommendation ms | load() ms (model / memory [from ms] / decoder) | first / second |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (trees.length === 2) {
  const [ours, base] = trees.map((t) => visits.get(t.name)!);
  console.log(`\n${mediansTable(ours, base, trees[1].name, 'navigation to first recommendation', trees[0].name).join('\n')}`);
}
