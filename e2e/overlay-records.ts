/** The user's memory updates as a page's IndexedDB stores them (ShardStore's `overlays`), read straight from it. */
import type { Page } from 'playwright-core';

/** A record to store first: rows in the catalog's ids, with hidden states of zeros (an earlier model's, or an embed's from before catalogs were recorded). */
export interface OverlayRecordToPut {
  model: string;
  shard: string;
  rows: { item: number; history: number[]; at: number }[];
}

export interface StoredOverlayRecord {
  model: string;
  shard: string;
  seen: number;
  items: number[];
  at: number[];
  hidden: number[][];
}

/** The stored overlay records of the shards whose id ends with `shardSuffix`, after `put` stores one (of d = `dim`). */
export function overlayRecords(page: Page, shardSuffix: string, put?: OverlayRecordToPut, dim = 256): Promise<StoredOverlayRecord[]> {
  return page.evaluate(
    async ([shardSuffix, put, dim]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => Object.assign(indexedDB.open('l2d-memory'), { onsuccess(this: IDBOpenDBRequest) { resolve(this.result); }, onerror: reject }));
      const store = db.transaction('overlays', 'readwrite').objectStore('overlays');
      if (put) store.put({ ...put, rows: put.rows.map((row) => ({ ...row, hidden: new Uint16Array(dim) })), seen: put.rows.length });
      const all = await new Promise<{ model: string; shard: string; seen: number; rows: { item: number; at: number; hidden: Uint16Array }[] }[]>((resolve) => Object.assign(store.getAll(), { onsuccess(this: IDBRequest) { resolve(this.result); } }));
      db.close();
      return all
        .filter((r) => r.shard.endsWith(shardSuffix))
        .map((r) => ({ model: r.model, shard: r.shard, seen: r.seen, items: r.rows.map((row) => row.item), at: r.rows.map((row) => row.at), hidden: r.rows.map((row) => Array.from(row.hidden)) }));
    },
    [shardSuffix, put, dim] as const,
  );
}
