/**
 * The user's memory updates (an overlay's rows) name items by catalog id, and a memory rebuilt at the same URL
 * (picked up with `revalidate`) may number its items otherwise: prepare-data numbers the items its k-core keeps,
 * which new interactions change. Rows therefore carry their items' keys (items.tsv's source ids) and the record the
 * catalog it was recorded against, and a record of another catalog is translated by those keys.
 */
import type { OverlayRecord } from './shard-store.ts';

/** The catalog a memory's ids refer to: items.tsv's SHA-256 (the manifest's catalog.sha256) and each id's key. */
export interface CatalogIdentity {
  sha256: string;
  keys: readonly string[];
}

/**
 * `record` in the ids of `catalog`: as it is where it was recorded against it; else each row found again by its
 * keys, a row whose item the catalog lacks dropped, history items it lacks left out. A record from before catalogs
 * were recorded is taken as of this catalog (as it was then) and given its keys now.
 */
export function overlayForCatalog(record: OverlayRecord, catalog: CatalogIdentity): OverlayRecord {
  if (record.catalog === catalog.sha256) return record;
  const inCatalog = rowInCatalog(record, catalog);
  const rows: OverlayRecord['rows'] = [];
  for (const row of record.rows) {
    const mapped = inCatalog(row);
    if (mapped) rows.push(mapped);
  }
  return { ...record, catalog: catalog.sha256, rows };
}

/**
 * One row of `record` in the ids of `catalog`, as overlayForCatalog maps it (undefined: its item is not in the
 * catalog); for callers that must know which stored row each mapped row came from.
 */
export function rowInCatalog(record: OverlayRecord, catalog: CatalogIdentity): (row: OverlayRecord['rows'][number]) => OverlayRecord['rows'][number] | undefined {
  if (record.catalog === catalog.sha256) return (row) => row;
  if (record.catalog === undefined) {
    const keyOf = (id: number) => catalog.keys[id];
    return (row) => ({ ...row, key: row.key ?? keyOf(row.item), historyKeys: row.historyKeys ?? row.history.map(keyOf) });
  }
  const byKey = new Map(catalog.keys.map((key, id) => [key, id]));
  return (row) => {
    const item = row.key === undefined ? undefined : byKey.get(row.key);
    if (item === undefined) return undefined;
    const historyKeys = (row.historyKeys ?? []).filter((key) => byKey.has(key));
    return { ...row, item, history: historyKeys.map((key) => byKey.get(key)!), historyKeys };
  };
}
