/**
 * Readers of the source formats: the two in ../shared/data (see its README),
 * the AtSpeed/BIGRec Amazon layout and GroupLens MovieLens CSVs, and a
 * store's own export (items.csv + events.csv, docs/DATA.md). Every
 * malformed line is a DataFormatError naming the file and line (where a CSV
 * record runs over several lines, the line it starts on).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError } from '../../src/core/errors.ts';
import { cleanTitle } from '../../src/core/data/clean-title.ts';
import type { RawDataset, RawItem, RawUser, SkippedEvents, Split } from '../../src/core/data/prepare.ts';
import { readText } from '../lib/files.ts';

export type SourceFormat = 'amazon' | 'movielens' | 'store';

export function detectFormat(dir: string): SourceFormat {
  if (!existsSync(dir)) throw new DataFormatError(`${dir}: folder not found.`);
  if (existsSync(join(dir, 'items.csv')) || existsSync(join(dir, 'events.csv'))) return 'store';
  if (existsSync(join(dir, 'items.tsv')) || existsSync(join(dir, 'sequential_train.txt'))) return 'amazon';
  if (existsSync(join(dir, 'movies.csv')) || existsSync(join(dir, 'ratings.csv'))) return 'movielens';
  throw new DataFormatError(
    `${dir}: not a known data set layout: expected items.tsv + sequential_{train,valid,test}.txt (Amazon) or movies.csv + ratings.csv (MovieLens), or a store's own items.csv + events.csv (docs/DATA.md).`,
  );
}

function dataLines(path: string): string[] {
  const lines = readText(path).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function titleOf(raw: string, file: string, line: number, id: string): string {
  const title = cleanTitle(raw);
  if (!title) throw new DataFormatError(`${file}:${line}: item ${id} has an empty title.`);
  return title;
}

/** Amazon (AtSpeed): items.tsv and per-user train / valid / test sequences, time order within a line, no timestamps. */
export function readAmazon(dir: string, name: string): RawDataset {
  const itemsFile = join(dir, 'items.tsv');
  const items: RawItem[] = [];
  const index = new Map<string, number>();
  dataLines(itemsFile).forEach((line, i) => {
    if (i === 0) {
      if (!line.startsWith('seq_id\t')) throw new DataFormatError(`${itemsFile}:1: expected the header "seq_id<TAB>asin<TAB>title".`);
      return;
    }
    const fields = line.split('\t');
    if (fields.length < 3) throw new DataFormatError(`${itemsFile}:${i + 1}: expected 3 tab-separated fields (seq_id, asin, title), found ${fields.length}.`);
    const [seqId, asin] = fields;
    if (!/^\d+$/.test(seqId)) throw new DataFormatError(`${itemsFile}:${i + 1}: seq_id "${seqId}" is not an integer.`);
    if (index.has(seqId)) throw new DataFormatError(`${itemsFile}:${i + 1}: seq_id ${seqId} appears twice.`);
    index.set(seqId, items.length);
    items.push({ sourceId: asin, title: titleOf(fields.slice(2).join(' '), itemsFile, i + 1, seqId) });
  });
  const users = new Map<string, RawUser>();
  for (const split of ['train', 'valid', 'test'] as Split[]) {
    const file = join(dir, `sequential_${split}.txt`);
    dataLines(file).forEach((line, i) => {
      const fields = line.trim().split(/\s+/);
      if (fields[0] === '') throw new DataFormatError(`${file}:${i + 1}: empty line (expected "user_id item item ...").`);
      const [userId, ...rest] = fields;
      if (!/^\d+$/.test(userId)) throw new DataFormatError(`${file}:${i + 1}: user id "${userId}" is not an integer.`);
      let user = users.get(userId);
      if (!user) users.set(userId, (user = { userId, events: [] }));
      for (const token of rest) {
        const item = index.get(token);
        if (item === undefined) throw new DataFormatError(`${file}:${i + 1}: item ${token} is not in items.tsv.`);
        // No timestamps: the position in the user's full sequence is the time.
        user.events.push({ item, time: user.events.length, split });
      }
    });
  }
  return { name, items, users: [...users.values()] };
}

/** One CSV record: its fields, and the line it starts on (a quoted field may hold line breaks). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * A CSV file's records, RFC 4180: a field in double quotes may hold commas, doubled quotes and line breaks (a
 * product export's description column often does); text after a closing quote joins the field. The file's last
 * line break ends the last record; an empty line is a record of one empty field.
 */
