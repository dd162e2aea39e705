/**
 * What `evaluate --out DIR` keeps of a run, so the tables and plots of
 * docs/RESULTS.md (`npm run results`) are made from saved rankings instead
 * of re-running hour-long generation: per method a rankings file
 * (`<method>.tsv`, the format `evaluate --rankings` reads) and a record
 * (`<method>.json`: metrics, latency, the command, the machine), and the
 * side-by-side latency run (`latency.json`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { DataFormatError } from '../../src/core/errors.ts';
import { writeFileAtomically } from './files.ts';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { MetricValues } from '../../src/core/metrics.ts';

export interface MethodRecord {
  method: string;
  values: MetricValues;
  /** Mean milliseconds per request where measured. */
  requestMs?: number;
  rankingsFile: string;
  command: string;
  date: string;
  machine: string;
}

/** What one run folder holds, merged (`readRunRecords`). */
export interface RunRecords {
  dataset: string;
  split: string;
  samples: number;
  items: number;
  methods: Record<string, MethodRecord>;
  /** Per-request latency measured side by side (interleaved) in one run. */
  latency?: LatencyRecord;
}

export interface RunHeader {
  dataset: string;
  split: string;
  samples: number;
  items: number;
}

export interface LatencyRecord {
  /** Requests timed per method. */
  requests: number;
  command: string;
  date: string;
  machine: string;
  /** Per method: mean and median ms per request. */
  ms: Record<string, { mean: number; median: number }>;
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
}

/** File name stem of a method: "L2D-L (M=1000)" -> "l2d-l-m1000". */
export function methodFileStem(method: string): string {
  return method.toLowerCase().replace(/[=%]/g, '').replace(/[^a-z0-9.]+/g, '-').replace(/^-|-$/g, '');
}

function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomically(file, `${JSON.stringify(value, null, 1)}\n`);
}

/**
 * Saves one method's rankings (`<stem>.tsv`) and record (`<stem>.json`).
 * One file per method, so several evaluate processes can fill one folder at once.
 */
export function saveMethodRun(dir: string, header: RunHeader, run: { method: string; values: MetricValues; lists: ArrayLike<number>[]; requestMs?: number }): void {
  mkdirSync(dir, { recursive: true });
  const stem = methodFileStem(run.method);
  writeFileSync(join(dir, `${stem}.tsv`), run.lists.map((list, i) => `${i}\t${Array.from(list).join(' ')}`).join('\n') + '\n');
  const record: MethodRecord & RunHeader = {
    ...header,
    method: run.method,
    values: run.values,
    requestMs: run.requestMs,
    rankingsFile: `${stem}.tsv`,
    command: commandLine(),
    date: new Date().toISOString(),
    machine: machineDescription(),
  };
  writeJsonAtomic(join(dir, `${stem}.json`), record);
}

export function saveLatency(dir: string, header: RunHeader, requests: number, ms: LatencyRecord['ms']): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, 'latency.json'), { ...header, requests, command: commandLine(), date: new Date().toISOString(), machine: machineDescription(), ms });
}

/** Everything a run folder holds; every record must be of the same data set and split (runs with --limit score its first samples). */
export function readRunRecords(dir: string): RunRecords {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataFormatError(`${dir}: no such folder (npm run evaluate -- ... --out ${dir} writes one).`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  let records: RunRecords | undefined;
  for (const file of files) {
    let value: RunHeader & Partial<MethodRecord> & Partial<LatencyRecord>;
    try {
      value = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      throw new DataFormatError(`${join(dir, file)} is not a run record (${(error as Error).message}); evaluate --out writes each record whole, so this file came from elsewhere or was cut short.`);
    }
    records ??= { dataset: value.dataset, split: value.split, samples: value.samples, items: value.items, methods: {} };
    if (file === 'latency.json') {
      records.latency = value as LatencyRecord;
      continue;
    }
    if (value.dataset !== records.dataset || value.split !== records.split) {
      throw new DataFormatError(`${join(dir, file)} is of ${value.dataset}/${value.split}, the folder's other runs of ${records.dataset}/${records.split}: keep one evaluation per folder.`);
    }
    // A run with --limit scores the split's first samples: the folder's size is its largest run.
    records.samples = Math.max(records.samples, value.samples);
    records.methods[value.method!] = value as MethodRecord;
  }
  if (!records) throw new DataFormatError(`${dir}: no results (run npm run evaluate -- ... --out ${dir} first).`);
  return records;
}

function commandLine(): string {
  return `npm run evaluate -- ${process.argv.slice(2).join(' ')}`;
}
