/**
 * What a storefront's shopper waits for: the built embed (npm run build:embed), served statically, from a page
 * load to its first recommendation, first visit (nothing stored) and second visit (model and memory stored), this
 * tree's build beside a baseline commit's, visits alternating in one Chromium, each first visit from empty
 * storage, after one unrecorded round; medians and their ratio. The baseline is built from a git worktree of
 * that commit (test-results/embed-visit/baseline-<sha>). The encoder on wasm (the embed's data-device), on the
 * demo model; `--memory <folder>`: another memory of it (default its 30% memory); `--latency <ms>`: each response
 * delayed by the server (tools/lib/network-shape.ts; Chromium's network emulation, used until 2026-12-07, left the
 * memory worker's own downloads undelayed).
 *
 *   npm run bench:embed-visit -- --baseline <git ref> [--memory <folder>] [--latency <ms>] [--runs 5]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseOptions } from '../tools/lib/cli.ts';
import { viteBuild } from '../tools/lib/vite-build.ts';
import { startStaticServer } from '../tools/lib/static-server.ts';
import { baselineCommit, optionFailure, wholeNumber } from './bench-options.ts';
import { clearOriginStorage, mediansTable, stagesText, visitRounds, type TreeVisits, type VisitTimes } from './visit-report.ts';
import { launchChromium } from '../e2e/browser.ts';

const USAGE = 'usage: npm run bench:embed-visit -- --baseline <git ref> [--memory <folder>] [--latency <ms>] [--runs 5]';
const { values } = parseOptions('embed-visit', USAGE, {
  options: {
    baseline: { type: 'string' },
    memory: { type: 'string', default: 'models/movielens-demo/memory/train-q4-f0.3' },
    latency: { type: 'string', default: '0' },
    runs: { type: 'string', default: '5' },
  },
});
const fail = optionFailure('embed-visit', USAGE);
const runs = wholeNumber('--runs', values.runs, fail);
const latencyMs = wholeNumber('--latency', values.latency, fail, 0);
if (!existsSync(`${values.memory}/manifest.json`)) fail(`--memory ${values.memory} has no manifest.json (a memory folder of the demo model).`);
const commit = baselineCommit(values.baseline, fail);

// Both embeds, built as `npm run build:embed` builds them.
const root = resolve('test-results/embed-visit');
const baseTree = `${root}/baseline-${commit}`;
rmSync(root, { recursive: true, force: true });
mkdirSync(`${root}/pages`, { recursive: true });
await viteBuild('vite.embed.config.ts');
execFileSync('git', ['worktree', 'add', '--detach', '--force', baseTree, commit], { stdio: 'ignore' });
try {
  symlinkSync(resolve('node_modules'), `${baseTree}/node_modules`);
  execFileSync('npx', ['vite', 'build', '-c', 'vite.embed.config.ts', '--logLevel', 'warn'], { cwd: baseTree, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
} catch (error) {
  execFileSync('git', ['worktree', 'remove', '--force', baseTree]);
  throw error;
}
const trees = [
  { name: 'this tree', folder: resolve('dist-embed'), path: 'this' },
  { name: commit, folder: `${baseTree}/dist-embed`, path: 'baseline' },
];
for (const tree of trees) {
  writeFileSync(
    `${root}/pages/${tree.path}.html`,
    `<!doctype html><title>${tree.name}</title><script src="/l2d-${tree.path}/l2d-embed.js" data-model="/models/movielens-demo" data-memory="/memory" data-device="wasm"></script>\n`,
  );
}
writeFileSync(`${root}/pages/blank.html`, '<!doctype html><title>blank</title>\n');
const server = await startStaticServer({
  routes: { '/l2d-this/': trees[0].folder, '/l2d-baseline/': trees[1].folder, '/models/movielens-demo/': 'models/movielens-demo', '/memory/': values.memory, '/': `${root}/pages` },
  ...(latencyMs > 0 ? { shape: { latencyMs } } : {}),
});
const browser = await launchChromium();
const page = await (await browser.newContext()).newPage();

interface Visit extends VisitTimes {
  source: string;
  thread: string;
}
const request = { history: [12, 40, 41, 42, 100], k: 50 };

/** Navigation start to the first recommendation, as the page measures it. */
async function visit(path: string): Promise<Visit> {
  await page.goto(`${server.origin}/${path}.html`);
  return page.evaluate(async (r) => {
    type Handle = { recommend(r: unknown): Promise<unknown>; status(): { loadMs: number; memorySource: string; memoryThread?: string; stageMs: Visit['stageMs'] } };
    const handle = await (globalThis as unknown as { L2D: { recommender(): Promise<Handle> } }).L2D.recommender();
    await handle.recommend(r);
    const status = handle.status();
    return { ms: performance.now(), loadMs: status.loadMs, source: status.memorySource, thread: status.memoryThread ?? 'encoder worker', stageMs: status.stageMs };
  }, request);
}
async function clearStorage(): Promise<void> {
  await page.goto(`${server.origin}/blank.html`);
  await clearOriginStorage(page);
}

const rows: string[] = [];
let visits: Map<string, TreeVisits<Visit>>;
try {
  visits = await visitRounds(
    trees,
    runs,
    {
      warmUp: async (tree) => (await clearStorage(), visit(tree.path)),
      pair: async (tree) => {
        await clearStorage();
        return { first: await visit(tree.path), second: await visit(tree.path) };
      },
    },
    (run, tree, first, second) =>
      rows.push(`| ${run + 1} | ${tree.name} | ${first.thread} | ${first.ms.toFixed(0)} | ${stagesText(first)} | ${second.source} | ${second.ms.toFixed(0)} | ${stagesText(second)} |`),
  );
} finally {
  await browser.close();
  await server.close();
  execFileSync('git', ['worktree', 'remove', '--force', baseTree]);
}
console.log(`built embed, encoder wasm; demo model (q4), memory ${values.memory}; ${latencyMs > 0 ? `${latencyMs} ms latency (shaped by the server)` : 'localhost'}\n`);
console.log('| run | tree | memory stage in | first visit: page load to first recommendation ms | load() ms (model / memory [from ms] / decoder) | second visit memory from | page load to first recommendation ms | load() ms (model / memory [from ms] / decoder) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
const [ours, base] = trees.map((t) => visits.get(t.name)!);
console.log(`\n${mediansTable(ours, base, commit, 'page load to first recommendation').join('\n')}`);
