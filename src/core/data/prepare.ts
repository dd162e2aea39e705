/**
 * The paper's sample construction, pure and deterministic:
 * k-core filtering to a fixpoint, one sample per interaction (history = the
 * user's previous items, at most `maxHistory`, oldest dropped; the first
 * interaction of a user has no history and yields no sample), and the
 * train/valid/test split.
 */
import { DataFormatError, InvalidArgumentError } from '../errors.ts';
import { lastOfEach } from '../fit-prompt.ts';

export type Split = 'train' | 'valid' | 'test';
export const SPLITS: readonly Split[] = ['train', 'valid', 'test'];

export interface RawItem {
  sourceId: string;
  title: string;
}

export interface RawEvent {
  /** Index into RawDataset.items. */
  item: number;
  /** Timestamp, or the position in the user's sequence when the data has none. */
  time: number;
  /** The split the source data assigns to this interaction, if it ships one. */
  split?: Split;
}

export interface RawUser {
  userId: string;
  /** In time order. */
  events: RawEvent[];
}

export interface RawDataset {
  name: string;
  items: RawItem[];
  users: RawUser[];
  /** Events a reader left out, asked to: a store's events of products its items.csv no longer lists. */
  skipped?: SkippedEvents;
}

export interface SkippedEvents {
  /** Events whose item_id is not in items.csv. */
  unknownItem: number;
  /** The first few of them, as "file:line item_id". */
  examples: string[];
}

export interface Sample {
  user: number;
  /** Item ids (dense, after filtering), oldest first. */
  history: number[];
  target: number;
  time: number;
  split: Split;
}

export interface PreparedItem {
  id: number;
  sourceId: string;
  title: string;
}

export interface PreparedDataset {
  name: string;
  items: PreparedItem[];
  users: string[];
  samples: Record<Split, Sample[]>;
  /** Interactions dropped because the user interacted with the same item again later (lastInteractions). */
  repeatsMerged: number;
}

export interface PrepareOptions {
  /** Minimum interactions per user and per item (the paper: 5). */
  kCore?: number;
  /** Longest history (the paper: 10). */
  maxHistory?: number;
  /** How samples get their split: from the events (shipped split) or 8:1:1 by time over all samples. */
  splitBy: 'events' | 'time';
}

/**
 * Each user's events with only the last interaction with each item kept (a shopper's repeated views, a purchase
 * after views). No sample then holds its target in its history, as in the shipped data sets (which have no
 * repeats), and a history is what the embed keeps at the time of the target (a repeated item moves to the end;
 * a purchase's memory row is the history before it, less the item bought).
 */
export function lastInteractions(users: readonly RawUser[]): { users: RawUser[]; merged: number } {
  let merged = 0;
  const out = users.map((u) => {
    const events = lastOfEach(u.events, (e) => e.item);
    merged += u.events.length - events.length;
    return events.length === u.events.length ? u : { ...u, events };
  });
  return { users: out, merged };
}

/** Drops users and items with fewer than k interactions until both hold. */
export function kCoreFilter(users: RawUser[], k: number): RawUser[] {
  let current = users;
  for (;;) {
    const itemCounts = new Map<number, number>();
    for (const u of current) for (const e of u.events) itemCounts.set(e.item, (itemCounts.get(e.item) ?? 0) + 1);
    let changed = false;
    const next: RawUser[] = [];
    for (const u of current) {
      const events = u.events.filter((e) => itemCounts.get(e.item)! >= k);
      if (events.length !== u.events.length) changed = true;
      if (events.length >= k) next.push(events.length === u.events.length ? u : { ...u, events });
      else changed = true;
    }
    current = next;
    if (!changed) return current;
  }
}

/** Split sizes of the paper's 8:1:1 split of n time-ordered samples. */
export function splitSizes(n: number): Record<Split, number> {
  const train = Math.floor(0.8 * n);
  const valid = Math.floor(0.9 * n) - train;
  return { train, valid, test: n - train - valid };
}

