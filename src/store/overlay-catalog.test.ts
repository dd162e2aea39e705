import { describe, expect, it } from 'vitest';
import { overlayForCatalog } from './overlay-catalog.ts';
import type { OverlayRecord } from './shard-store.ts';

const hidden = new Uint16Array([1, 2]);
const record = (extra: Partial<OverlayRecord>, rows: OverlayRecord['rows']): OverlayRecord => ({ model: 'm', shard: 's', rows, seen: rows.length + 3, ...extra });

describe('overlayForCatalog', () => {
  const old = { sha256: 'old', keys: ['A', 'B', 'C', 'D'] };
  // Rebuilt: D is gone, E is new, and the rest are numbered otherwise.
  const rebuilt = { sha256: 'new', keys: ['C', 'E', 'A', 'B'] };

  it("gives a record from before catalogs were recorded this catalog's keys, its ids as they are", () => {
    const legacy = record({}, [{ item: 1, history: [0, 2], hidden, at: 5 }]);
    expect(overlayForCatalog(legacy, old)).toEqual(record({ catalog: 'old' }, [{ item: 1, history: [0, 2], hidden, at: 5, key: 'B', historyKeys: ['A', 'C'] }]));
  });

  it('leaves a record of this catalog as it is', () => {
    const same = record({ catalog: 'old' }, [{ item: 1, history: [0], hidden, at: 5, key: 'B', historyKeys: ['A'] }]);
    expect(overlayForCatalog(same, old)).toBe(same);
  });

  it("finds a rebuilt catalog's ids by the keys: a row of an item it lacks goes, history items it lacks are left out", () => {
    const rows: OverlayRecord['rows'] = [
      { item: 1, history: [0, 3], hidden, at: 5, key: 'B', historyKeys: ['A', 'D'] },
      { item: 3, history: [2], hidden, at: 6, key: 'D', historyKeys: ['C'] },
      { item: 0, history: [2], hidden, at: 7, key: 'A', historyKeys: ['C'] },
      { item: 2, history: [0], hidden, at: 8 }, // no key: recorded under a catalog no longer known, so not placed
    ];
    expect(overlayForCatalog(record({ catalog: 'old' }, rows), rebuilt)).toEqual(
      record({ catalog: 'new', seen: 7 }, [
        { item: 3, history: [2], hidden, at: 5, key: 'B', historyKeys: ['A'] },
        { item: 2, history: [0], hidden, at: 7, key: 'A', historyKeys: ['C'] },
      ]),
    );
  });
});
