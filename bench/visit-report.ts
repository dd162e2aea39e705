/** The visit benches' shared parts (run-second-visit.ts, run-embed-visit.ts): empty storage, one visit's stages, two trees' medians. */
import type { Page } from 'playwright-core';
import { median } from '../src/core/stats.ts';

/** Deletes the page's origin's IndexedDB databases and Cache API caches: the next visit is a first one. */
export async function clearOriginStorage(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (const db of await indexedDB.databases()) if (db.name) indexedDB.deleteDatabase(db.name);
    for (const name of await caches.keys()) await caches.delete(name);
  });
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

/** "load() ms (model / memory [from ms] / decoder)" of one visit. */
export function stagesText(v: VisitTimes): string {
  const { model, memory, memoryStart, decoder } = v.stageMs;
  return `${v.loadMs.toFixed(0)} (${model.toFixed(0)} / ${memory.toFixed(0)}${memoryStart !== undefined ? ` from ${memoryStart.toFixed(0)}` : ''} / ${decoder.toFixed(0)})`;
}

/** The medians of this tree's and the baseline's visits and their ratio (above 1: this tree is faster), as markdown lines. */
export function mediansTable(ours: TreeVisits, base: TreeVisits, baseline: string, pageMeasure: string): string[] {
  const lines = [`medians, ${baseline} / this tree (above 1: this tree is faster)`, '', '| visit | measure | this tree ms | baseline ms | ratio |', '|---|---|---|---|---|'];
  for (const which of ['first', 'second'] as const) {
    for (const [measure, of] of [[pageMeasure, (v: VisitTimes) => v.ms], ['load()', (v: VisitTimes) => v.loadMs]] as const) {
      const a = median(ours[which].map(of));
      const b = median(base[which].map(of));
      lines.push(`| ${which} | ${measure} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(2)} |`);
    }
  }
  return lines;
}