export function csvRecords(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const delimiter = /[,\n]/g;
  // The end of the unquoted text from `at`: the next comma or line break, or the end of the file.
  const unquotedEnd = (at: number) => {
    delimiter.lastIndex = at;
    return delimiter.exec(text)?.index ?? text.length;
  };
  let at = 0;
  let line = 1;
  while (at < text.length) {
    const record: CsvRecord = { fields: [], line };
    for (;;) {
      let field = '';
      if (text[at] === '"') {
        const opened = line;
        at++;
        for (;;) {
          const close = text.indexOf('"', at);
          if (close < 0) throw new DataFormatError(`${file}:${opened}: unterminated quoted field (its closing quote is missing).`);
          const part = text.slice(at, close);
          field += part;
          for (let n = part.indexOf('\n'); n >= 0; n = part.indexOf('\n', n + 1)) line++;
          at = close + 1;
          if (text[at] !== '"') break;
          field += '"';
          at++;
        }
      }
      const end = unquotedEnd(at);
      record.fields.push(field + text.slice(at, end));
      at = end + 1;
      if (end === text.length || text[end] === '\n') break;
    }
    records.push(record);
    line++;
  }
  return records;
}

/** MovieLens: movies.csv (movieId,title,genres) and ratings.csv (userId,movieId,rating,timestamp); every rating is an interaction. */
export function readMovielens(dir: string, name: string): RawDataset {
  const moviesFile = join(dir, 'movies.csv');
  const ratingsFile = join(dir, 'ratings.csv');
  const items: RawItem[] = [];
  const index = new Map<string, number>();
  csvRecords(readText(moviesFile), moviesFile).forEach(({ fields, line }, i) => {
    if (i === 0) {
      if (fields[0] !== 'movieId' || fields[1] !== 'title') throw new DataFormatError(`${moviesFile}:1: expected the header "movieId,title,genres".`);
      return;
    }
    if (fields.length < 2) throw new DataFormatError(`${moviesFile}:${line}: expected movieId,title,genres, found ${fields.length} field(s).`);
    if (!/^\d+$/.test(fields[0])) throw new DataFormatError(`${moviesFile}:${line}: movieId "${fields[0]}" is not an integer.`);
    if (index.has(fields[0])) throw new DataFormatError(`${moviesFile}:${line}: movieId ${fields[0]} appears twice.`);
    index.set(fields[0], items.length);
    items.push({ sourceId: fields[0], title: titleOf(fields[1], moviesFile, line, fields[0]) });
  });
  const users = new Map<string, RawUser>();
  dataLines(ratingsFile).forEach((line, i) => {
    const fields = line.split(',');
    if (i === 0) {
      if (fields[0] !== 'userId' || fields[1] !== 'movieId') throw new DataFormatError(`${ratingsFile}:1: expected the header "userId,movieId,rating,timestamp".`);
      return;
    }
    if (fields.length !== 4) throw new DataFormatError(`${ratingsFile}:${i + 1}: expected 4 comma-separated fields, found ${fields.length}.`);
    const [userId, movieId, , timestamp] = fields;
    const item = index.get(movieId);
    if (item === undefined) throw new DataFormatError(`${ratingsFile}:${i + 1}: movieId ${movieId} is not in movies.csv.`);
    if (!/^\d+$/.test(timestamp)) throw new DataFormatError(`${ratingsFile}:${i + 1}: timestamp "${timestamp}" is not an integer.`);
    let user = users.get(userId);
    if (!user) users.set(userId, (user = { userId, events: [] }));
    user.events.push({ item, time: Number(timestamp) });
  });
  // Time order per user; equal timestamps keep the file's order (Array.prototype.sort is stable).
  for (const u of users.values()) u.events.sort((a, b) => a.time - b.time);
  return { name, items, users: [...users.values()] };
}

/** The columns a CSV header must name, by position (other columns may stand anywhere and are ignored). */
function columns<T extends string>(header: string[], wanted: readonly T[], file: string): Record<T, number> {
  const at = Object.fromEntries(wanted.map((name) => [name, header.indexOf(name)])) as Record<T, number>;
  const missing = wanted.filter((name) => at[name] < 0);
  if (missing.length > 0) throw new DataFormatError(`${file}:1: the header must name the columns ${wanted.join(', ')} (missing: ${missing.join(', ')}; found: ${header.join(', ')}).`);
  return at;
}

/** An ISO 8601 date, or date and time (a space for the T, as databases export it), with or without its offset. */
const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Unix time in seconds or milliseconds, or an ISO 8601 date, all taken as Unix seconds, so a file may mix them: a
 * number from 10^11 up is milliseconds (as seconds it would be past the year 5000; as milliseconds it is after 1973).
 * A date and time without an offset is UTC, as a date alone is: JavaScript would read it in the machine's time
 * zone, and the same export would split differently on another machine.
 */
export function eventTime(value: string, file: string, line: number): number {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const time = Number(value);
    return time >= MILLISECONDS_FROM ? time / 1000 : time;
  }
  const iso = ISO_DATE.exec(value.trim());
  const [, date, time, offset] = iso ?? [];
  const zone = offset === undefined || /^z$/i.test(offset) ? 'Z' : offset.length === 3 ? `${offset}:00` : offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  // A day the month does not have (2026-02-30) is refused, not rolled over into the next month.
  const realDay = iso !== null && new Date(Date.parse(`${date}T00:00Z`) || 0).toISOString().startsWith(date);
  const parsed = realDay ? Date.parse(time === undefined ? `${date}T00:00Z` : `${date}T${time}${zone}`) : NaN;
  if (Number.isNaN(parsed)) throw new DataFormatError(`${file}:${line}: timestamp "${value}" is neither Unix time nor an ISO 8601 date.`);
  return parsed / 1000;
}

