/**
 * The embed's own on-device history: the storefront reports views and
 * purchases (catalog ids); they are kept in this origin's localStorage and
 * never sent anywhere.
 */
import { InvalidArgumentError } from '../core/errors.ts';

export type HistoryEventKind = 'view' | 'purchase';

export const HISTORY_KEY = 'l2d-embed-history';
/** Newest items kept; the model's context holds fewer anyway. */
export const HISTORY_LIMIT = 50;

export class LocalHistory {
  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined = globalThis.localStorage,
    private readonly key = HISTORY_KEY,
  ) {}

  /** Item ids, oldest first. */
  items(): number[] {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(this.key) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((id): id is number => Number.isInteger(id) && id >= 0) : [];
    } catch {
      return []; // unreadable storage is an empty history, never an error on the storefront
    }
  }

  /** Appends an event's item (a repeated item moves to the end). */
  add(kind: HistoryEventKind, item: number): number[] {
    if (kind !== 'view' && kind !== 'purchase') throw new InvalidArgumentError(`Unknown event "${String(kind)}": use "view" or "purchase".`);
    if (!Number.isInteger(item) || item < 0) throw new InvalidArgumentError(`An item id is a non-negative integer, got ${String(item)}.`);
    const next = [...this.items().filter((id) => id !== item), item].slice(-HISTORY_LIMIT);
    try {
      this.storage?.setItem(this.key, JSON.stringify(next));
    } catch {
      // Storage full or blocked: the history lives for this page only.
    }
    return next;
  }

  clear(): void {
    this.storage?.removeItem(this.key);
  }
}
