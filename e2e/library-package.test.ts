/**
 * The library as an npm package in apps with a bundler: dist-lib packed (`npm pack`), installed into
 * examples/vite-app and examples/webpack-app, and each app built by its bundler with no configuration for the library
 * (Vite also in its dev server): the package's worker and onnxruntime-web's files reach the app's build under the
 * names the bundler gives them (before, a Vite-built app's worker looked for ort-wasm-simd-threaded.mjs beside itself
 * in assets/ and failed, and webpack's build threw "Cannot find module" for the worker), and the Vite app type-checks
 * against the installed package's declarations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import { loadShard } from '../tools/lib/shard-files.ts';
import { EXAMPLE_VITE_APP, startExampleVite, type ExampleVite } from '../tools/example-vite/main.ts';
import { buildExampleWebpack, EXAMPLE_WEBPACK_APP, startExampleWebpack } from '../tools/example-webpack/main.ts';
import { packAndInstall } from '../tools/lib/library-package.ts';
import { launchChromium, pageErrors } from './browser.ts';
import { typeCheckProject } from './type-check-app.ts';
import { freePort } from '../tools/lib/static-server.ts';

const MEMORY = 'models/movielens-demo/memory/train-q4-f0.3-int8';
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

let browser: Browser;

beforeAll(async () => {
  await packAndInstall([EXAMPLE_VITE_APP, EXAMPLE_WEBPACK_APP]);
  browser = await launchChromium();
}, 240_000);
afterAll(async () => {
  await browser?.close();
});

interface AppRun {
  titles: string[];
  status: string | null;
  ids: number[];
  history: number[];
  hidden: number[];
  /** onnxruntime-web's wasm threads (1 unless the page is cross-origin isolated). */
  wasmThreads: number;
  problems: string[];
  /** The URL paths of the page's and its workers' requests, as the browser made them. */
  requested: string[];
}

/** The example app's page in a fresh tab: its list, its status line, and one recommend() through the API with h_t. */
async function runApp(site: ExampleVite): Promise<AppRun> {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  const problems = pageErrors(page);
  const requested: string[] = [];
  context.on('request', (request) => requested.push(new URL(request.url()).pathname));
  try {
    await page.goto(`${site.origin}/`);
    await page.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 120_000 });
    const status = await page.textContent('#status');
    if (!(await page.evaluate(() => 'l2dExample' in globalThis))) throw new Error(`The app did not start: ${status}`);
    const api = await page.evaluate(async () => {
      type Result = { items: { id: number }[]; hidden: Float32Array };
      const r = (globalThis as unknown as { l2dExample: { recommend(q: unknown): Promise<Result>; catalog(): Promise<string[]>; status(): { encoder: { wasmThreads: number } } } }).l2dExample;
      const catalog = await r.catalog();
      const history = ['Toy Story (1995)', 'Jumanji (1995)'].map((title) => catalog.indexOf(title));
      const out = await r.recommend({ history, k: 10, excludeHistory: true, returnHidden: true });
      return { history, ids: out.items.map((i) => i.id), hidden: Array.from(out.hidden), wasmThreads: r.status().encoder.wasmThreads };
    });
    return { titles: await page.locator('#list li').allTextContents(), status, ...api, problems, requested };
  } finally {
    await context.close();
  }
}

/** A built asset's name without the hash Vite gave it. */
const unhashed = (name: string) => name.replace(/-[\w-]{8}(\.\w+)$/, '$1');

async function cpuReference(run: AppRun): Promise<number[]> {
  const manifest = JSON.parse(readFileSync(`${MEMORY}/manifest.json`, 'utf8'));
  const { memory } = await loadShard(MEMORY, { sha256: manifest.model.sha256, hiddenSize: manifest.hiddenSize });
  return new CpuDecoder(memory).decode(Float32Array.from(run.hidden), { k: 10, exclude: run.history }).map((x) => x.item);
}

describe('the packed library (npm pack ./dist-lib)', () => {
  it('is the built module, its worker, onnxruntime-web\'s two builds and the types, with one entry', () => {
    const installed = resolve(EXAMPLE_VITE_APP, 'node_modules/l2d-recommender');
    const pkg = JSON.parse(readFileSync(`${installed}/package.json`, 'utf8'));
    const root = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg).toMatchObject({
      name: 'l2d-recommender',
      version: root.version,
      type: 'module',
      exports: { '.': { types: './l2d.d.ts', default: './l2d.js' }, './package.json': './package.json' },
      dependencies: { '@webgpu/types': root.devDependencies['@webgpu/types'] },
    });
    expect(pkg.private).toBeUndefined();
    // The example asks for the version the project packs (npm would look for another on the registry, where it is not).
    expect(JSON.parse(readFileSync(`${EXAMPLE_VITE_APP}/package.json`, 'utf8')).dependencies).toEqual({ 'l2d-recommender': `^${root.version}` });
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'l2d-worker.js', 'l2d.d.ts', 'l2d.js', ...ORT_FILES, 'package.json', 'types'].sort());
    expect(readdirSync(resolve(EXAMPLE_VITE_APP, 'node_modules/@webgpu'))).toEqual(['types']);
  });

  it('has README.md: docs/PACKAGE.md with every option row of the project README\'s table, no link into the project', () => {
    const readme = readFileSync(resolve(EXAMPLE_VITE_APP, 'node_modules/l2d-recommender/README.md'), 'utf8');
    const optionRows = (text: string) => text.split('\n').filter((line) => /^\| `\w+`/.test(line)).map((line) => line.split(' | ')[0]);
    expect(optionRows(readme)).toEqual(optionRows(readFileSync('README.md', 'utf8').split('| option | default | meaning |')[1].split('\n\n')[0]));
    expect(optionRows(readme)).toContain('| `wasmPaths`');
    expect(readme).toContain('## Every option of createRecommender()');
    expect(readme).not.toMatch(/\]\((?!https?:)[^)]*\.md\)/);
    expect(readme).not.toContain('<!--');
  });

  it('imports on a server (Node, as server-side rendering does) and says there to call createRecommender() in the browser', async () => {
    const installed = resolve(EXAMPLE_VITE_APP, 'node_modules/l2d-recommender/l2d.js');
    const { createRecommender, VERSION } = (await import(pathToFileURL(installed).href)) as typeof import('../src/index.ts');
    expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    await expect(createRecommender({ model: '/models/movielens-demo' })).rejects.toMatchObject({ name: 'UnsupportedBrowserError', message: expect.stringMatching(/call it in the browser/) });
  });

  it('type-checks the app against the installed declarations (strict, the package\'s own files checked)', () => {
    expect(typeCheckProject(EXAMPLE_VITE_APP)).toEqual({ status: 0, output: '' });
  });
});

