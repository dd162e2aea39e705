/**
 * The whole-page GPU benchmark's pre-flight, here (SwiftShader): builds the
 * page exactly as the GPU session sends it (bench/gpu-bench-inputs.ts
 * --no-decode), serves it from the repository root, runs it in `?quick` mode
 * (every stage on a few inputs) in Debian's Chromium and prints the report.
 * Fails if a stage failed as a whole; rows that record a graph this adapter
 * cannot run (the fused graph on onnxruntime-web's own device on SwiftShader,
 * docs/MODELS.md) are results, not failures. 10-20 minutes here (2026-12-06: 13 and 19 minutes, every stage; the
 * page gets 40 minutes, so a slow hour's run is not cut off).
 *
 *   npm run bench:gpu-smoke
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { launchChromium } from '../e2e/browser.ts';
import { startStaticServer } from '../tools/lib/static-server.ts';

const OUT = 'bench/results/tmp/gpu-smoke';
mkdirSync(OUT, { recursive: true });
execFileSync('npx', ['tsx', 'bench/gpu-bench-inputs.ts', OUT, '--no-decode'], { stdio: 'inherit' });
// The dev server's isolation headers, so the page runs as it would on a host that sends them.
const server = await startStaticServer({ routes: { '/': '.' }, headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } });
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.text().startsWith('stage')) console.log(m.text());
  });
  await page.goto(`${server.origin}/${OUT}/dist/bench/gpu-bench.html?quick`);
  await page.waitForFunction(() => (globalThis as unknown as { l2dGpuBench?: { finished?: string } }).l2dGpuBench?.finished, undefined, { timeout: 40 * 60_000, polling: 2000 });
  const results = (await page.evaluate(() => (globalThis as unknown as { l2dGpuBench: unknown }).l2dGpuBench)) as Record<string, unknown>;
  const file = `${OUT}/result.json`;
  writeFileSync(file, `${JSON.stringify(results)}\n`);
  execFileSync('npx', ['tsx', 'bench/gpu-bench-report.ts', file], { stdio: 'inherit' });
  const failed = Object.entries(results).filter(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v) && 'error' in v);
  for (const [stage, v] of failed) console.error(`stage ${stage} failed: ${(v as { error: string }).error}`);
  if (failed.length) process.exitCode = 1;
  else console.log(`\nevery stage ran (${file})`);
} finally {
  await browser.close();
  await server.close();
}
