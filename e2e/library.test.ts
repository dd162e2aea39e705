/**
 * The library BUILT (vite.lib.config.ts + tsconfig.lib.json -> dist-lib/) as a site without a bundler uses it:
 * examples/esm/index.html imports ./l2d/l2d.js from a plain static server, its worker and onnxruntime-web's files
 * come from l2d/ (or from a CDN's origin), and a TypeScript app type-checks against l2d.d.ts beside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { emitDeclarations, viteBuild } from '../tools/lib/vite-build.ts';
import { startStaticServer, type StaticServer } from '../tools/lib/static-server.ts';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import { loadShard } from '../tools/lib/shard-files.ts';
import { launchChromium, pageErrors } from './browser.ts';
import { typeCheckApp } from './type-check-app.ts';
import { startExampleEsm } from '../tools/example-esm/main.ts';
import { deploy } from '../tools/deploy/main.ts';

const MEMORY = 'models/movielens-demo/memory/train-q4-f0.3-int8';

let site: StaticServer;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  rmSync('dist-lib', { recursive: true, force: true });
  await viteBuild('vite.lib.config.ts');
  emitDeclarations('tsconfig.lib.json'); // as npm run build:lib
  // As `npm run example:esm` serves it: a site's own folder layout, no COOP/COEP headers (onnxruntime-web on one thread).
  site = await startExampleEsm();
  browser = await launchChromium();
  page = await browser.newPage();
  problems = pageErrors(page);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('dist-lib/l2d.js on a static site', () => {
  it('recommends through createRecommender(), the same lists as the CPU reference on the page\'s h_t', async () => {
    await page.goto(`${site.origin}/index.html`);
    await page.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 120_000 });
    const titles = await page.locator('#list li').allTextContents();
    expect(await page.textContent('#status')).toMatch(/^wasm \(q4, (fused|encoder|full) graph\) \+ cpu: \d+ ms$/);
    expect(titles).toHaveLength(10);
    const api = await page.evaluate(async () => {
      type Result = { items: { id: number; title: string }[]; hidden: Float32Array };
      const r = (globalThis as unknown as { l2dExample: { recommend(q: unknown): Promise<Result>; catalog(): Promise<string[]> } }).l2dExample;
      const catalog = await r.catalog();
      const history = ['Toy Story (1995)', 'Jumanji (1995)'].map((title) => catalog.indexOf(title));
      const out = await r.recommend({ history, k: 10, excludeHistory: true, returnHidden: true });
      return { history, titles: out.items.map((i) => i.title), ids: out.items.map((i) => i.id), hidden: Array.from(out.hidden) };
    });
    expect(api.titles).toEqual(titles);
    const manifest = JSON.parse(readFileSync(`${MEMORY}/manifest.json`, 'utf8'));
    const { memory } = await loadShard(MEMORY, { sha256: manifest.model.sha256, hiddenSize: manifest.hiddenSize });
    expect(api.ids).toEqual(new CpuDecoder(memory).decode(api.hidden, { k: 10, exclude: api.history }).map((x) => x.item));
    // The module worker and onnxruntime-web's wasm-only build from l2d/, found beside the worker; nothing else of it.
    expect(site.served.filter((p) => p.startsWith('/l2d/')).sort()).toEqual(['/l2d/l2d-worker.js', '/l2d/l2d.js', '/l2d/ort-wasm-simd-threaded.mjs', '/l2d/ort-wasm-simd-threaded.wasm']);
    expect(problems).toEqual([]);
  });

  it('says what is wrong through the typed errors, across the worker', async () => {
    const failure = await page.evaluate(async () => {
      const { createRecommender } = await (new Function('u', 'return import(u)') as (u: string) => Promise<typeof import('../src/index.ts')>)('./l2d/l2d.js');
      return createRecommender({ model: 'models/movielens-demo', memory: 'models/amazon-games/memory/train-q4-centroids', cache: 'none' }).then(
        () => null,
        (e: Error & { code?: string }) => ({ name: e.name, code: e.code, message: e.message }),
      );
    });
    expect(failure).toMatchObject({ name: 'ShardError', code: 'shard-invalid' });
    expect(failure!.message).toMatch(/built with model "amazon-games"/);
  });
});

describe('dist-lib/l2d.js with a deployed model folder (npm run deploy)', () => {
  it('needs nothing else: the fused graph, no other fallback reason, the same list as from the whole model folder', async () => {
    await deploy({ model: 'models/movielens-demo', memories: [MEMORY], out: 'test-results/library-deployed/movielens-demo' });
    const deployed = await startStaticServer({ routes: { '/l2d/': 'dist-lib', '/models/': 'test-results/library-deployed', '/': 'examples/esm' } });
    const tab = await browser.newPage();
    const whole = await browser.newPage(); // the same page on the repository's whole model folder
    try {
      for (const [p, origin] of [[tab, deployed.origin], [whole, site.origin]] as const) {
        await p.goto(`${origin}/index.html`);
        await p.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 120_000 });
      }
      expect(await tab.textContent('#status')).toMatch(/^wasm \(q4, fused graph\) \+ cpu: \d+ ms$/);
      // No graph missing on the way (the only reason given is the adapter's, as from the whole folder).
      const reason = () => (globalThis as unknown as { l2dExample: { status(): { encoder: { fallbackReason?: string } } } }).l2dExample.status().encoder.fallbackReason;
      expect(await tab.evaluate(reason)).toBe(await whole.evaluate(reason));
      expect(await tab.locator('#list li').allTextContents()).toEqual(await whole.locator('#list li').allTextContents());
      const record = JSON.parse(readFileSync('test-results/library-deployed/movielens-demo/l2d-deploy.json', 'utf8')) as { files: { path: string }[] };
      const files = record.files.map((f) => `/models/movielens-demo/${f.path}`);
      const fetched = deployed.served.filter((p) => p.startsWith('/models/'));
      expect(fetched.filter((p) => !files.includes(p))).toEqual([]);
      expect(fetched).toContain('/models/movielens-demo/onnx/encoder_q4_fused_plain.onnx');
    } finally {
      await tab.close();
      await whole.close();
      await deployed.close();
    }
  });
});

/** examples/esm on one origin importing the library and the model from a second (a CDN, with CORS); `isolated`: COOP/COEP. */
async function exampleFromCdn(isolated = false): Promise<{ cdn: StaticServer; store: StaticServer }> {
  const cdn = await startStaticServer({
    routes: { '/l2d/': 'dist-lib', '/models/': 'models' },
    headers: { 'access-control-allow-origin': '*', ...(isolated ? { 'cross-origin-resource-policy': 'cross-origin' } : {}) },
  });
  const store = await startStaticServer({
    routes: { '/': 'examples/esm' },
    ...(isolated ? { headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } } : {}),
    rewriteHtml: (html) => html.replace("'./l2d/l2d.js'", `'${cdn.origin}/l2d/l2d.js'`).replaceAll("'models/", `'${cdn.origin}/models/`),
  });
  return { cdn, store };
}