describe('examples/vite-app with the package installed', () => {
  it('built by Vite: the worker and onnxruntime-web\'s files copied into its assets, the same list as the CPU reference', async () => {
    const site = await startExampleVite({ build: true });
    try {
      // Vite names each file `<name>-<hash><ext>`: every one the library ships is there, once.
      const assets = readdirSync(resolve(EXAMPLE_VITE_APP, 'dist/assets')).map(unhashed);
      expect(assets.sort()).toEqual(['index.js', 'l2d-worker.js', ...ORT_FILES].sort());
      const run = await runApp(site);
      expect(run.status).toMatch(/^wasm \(q4, (fused|encoder|full) graph\) \+ cpu: \d+ ms$/);
      expect(run.titles).toHaveLength(10);
      expect(run.ids).toEqual(await cpuReference(run));
      // The page, its bundle, the worker and the wasm-only build (no WebGPU adapter here), from the app's own assets.
      const fromAssets = site.served!.filter((p) => p.startsWith('/assets/')).map(unhashed);
      expect(fromAssets.sort()).toEqual(['/assets/index.js', '/assets/l2d-worker.js', '/assets/ort-wasm-simd-threaded.mjs', '/assets/ort-wasm-simd-threaded.wasm']);
      expect(run.problems).toEqual([]);
    } finally {
      await site.close();
    }
  });

  it('built and cross-origin isolated (COOP/COEP): onnxruntime-web runs its threads from the renamed files', async () => {
    const site = await startExampleVite({ build: true, headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } });
    try {
      const run = await runApp(site);
      expect(run.wasmThreads).toBe(Math.min(4, cpus().length));
      expect(run.ids).toEqual(await cpuReference(run));
      expect(run.problems).toEqual([]);
    } finally {
      await site.close();
    }
  });

  it('in Vite\'s dev server (the package pre-bundled): the same list as the CPU reference', async () => {
    const site = await startExampleVite({ port: await freePort() });
    try {
      const run = await runApp(site);
      expect(run.titles).toHaveLength(10);
      expect(run.ids).toEqual(await cpuReference(run));
      expect(run.requested).toContain('/node_modules/l2d-recommender/ort-wasm-simd-threaded.wasm');
      expect(run.problems).toEqual([]);
    } finally {
      await site.close();
    }
  });
});

describe('examples/webpack-app with the package installed', () => {
  it('built by webpack 5 (its defaults): the worker and onnxruntime-web\'s files in dist/, the same list as the CPU reference', async () => {
    await buildExampleWebpack();
    // webpack names each copied file by its hash alone: two .mjs and two .wasm, onnxruntime-web's, and the worker.
    const dist = readdirSync(resolve(EXAMPLE_WEBPACK_APP, 'dist'));
    expect(dist.map((f) => f.replace(/^[0-9a-f]{20}\./, '<hash>.')).sort()).toEqual(['<hash>.js', '<hash>.js.LICENSE.txt', '<hash>.mjs', '<hash>.mjs', '<hash>.wasm', '<hash>.wasm', 'main.js']);
    const site = await startExampleWebpack();
    try {
      const run = await runApp(site);
      expect(run.status).toMatch(/^wasm \(q4, (fused|encoder|full) graph\) \+ cpu: \d+ ms$/);
      expect(run.titles).toHaveLength(10);
      expect(run.ids).toEqual(await cpuReference(run));
      // The page, its bundle, the worker and the wasm-only build (14.2 MB: the smaller .wasm), from dist/.
      const fromDist = site.served.filter((p) => p.startsWith('/dist/'));
      expect(fromDist.map((p) => p.replace(/[0-9a-f]{20}/, '<hash>'))).toEqual(['/dist/main.js', '/dist/<hash>.js', '/dist/<hash>.mjs', '/dist/<hash>.wasm']);
      const wasm = fromDist.find((p) => p.endsWith('.wasm'))!;
      expect(readFileSync(resolve(EXAMPLE_WEBPACK_APP, wasm.slice(1))).length).toBe(readFileSync('dist-lib/ort-wasm-simd-threaded.wasm').length);
      expect(run.problems).toEqual([]);
    } finally {
      await site.close();
    }
  });
});
