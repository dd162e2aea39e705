/**
 * The user's memory updates are stored per (model, memory URL): a row's hidden state is its model's own. A store
 * that retrains its model rebuilds the memory with it, at the same URL; the rows recorded with the old model would
 * then stay stored, unused. Instead, the first load of the new model encodes their histories again with it, behind
 * the load (each row keeps its item, its history and its time, found in the new catalog by their keys:
 * overlay-catalog.ts), and stores them as the new model's record, deleting the old model's in the same transaction
 * (ShardStore.takeOverOverlays).
 */
import { NonFiniteValueError } from '../core/errors.ts';
import { isNonFiniteFloat16, toFloat16Bits } from '../core/float16.ts';
import { overlayForCatalog, type CatalogIdentity } from './overlay-catalog.ts';
import type { OverlayRecord, ShardStore } from './shard-store.ts';

type OverlayRow = OverlayRecord['rows'][number];

/**
 * Memory updates of earlier models of a memory URL, as the load that found them takes them over (OverlayStatus.reencoded):
 * 'encoding' behind the load (`rows` to encode); 'stored': encoded again with this model and stored as its own, the
 * old records deleted (`dropped`: rows whose item, or every item of their history, this memory's catalog lacks, or
 * past the cap); 'failed': why not, the records kept as they were for the next load.
 */
export type OverlayReencoded =
  | { state: 'encoding'; fromModels: string[]; rows: number }
  | { state: 'stored'; fromModels: string[]; rows: number; dropped: number; ms: number }
  | { state: 'failed'; fromModels: string[]; reason: string };

/**
 * The rows of other models' records to encode again, in `catalog`'s ids, oldest first; how many were left out
 * (an item or a whole history not in the catalog; a history that holds its own item, which load() leaves out too).
 */
export function rowsToReencode(records: OverlayRecord[], catalog: CatalogIdentity): { rows: OverlayRow[]; dropped: number } {
  const rows: OverlayRow[] = [];
  let dropped = 0;
  for (const record of records) {
    const mapped = overlayForCatalog(record, catalog).rows;
    const inCatalog = (id: number) => id < catalog.keys.length;
    const kept = mapped.filter((row) => inCatalog(row.item) && row.history.length > 0 && row.history.every(inCatalog) && !row.history.includes(row.item));
    rows.push(...kept);
    dropped += record.rows.length - kept.length;
  }
  return { rows: rows.sort((a, b) => a.at - b.at), dropped };
}

/**
 * `model`'s record after taking over rows encoded again: with the rows it holds (in `catalog`'s ids), ordered by
 * time, the newest `cap`; `seen` counts every sample the records saw.
 */
export function mergedOverlay(stored: OverlayRecord | undefined, base: Pick<OverlayRecord, 'model' | 'shard'>, catalog: CatalogIdentity, reencoded: OverlayRow[], takenSeen: number, cap: number): OverlayRecord {
  const own = stored ? overlayForCatalog(stored, catalog) : { ...base, rows: [], seen: 0 };
  const rows = [...reencoded, ...own.rows].sort((a, b) => a.at - b.at).slice(-cap);
  return { ...own, ...base, catalog: catalog.sha256, rows, seen: own.seen + takenSeen };
}

export interface ReencodeOptions {
  /** Where the records are taken over (it may open the store for the call: encoding takes seconds). */
  store: Pick<ShardStore, 'takeOverOverlays'>;
  /** The model in use and the memory URL its overlay is keyed by. */
  model: string;
  shard: string;
  catalog: CatalogIdentity & { titles: readonly string[] };
  cap: number;
  /** The encoder: each history's titles (oldest first) to its h_t. */
  encode: (histories: string[][]) => Promise<Float32Array[]>;
}

/** Histories per encoder call: batched as memory building batches them; small, so a call waiting for the encoder waits little. */
export const REENCODE_BATCH = 8;

/**
 * Encodes the rows of `records` (other models' overlays of the shard), as rowsToReencode gave them (`toEncode`), again
 * and stores them with `model`'s own; what was done. Throws (nothing stored) where an encoding fails or is not
 * finite, or the store refuses.
 */
export async function reencodeOverlays(records: OverlayRecord[], toEncode: ReturnType<typeof rowsToReencode>, options: ReencodeOptions): Promise<OverlayReencoded> {
  const t0 = performance.now();
  const { store, model, shard, catalog, cap } = options;
  const fromModels = records.map((record) => record.model);
  const { rows, dropped } = toEncode;
  const encoded: OverlayRow[] = [];
  for (let start = 0; start < rows.length; start += REENCODE_BATCH) {
    const batch = rows.slice(start, start + REENCODE_BATCH);
    const hidden = await options.encode(batch.map((row) => row.history.map((id) => catalog.titles[id])));
    batch.forEach((row, i) => {
      const bits = Uint16Array.from(hidden[i], toFloat16Bits);
      if (bits.some(isNonFiniteFloat16)) throw new NonFiniteValueError(`The memory update of item ${row.key ?? row.item} encoded again`);
      encoded.push({ ...row, hidden: bits });
    });
  }
  const takenSeen = records.reduce((sum, record) => sum + record.seen, 0);
  let kept = 0;
  const written = await store.takeOverOverlays(model, shard, records, (stored) => {
    const next = mergedOverlay(stored, { model, shard }, catalog, encoded, takenSeen, cap);
    kept = encoded.filter((row) => next.rows.includes(row)).length;
    return next;
  });
  // Not taken over here: another tab did it first, or recorded into a record meanwhile (the next load tries again).
  if (!written) return { state: 'failed', fromModels, reason: 'another tab took these memory updates over, or recorded into them, meanwhile; the ones stored now are in use' };
  return { state: 'stored', fromModels, rows: kept, dropped: dropped + encoded.length - kept, ms: performance.now() - t0 };
}
