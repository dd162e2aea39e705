/**
 * Readers of the two source formats in ../shared/data (see its README):
 * the AtSpeed/BIGRec Amazon layout and GroupLens MovieLens CSVs. Every
 * malformed line is a DataFormatError naming the file and line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError } from '../../src/core/errors.ts';
import { cleanTitle } from '../../src/core/data/clean-title.ts';
import type { RawDataset, RawItem, RawUser, Split } from '../../src/core/data/prepare.ts';
import { readText } from '../lib/files.ts';

export type SourceFormat = 'amazon' | 'movielens';

export function detectFormat(dir: string): SourceFormat {
  if (!existsSync(dir)) throw new DataFormatError(`${dir}: folder not found.`);
  if (existsSync(join(dir, 'items.tsv')) || existsSync(join(dir, 'sequential_train.txt'))) return 'amazon';
  if (existsSync(join(dir, 'movies.csv')) || existsSync(join(dir, 'ratings.csv'))) return 'movielens';
  throw new DataFormatError(
    `${dir}: not a known data set layout: expected items.tsv + sequential_{train,valid,test}.txt (Amazon) or movies.csv + ratings.csv (MovieLens).`,
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

/** Splits one CSV line (RFC 4180 quoting). */
export function parseCsvLine(line: string, file: string, lineNumber: number): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new DataFormatError(`${file}:${lineNumber}: unterminated quoted field.`);
  out.push(field);
  return out;
}

/** MovieLens: movies.csv (movieId,title,genres) and ratings.csv (userId,movieId,rating,timestamp); every rating is an interaction. */
export function readMovielens(dir: string, name: string): RawDataset {
  const moviesFile = join(dir, 'movies.csv');
  const ratingsFile = join(dir, 'ratings.csv');
  const items: RawItem[] = [];
  const index = new Map<string, number>();
  dataLines(moviesFile).forEach((line, i) => {
    const fields = parseCsvLine(line, moviesFile, i + 1);
    if (i === 0) {
      if (fields[0] !== 'movieId' || fields[1] !== 'title') throw new DataFormatError(`${moviesFile}:1: expected the header "movieId,title,genres".`);
      return;
    }
    if (fields.length < 2) throw new DataFormatError(`${moviesFile}:${i + 1}: expected movieId,title,genres, found ${fields.length} field(s).`);
    if (!/^\d+$/.test(fields[0])) throw new DataFormatError(`${moviesFile}:${i + 1}: movieId "${fields[0]}" is not an integer.`);
    if (index.has(fields[0])) throw new DataFormatError(`${moviesFile}:${i + 1}: movieId ${fields[0]} appears twice.`);
    index.set(fields[0], items.length);
    items.push({ sourceId: fields[0], title: titleOf(fields[1], moviesFile, i + 1, fields[0]) });
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
