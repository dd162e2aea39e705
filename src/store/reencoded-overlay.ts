/**
 * The user's memory updates are stored per (model, memory URL): a row's hidden state is its model's own. A store
 * that retrains its model rebuilds the memory with it, at the same URL; the rows recorded with the old model would
 * then stay stored, unused. Instead, the first load of the new model encodes their histories again with it, behind
 * the load (each row keeps its item, its history and its time, found in the new catalog by their keys:
 * overlay-catalog.ts), and stores them as the new model's record, a part at a time, each part's rows leaving the old
 * model's record in the same transaction (ShardStore.takeOverOverlays): a load cut short leaves the rest to the next.
 */
import { NonFiniteValueError } from '../core/errors.ts';
import { isNonFiniteFloat16, toFloat16Bits } from '../core/float16.ts';
import { overlayForCatalog, rowInCatalog, type CatalogIdentity } from './overlay-catalog.ts';
import type { OverlayRecord, ShardStore } from './shard-store.ts';

type OverlayRow = OverlayRecord['rows'][number];

/**
 * Memory updates of earlier models of a memory URL, as the load that found them takes them over (OverlayStatus.reencoded):
 * 'encoding' behind the load (`rows` to encode, `stored` of them stored so far); 'stored': encoded again with this
 * model and stored as its own, the old records deleted (`dropped`: rows whose item, or every item of their history,
 * this memory's catalog lacks, or past the cap); 'failed': why not, the rows not yet stored kept in their records for
 * the next load.
 */
export type OverlayReencoded =
  | { state: 'encoding'; fromModels: string[]; rows: number; stored: number }
  | { state: 'stored'; fromModels: string[]; rows: number; dropped: number; ms: number }
  | { state: 'failed'; fromModels: string[]; reason: string };

/**
 * The rows of other models' records to encode again, in `catalog`'s ids, oldest first, and the stored row each came
 * from (`sources`, the records' own row objects); how many were left out (an item or a whole history not in the
 * catalog; a history that holds its own item, which load() leaves out too).
 */
export function rowsToReencode(records: OverlayRecord[], catalog: CatalogIdentity): { rows: OverlayRow[]; sources: OverlayRow[]; dropped: number } {
  const inCatalog = (id: number) => id < catalog.keys.length;
  const kept: { row: OverlayRow; source: OverlayRow }[] = [];
  let total = 0;
  for (const record of records) {
    const mapRow = rowInCatalog(record, catalog);
    for (const source of record.rows) {
      const row = mapRow(source);
      if (row && inCatalog(row.item) && row.history.length > 0 && row.history.every(inCatalog) && !row.history.includes(row.item)) kept.push({ row, source });
    }
    total += record.rows.length;
  }
  kept.sort((a, b) => a.row.at - b.row.at);
  return { rows: kept.map(({ row }) => row), sources: kept.map(({ source }) => source), dropped: total - kept.length };
}

/**
 * `model`'s record after taking over rows encoded again: with the rows it holds (in `catalog`'s ids), ordered by
 * time, the newest `cap`; `takenSeen` is added to the samples it saw.
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
  /** Awaited before each batch, outside its timing (the worker's: until the page's calls leave it idle). */
  turn?: () => Promise<void>;
  /** How long to encode before storing the rows done so far (REENCODE_STORE_EVERY_MS); 0 stores every batch. */
  storeEveryMs?: number;
  /** After each part is stored: how many rows are stored with this model so far. */
  onStored?: (rows: number) => void;
}

/**
 * How long one encoder call of the re-encoding should take: a page's call that comes meanwhile waits for it. The first
 * batch is one history; each next one as many as the last one's time per row fits (wasm: 2 of ~25 ms; a GPU: more,
 * where batching pays), at most REENCODE_BATCH_MAX.
 */
export const REENCODE_BATCH_MS = 50;
export const REENCODE_BATCH_MAX = 32;

/** Histories in the next batch, from the last one's time per row. */
export function nextBatchSize(msPerRow: number): number {
  if (!(msPerRow > 0)) return REENCODE_BATCH_MAX;
  return Math.max(1, Math.min(REENCODE_BATCH_MAX, Math.floor(REENCODE_BATCH_MS / msPerRow)));
}

/**
 * How often the rows encoded so far are stored (each part one transaction, moving them from the old records): a
 * shopper's next page view starts a new load, which ends this one's work, and 1,024 rows take ~30 s on wasm; the next
 * load goes on with the rows not yet stored instead of starting over.
 */
