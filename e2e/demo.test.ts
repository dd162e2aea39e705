/** The demo page as `npm start` serves it: adapter shown, decode engine on a generated memory, same ranking as the CPU reference. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { openHarness, type HarnessPage } from './browser.ts';

let harness: HarnessPage;
beforeAll(async () => {
  harness = await openHarness('index.html');
});
afterAll(async () => {
  await harness?.close();
});

it('shows the adapter, recommends with L2D-G and L2D-L, and agrees with the CPU reference', async () => {
  const { page } = harness;
  await expect.poll(() => page.textContent('#adapter')).toMatch(/swiftshader|nvidia|amd|intel|apple/i);
  await page.fill('#memory-form input[name=rows]', '20000');
  await page.fill('#memory-form input[name=dim]', '64');
  await page.fill('#memory-form input[name=items]', '500');
  // 'auto' would pick the CPU on a software adapter; this test is about the GPU path.
  await page.selectOption('#memory-form select[name=device]', 'webgpu');
  await page.click('#memory-form button');
  await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Memory ready'), undefined, { timeout: 60_000 });
  expect(await page.textContent('#decoder')).toMatch(/^WebGPU \(/);
  await page.click('#request-form button');
  await page.waitForFunction(() => document.querySelectorAll('#latency-rows tr').length === 2, undefined, { timeout: 60_000 });
  expect(await page.locator('#global-list li').count()).toBe(10);
  expect(await page.locator('#local-list li').count()).toBe(10);
  const agreement = await page.locator('#latency-rows tr td:last-child').allTextContents();
  expect(agreement).toEqual(['yes', 'yes']);
  for (const region of ['#backend', '#controls', '#results', '#latency']) expect(await page.locator(region).isVisible(), region).toBe(true);
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/demo.png', fullPage: true });
  expect(harness.problems).toEqual([]);
});

it('recommends from a history built by searching the catalog, with the demo model', async () => {
  const { page } = harness;
  await page.reload();
  await page.waitForSelector('body[data-model-ready="true"]', { state: 'attached', timeout: 90_000 });
  expect(await page.textContent('#model-status')).toMatch(/^Ready: 3496 items, memory of 21456 rows \(d = 256\) from (network|indexeddb|mixed); encoder (webgpu|wasm) \(q4\), decoder (webgpu|cpu)/);
  for (const query of ['toy story', 'jumanji', 'heat (1995)']) {
    await page.fill('#catalog-search', query);
    await page.click('#catalog-matches li:first-child button');
  }
  expect(await page.locator('#history li').count()).toBe(3);
  await page.click('#model-form button');
  await page.waitForFunction(() => document.querySelectorAll('#model-local li').length === 10, undefined, { timeout: 60_000 });
  expect(await page.locator('#model-global li').count()).toBe(10);
  const history = await page.locator('#history li').allTextContents();
  const recommended = await page.locator('#model-global li').allTextContents();
  // "exclude history items" is on by default: none of the history's titles comes back.
  for (const h of history) expect(recommended.some((r) => r.startsWith(h.replace(/remove$/, '')))).toBe(false);
  expect(await page.textContent('#model-timings')).toMatch(/L2D-G: tokenize .* ms, forward .* ms, decode .* ms/);
  await page.screenshot({ path: 'test-results/demo-model.png', fullPage: true });
  expect(harness.problems).toEqual([]);
});

it('refuses out-of-range inputs in the form and explains a request made too early', async () => {
  const { page } = harness;
  await page.fill('#memory-form input[name=rows]', '0');
  expect(await page.locator('#memory-form input[name=rows]').evaluate((e: HTMLInputElement) => e.validationMessage)).not.toBe('');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  await page.click('#request-form button');
  await page.waitForFunction(() => document.getElementById('status')?.classList.contains('error'));
  expect(await page.textContent('#status')).toBe('Error: Build a memory first.');
});
