import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, LocalHistory } from './local-history.ts';

function memoryStorage() {
  const map = new Map<string, string>();
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), removeItem: (k: string) => void map.delete(k), map };
}

describe('the embed\'s on-device history', () => {
  it('keeps item ids oldest first, moves a repeated item to the end, and keeps the newest HISTORY_LIMIT', () => {
    const history = new LocalHistory(memoryStorage());
    history.add('view', 3);
    history.add('purchase', 5);
    expect(history.add('view', 3)).toEqual([5, 3]);
    for (let i = 100; i < 100 + HISTORY_LIMIT; i++) history.add('view', i);
    expect(history.items()).toHaveLength(HISTORY_LIMIT);
    expect(history.items()[0]).toBe(100);
    history.clear();
    expect(history.items()).toEqual([]);
  });

  it("knows another tab's change to it from a storage event: its key, or a clear() of the whole area, in its own area", () => {
    const storage = memoryStorage();
    const history = new LocalHistory(storage, 'h');
    expect(history.changedBy({ key: 'h', storageArea: storage as unknown as Storage })).toBe(true);
    expect(history.changedBy({ key: null, storageArea: storage as unknown as Storage })).toBe(true);
    expect(history.changedBy({ key: 'cart', storageArea: storage as unknown as Storage })).toBe(false);
    expect(history.changedBy({ key: 'h', storageArea: memoryStorage() as unknown as Storage })).toBe(false); // sessionStorage, say
    expect(history.changedBy({ key: 'h', storageArea: null })).toBe(false);
  });

  it('refuses unknown events and bad ids without touching what is stored', () => {
    const storage = memoryStorage();
    const history = new LocalHistory(storage);
    history.add('view', 1);
    expect(() => history.add('click' as 'view', 2)).toThrow('Unknown event "click": use "view" or "purchase".');
    expect(() => history.add('view', -1)).toThrow('An item id is a non-negative integer (the catalog\'s id; data-ids="source" takes the store\'s own ids), got -1.');
    expect(() => history.add('view', 'B00004T77P')).toThrow('An item id is a non-negative integer (the catalog\'s id; data-ids="source" takes the store\'s own ids), got "B00004T77P".');
    expect(history.items()).toEqual([1]);
  });

  it('with data-ids="source" keeps the store\'s own ids (an integer as its decimal string), and reads only those', () => {
    const storage = memoryStorage();
    const history = new LocalHistory(storage, 'h', 'source');
    history.add('view', 'B00004T77P');
    history.add('view', 318);
    expect(history.add('purchase', ' B00004T77P ')).toEqual(['318', 'B00004T77P']);
    expect(() => history.add('view', '')).toThrow('An item id is the catalog\'s source_id (data-ids="source"): a non-empty string, got "".');
    expect(() => history.add('view', 1.5)).toThrow('An item id is the catalog\'s source_id (data-ids="source"): a non-empty string, got 1.5.');
    expect(history.items()).toEqual(['318', 'B00004T77P']);
    // A store that switches data-ids starts afresh: the other kind's entries are not read as its own.
    expect(new LocalHistory(storage, 'h', 'catalog').items()).toEqual([]);
    storage.setItem('h', '[3, "7"]');
    expect([new LocalHistory(storage, 'h', 'source').items(), new LocalHistory(storage, 'h').items()]).toEqual([['7'], [3]]);
  });

  it('reads corrupted storage as an empty history', () => {
    const storage = memoryStorage();
    storage.setItem('l2d-embed-history', '{not json');
    expect(new LocalHistory(storage).items()).toEqual([]);
    storage.setItem('l2d-embed-history', '[1, "x", -2, 4]');
    expect(new LocalHistory(storage).items()).toEqual([1, 4]);
  });

  it('keeps the history for the page where storage refuses it (full, blocked) or is not there at all', () => {
    const full = { ...memoryStorage(), setItem: () => { throw new DOMException('full', 'QuotaExceededError'); } };
    const history = new LocalHistory(full);
    history.add('view', 3);
    expect(history.add('view', 5)).toEqual([3, 5]);
    expect(history.items()).toEqual([3, 5]);
    history.clear();
    expect(history.items()).toEqual([]);
    const blocked = { getItem: () => { throw new DOMException('blocked', 'SecurityError'); }, setItem: full.setItem, removeItem: () => { throw new DOMException('blocked', 'SecurityError'); } };
    const page = new LocalHistory(blocked);
    expect(page.items()).toEqual([]);
    expect(page.add('purchase', 7)).toEqual([7]);
    expect(() => page.clear()).not.toThrow();
    const none = new LocalHistory(undefined);
    none.add('view', 1);
    expect(none.items()).toEqual([1]);
  });

  it('starts where reading localStorage itself throws (a browser blocking site data)', () => {
    const original = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
    Object.defineProperty(globalThis, 'localStorage', { configurable: true, get: () => { throw new DOMException('The operation is insecure.', 'SecurityError'); } });
    try {
      const history = new LocalHistory();
      expect(history.add('view', 2)).toEqual([2]);
      expect(history.items()).toEqual([2]);
    } finally {
      if (original) Object.defineProperty(globalThis, 'localStorage', original);
      else delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });
});
