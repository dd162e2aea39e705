/**
 * What a retrained model's first load costs a shopper who has memory updates of the old model: they are encoded
 * again with the new model behind the load, a batch at a time in turn with the page's calls
 * (src/store/reencoded-overlay.ts). Side by side in one Chromium run: the new model's first load (its files and
 * memory from the network, as on the visit after a store retrained) with N stored rows of the old model, against the
 * same load with none: load() itself, the first recommend() right after it (which may wait for one batch), and when
 * the rows are in (the page hears it). Each load starts from empty storage and a load of the old model; the rows are
 * written into IndexedDB as a purchase stores them (histories of 10 catalog items, the demo model's window), so N
 * can be the whole default cap without N purchases. Rounds alternate the order.
 *
 * With `--baseline <git ref>`, that commit's worker (its src/ and workers/, taken from git into test-results/) does
 * the same loads in the same rounds, alternating with this tree's: the ratios of the two, side by side.
 *
 *   npm run bench:overlay-reencode -- [--rows 20,1024] [--runs 3] [--device wasm|webgpu] [--baseline <git ref>]
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { parseItems } from '../src/core/data/prepared-format.ts';
import { median, quantile } from '../src/core/stats.ts';
import type { ShardManifest } from '../src/core/shard-format.ts';
import { parseOptions } from '../tools/lib/cli.ts';
import { baselineWorker, optionFailure, wholeNumber } from './bench-options.ts';
import { clearOriginStorage } from './visit-report.ts';
import { openHarness } from '../e2e/browser.ts';
import { retrainedCopy, shardForModel } from '../e2e/model-copy.ts';

const USAGE = 'usage: npm run bench:overlay-reencode -- [--rows 20,1024] [--runs 3] [--device wasm|webgpu] [--baseline <git ref>]';
const { values } = parseOptions('overlay-reencode', USAGE, {
  options: {
    rows: { type: 'string', default: '20,1024' },
    runs: { type: 'string', default: '3' },
    device: { type: 'string', default: 'wasm' },
    baseline: { type: 'string' },
  },
});
const fail = optionFailure('overlay-reencode', USAGE);
const runs = wholeNumber('--runs', values.runs, fail);
const rowCounts = values.rows!.split(',').map((text) => wholeNumber('--rows', text, fail));
if (values.device !== 'wasm' && values.device !== 'webgpu') fail(`--device must be wasm or webgpu, got "${values.device}".`);
/** The workers compared: this tree's, and the baseline commit's where one is given. */
const trees: { name: string; worker?: string }[] = [{ name: 'this tree' }];
if (values.baseline !== undefined) trees.push(baselineWorker(values.baseline, 'overlay-reencode', fail));

const MODEL = 'models/movielens-demo';
const SOURCE = `${MODEL}/memory/train-q4-f0.3-centroids`;
const HISTORY = 10;
const retrained = retrainedCopy(MODEL, 'overlay-reencode-model');
const [oldMemory, newMemory, served] = ['old', 'new', 'served'].map((name) => `test-results/overlay-reencode-${name}`);
rmSync(oldMemory, { recursive: true, force: true });
cpSync(SOURCE, oldMemory, { recursive: true });
shardForModel(oldMemory, retrained, newMemory);
const serve = (folder: string) => {
  rmSync(served, { recursive: true, force: true });
  cpSync(folder, served, { recursive: true });
};
const manifest = JSON.parse(readFileSync(`${oldMemory}/manifest.json`, 'utf8')) as ShardManifest;
const keys = parseItems(readFileSync(`${oldMemory}/${manifest.catalog.file}`, 'utf8')).map((item) => item.sourceId);
const memoryUrl = `/${served}`;
const common = { memoryUrl, device: values.device, decoder: 'cpu', wasmPaths: '/node_modules/onnxruntime-web/dist/', revalidate: true };

/** `count` rows as a purchase stores them for the old model: seeded histories of HISTORY distinct items, each before its item. */
function oldModelRows(count: number) {
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, row) => {
    const ids = new Set<number>();
    while (ids.size < HISTORY + 1) ids.add(Math.floor(next() * keys.length));
    const [item, ...history] = [...ids];
    return { item, history, at: 1_000_000 + row, key: keys[item], historyKeys: history.map((id) => keys[id]) };
  });
}

/** recommend() calls timed after the first where no rows are encoded again (the baseline of those while they are). */
const LATER_CALLS = 8;