export const REENCODE_STORE_EVERY_MS = 1000;

/**
 * Encodes the rows of `records` (other models' overlays of the shard), as rowsToReencode gave them (`toEncode`), again,
 * newest first, and stores them with `model`'s own, a part at a time (each part's rows leave their old records in the
 * same transaction; rows left out leave with the first): what was done. Throws where an encoding fails or is not
 * finite, or the store refuses; the parts stored before stay, the other rows stay in their records.
 */
export async function reencodeOverlays(records: OverlayRecord[], toEncode: ReturnType<typeof rowsToReencode>, options: ReencodeOptions): Promise<OverlayReencoded> {
  const t0 = performance.now();
  const { store, model, shard, catalog, cap, storeEveryMs = REENCODE_STORE_EVERY_MS } = options;
  const fromModels = records.map((record) => record.model);
  // Newest first: the cap keeps the newest, and a run cut short has stored the ones that matter most. Rows older than
  // the cap's newest cannot be kept whatever the model's own rows are: not encoded.
  const order = toEncode.rows.map((_, i) => i).reverse().slice(0, cap);
  let dropped = toEncode.dropped + toEncode.rows.length - order.length;
  // The stored rows not yet encoded and stored: each part's records keep only these.
  const pending = new Set(order.map((i) => toEncode.sources[i]));
  let storedNow: (OverlayRecord | undefined)[] = records;
  let encoded: OverlayRow[] = [];
  let stored = 0;

  /** Stores the rows encoded since the last part; false where another tab changed the records meanwhile. */
  const storePart = async (last: boolean): Promise<boolean> => {
    const taken: OverlayRecord[] = [];
    const left: (OverlayRecord | undefined)[] = [];
    records.forEach((record, i) => {
      if (!storedNow[i]) return;
      const before = storedNow[i]!;
      taken.push(before);
      const rows = record.rows.filter((row) => pending.has(row));
      // A record kept for its rows to come counts one sample per row; the rest of its count goes with this part.
      left.push(rows.length > 0 ? { ...record, rows, seen: Math.min(rows.length, before.seen) } : undefined);
    });
    const movedSeen = taken.reduce((sum, record) => sum + record.seen, 0) - left.reduce((sum, record) => sum + (record?.seen ?? 0), 0);
    const part = new Set(encoded);
    let kept = 0;
    const written = await store.takeOverOverlays(model, shard, taken, (own) => {
      const next = mergedOverlay(own, { model, shard }, catalog, encoded, movedSeen, cap);
      kept = next.rows.filter((row) => part.has(row)).length;
      return next;
    }, { left, announce: last ? [model, ...fromModels] : [] });
    if (!written) return false;
    let next = 0;
    storedNow = storedNow.map((record) => (record ? left[next++] : undefined));
    stored += kept;
    dropped += encoded.length - kept;
    encoded = [];
    options.onStored?.(stored);
    return true;
  };
  const changedMeanwhile = (): OverlayReencoded => ({
    state: 'failed',
    fromModels,
    reason: `another tab took these memory updates over, or recorded into them, meanwhile; the ones stored now are in use${stored > 0 ? ` (${stored} of them were stored with this model before)` : ''}`,
  });

  let partStart = performance.now();
  let size = 1;
  for (let start = 0; start < order.length; ) {
    await options.turn?.();
    const batch = order.slice(start, start + size);
    start += batch.length;
    const t = performance.now();
    const hidden = await options.encode(batch.map((i) => toEncode.rows[i].history.map((id) => catalog.titles[id])));
    const msPerRow = (performance.now() - t) / batch.length;
    batch.forEach((i, j) => {
      const row = toEncode.rows[i];
      const bits = Uint16Array.from(hidden[j], toFloat16Bits);
      if (bits.some(isNonFiniteFloat16)) throw new NonFiniteValueError(`The memory update of item ${row.key ?? row.item} encoded again`);
      encoded.push({ ...row, hidden: bits });
      pending.delete(toEncode.sources[i]);
    });
    const more = start < order.length;
    if (more && performance.now() - partStart >= storeEveryMs) {
      if (!(await storePart(false))) return changedMeanwhile();
      partStart = performance.now();
    }
    size = nextBatchSize(msPerRow);
  }
  if (!(await storePart(true))) return changedMeanwhile();
  return { state: 'stored', fromModels, rows: stored, dropped, ms: performance.now() - t0 };
}
