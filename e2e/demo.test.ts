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
