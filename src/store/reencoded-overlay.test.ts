import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toFloat16Bits } from '../core/float16.ts';
import { REENCODE_BATCH_MAX, mergedOverlay, nextBatchSize, reencodeOverlays, rowsToReencode } from './reencoded-overlay.ts';
import type { OverlayRecord } from './shard-store.ts';

const old = new Uint16Array([1, 2]);
type Row = OverlayRecord['rows'][number];
const row = (item: number, history: number[], at: number, keys: string[]): Row => ({ item, history, hidden: old, at, key: keys[item], historyKeys: history.map((id) => keys[id]) });

// The old model's catalog, and the retrained model's memory: D gone, E new, the rest numbered otherwise.
const oldKeys = ['A', 'B', 'C', 'D'];
const catalog = { sha256: 'new', keys: ['C', 'E', 'A', 'B'], titles: ['Title C', 'Title E', 'Title A', 'Title B'] };

describe('rowsToReencode', () => {
  it("takes every record's rows in the catalog's ids, oldest first; rows whose item or a history item it lacks are left out", () => {
    const m1: OverlayRecord = { model: 'm1', shard: 's', catalog: 'old', seen: 3, rows: [row(1, [0], 30, oldKeys), row(3, [0], 10, oldKeys), row(0, [3], 20, oldKeys)] };
    const m0: OverlayRecord = { model: 'm0', shard: 's', catalog: 'old', seen: 1, rows: [row(2, [0, 1], 5, oldKeys)] };
    const { rows, sources, dropped } = rowsToReencode([m1, m0], catalog);
    // Each row's stored row, itself (the run takes those out of their records as it stores each part).
    expect(sources.length).toBe(2);
    expect(sources[0]).toBe(m0.rows[0]);
    expect(sources[1]).toBe(m1.rows[0]);
    // D's row goes (its item); A's row loses its only history item (D), so it has no history left to encode.
    expect(dropped).toBe(2);
    expect(rows.map((r) => [r.key, r.history, r.historyKeys, r.at])).toEqual([
      ['C', [2, 3], ['A', 'B'], 5],
      ['B', [2], ['A'], 30],
    ]);
    expect(rows.map((r) => r.item)).toEqual([0, 3]);
  });

  it('leaves out a record from before catalogs were recorded where its ids are past this catalog, or a history holds its item', () => {
    const legacy: OverlayRecord = { model: 'm1', shard: 's', seen: 3, rows: [{ item: 1, history: [7], hidden: old, at: 1 }, { item: 1, history: [1], hidden: old, at: 2 }, { item: 2, history: [0], hidden: old, at: 3 }] };
    const { rows, dropped } = rowsToReencode([legacy], catalog);
    expect([rows.map((r) => [r.item, r.history, r.key]), dropped]).toEqual([[[2, [0], 'A']], 2]);
  });
});

describe('mergedOverlay', () => {
  it("puts the rows encoded again among the model's own by time, keeps the newest that fit the cap, and counts every sample seen", () => {
    const own: OverlayRecord = { model: 'm2', shard: 's', catalog: 'new', seen: 5, rows: [row(1, [0], 40, catalog.keys), row(2, [0], 15, catalog.keys)] };
    const taken = [row(3, [2], 10, catalog.keys), row(0, [2], 20, catalog.keys)];
    const merged = mergedOverlay(own, { model: 'm2', shard: 's' }, catalog, taken, 4, 3);
    expect(merged.rows.map((r) => r.at)).toEqual([15, 20, 40]);
    expect([merged.seen, merged.catalog, merged.model]).toEqual([9, 'new', 'm2']);
    expect(mergedOverlay(undefined, { model: 'm2', shard: 's' }, catalog, taken, 2, 10)).toEqual({ model: 'm2', shard: 's', catalog: 'new', rows: taken, seen: 2 });
  });
});

describe('nextBatchSize', () => {
  it('fits the next batch to about 50 ms at the last one\'s time per row: at least one history, at most the cap', () => {
    expect([25, 24, 7, 50, 60, 1, 0.5].map(nextBatchSize)).toEqual([2, 2, 7, 1, 1, 32, 32]);
    expect(nextBatchSize(0)).toBe(REENCODE_BATCH_MAX);
  });
});

