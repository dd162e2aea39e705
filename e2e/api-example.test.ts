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

it('createRecommender() stops its first load when its signal fires: AbortError, and nothing more is fetched', async () => {
  const requests: string[] = [];
  harness.page.on('request', (r) => void requests.push(r.url()));
  const outcome = await harness.page.evaluate(async () => {
    // The page's own import(), which vitest would otherwise rewrite for Node.
    const importInPage = new Function('url', 'return import(url)') as (url: string) => Promise<typeof import('../src/index.ts')>;
    const { createRecommender } = await importInPage('/src/index.ts');
    const failure = (e: Error & { code?: string }) => ({ name: e.name, code: e.code, message: e.message });
    const options = { model: '/models/movielens-demo', memory: '/models/movielens-demo/memory/train-q4-f0.3', cache: 'none' as const };
    const preAborted = await createRecommender({ ...options, signal: AbortSignal.abort() }).then(() => null, failure);
    const controller = new AbortController();
    const midway = await createRecommender({ ...options, signal: controller.signal, onProgress: (p) => p.stage === 'model' && controller.abort() }).then(() => null, failure);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a load still running would fetch the memory by now
    return { preAborted, midway };
  });
  const expected = { name: 'AbortError', code: 'aborted', message: 'createRecommender() was aborted by its signal.' };
  expect([outcome.preAborted, outcome.midway]).toEqual([expected, expected]);
  expect(requests.filter((u) => /memory\/train-q4-f0\.3\/(manifest\.json|chunk-)/.test(u))).toEqual([]);
  expect(harness.problems).toEqual([]);
});
