/**
 * The train split as each user's item sequence: a page can count the baselines (most-popular, item
 * co-occurrence) from it without the train split's samples, which repeat every item up to `maxHistory` times
 * (movielens: 0.3 MB instead of 4.4 MB).
 *
 *   train-sequences.tsv   user <TAB> items (ids, oldest first: the user's first item, then each train target)
 *
 * A user's train samples are the positions 1, 2, ... of one sequence (the split is by time, or per user in time
 * order), so the samples come back exactly: history = the newest `maxHistory` items before the target.
 */
import { DataFormatError, InvalidArgumentError } from '../errors.ts';
import type { Sample } from './prepare.ts';

/** What a baseline counts from a training sample. */
export type TrainingPair = Pick<Sample, 'history' | 'target'>;

export const TRAIN_SEQUENCES_FILE = 'train-sequences.tsv';
const HEADER = 'user\titems';

/** Each user's sequence, from the train split's samples (in the split's order); refuses samples that are not one. */
export function trainSequences(train: readonly Sample[], maxHistory: number): Map<number, number[]> {
  const sequences = new Map<number, number[]>();
  train.forEach((s, i) => {
    const sequence = sequences.get(s.user);
    const expected = sequence ? sequence.slice(-maxHistory) : s.history.slice(0, 1);
    if (s.history.length !== expected.length || s.history.some((item, j) => item !== expected[j])) {
      throw new InvalidArgumentError(
        `Train sample ${i} (user ${s.user}) does not continue the user's sequence: its history is [${s.history.join(' ')}], the sequence so far ends [${expected.join(' ')}]. Train sequences need each user's train samples in order, from the user's first interaction.`,
      );
    }
    if (sequence) sequence.push(s.target);
    else sequences.set(s.user, [...s.history, s.target]);
  });
  return sequences;
}

export function serializeTrainSequences(train: readonly Sample[], maxHistory: number): string {
  const lines = [...trainSequences(train, maxHistory)].map(([user, items]) => `${user}\t${items.join(' ')}`);
  return [HEADER, ...lines].join('\n') + '\n';
}

export function parseTrainSequences(text: string, itemCount: number, file = TRAIN_SEQUENCES_FILE): number[][] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== HEADER) throw new DataFormatError(`${file}:1: expected the header "user\\titems".`);
  const users = new Set<string>();
  return lines.slice(1).map((line, i) => {
    const n = i + 2;
    const fields = line.split('\t');
    if (fields.length !== 2) throw new DataFormatError(`${file}:${n}: expected 2 tab-separated fields, found ${fields.length}.`);
    if (!/^\d+$/.test(fields[0])) throw new DataFormatError(`${file}:${n}: user "${fields[0]}" is not a non-negative integer.`);
    if (users.has(fields[0])) throw new DataFormatError(`${file}:${n}: user ${fields[0]} has a second line.`);
    users.add(fields[0]);
    const items = fields[1].split(' ').map((token) => {
      const id = /^\d+$/.test(token) ? Number(token) : NaN;
      if (!(id < itemCount)) throw new DataFormatError(`${file}:${n}: "${token}" is not an item id (0..${itemCount - 1}).`);
      return id;
    });
    if (items.length < 2) throw new DataFormatError(`${file}:${n}: user ${fields[0]}'s sequence has ${items.length} item; a train sample needs a history and a target.`);
    return items;
  });
}

/** The train samples' histories and targets back from the sequences, user by user. */
export function trainingPairs(sequences: readonly (readonly number[])[], maxHistory: number): TrainingPair[] {
  if (!Number.isInteger(maxHistory) || maxHistory < 1) throw new InvalidArgumentError(`maxHistory must be a positive integer, got ${maxHistory}.`);
  return sequences.flatMap((items) => items.slice(1).map((target, p) => ({ history: items.slice(Math.max(0, p + 1 - maxHistory), p + 1), target })));
}
