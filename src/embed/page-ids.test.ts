import { describe, expect, it } from 'vitest';
import { PageIds, pageId, parsePageIdKind, parsePageIds } from './page-ids.ts';

const KEYS = ['0700026657', 'B00004T77P', 'B0000296O5'];

describe('the page\'s item ids (data-ids)', () => {
  it('parses data-ids, naming what it takes', () => {
    expect([parsePageIdKind(undefined), parsePageIdKind('catalog'), parsePageIdKind('source')]).toEqual(['catalog', 'catalog', 'source']);
    expect(() => parsePageIdKind('asin')).toThrow('data-ids must be "catalog" (the memory\'s item ids) or "source" (items.tsv\'s source_id, the store\'s own ids), got "asin".');
  });

  it('reads the history attribute in the page\'s kind', () => {
    expect(parsePageIds('catalog', '3, 5,,7')).toEqual([3, 5, 7]);
    expect(parsePageIds('source', ' B00004T77P ,0700026657,')).toEqual(['B00004T77P', '0700026657']);
    // A JSON array, for keys with commas in them; numbers there are catalog ids, or keys in their decimal form.
    expect(parsePageIds('source', ' ["SKU,1", "B00004T77P", 42]')).toEqual(['SKU,1', 'B00004T77P', '42']);
    expect(parsePageIds('catalog', '[3, 5]')).toEqual([3, 5]);
    expect(parsePageIds('catalog', '[]')).toEqual([]);
  });

  it('names a malformed history attribute', () => {
    expect(() => parsePageIds('catalog', '3, x5')).toThrow('history="3, x5": "x5" is not a catalog item id (a non-negative integer; data-ids="source" takes the store\'s own ids).');
    expect(() => parsePageIds('catalog', '-1')).toThrow(/"-1" is not a catalog item id/);
    expect(() => parsePageIds('catalog', '["3"]')).toThrow(/^history='\["3"\]', entry 0: An item id is a non-negative integer .* got "3"\.$/);
    expect(() => parsePageIds('source', '["a", ""]')).toThrow(/^history='\["a", ""\]', entry 1: .*a non-empty string, got ""\.$/);
    expect(() => parsePageIds('source', '["a",')).toThrow(/^history='\["a",': not a JSON array of ids \(/);
    // exclude and only take the same forms, and their errors name them.
    expect(() => parsePageIds('catalog', '3, x5', 'exclude')).toThrow(/^exclude="3, x5": "x5" is not a catalog item id/);
    expect(() => parsePageIds('catalog', '[1,', 'only')).toThrow(/^only='\[1,': not a JSON array of ids/);
  });

  it('checks one id for its kind', () => {
    expect([pageId('catalog', 0), pageId('source', 'x'), pageId('source', 42)]).toEqual([0, 'x', '42']);
    expect(() => pageId('catalog', '3')).toThrow(/non-negative integer .* got "3"\.$/);
    expect(() => pageId('source', null)).toThrow(/a non-empty string, got null\.$/);
  });

  it('catalog ids pass through unchanged; known() skips those past the catalog where its size is known', () => {
    const ids = new PageIds('catalog');
    expect([ids.toCatalog([2, 0]), ids.toPage(2), ids.catalogId(1), ids.known([9, 1])]).toEqual([[2, 0], 2, 1, [9, 1]]);
    expect(new PageIds('catalog', KEYS).known([9, 1, KEYS.length - 1, KEYS.length])).toEqual([1, KEYS.length - 1]);
  });

  it('maps the catalog\'s keys to catalog ids and back, skipping keys it does not have', () => {
    const ids = new PageIds('source', KEYS);
    expect(ids.toCatalog(['B0000296O5', 'not-sold-here', '0700026657'])).toEqual([2, 0]);
    expect([ids.toPage(1), ids.catalogId('B00004T77P'), ids.catalogId('nope')]).toEqual(['B00004T77P', 1, undefined]);
    expect(ids.toCatalog([])).toEqual([]);
    expect([ids.known(['nope', 'B00004T77P']), ids.known(['nope'])]).toEqual([[1], []]);
  });

  it('a history of keys the catalog lacks is empty, not an error (the widget shows its empty-text)', () => {
    expect(new PageIds('source', KEYS).toCatalog(['a', 'b'])).toEqual([]);
    expect(new PageIds('catalog', KEYS).toCatalog([KEYS.length + 3])).toEqual([KEYS.length + 3]); // the recommender names it
  });
});
