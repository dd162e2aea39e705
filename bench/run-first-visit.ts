/**
 * What a first visit downloads, by kind (the app's code, onnxruntime-web,
 * the model, the memory, the demo's test split), raw and gzip -6 (what a host that compresses
 * sends): the built demo on its default data set, a storefront product page whose lazy widget is
 * never scrolled near (what the tag costs every page), and the example storefront
 * with the built embed, on the shipped memory (int8 rows, then float16) and on its centroids, and the
 * game shop (own-ids.html) on amazon-games' centroids, and the built library on a static site (examples/esm). Each in a
 * fresh browser context (nothing cached), on this machine's adapter (no
 * hardware GPU here: the encoder on wasm, the wasm-only onnxruntime-web build).
 *
 *   npm run bench:first-visit
 */
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { viteBuild } from '../tools/lib/vite-build.ts';
import { launchChromium } from '../e2e/browser.ts';
import { routeFile, startStaticServer, type StaticServer } from '../tools/lib/static-server.ts';
import { EXAMPLE_CDN_ROUTES, startExampleStorefront } from '../tools/example-storefront/main.ts';
import { EXAMPLE_ESM_ROUTES, startExampleEsm } from '../tools/example-esm/main.ts';

type Kind = 'app' | 'onnxruntime-web' | 'model' | 'memory' | 'test split';
const KINDS: Kind[] = ['app', 'onnxruntime-web', 'model', 'memory', 'test split'];

function kindOf(path: string): Kind {
  if (/\/memory\//.test(path)) return 'memory';
  if (/^\/models\/[^/]+\/eval\//.test(path)) return 'test split'; // the demo's test-user picker and evaluation
  if (path.startsWith('/models/')) return 'model';
  if (/\/ort[-.][^/]*\.(wasm|mjs|js)$/.test(path)) return 'onnxruntime-web';
  return 'app';
}

/** Bytes per kind of what `server` served (each request counted: a file fetched twice crossed the network twice). */
function tally(server: StaticServer, fileOf: (path: string) => string): Record<Kind, { raw: number; gzip: number }> {
  const sums = Object.fromEntries(KINDS.map((k) => [k, { raw: 0, gzip: 0 }])) as Record<Kind, { raw: number; gzip: number }>;
  for (const path of server.served) {
    const file = fileOf(path);
    const bytes = readFileSync(file);
    sums[kindOf(path)].raw += statSync(file).size;
    sums[kindOf(path)].gzip += gzipSync(bytes, { level: 6 }).length;
  }
  return sums;
}

// Below 1 MB, two places: the embed alone is a few hundredths.
const mb = (n: number) => (n / 1e6).toFixed(n < 1e6 ? 2 : 1);
const rows: string[] = [];
function row(label: string, sums: Record<Kind, { raw: number; gzip: number }>) {
  const total = KINDS.reduce((s, k) => ({ raw: s.raw + sums[k].raw, gzip: s.gzip + sums[k].gzip }), { raw: 0, gzip: 0 });
  rows.push(`| ${label} | ${KINDS.map((k) => `${mb(sums[k].raw)} / ${mb(sums[k].gzip)}`).join(' | ')} | **${mb(total.raw)} / ${mb(total.gzip)}** |`);
}

/** The file the example storefront's CDN served for a path. */
const cdnFile = (path: string) => routeFile(EXAMPLE_CDN_ROUTES, path)!;

const browser = await launchChromium();
try {
  await viteBuild('vite.config.ts');
  const demoRoutes = { '/': 'dist' };
  const demo = await startStaticServer({ routes: demoRoutes });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${demo.origin}/index.html`);
    await page.waitForSelector('body[data-model-ready="true"]', { state: 'attached', timeout: 120_000 });
    const encoder = await page.evaluate(() => (globalThis as unknown as { l2dDemo: { recommender(): { status(): { encoder: { device: string; runtime: string; file: string } } } } }).l2dDemo.recommender().status().encoder);
    console.error(`demo: encoder ${encoder.device}, ${encoder.runtime}, ${encoder.file}`);
    row('demo (`npm run build`), its default data set: the 30% memory in int8 rows', tally(demo, (p) => routeFile(demoRoutes, p)!));
  } finally {
    await demo.close();
  }

  await viteBuild('vite.embed.config.ts');
  {
    // A product page whose only widget is lazy and never scrolled near: what every page of a store pays for the tag.
    const { store, cdn } = await startExampleStorefront();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${store.origin}/product.html`);
      await page.waitForFunction(() => customElements.get('l2d-recommendations') !== undefined);
      await page.waitForTimeout(3000); // anything the embed would fetch on its own by now
      row('storefront product page, its lazy widget never scrolled near (`product.html`)', tally(cdn, cdnFile));
      console.error('storefront product page: counted');
    } finally {
      await cdn.close();
      await store.close();
    }
  }
  for (const [label, storePage, memory] of [
    ['storefront embed (`npm run build:embed`), the 30% memory in int8 rows (the example\'s)', 'index.html', 'train-q4-f0.3-int8'],
    ['storefront embed, the same memory in float16 rows', 'index.html', 'train-q4-f0.3'],
    ['storefront embed, the same memory as centroids', 'index.html', 'train-q4-f0.3-centroids'],
    ['game shop (own-ids.html), amazon-games\' centroids', 'own-ids.html', 'train-q4-centroids'],
  ] as const) {
    // The example storefront as `npm run example:storefront` serves it, its pages naming this row's memory.
    const { store, cdn } = await startExampleStorefront({ rewriteHtml: (html) => html.replace('/memory/train-q4-f0.3-int8"', `/memory/${memory}"`) });
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${store.origin}/${storePage}`);
      await page.waitForFunction(() => (document.querySelector('#similar')?.shadowRoot?.querySelectorAll('li').length ?? 0) > 0, undefined, { timeout: 120_000 });
      const memories = new Set(cdn.served.filter((p) => p.includes('/memory/')).map((p) => p.split('/')[4]));
      if (memories.size !== 1 || !memories.has(memory)) throw new Error(`the storefront loaded ${[...memories].join(', ')}, not ${memory}`);
      row(label, tally(cdn, cdnFile));
      console.error(`${label}: counted`);
    } finally {
      await cdn.close();
      await store.close();
    }
  }

  await viteBuild('vite.lib.config.ts');
  {
    // examples/esm as `npm run example:esm` serves it: the library as l2d/, the model and its int8 memory beside.
    const site = await startExampleEsm();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${site.origin}/index.html`);
      await page.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 120_000 });
      const label = 'the library (`npm run build:lib`) on a static site, the 30% memory in int8 rows (`examples/esm`)';
      row(label, tally(site, (path) => routeFile(EXAMPLE_ESM_ROUTES, path)!));
      console.error(`${label}: counted`);
    } finally {
      await site.close();
    }
  }
} finally {
  await browser.close();
}

console.log('\nMB downloaded by a first visit, raw / gzip -6 (the encoder on wasm: no hardware GPU here)\n');
console.log(`| visit | ${KINDS.join(' | ')} | total |`);
console.log(`|---|${KINDS.map(() => '---').join('|')}|---|`);
for (const r of rows) console.log(r);
