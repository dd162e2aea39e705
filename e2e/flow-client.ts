/** The test side of e2e/harness/recommend-page.ts: the page for a test file, calls into its l2dFlow and their outcomes. */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { openHarness, type HarnessPage } from './browser.ts';

export type FlowOutcome<T> = { ok: true; value: T } | { ok: false; name: string; message: string; code?: string; isL2DError: boolean };

/** A caller of `l2dFlow[fn](arg)` in the page. */
export function flowCaller(page: () => Page) {
  return <T>(fn: string, arg?: unknown) =>
    page().evaluate(([f, a]) => (globalThis as unknown as Record<string, Record<string, (x: unknown) => Promise<unknown>>>).l2dFlow[f as string](a), [fn, arg] as const) as Promise<FlowOutcome<T>>;
}

/** The value of a successful call; a failed one fails the test with its error. */
export function outcomeValue<T>(outcome: FlowOutcome<T>): T {
  if (!outcome.ok) throw new Error(`${outcome.name}: ${outcome.message}`);
  return outcome.value;
}

/**
 * The flow page (e2e/harness/recommend.html, `query` appended) for the calling test file: opened before its
 * tests, closed after, with `allowed` console messages not counted as problems. `harness` stands for the
 * open page; `call` calls into its l2dFlow.
 */
export function useFlowPage(options: { query?: string; allowed?: RegExp } = {}) {
  let open: HarnessPage | undefined;
  beforeAll(async () => {
    open = await openHarness(`e2e/harness/recommend.html${options.query ?? ''}`);
    if (options.allowed) open.allow(options.allowed);
  });
  afterAll(async () => {
    await open?.close();
  });
  const live = () => {
    if (!open) throw new Error('The flow page is open only while the test file runs (from its beforeAll on).');
    return open;
  };
  const harness: Omit<HarnessPage, 'close'> = {
    get page() {
      return live().page;
    },
    get baseUrl() {
      return live().baseUrl;
    },
    get problems() {
      return live().problems;
    },
    allow: (pattern) => live().allow(pattern),
    openTab: (path) => live().openTab(path),
  };
  return { harness, call: flowCaller(() => live().page) };
}