interface Measured {
  loadMs: number;
  /** The first recommend() after load() returned. */
  firstMs: number;
  /** recommend() calls 150-350 ms apart after it, while the rows are encoded again (with none: LATER_CALLS). */
  laterMs: number[];
  /** load()'s end to the page hearing the rows are in; with none, absent. */
  rowsInMs?: number;
  reencoded?: { state: string; rows: number; ms?: number; reason?: string };
}

const harness = await openHarness('e2e/harness/recommend.html');
const { page } = harness;

/** From empty storage: the old model's load, `count` of its rows stored, then the retrained model's first load (by `worker`'s code). */
async function measure(count: number, worker?: string): Promise<Measured> {
  await clearOriginStorage(page);
  await page.goto(`${harness.baseUrl}/e2e/harness/recommend.html${worker ? `?worker=${encodeURIComponent(worker)}` : ''}`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  serve(oldMemory);
  return page.evaluate(
    async ([oldOptions, newOptions, record, hiddenSize, later]) => {
      // No named functions in here: tsx's keepNames would wrap them in a helper the page lacks.
      type Outcome = { ok: boolean; value: unknown; message?: string };
      const flow = (globalThis as unknown as { l2dFlow: Record<string, (x?: unknown) => Promise<Outcome>> }).l2dFlow;
      const serveNew = (globalThis as unknown as { serveNew: () => Promise<void> }).serveNew;
      const old = await flow.load(oldOptions);
      if (!old.ok) throw new Error(old.message);
      if (record.rows.length > 0) {
        const db = await new Promise<IDBDatabase>((resolve, reject) => Object.assign(indexedDB.open('l2d-memory'), { onsuccess(this: IDBOpenDBRequest) { resolve(this.result); }, onerror: reject }));
        const tx = db.transaction('overlays', 'readwrite');
        tx.objectStore('overlays').put({ ...record, rows: record.rows.map((row) => ({ ...row, hidden: new Uint16Array(hiddenSize) })) });
        await new Promise((resolve, reject) => Object.assign(tx, { oncomplete: resolve, onerror: reject }));
        db.close();
      }
      await serveNew();
      flow.heardInteractions(); // none before this load
      const loaded = await flow.load(newOptions);
      if (!loaded.ok) throw new Error(loaded.message);
      const loadEnd = performance.now();
      const first = await flow.recommend({ history: record.rows[0]?.history.slice(0, 5) ?? [12, 40, 41, 42, 100], k: 10 });
      if (!first.ok) throw new Error(first.message);
      const firstMs = performance.now() - loadEnd;
      const { loadMs, overlay } = loaded.value as { loadMs: number; overlay: { reencoded?: Measured['reencoded'] } };
      // Then a shopper's pace: a recommend() every 150-350 ms (seeded: a fixed pace could keep in step with the
      // batches, every call landing between two or in one), timed, until the rows are in (or `later` of them, with none).
      const laterMs: number[] = [];
      let done: { reencoded?: Measured['reencoded'] } | undefined;
      let seed = 7;
      while (overlay.reencoded ? !done : laterMs.length < later) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        await new Promise((resolve) => setTimeout(resolve, 150 + (200 * seed) / 2 ** 31));
        const heard = (await flow.heardInteractions()).value as { reencoded?: Measured['reencoded'] }[];
        done = heard.find((o) => o.reencoded && o.reencoded.state !== 'encoding');
        if (done) break;
        const t0 = performance.now();
        const outcome = await flow.recommend({ history: [12, 40, 41, 42, 100 + laterMs.length], k: 10 });
        if (!outcome.ok) throw new Error(outcome.message);
        laterMs.push(performance.now() - t0);
      }
      return { loadMs, firstMs, laterMs, ...(done ? { rowsInMs: performance.now() - loadEnd, reencoded: done.reencoded } : {}) };
    },
    [
      { ...common, modelUrl: `/${MODEL}` },
      { ...common, modelUrl: `/${retrained}` },
      { model: manifest.model.sha256, shard: memoryUrl, catalog: manifest.catalog.sha256, seen: count, rows: oldModelRows(count) },
      manifest.hiddenSize,
      LATER_CALLS,
    ] as const,
  );
}
await page.exposeFunction('serveNew', () => serve(newMemory));

