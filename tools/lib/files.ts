/** File helpers of the command-line tools: strict UTF-8 reading with line numbers, JSON read with the file named, atomic output. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataFormatError, InvalidArgumentError } from '../../src/core/errors.ts';

const strict = new TextDecoder('utf-8', { fatal: true });

/** Reads a UTF-8 text file; a missing file or invalid UTF-8 is a DataFormatError naming the file (and line). */
export function readText(path: string): string {
  if (!existsSync(path)) throw new DataFormatError(`${path}: file not found.`);
  const bytes = readFileSync(path);
  try {
    return strict.decode(bytes).replace(/\r\n/g, '\n');
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          strict.decode(bytes.subarray(start, i));
        } catch {
          throw new DataFormatError(`${path}:${line}: invalid UTF-8.`);
        }
        line++;
        start = i + 1;
      }
    }
    throw new DataFormatError(`${path}: invalid UTF-8.`);
  }
}

/** A JSON file (`what` names it in the message, default its path); missing or unreadable, a DataFormatError naming it. */
export function readJson<T>(path: string, what = path): T {
  const text = readText(path);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new DataFormatError(`${what} could not be read as JSON: ${(error as Error).message}`);
  }
}

/** Writes a file whole or not at all (a temporary sibling renamed over it): a process stopped mid-write leaves the old one. */
export function writeFileAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** What marks a folder as a tool's own output, which that tool may replace as a whole. */
export interface OwnOutput {
  /** What the output is, for the message: "a memory shard". */
  what: string;
  /** The file that marks it, for the message: "manifest.json of one". */
  marker: string;
  /** Whether the non-empty folder is one. */
  is(folder: string): boolean;
}

/** The outputs whose manifest.json names `format` (prepared data sets, memory shards). */
export function manifestOutput(format: string, what: string): OwnOutput {
  return {
    what,
    marker: 'manifest.json of one',
    is(folder) {
      try {
        return JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')).format === format;
      } catch {
        return false;
      }
    },
  };
}

/**
 * A tool's --out, which it replaces as a whole, must be absent, empty, or one of that tool's own outputs: a typo
 * naming the model folder, the data or the project would otherwise be deleted. Tools check it before any work,
 * and again just before replacing.
 */
export function checkReplaceableFolder(out: string, own: OwnOutput): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new InvalidArgumentError(`--out ${out} is a file, not a folder: choose another --out; nothing was written.`);
  if (readdirSync(out).length === 0 || own.is(out)) return;
  throw new InvalidArgumentError(`--out ${out} holds files and is not ${own.what} (it has no ${own.marker}), and the output would replace the whole folder: choose another --out, or empty it first; nothing was written.`);
}

/**
 * Writes a whole folder or nothing: files go to a temporary sibling folder,
 * which replaces `target` only once every file is written.
 */
export function writeFolderAtomically(target: string, files: Record<string, string>): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const temp = join(parent, `.${basename(target)}.tmp-${process.pid}`);
  const old = join(parent, `.${basename(target)}.old-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  try {
    mkdirSync(temp);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(temp, name), content);
    if (existsSync(target)) renameSync(target, old);
    renameSync(temp, target);
    rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (!existsSync(target) && existsSync(old)) renameSync(old, target);
    throw error;
  }
}
