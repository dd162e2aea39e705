/** The test side of e2e/harness/recommend-page.ts: calls into the page's l2dFlow and its outcomes. */
import type { Page } from 'playwright-core';

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
