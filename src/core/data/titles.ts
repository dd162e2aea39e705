/** How items with colliding titles are shown: the title, plus the source id where the title is shared. */
import type { PreparedItem } from './prepare.ts';

export function displayTitles(items: readonly PreparedItem[]): string[] {
  const uses = new Map<string, number>();
  for (const item of items) uses.set(item.title, (uses.get(item.title) ?? 0) + 1);
  return items.map((item) => (uses.get(item.title)! > 1 ? `${item.title} [${item.sourceId}]` : item.title));
}
