/** The visit benches' shared parts (run-second-visit.ts, run-embed-visit.ts): empty storage, the alternating rounds, one visit's stages, two trees' medians. */
import type { Page } from 'playwright-core';
import { median } from '../src/core/stats.ts';

/** Deletes the page's origin's IndexedDB databases and Cache API caches, and the browser's HTTP cache: the next visit is a first one. */
export async function clearOriginStorage(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (const db of await indexedDB.databases()) if (db.name) indexedDB.deleteDatabase(db.name);
    for (const name of await caches.keys()) await caches.delete(name);
  });
  // And the HTTP cache: the servers send files with no-cache and an ETag, so without this a "first visit" gets every
  // file it fetched before from the cache after a 304 (no body crosses the network, emulated or not).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
}

/** One page load to its first recommendation, as the page measures it. */
export interface VisitTimes {
  ms: number;
  loadMs: number;
  stageMs: { model: number; memory: number; memoryStart?: number; decoder: number };
}

export interface TreeVisits<V extends VisitTimes = VisitTimes> {
  first: V[];
  second: V[];
}

/**
 * The visit benches' rounds: one unrecorded first visit per tree (Chromium's and the server's first requests are
 * slower than any later run's), then `runs` rounds of a first and a second visit per tree, alternating which tree
 * goes first so that neither always gets the warmer machine. Each pair goes to `onPair` and into the tree's visits.
 */
export async function visitRounds<T extends { name: string }, V extends VisitTimes>(
  trees: readonly T[],
  runs: number,
  visitPair: { warmUp(tree: T): Promise<unknown>; pair(tree: T): Promise<{ first: V; second: V }> },
  onPair: (run: number, tree: T, first: V, second: V) => void,
): Promise<Map<string, TreeVisits<V>>> {
  const visits = new Map(trees.map((t) => [t.name, { first: [] as V[], second: [] as V[] }]));
  for (const tree of trees) await visitPair.warmUp(tree);
  for (let run = 0; run < runs; run++) {
    for (const tree of run % 2 === 0 ? trees : [...trees].reverse()) {
      const { first, second } = await visitPair.pair(tree);
      visits.get(tree.name)!.first.push(first);
      visits.get(tree.name)!.second.push(second);
      onPair(run, tree, first, second);
    }
  }
  return visits;
}

/** "load() ms (model / memory [from ms] / decoder)" of one visit. */
export function stagesText(v: VisitTimes): string {
  const { model, memory, memoryStart, decoder } = v.stageMs;
  return `${v.loadMs.toFixed(0)} (${model.toFixed(0)} / ${memory.toFixed(0)}${memoryStart !== undefined ? ` from ${memoryStart.toFixed(0)}` : ''} / ${decoder.toFixed(0)})`;
}

/** The medians of this tree's (`oursName`) and the baseline's visits and their ratio (above 1: ours is faster), as markdown lines. */
export function mediansTable(ours: TreeVisits, base: TreeVisits, baseline: string, pageMeasure: string, oursName = 'this tree'): string[] {
  const lines = [`medians, ${baseline} / ${oursName} (above 1: ${oursName} is faster)`, '', `| visit | measure | ${oursName} ms | ${baseline} ms | ratio |`, '|---|---|---|---|---|'];
  for (const which of ['first', 'second'] as const) {
    for (const [measure, of] of [[pageMeasure, (v: VisitTimes) => v.ms], ['load()', (v: VisitTimes) => v.loadMs]] as const) {
      const a = median(ours[which].map(of));
      const b = median(base[which].map(of));
      lines.push(`| ${which} | ${measure} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(2)} |`);
    }
  }
  return lines;
}