/**
 * A store's own export: items.csv (item_id,title) and events.csv (user_id,item_id,timestamp), each with a header
 * naming those columns (others, such as the event's kind, are ignored), RFC 4180 quoting. item_id is the store's
 * product id (a SKU, an ASIN) and becomes the catalog's source_id, the id the embed's data-ids="source" speaks;
 * every event is an interaction (a view, a purchase), in time order per user, split 8:1:1 by time as MovieLens.
 * An event of a product items.csv lacks is an error, or left out and counted with `skipUnknownItems` (a store's
 * export often still holds events of products it no longer lists); none left at all is an error either way.
 */
export function readStore(dir: string, name: string, options: StoreReadOptions = {}): RawDataset {
  const itemsFile = join(dir, 'items.csv');
  const eventsFile = join(dir, 'events.csv');
  const items: RawItem[] = [];
  const index = new Map<string, number>();
  let itemColumns: Record<'item_id' | 'title', number> | undefined;
  csvRecords(readText(itemsFile), itemsFile).forEach(({ fields, line }, i) => {
    if (i === 0) {
      itemColumns = columns(fields, ['item_id', 'title'] as const, itemsFile);
      return;
    }
    const id = fields[itemColumns!.item_id];
    const title = fields[itemColumns!.title];
    if (id === undefined || title === undefined) throw new DataFormatError(`${itemsFile}:${line}: expected the fields item_id, title, found ${fields.length} field(s).`);
    if (id.trim() === '' || /[\t\r\n]/.test(id)) throw new DataFormatError(`${itemsFile}:${line}: item_id "${id}" is empty or holds a tab or line break.`);
    if (index.has(id)) throw new DataFormatError(`${itemsFile}:${line}: item_id ${id} appears twice.`);
    index.set(id, items.length);
    items.push({ sourceId: id, title: titleOf(title, itemsFile, line, id) });
  });
  if (!itemColumns) throw new DataFormatError(`${itemsFile}: empty (expected a header line "item_id,title").`);
  const users = new Map<string, RawUser>();
  const skipped: SkippedEvents = { unknownItem: 0, examples: [] };
  let eventColumns: Record<'user_id' | 'item_id' | 'timestamp', number> | undefined;
  csvRecords(readText(eventsFile), eventsFile).forEach(({ fields, line }, i) => {
    if (i === 0) {
      eventColumns = columns(fields, ['user_id', 'item_id', 'timestamp'] as const, eventsFile);
      return;
    }
    const [userId, itemId, timestamp] = [fields[eventColumns!.user_id], fields[eventColumns!.item_id], fields[eventColumns!.timestamp]];
    if (userId === undefined || itemId === undefined || timestamp === undefined) throw new DataFormatError(`${eventsFile}:${line}: expected the fields user_id, item_id, timestamp, found ${fields.length} field(s).`);
    if (userId.trim() === '') throw new DataFormatError(`${eventsFile}:${line}: empty user_id.`);
    const item = index.get(itemId);
    if (item === undefined) {
      if (!options.skipUnknownItems) throw new DataFormatError(`${eventsFile}:${line}: item_id "${itemId}" is not in items.csv (events of products no longer listed are left out with --skip-unknown-items).`);
      if (skipped.unknownItem++ < SKIPPED_EXAMPLES) skipped.examples.push(`${eventsFile}:${line} ${itemId}`);
      return;
    }
    let user = users.get(userId);
    if (!user) users.set(userId, (user = { userId, events: [] }));
    user.events.push({ item, time: eventTime(timestamp, eventsFile, line) });
  });
  if (!eventColumns) throw new DataFormatError(`${eventsFile}: empty (expected a header line "user_id,item_id,timestamp").`);
  if (skipped.unknownItem > 0 && users.size === 0) {
    throw new DataFormatError(`${eventsFile}: none of its ${skipped.unknownItem} events names an item_id of items.csv (first: ${skipped.examples[0]}); do both files use the same product ids?`);
  }
  // Time order per user; equal timestamps keep the file's order (Array.prototype.sort is stable).
  for (const u of users.values()) u.events.sort((a, b) => a.time - b.time);
  return { name, items, users: [...users.values()], ...(skipped.unknownItem > 0 ? { skipped } : {}) };
}

export interface StoreReadOptions {
  /** Leave out (and count) events whose item_id items.csv lacks, instead of failing on the first. */
  skipUnknownItems?: boolean;
}

/** The smallest Unix time read as milliseconds (1973-03-03 in milliseconds; the year 5138 in seconds). */
const MILLISECONDS_FROM = 1e11;

/** How many skipped events a report names. */
const SKIPPED_EXAMPLES = 5;
