/** The README's runnable example (examples/api/) works as written under the dev server (`npm start`). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openHarness, type HarnessPage } from './browser.ts';

let harness: HarnessPage;
beforeAll(async () => {
  harness = await openHarness('e2e/harness/blank.html');
});
afterAll(async () => {
  await harness?.close();
});

it('examples/api/ recommends ten titles through createRecommender()', async () => {
  await harness.page.goto(`${harness.baseUrl}/examples/api/`);
  await harness.page.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 90_000 });
  const titles = await harness.page.locator('#list li').allTextContents();
  expect(titles).toHaveLength(10);
  expect(titles.join('\n')).not.toMatch(/Toy Story \(1995\)|Jumanji \(1995\)/);
  expect(await harness.page.textContent('#status')).toMatch(/^(webgpu|wasm) \(q4, (fused|encoder|full) graph\) \+ (webgpu .*|cpu): \d+ ms$/);
  expect(harness.problems).toEqual([]);
});
