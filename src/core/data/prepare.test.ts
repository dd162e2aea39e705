import { describe, expect, it } from 'vitest';
import { cleanTitle } from './clean-title.ts';
import { datasetStats, kCoreFilter, prepareDataset, splitSizes, type RawDataset, type RawUser } from './prepare.ts';
import { parseItems, parseSamples, serializeItems, serializeSamples } from './prepared-format.ts';

const user = (userId: string, items: number[], start = 0): RawUser => ({ userId, events: items.map((item, i) => ({ item, time: start + i })) });

describe('cleanTitle', () => {
  it('decodes entities, strips tags, normalises whitespace', () => {
    expect(cleanTitle('Orcs &amp; Humans &ndash; <b>Gold</b>\tEdition&nbsp;&reg;  ')).toBe('Orcs & Humans \u2013 Gold Edition \u00ae');
    expect(cleanTitle('&#39;Quoted&#x27; &eacute;t&eacute; &lt;b&gt; &bogus;')).toBe("'Quoted' \u00e9t\u00e9 <b> &bogus;");
    expect(cleanTitle('  <br/>  ')).toBe('');
  });
});

describe('k-core filtering', () => {
  it('reaches the fixpoint: removing an item can push a user below k, which pushes another item below k', () => {
    // k = 2. Item 9 occurs once -> removed -> user c has 1 event -> removed -> item 5 (only a and c) drops to 1 -> removed
    // -> user a has 1 event left -> removed -> item 1 drops to 1 (only b) -> removed ... until nothing or a stable core remains.
    const users = [user('a', [1, 5]), user('b', [1, 2, 2, 3, 3]), user('c', [5, 9]), user('d', [2, 3])];
    const core = kCoreFilter(users, 2);
    expect(core.map((u) => u.userId)).toEqual(['b', 'd']);
    expect(core[0].events.map((e) => e.item)).toEqual([2, 2, 3, 3]);
    // Everything left satisfies k: every user >= 2 events, every item >= 2 occurrences.
    const counts = new Map<number, number>();
    for (const u of core) for (const e of u.events) counts.set(e.item, (counts.get(e.item) ?? 0) + 1);
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(2);
    expect(Math.min(...core.map((u) => u.events.length))).toBeGreaterThanOrEqual(2);
  });
});

function fixture(): RawDataset {
  // 6 users, 4 items, each user sees every item (5-core with k = 4 holds), times interleaved.
  const items = ['A', 'B', 'C', 'D', 'E'].map((t, i) => ({ sourceId: `s${i}`, title: t }));
  const users = Array.from({ length: 6 }, (_, u) => ({
    userId: `u${u}`,
    events: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0].map((item, i) => ({ item, time: i * 10 + u })),
  }));
  // Item 4 ('E') is seen once: k-core removes it and the dense ids skip it.
  users[0].events.splice(5, 0, { item: 4, time: 51 });
  return { name: 'fixture', items, users };
}

describe('prepareDataset', () => {
  const data = prepareDataset(fixture(), { kCore: 4, maxHistory: 10, splitBy: 'time' });
  const all = [...data.samples.train, ...data.samples.valid, ...data.samples.test];

  it('keeps dense item ids in source order and drops filtered items', () => {
    expect(data.items.map((i) => i.title)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('makes one sample per interaction after the first, with at most 10 previous items, oldest dropped', () => {
    expect(all.length).toBe(6 * 12);
    const last = all.filter((s) => s.user === 1).sort((a, b) => a.time - b.time).at(-1)!;
    // User 1's 13 events: the 13th (item 0) has the previous 10 items as history: events 3..12 -> items 3,0,1,2,3,0,1,2,3,0? (0-based positions 2..11)
    expect(last.history).toEqual([2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    expect(last.target).toBe(0);
    expect(Math.max(...all.map((s) => s.history.length))).toBe(10);
    expect(Math.min(...all.map((s) => s.history.length))).toBe(1);
  });

  it('never puts an item from after the target into the history', () => {
    const raw = fixture();
    for (const s of all) {
      const events = raw.users[s.user].events.filter((e) => e.item !== 4);
      const position = events.findIndex((e) => e.time === s.time);
      expect(s.history).toEqual(events.slice(Math.max(0, position - 10), position).map((e) => e.item));
      expect(events[position].item).toBe(s.target);
    }
  });

  it('splits 8:1:1 by time with no valid or test sample before a train sample', () => {
    const sizes = splitSizes(72);
    expect(sizes).toEqual({ train: 57, valid: 7, test: 8 });
    expect(data.samples.train.length).toBe(57);
    expect(data.samples.valid.length).toBe(7);
    expect(data.samples.test.length).toBe(8);
    const maxTrain = Math.max(...data.samples.train.map((s) => s.time));
    const minValid = Math.min(...data.samples.valid.map((s) => s.time));
    const maxValid = Math.max(...data.samples.valid.map((s) => s.time));
    const minTest = Math.min(...data.samples.test.map((s) => s.time));
    expect(maxTrain).toBeLessThanOrEqual(minValid);
    expect(maxValid).toBeLessThanOrEqual(minTest);
  });

  it('takes a shipped split from the events', () => {
    const raw = fixture();
    for (const u of raw.users) u.events.forEach((e, i) => (e.split = i < 10 ? 'train' : i < 12 ? 'valid' : 'test'));
    const shipped = prepareDataset(raw, { kCore: 4, splitBy: 'events' });
    expect(shipped.samples.test.every((s) => s.history.length === 10)).toBe(true);
    // One test event per user, two for user 0 (whose extra item 'E' shifted its sequence by one).
    expect(shipped.samples.test.length).toBe(7);
    expect(shipped.samples.valid.length).toBe(12);
  });

  it('reports statistics, including test targets that never are training targets', () => {
    const stats = datasetStats(data);
    expect(stats).toMatchObject({ users: 6, items: 4, trainSamples: 57, validSamples: 7, testSamples: 8, trainTargetItems: 4 });
    expect(stats.testTargetsUnseenInTrain).toBe(0);
  });

  it('round-trips through the prepared text format', () => {
    expect(parseItems(serializeItems(data.items))).toEqual(data.items);
    expect(parseSamples(serializeSamples(data.samples.test), 'test', 4)).toEqual(data.samples.test);
  });

  it('names the file and line of malformed prepared files', () => {
    expect(() => parseItems('id\tsource_id\ttitle\n0\ta\n')).toThrow(/items.tsv:2: expected 3 tab-separated fields, found 2/);
    expect(() => parseItems('id\tsource_id\ttitle\n0\ta\t\n')).toThrow(/items.tsv:2: item 0 has an empty title/);
    expect(() => parseSamples('user\ttarget\ttime\thistory\n0\t9\t1\t0 1\n', 'test', 4)).toThrow(/test.tsv:2: item id 9 is not in items.tsv/);
    expect(() => parseSamples('nope\n', 'train', 4)).toThrow(/train.tsv:1: expected the header/);
  });
});

describe('displayTitles', () => {
  it('adds the source id only to titles shared by several items', async () => {
    const { displayTitles } = await import('./titles.ts');
    const items = [
      { id: 0, sourceId: 'B01', title: 'Call of Duty' },
      { id: 1, sourceId: 'B02', title: 'Halo' },
      { id: 2, sourceId: 'B03', title: 'Call of Duty' },
    ];
    expect(displayTitles(items)).toEqual(['Call of Duty [B01]', 'Halo', 'Call of Duty [B03]']);
  });
});