export function prepareDataset(raw: RawDataset, options: PrepareOptions): PreparedDataset {
  const k = options.kCore ?? 5;
  const maxHistory = options.maxHistory ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`kCore must be a positive integer, got ${k}.`);
  if (!Number.isInteger(maxHistory) || maxHistory < 1) throw new InvalidArgumentError(`maxHistory must be a positive integer, got ${maxHistory}.`);
  const distinct = lastInteractions(raw.users);
  const users = kCoreFilter(distinct.users, k);
  // Dense item ids in the order of the source's item table: deterministic.
  const kept = new Set<number>();
  for (const u of users) for (const e of u.events) kept.add(e.item);
  const denseId = new Map<number, number>();
  const items: PreparedItem[] = [];
  for (let i = 0; i < raw.items.length; i++) {
    if (!kept.has(i)) continue;
    denseId.set(i, items.length);
    items.push({ id: items.length, sourceId: raw.items[i].sourceId, title: raw.items[i].title });
  }
  const all: (Sample & { position: number })[] = [];
  users.forEach((u, userIndex) => {
    const ids = u.events.map((e) => denseId.get(e.item)!);
    for (let p = 1; p < ids.length; p++) {
      const event = u.events[p];
      if (options.splitBy === 'events' && !event.split) {
        throw new InvalidArgumentError(`User ${u.userId}'s interaction ${p} has no split, but the split is taken from the events.`);
      }
      all.push({ user: userIndex, history: ids.slice(Math.max(0, p - maxHistory), p), target: ids[p], time: event.time, split: event.split ?? 'train', position: p });
    }
  });
  if (options.splitBy === 'time') {
    all.sort((a, b) => a.time - b.time || a.user - b.user || a.position - b.position);
    const sizes = splitSizes(all.length);
    all.forEach((s, i) => (s.split = i < sizes.train ? 'train' : i < sizes.train + sizes.valid ? 'valid' : 'test'));
  }
  const samples: Record<Split, Sample[]> = { train: [], valid: [], test: [] };
  for (const { position: _position, ...s } of all) samples[s.split].push(s);
  if (samples.train.length === 0) {
    // An empty training split would only fail later, in training, less clearly.
    const events = raw.users.reduce((n, u) => n + u.events.length, 0);
    throw new DataFormatError(
      `${raw.name}: no training sample (a sample is an interaction after the user's earlier ones): ${users.length} of ${raw.users.length} user(s) and ${items.length} of ${raw.items.length} item(s) keep ${k} interactions each (${k}-core), from ${events} interaction(s), giving ${all.length} sample(s) in all. Too little data${k > 1 ? `; a smaller --k-core keeps more` : ''}.`,
    );
  }
  return { name: raw.name, items, users: users.map((u) => u.userId), samples, repeatsMerged: distinct.merged };
}

export interface DatasetStats {
  users: number;
  items: number;
  trainSamples: number;
  validSamples: number;
  testSamples: number;
  /** Items that occur as the target of at least one training sample. */
  trainTargetItems: number;
  /** Share of test samples whose target never is a training target (cold items for L2D). */
  testTargetsUnseenInTrain: number;
}

export function datasetStats(data: PreparedDataset): DatasetStats {
  const trainTargets = new Set(data.samples.train.map((s) => s.target));
  const unseen = data.samples.test.filter((s) => !trainTargets.has(s.target)).length;
  return {
    users: data.users.length,
    items: data.items.length,
    trainSamples: data.samples.train.length,
    validSamples: data.samples.valid.length,
    testSamples: data.samples.test.length,
    trainTargetItems: trainTargets.size,
    testTargetsUnseenInTrain: data.samples.test.length ? unseen / data.samples.test.length : 0,
  };
}

/** The statistics as a markdown table. */
export function statsTable(name: string, s: DatasetStats): string {
  return [
    `| data set | users | items | train | valid | test | items as train target | test targets never a train target |`,
    `|---|---|---|---|---|---|---|---|`,
    `| ${name} | ${s.users} | ${s.items} | ${s.trainSamples} | ${s.validSamples} | ${s.testSamples} | ${s.trainTargetItems} | ${(100 * s.testTargetsUnseenInTrain).toFixed(2)}% |`,
  ].join('\n');
}
