import { describe, expect, it } from 'vitest';
import { prepareDataset, type RawDataset, type Sample } from './prepare.ts';
import { parseTrainSequences, serializeTrainSequences, trainingPairs, trainSequences } from './train-sequences.ts';

/** 5 users of 12 to 20 interactions with 40 items (each once per user), interleaved in time: the time split cuts each user's sequence. */
function raw(): RawDataset {
  const items = Array.from({ length: 40 }, (_, i) => ({ sourceId: `s${i}`, title: `Item ${i}` }));
  const users = Array.from({ length: 5 }, (_, u) => ({
    userId: `u${u}`,
    events: Array.from({ length: 12 + 2 * u }, (_, i) => ({ item: (u * 7 + i) % 40, time: i * 7 + u * 3 })),
  }));
  return { name: 'fixture', items, users };
}

const pairsOf = (samples: readonly Sample[]) => samples.map((s) => ({ history: s.history, target: s.target }));

describe('train sequences', () => {
  it('give back every train sample, histories cut to the window, user by user', () => {
    for (const maxHistory of [3, 10]) {
      const data = prepareDataset(raw(), { kCore: 2, maxHistory, splitBy: 'time' });
      const train = data.samples.train;
      const text = serializeTrainSequences(train, maxHistory);
      // One line per user with train samples: the first item, then each train target.
      expect(text.split('\n')[0]).toBe('user\titems');
      expect(text.split('\n')[1]).toBe(`0\t${[train.find((s) => s.user === 0)!.history[0], ...train.filter((s) => s.user === 0).map((s) => s.target)].join(' ')}`);
      const byUser = [...new Set(train.map((s) => s.user))].flatMap((u) => pairsOf(train.filter((s) => s.user === u)));
      expect(trainingPairs(parseTrainSequences(text, data.items.length), maxHistory)).toEqual(byUser);
      expect(byUser.length).toBe(train.length);
      expect(train.some((s) => s.history.length === maxHistory)).toBe(true); // the window did cut
    }
  });

  it('refuse train samples that are not one sequence per user, naming the sample', () => {
    const s = (user: number, history: number[], target: number): Sample => ({ user, history, target, time: 0, split: 'train' });
    expect(() => trainSequences([s(0, [1], 2), s(0, [1, 3], 4)], 10)).toThrow(
      "Train sample 1 (user 0) does not continue the user's sequence: its history is [1 3], the sequence so far ends [1 2].",
    );
    // A user's first train sample must start at the user's first interaction.
    expect(() => trainSequences([s(5, [1, 2], 3)], 10)).toThrow('Train sample 0 (user 5) does not continue');
    // Within the window: the oldest items drop out as the sequence grows.
    expect(trainSequences([s(0, [1], 2), s(0, [1, 2], 3), s(0, [2, 3], 4)], 2)).toEqual(new Map([[0, [1, 2, 3, 4]]]));
  });

  it.each([
    ['no header', '0\t1 2\n', 'train-sequences.tsv:1: expected the header "user\\titems".'],
    ['a line without items', 'user\titems\n0\n', 'train-sequences.tsv:2: expected 2 tab-separated fields, found 1.'],
    ['a bad user', 'user\titems\nx\t1 2\n', 'train-sequences.tsv:2: user "x" is not a non-negative integer.'],
    ['a user twice', 'user\titems\n0\t1 2\n1\t1 2\n0\t2 3\n', 'train-sequences.tsv:4: user 0 has a second line.'],
    ['an unknown item', 'user\titems\n0\t1 7\n', 'train-sequences.tsv:2: "7" is not an item id (0..4).'],
    ['a non-number', 'user\titems\n0\t1  2\n', 'train-sequences.tsv:2: "" is not an item id (0..4).'],
    ['one item', 'user\titems\n3\t1\n', "train-sequences.tsv:2: user 3's sequence has 1 item; a train sample needs a history and a target."],
  ])('parsing refuses %s with the file and line', (_, text, message) => {
    expect(() => parseTrainSequences(text, 5)).toThrow(message);
  });

  it('refuse a window that is not a positive integer', () => {
    expect(() => trainingPairs([[1, 2]], 0)).toThrow('maxHistory must be a positive integer, got 0.');
  });
});
