/**
 * The two onnxruntime-web builds on the wasm execution provider, side by side
 * in one run: what a first visit without WebGPU pays to start the encoder
 * (download, compile, first session and forward pass) and the time per query
 * after, on the demo model's fused graph with plain attention ops (the graph
 * 'auto' takes on wasm). Each trial is a fresh browser context (nothing
 * cached), the builds alternating.
 *
 *   npm run bench:ort-builds [-- --trials 4 --queries 20]
 */
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';
import { openHarness } from '../e2e/browser.ts';
import { median } from '../src/core/stats.ts';
import type { OrtBuildTrial } from './ort-builds.ts';
import type { OrtBuild } from '../src/encoder/ort-runtime.ts';

const USAGE = 'usage: npm run bench:ort-builds [-- --trials 4 --queries 20]';
const args = parseOptions('bench:ort-builds', USAGE, { options: { trials: { type: 'string', default: '4' }, queries: { type: 'string', default: '20' } } }).values;
const fail = optionFailure('bench:ort-builds', USAGE);
const trials = wholeNumber('--trials', args.trials, fail);
const queries = wholeNumber('--queries', args.queries, fail);

const harness = await openHarness('bench/ort-builds.html');
const browser = harness.page.context().browser()!;
const results: OrtBuildTrial[] = [];
try {
  for (let t = 0; t < trials; t++) {
    // Alternating which goes first: drift on a shared machine cancels.
    const order: OrtBuild[] = t % 2 === 0 ? ['wasm', 'webgpu'] : ['webgpu', 'wasm'];
    for (const build of order) {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${harness.baseUrl}/bench/ort-builds.html`);
        await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 60_000 });
        results.push(
          (await page.evaluate(
            ([b, q]) => (globalThis as unknown as { l2dOrtBuilds: { trial(...a: unknown[]): Promise<unknown> } }).l2dOrtBuilds.trial(b, '/models/movielens-demo', 'encoder_q4_fused_plain.onnx', q),
            [build, queries] as const,
          )) as OrtBuildTrial,
        );
        process.stderr.write(`${build}: ${JSON.stringify(results.at(-1))}\n`);
      } finally {
        await context.close();
      }
    }
  }
} finally {
  await harness.close();
}

const of = (build: OrtBuild) => results.filter((r) => r.build === build);
const row = (build: OrtBuild, label: string) => {
  const r = of(build);
  return `| ${label} | ${(r[0].wasmBytes / 1e6).toFixed(1)} MB | ${median(r.map((x) => x.startMs)).toFixed(0)} ms | ${median(r.map((x) => x.perQueryMs)).toFixed(1)} ms | ${median(r.map((x) => x.laterQueryMs)).toFixed(1)} ms |`;
};
const ratio = (pick: (r: OrtBuildTrial) => number) => median(of('webgpu').map(pick)) / median(of('wasm').map(pick));
console.log(`\n${trials} fresh contexts per build, ${of('wasm')[0].threads} wasm thread(s), ${queries} queries of 1 x 128 tokens each (medians)\n`);
console.log('| onnxruntime-web build | wasm binary | start (import, fetch, compile, session, first pass) | per query | per query, second half |');
console.log('|---|---|---|---|---|');
console.log(row('wasm', "`onnxruntime-web/wasm` (the encoder's choice on wasm)"));
console.log(row('webgpu', '`onnxruntime-web/webgpu` (asyncify)'));
console.log(`\nWebGPU build / wasm-only build: start ${ratio((r) => r.startMs).toFixed(2)}x, per query ${ratio((r) => r.perQueryMs).toFixed(2)}x, second half ${ratio((r) => r.laterQueryMs).toFixed(2)}x`);
