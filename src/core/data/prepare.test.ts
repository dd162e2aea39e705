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

/** Source index -> dense id in the fixture: item 4 ('once') is dropped by k-core, the ids after it move down. */
const denseOf = (source: number) => (source < 4 ? source : source - 1);

function fixture(): RawDataset {
  // 6 users, 13 items; each user sees every one once, in a rotation of its own (k = 4 holds), times interleaved.
  const names = ['A', 'B', 'C', 'D', 'once', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N'];
  const items = names.map((t, i) => ({ sourceId: `s${i}`, title: t }));
  const regular = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]; // source indices; dense id = position here
  const users = Array.from({ length: 6 }, (_, u) => ({
    userId: `u${u}`,
    events: Array.from({ length: 13 }, (_, i) => ({ item: regular[(u + i) % 13], time: i * 10 + u })),
  }));
  // Item 4 ('once') is seen once: k-core removes it and the dense ids skip it.
  users[0].events.splice(5, 0, { item: 4, time: 51 });
  return { name: 'fixture', items, users };
}

describe('prepareDataset', () => {
  const data = prepareDataset(fixture(), { kCore: 4, maxHistory: 10, splitBy: 'time' });
  const all = [...data.samples.train, ...data.samples.valid, ...data.samples.test];

  it('keeps dense item ids in source order and drops filtered items', () => {
    expect(data.items.map((i) => i.title)).toEqual(['A', 'B', 'C', 'D', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N']);
  });

  it('makes one sample per interaction after the first, with at most 10 previous items, oldest dropped', () => {
    expect(all.length).toBe(6 * 12);
    const last = all.filter((s) => s.user === 1).sort((a, b) => a.time - b.time).at(-1)!;
    // User 1's 13 events (dense ids 1, 2, ..., 12, 0): the 13th has the previous 10 as history (positions 2..11).
    expect(last.history).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(last.target).toBe(0);
    expect(Math.max(...all.map((s) => s.history.length))).toBe(10);
    expect(Math.min(...all.map((s) => s.history.length))).toBe(1);
  });

  it('never puts an item from after the target into the history', () => {
    const raw = fixture();
    for (const s of all) {
      const events = raw.users[s.user].events.filter((e) => e.item !== 4);
      const position = events.findIndex((e) => e.time === s.time);
      expect(s.history).toEqual(events.slice(Math.max(0, position - 10), position).map((e) => denseOf(e.item)));
      expect(denseOf(events[position].item)).toBe(s.target);
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

  it("counts a user's repeated interactions with an item once, at the last: no sample holds its target in its history", () => {
    // Two users of the same six items (2-core); u0 views A, B, C, A again, then D, then buys B (viewed before).
    const items = ['A', 'B', 'C', 'D', 'E', 'F'].map((t, i) => ({ sourceId: `s${i}`, title: t }));
    const raw: RawDataset = { name: 'repeats', items, users: [user('u0', [0, 1, 2, 0, 3, 1, 4, 5]), user('u1', [0, 1, 2, 3, 4, 5], 100)] };
    const prepared = prepareDataset(raw, { kCore: 2, splitBy: 'time' });
    const u0 = [...prepared.samples.train, ...prepared.samples.valid, ...prepared.samples.test].filter((s) => s.user === 0).sort((a, b) => a.time - b.time);
    // u0's sequence is C, A, D, B, E, F: each item where it was last.
    expect(u0.map((s) => [s.history, s.target])).toEqual([
      [[2], 0],
      [[2, 0], 3],
      [[2, 0, 3], 1],
      [[2, 0, 3, 1], 4],
      [[2, 0, 3, 1, 4], 5],
    ]);
    expect(prepared.repeatsMerged).toBe(2);
    expect(data.repeatsMerged).toBe(0);
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
    expect(stats).toMatchObject({ users: 6, items: 13, trainSamples: 57, validSamples: 7, testSamples: 8, trainTargetItems: 13 });
    expect(stats.testTargetsUnseenInTrain).toBe(0);
  });

  it('round-trips through the prepared text format', () => {
    expect(parseItems(serializeItems(data.items))).toEqual(data.items);
    expect(parseSamples(serializeSamples(data.samples.test), 'test', 13)).toEqual(data.samples.test);
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
