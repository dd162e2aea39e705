import { describe, expect, it } from 'vitest';
import { createMemory } from './core/memory.ts';
import { alsoLists, checkFlag, checkRequestObject, knownHistory, listFilter, MAX_ALSO_LISTS } from './request-checks.ts';

// 5 items, 6 rows of d = 2: enough for every strategy's M.
const memory = createMemory({ dim: 2, itemCount: 5, vectors: new Float32Array(12).map((_, i) => i), labels: [0, 1, 2, 3, 4, 4] });

describe('knownHistory', () => {
  it('keeps catalog ids, each once at its last place, and returns the unknown ones apart', () => {
    expect(knownHistory([3, 1, 9, 3, -2, 0], 5)).toEqual({ history: [1, 3, 0], unknownItems: [9, -2] });
    expect(knownHistory([4], 5)).toEqual({ history: [4], unknownItems: [] });
  });

  it('refuses a history that is no list of ids, is empty, or holds no catalog id', () => {
    expect(() => knownHistory('1,2', 5)).toThrow('The history must be an array of item ids (oldest first), got "1,2" (a string).');
    expect(() => knownHistory(undefined, 5)).toThrow('The history is empty: give at least one item id.');
    expect(() => knownHistory([], 5)).toThrow('The history is empty: give at least one item id.');
    expect(() => knownHistory([1, 'B00X'], 5)).toThrow(
      `history[1] is "B00X" (a string), not an item id: ids are integers 0..4, an item's index in catalog() (a store's own keys map to them through sourceIds()).`,
    );
    expect(() => knownHistory([0.5], 5)).toThrow('history[0] is 0.5, not an item id');
    expect(() => knownHistory([5, 7], 5)).toThrow("None of the history's items is in the catalog (unknown: 5, 7).");
  });
});

describe('listFilter', () => {
  it('excludes exclude\'s ids and, with excludeHistory, the history\'s; only stays as given', () => {
    expect(listFilter({ exclude: [4] }, [1, 2])).toEqual({ exclude: [4] });
    expect(listFilter({ exclude: [4], excludeHistory: true }, [1, 2])).toEqual({ exclude: [4, 1, 2] });
    expect(listFilter({ excludeHistory: false, only: [0, 3] }, [1])).toEqual({ exclude: [], only: [0, 3] });
  });

  it('names the option that is not a list or flag', () => {
    expect(() => listFilter({ exclude: 4 }, [1])).toThrow('exclude must be an array of item ids, got 4.');
    expect(() => listFilter({ only: '0,3' }, [1])).toThrow('only must be an array of item ids, got "0,3" (a string).');
    expect(() => listFilter({ excludeHistory: 'no' }, [1])).toThrow('excludeHistory must be true or false, got "no" (a string).');
  });
});

describe('alsoLists', () => {
  const filter = { exclude: [1] };

  it('is undefined without also, and each list takes the request\'s filter', () => {
    expect(alsoLists(undefined, filter, memory)).toBeUndefined();
    expect(alsoLists([{ k: 2, strategy: 'local', m: 3 }, { k: 1 }], filter, memory)).toEqual([
      { k: 2, strategy: 'local', m: 3, exclude: [1] },
      { k: 1, strategy: undefined, m: undefined, exclude: [1] },
    ]);
  });

  it('refuses a list the decoders would, naming its place', () => {
    expect(() => alsoLists({ k: 2 }, filter, memory)).toThrow(`also must be an array of at most ${MAX_ALSO_LISTS} lists ({ k, strategy?, m? }), got object.`);
    expect(() => alsoLists(Array(MAX_ALSO_LISTS + 1).fill({ k: 1 }), filter, memory)).toThrow(`got ${MAX_ALSO_LISTS + 1} lists.`);
    expect(() => alsoLists([{ k: 1 }, null], filter, memory)).toThrow('also[1] must be a list request { k, strategy?, m? }, got null.');
    expect(() => alsoLists([{ k: 6 }], filter, memory)).toThrow("also[0].k must be an integer in 1..5 (the catalog's size), got 6.");
    expect(() => alsoLists([{ k: 2, strategy: 'nearest' }], filter, memory)).toThrow("also[0]: strategy must be 'local' (L2D-L), 'global' (L2D-G) or 'vote' (L2D-V), got 'nearest'.");
    expect(() => alsoLists([{ k: 2, m: 0 }], filter, memory)).toThrow('also[0]: m must be a positive integer, got 0.');
    expect(() => alsoLists([{ k: 2 }], { exclude: [7] }, memory)).toThrow('also[0]: exclude holds 7, which is not an item of this memory (0..4).');
  });
});

describe('checkFlag and checkRequestObject', () => {
  it('take true, false, left out, and an object', () => {
    for (const value of [true, false, undefined]) expect(() => checkFlag(value, 'returnHidden')).not.toThrow();
    expect(checkRequestObject({ history: [1] }, 'recommend()', '{ history, k }')).toBe(true);
  });

  it('name what they got', () => {
    expect(() => checkFlag(1, 'returnHidden')).toThrow('returnHidden must be true or false, got 1.');
    expect(() => checkRequestObject(null, 'recommend()', '{ history, k }')).toThrow('recommend() takes { history, k }, got null.');
    expect(() => checkRequestObject([1, 2], 'generate()', '{ history, k }')).toThrow('generate() takes { history, k }, got');
  });
});