describe('reencodeOverlays', () => {
  // The clock moves only where a stand-in encoder says how long it took: batch sizes are then known.
  beforeEach(() => vi.useFakeTimers({ toFake: ['performance'] }));
  afterEach(() => vi.useRealTimers());
  const m1: OverlayRecord = { model: 'm1', shard: 's', catalog: 'old', seen: 40, rows: Array.from({ length: 20 }, (_, i) => row(i % 2, [2], i, oldKeys)) };
  /** Records as stored, taken over as ShardStore.takeOverOverlays does, or found changed meanwhile (another tab). */
  function fakeStore(records: OverlayRecord[], changedMeanwhile = false) {
    const stored = new Map(records.map((r) => [r.model, r]));
    const announced: (readonly string[])[] = [];
    const store = {
      async takeOverOverlays(model: string, _shard: string, taken: OverlayRecord[], next: (s: OverlayRecord | undefined) => OverlayRecord, { left = [], announce }: { left?: (OverlayRecord | undefined)[]; announce?: readonly string[] } = {}) {
        if (changedMeanwhile || taken.some((r) => stored.get(r.model) !== r)) return undefined;
        const written = next(stored.get(model));
        stored.set(model, written);
        taken.forEach((r, i) => (left[i] ? stored.set(r.model, left[i]!) : stored.delete(r.model)));
        announced.push(announce ?? [model, ...taken.map((r) => r.model)]);
        return written;
      },
    };
    return { store, stored, announced };
  }
  // A stand-in encoder: h_t = [number of titles, length of the last title], so each row's new hidden state is known.
  const encode = async (histories: string[][]) => histories.map((titles) => Float32Array.of(titles.length, titles.at(-1)!.length));
  const options = (store: ReturnType<typeof fakeStore>['store'], extra = {}) => ({ store, model: 'm2', shard: 's', catalog, cap: 1024, encode, ...extra });

  it("encodes each row again in batches of ~50 ms, stores them as the model's own, and the old record is gone", async () => {
    const { store, stored } = fakeStore([m1]);
    const batches: number[] = [];
    // 20 ms a history: one first, then two at a time (40 ms).
    const timed = async (h: string[][]) => (batches.push(h.length), vi.advanceTimersByTime(20 * h.length), encode(h));
    const reencoded = await reencodeOverlays([m1], rowsToReencode([m1], catalog), options(store, { encode: timed }));
    expect(batches).toEqual([1, ...Array(9).fill(2), 1]);
    expect(reencoded).toEqual({ state: 'stored', fromModels: ['m1'], rows: 20, dropped: 0, ms: expect.any(Number) });
    const overlay = stored.get('m2')!;
    expect(overlay.rows.map((r) => [...r.hidden])).toEqual(Array(20).fill([toFloat16Bits(1), toFloat16Bits('Title A'.length)]));
    // In the new catalog's ids: old A (0) is 2, old B (1) is 3.
    expect(overlay.rows.slice(0, 2).map((r) => [r.item, r.history])).toEqual([[2, [0]], [3, [0]]]);
    expect([...stored.keys()]).toEqual(['m2']);
    expect(overlay.seen).toBe(40);
  });

  it('past the cap, the newest rows are kept and the others counted as left out', async () => {
    const { store, stored } = fakeStore([m1]);
    const histories: number[] = [];
    const counting = async (h: string[][]) => (histories.push(h.length), encode(h));
    expect(await reencodeOverlays([m1], rowsToReencode([m1], catalog), options(store, { cap: 5, encode: counting }))).toMatchObject({ state: 'stored', rows: 5, dropped: 15 });
    expect(stored.get('m2')!.rows.map((r) => r.at)).toEqual([15, 16, 17, 18, 19]);
    // Rows older than the cap's newest are not encoded at all: 5 histories (one, then the most that fits).
    expect(histories).toEqual([1, 4]);
  });

  it('stores nothing where another tab changed the records meanwhile, and says so', async () => {
    const { store, stored } = fakeStore([m1], true);
    expect(await reencodeOverlays([m1], rowsToReencode([m1], catalog), options(store))).toEqual({ state: 'failed', fromModels: ['m1'], reason: expect.stringMatching(/^another tab took these memory updates over, or recorded into them, meanwhile/) });
    expect([...stored.keys()]).toEqual(['m1']);
  });

  it('stores a part at a time, newest first: a run cut short keeps what it stored, the rest stays in the old record, and the next run goes on from there', async () => {
    // m1 plus a row whose item the new catalog lacks (D): it leaves with the first part.
    const withD: OverlayRecord = { ...m1, rows: [...m1.rows, row(3, [2], 100, oldKeys)] };
    const { store, stored, announced } = fakeStore([withD]);
    const progress: number[] = [];
    let calls = 0;
    const cutAfterOne = async (h: string[][]) => {
      if (++calls > 1) throw new Error('a later load() replaced the model');
      return encode(h);
    };
    const first = reencodeOverlays([withD], rowsToReencode([withD], catalog), options(store, { storeEveryMs: 0, encode: cutAfterOne, onStored: (n: number) => progress.push(n) }));
    await expect(first).rejects.toThrow(/a later load\(\) replaced the model/);
    expect(progress).toEqual([1]);
    const part = stored.get('m2')!;
    const left = stored.get('m1')!;
    // The newest row is stored with the new model; the others, and only they, are still in the old record.
    expect(part.rows.map((r) => r.at)).toEqual([19]);
    expect(left.rows).toEqual(m1.rows.slice(0, 19));
    expect(part.seen + left.seen).toBe(withD.seen);
    expect(announced).toEqual([[]]); // a part is stored silently; the last one tells every tab

    const again = await reencodeOverlays([left], rowsToReencode([left], catalog), options(store, { storeEveryMs: 0, onStored: (n: number) => progress.push(n) }));
    expect(again).toEqual({ state: 'stored', fromModels: ['m1'], rows: 19, dropped: 0, ms: expect.any(Number) });
    // Batches of 1 and 18 (the stand-in takes no time: the most that fits), a part after each.
    expect(progress).toEqual([1, 1, 19]);
    expect(announced.slice(1)).toEqual([[], ['m2', 'm1']]);
    // The same record as one uncut run stores.
    const whole = fakeStore([withD]);
    await reencodeOverlays([withD], rowsToReencode([withD], catalog), options(whole.store));
    expect([...stored.keys()]).toEqual(['m2']);
    expect(stored.get('m2')).toEqual(whole.stored.get('m2'));
  });

  it('a part found changed by another tab stops the run; the parts stored before stay, and it says how many', async () => {
    const { store, stored } = fakeStore([m1]);
    let calls = 0;
    const otherTabRecords = async (h: string[][]) => {
      // After the first part: another tab still on the old model records into its record.
      if (++calls === 2) stored.set('m1', { ...stored.get('m1')!, rows: [...stored.get('m1')!.rows, row(0, [2], 50, oldKeys)] });
      return encode(h);
    };
    const reencoded = await reencodeOverlays([m1], rowsToReencode([m1], catalog), options(store, { storeEveryMs: 0, encode: otherTabRecords }));
    expect(reencoded).toEqual({ state: 'failed', fromModels: ['m1'], reason: expect.stringMatching(/meanwhile; the ones stored now are in use \(1 of them were stored with this model before\)$/) });
    expect([stored.get('m2')!.rows.length, stored.get('m1')!.rows.length]).toEqual([1, 20]);
  });

  it('a hidden state that is not finite fails it, naming the item, before anything is stored', async () => {
    const { store, stored } = fakeStore([m1]);
    const broken = async (histories: string[][]) => histories.map(() => Float32Array.of(NaN, 1));
    await expect(reencodeOverlays([m1], rowsToReencode([m1], catalog), options(store, { encode: broken }))).rejects.toThrow(/The memory update of item B encoded again/);
    expect(stored.get('m1')).toBe(m1);
  });
});
