/**
 * Page load to first recommendation, first visit (network) vs second visit
 * (model from the Cache API, memory from IndexedDB, the network blocked for
 * both), side by side in one Chromium run on the demo model and memory.
 *
 *   npx tsx bench/run-second-visit.ts [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3]
 */
import { parseOptions } from '../tools/lib/cli.ts';
import { openHarness } from '../e2e/browser.ts';

const { values } = parseOptions('second-visit', 'usage: npx tsx bench/run-second-visit.ts [--device wasm|webgpu] [--decoder cpu|webgpu] [--runs 3]', { options: { device: { type: 'string', default: 'wasm' }, decoder: { type: 'string', default: 'cpu' }, runs: { type: 'string', default: '3' } } });
const options = {
  modelUrl: '/models/movielens-demo',
  memoryUrl: '/models/movielens-demo/memory/train-q4-f0.3',
  device: values.device,
  decoder: values.decoder,
  wasmPaths: '/node_modules/onnxruntime-web/dist/',
};
const request = { history: [12, 40, 41, 42, 100], k: 50, strategy: 'global' as const }; // as its recorded figures

const harness = await openHarness('e2e/harness/recommend.html');
const { page } = harness;
/** Navigation start to the first recommendation, as the page measures it. */
async function visit(): Promise<{ ms: number; source: string; loadMs: number; stageMs: { model: number; memory: number; decoder: number } }> {
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return page.evaluate(async ([o, r]) => {
    const flow = (globalThis as unknown as { l2dFlow: Record<string, (x: unknown) => Promise<{ ok: boolean; value: { memorySource: string; loadMs: number; stageMs: { model: number; memory: number; decoder: number } }; message?: string }>> }).l2dFlow;
    const loaded = await flow.load(o);
    if (!loaded.ok) throw new Error(loaded.message);
    const recommended = await flow.recommend(r);
    if (!recommended.ok) throw new Error(recommended.message);
    return { ms: performance.now(), source: loaded.value.memorySource, loadMs: loaded.value.loadMs, stageMs: loaded.value.stageMs };
  }, [options, request] as const);
}
const clearStorage = () =>
  page.evaluate(async () => {
    for (const db of await indexedDB.databases()) if (db.name) indexedDB.deleteDatabase(db.name);
    for (const name of await caches.keys()) await caches.delete(name);
  });

const rows: string[] = [];
try {
  for (let run = 0; run < Number(values.runs); run++) {
    await page.context().unroute('**/models/**');
    await clearStorage();
    const first = await visit();
    await page.context().route('**/models/**', (route) => route.abort('internetdisconnected'));
    const second = await visit();
    const stages = (v: typeof first) => `${v.loadMs.toFixed(0)} (${v.stageMs.model.toFixed(0)} / ${v.stageMs.memory.toFixed(0)} / ${v.stageMs.decoder.toFixed(0)})`;
    rows.push(`| ${run + 1} | ${first.source} | ${first.ms.toFixed(0)} | ${stages(first)} | ${second.source} | ${second.ms.toFixed(0)} | ${stages(second)} | ${(first.ms / second.ms).toFixed(2)} |`);
  }
} finally {
  await harness.close();
}
console.log(`encoder ${values.device}, decoder ${values.decoder}; demo model (q4, 6.7 MB) and memory (21,456 rows, 10.6 MB)\n`);
console.log('| run | first visit memory from | navigation to first recommendation ms | load() ms (model / memory / decoder) | second visit memory from | navigation to first recommendation ms | load() ms (model / memory / decoder) | first / second |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