const settings = [0, ...rowCounts];
const results = new Map(trees.map((tree) => [tree.name, new Map<number, Measured[]>(settings.map((count) => [count, []]))]));
const lines: string[] = [];
try {
  await measure(0); // unrecorded: Chromium's and the server's first requests are slower than any later run's
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? settings : [...settings].reverse();
    for (const count of order) {
      for (const tree of run % 2 === 0 ? trees : [...trees].reverse()) {
        const m = await measure(count, tree.worker);
        if (count > 0 && (m.reencoded?.state !== 'stored' || m.reencoded.rows !== count)) throw new Error(`${tree.name}: ${count} rows stored, but the load took over ${JSON.stringify(m.reencoded)}`);
        results.get(tree.name)!.get(count)!.push(m);
        const treeCell = trees.length > 1 ? ` ${tree.name} |` : '';
        lines.push(`| ${run + 1} |${treeCell} ${count} | ${m.loadMs.toFixed(0)} | ${m.firstMs.toFixed(0)} | ${m.laterMs.length ? `${median(m.laterMs).toFixed(0)} (${m.laterMs.length})` : '–'} | ${m.rowsInMs === undefined ? '–' : m.rowsInMs.toFixed(0)} |`);
      }
    }
  }
} finally {
  await harness.close();
}
const modelSha = createHash('sha256').update(readFileSync(`${retrained}/onnx/model_q4.onnx`)).digest('hex').slice(0, 12);
console.log(`encoder ${values.device}, decoder cpu; the demo model retrained (its weights moved by noise, ${retrained}, model_q4 ${modelSha}…), memory ${SOURCE} rebuilt for it; histories of ${HISTORY} items\n`);
const treeHeader = trees.length > 1 ? [' worker |', '---|'] : ['', ''];
console.log(`| run |${treeHeader[0]} old model's rows stored | retrained model's first load() ms | first recommend() after it ms | later recommend() ms, median (calls) | rows in, ms after load() |`);
console.log(`|---|${treeHeader[1]}---|---|---|---|---|`);
for (const line of lines) console.log(line);

/** A tree's medians for `count` rows: load(), the first recommend(), the later ones while encoding, rows in. */
function medians(tree: string, count: number) {
  const measured = results.get(tree)!.get(count)!;
  const later = measured.flatMap((m) => m.laterMs);
  return {
    load: median(measured.map((m) => m.loadMs)),
    first: median(measured.map((m) => m.firstMs)),
    later: later.length > 0 ? median(later) : undefined,
    later90: later.length > 0 ? quantile(later, 0.9) : undefined,
    rowsIn: count > 0 ? median(measured.map((m) => m.rowsInMs!)) : undefined,
  };
}
for (const tree of trees) {
  const base = medians(tree.name, 0);
  console.log(`\nmedians${trees.length > 1 ? `, ${tree.name}` : ''} (ratios: with the rows / with none)\n`);
  console.log('| rows | load() ms | ratio | first recommend() ms | ratio | later recommend() ms, while encoding | ratio | its 90th percentile | rows in, ms after load() | per row ms |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const count of rowCounts) {
    const m = medians(tree.name, count);
    const cells = [
      `${m.load.toFixed(0)} / ${base.load.toFixed(0)}`,
      (m.load / base.load).toFixed(2),
      `${m.first.toFixed(0)} / ${base.first.toFixed(0)}`,
      (m.first / base.first).toFixed(2),
      m.later === undefined ? '– (in before the next call)' : `${m.later.toFixed(0)} / ${base.later!.toFixed(0)}`,
      m.later === undefined ? '–' : (m.later / base.later!).toFixed(2),
      m.later90 === undefined ? '–' : `${m.later90.toFixed(0)} / ${base.later90!.toFixed(0)}`,
      m.rowsIn!.toFixed(0),
      (m.rowsIn! / count).toFixed(1),
    ];
    console.log(`| ${count} | ${cells.join(' | ')} |`);
  }
}
if (trees.length > 1) {
  const [own, baseline] = trees.map((tree) => tree.name);
  console.log(`\nthis tree / ${baseline}, medians of the same rounds\n`);
  console.log('| rows | load() | first recommend() | later recommend(), while encoding | its 90th percentile | rows in |');
  console.log('|---|---|---|---|---|---|');
  for (const count of settings) {
    const [a, b] = [medians(own, count), medians(baseline, count)];
    const ratio = (x?: number, y?: number) => (x === undefined || y === undefined ? '–' : `${(x / y).toFixed(2)} (${x.toFixed(0)} / ${y.toFixed(0)} ms)`);
    console.log(`| ${count} | ${ratio(a.load, b.load)} | ${ratio(a.first, b.first)} | ${ratio(a.later, b.later)} | ${ratio(a.later90, b.later90)} | ${ratio(a.rowsIn, b.rowsIn)} |`);
  }
}