describe('dist-lib/l2d.js from another origin (a CDN)', () => {
  it('runs its worker from a Blob, onnxruntime-web from the CDN\'s folder: the same list as from the site itself', async () => {
    const { cdn, store } = await exampleFromCdn();
    const tab = await browser.newPage();
    const tabProblems = pageErrors(tab);
    try {
      await tab.goto(`${store.origin}/index.html`);
      await tab.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 120_000 });
      // A page may not start a worker from another origin: before, this was "SecurityError: Failed to construct 'Worker'".
      expect(await tab.textContent('#status')).toMatch(/^wasm \(q4, (fused|encoder|full) graph\) \+ cpu: \d+ ms$/);
      expect(await tab.locator('#list li').allTextContents()).toEqual(await page.locator('#list li').allTextContents());
      expect(cdn.served.filter((p) => p.startsWith('/l2d/')).sort()).toEqual(['/l2d/l2d-worker.js', '/l2d/l2d.js', '/l2d/ort-wasm-simd-threaded.mjs', '/l2d/ort-wasm-simd-threaded.wasm']);
      expect(store.served).toEqual(['/index.html']);
      expect(tabProblems).toEqual([]);
    } finally {
      await tab.close();
      await cdn.close();
      await store.close();
    }
  });

  it('in a cross-origin isolated page, onnxruntime-web runs its threads from the CDN\'s files too', async () => {
    const { cdn, store } = await exampleFromCdn(true);
    const tab = await browser.newPage();
    try {
      await tab.goto(`${store.origin}/index.html`);
      await tab.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 120_000 });
      expect(await tab.textContent('#status')).toMatch(/^wasm \(q4, (fused|encoder|full) graph\) \+ cpu: \d+ ms$/);
      const threads = await tab.evaluate(() => (globalThis as unknown as { l2dExample: { status(): { encoder: { wasmThreads: number } } } }).l2dExample.status().encoder.wasmThreads);
      expect(threads).toBe(Math.min(4, cpus().length));
      expect(await tab.locator('#list li').allTextContents()).toEqual(await page.locator('#list li').allTextContents());
    } finally {
      await tab.close();
      await cdn.close();
      await store.close();
    }
  });

  it('names the worker file when the CDN lacks it', async () => {
    rmSync('test-results/library-no-worker', { recursive: true, force: true });
    cpSync('dist-lib', 'test-results/library-no-worker', { recursive: true });
    rmSync('test-results/library-no-worker/l2d-worker.js');
    const cdn = await startStaticServer({ routes: { '/l2d/': 'test-results/library-no-worker' }, headers: { 'access-control-allow-origin': '*' } });
    const tab = await browser.newPage();
    try {
      await tab.goto(`${site.origin}/index.html`); // any page of another origin
      await tab.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 120_000 });
      const failure = await tab.evaluate(async (url) => {
        const { createRecommender } = await (new Function('u', 'return import(u)') as (u: string) => Promise<typeof import('../src/index.ts')>)(url);
        return createRecommender({ model: 'models/movielens-demo', memory: 'models/movielens-demo/memory/train-q4-f0.3-int8' }).then(
          () => null,
          (e: Error & { code?: string }) => ({ name: e.name, code: e.code, message: e.message }),
        );
      }, `${cdn.origin}/l2d/l2d.js`);
      expect(failure).toEqual({
        name: 'NetworkUnavailableError',
        code: 'network-unavailable',
        message: `The recommender's worker (${cdn.origin}/l2d/l2d-worker.js) could not be fetched (HTTP 404): serve l2d-worker.js beside l2d.js (npm run build:lib writes both), with CORS where they are on another origin than the page.`,
      });
    } finally {
      await tab.close();
      await cdn.close();
    }
  });
});

describe('dist-lib/l2d.d.ts', () => {
  it('types an app that imports ./l2d/l2d.js (strict, library files checked), and refuses a wrong call', () => {
    const app = (strategy: string) => [
      `import { createRecommender, InvalidArgumentError, type RecommendResult } from '${resolve('dist-lib/l2d.js')}';`,
      "const recommender = await createRecommender({ model: 'models/m', memory: 'models/m/memory', device: 'auto' });",
      'const result: RecommendResult = await recommender.recommend({ history: [1, 2], k: 10 });',
      'const first: string = result.items[0].title;',
      'export const seen = [first, InvalidArgumentError.name];',
      `await recommender.recommend({ history: [1], k: 3, strategy: ${strategy} });`,
    ].join('\n');
    expect(typeCheckApp('library-types-app', { 'main.ts': app("'local'") })).toEqual({ status: 0, output: '' });
    const bad = typeCheckApp('library-types-app', { 'main.ts': app("'nearest'") });
    expect(bad.status).toBe(2);
    expect(bad.output).toMatch(/main\.ts\(6,\d+\): error TS2322: Type '"nearest"' is not assignable to type 'Strategy \| undefined'\.$/m);
  });
});
