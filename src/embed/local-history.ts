/**
 * The embed's own on-device history: the storefront reports views and
 * purchases (in the page's ids: catalog ids, or the catalog's keys with
 * data-ids="source"); they are kept in this origin's localStorage and never
 * sent anywhere.
 */
import { InvalidArgumentError } from '../core/errors.ts';
import { isPageId, pageId, type PageId, type PageIdKind } from './page-ids.ts';

export type HistoryEventKind = 'view' | 'purchase';

export const HISTORY_KEY = 'l2d-embed-history';
/** Newest items kept: the model reads the newest of its history window (prompt-template.json's maxHistory), and the rest still keep exclude-history's items out. */
export const HISTORY_LIMIT = 50;

/** This origin's localStorage, or none where the browser blocks it (reading `localStorage` itself throws then). */
function originStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

export class LocalHistory {
  /** The history while storage refuses to keep it (full, blocked, absent): this page's alone, until it closes. */
  private unsaved: PageId[] | undefined;

  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined = originStorage(),
    private readonly key = HISTORY_KEY,
    private readonly idKind: PageIdKind = 'catalog',
  ) {}

  /** Item ids, oldest first: those of this page's kind (a store that switched data-ids starts afresh). */
  items(): PageId[] {
    if (this.unsaved) return [...this.unsaved];
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(this.key) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((id): id is PageId => isPageId(this.idKind, id)) : [];
    } catch {
      return []; // unreadable storage is an empty history, never an error on the storefront
    }
  }

  /** Appends an event's item (a repeated item moves to the end). */
  add(kind: HistoryEventKind, given: unknown): PageId[] {
    if (kind !== 'view' && kind !== 'purchase') throw new InvalidArgumentError(`Unknown event "${String(kind)}": use "view" or "purchase".`);
    const item = pageId(this.idKind, given);
    const next = [...this.items().filter((id) => id !== item), item].slice(-HISTORY_LIMIT);
    try {
      if (!this.storage) throw new Error('no storage');
      this.storage.setItem(this.key, JSON.stringify(next));
      this.unsaved = undefined;
    } catch {
      this.unsaved = next; // storage full or blocked: the history lives on for this page only
    }
    return next;
  }

  /**
   * Whether a `storage` event (another tab of this origin wrote localStorage) changed this history: a view there,
   * or its forget(); `key` null is a localStorage.clear().
   */
  changedBy(event: Pick<StorageEvent, 'key' | 'storageArea'>): boolean {
    return this.storage !== undefined && event.storageArea === this.storage && (event.key === this.key || event.key === null);
  }

  clear(): void {
    this.unsaved = undefined;
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // Blocked storage holds nothing of ours to clear.
    }
  }
}
