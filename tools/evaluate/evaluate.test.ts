import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateRankings } from '../../src/core/evaluate.ts';
import { loadPrepared, parseSplits, type LoadedDataset } from '../lib/prepared.ts';
import { prepareTinyDataset } from '../lib/tiny-dataset.ts';
import { describeMemory } from './l2d.ts';
import { evaluateBaselines, readRankings } from './main.ts';

let dir: string;
let data: LoadedDataset;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'l2d-eval-'));
  data = prepareTinyDataset(dir, join(dir, 'prepared'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evaluate', () => {
  it('scores a rankings file with known answers', () => {
    const test = data.split('test');
    expect(test.map((s) => s.target)).toEqual([1, 2]); // items "Two" and "Three" as dense ids 1, 2
    const file = join(dir, 'rankings.tsv');
    writeFileSync(file, '0\t1 0 2\n1\t0 1 2\n');
    const rankings = readRankings(file, test, data.items.length);
    const v = evaluateRankings(test, (_, i) => rankings[i], { ks: [1, 3] });
    expect(v.recall).toEqual({ 1: 0.5, 3: 1 });
    expect(v.ndcg[3]).toBeCloseTo((1 + 1 / Math.log2(4)) / 2, 12);
  });

  it('runs the baselines on a prepared folder', () => {
    const rows = evaluateBaselines(data, 'test', ['popular', 'cooccurrence']);
    expect(rows.map((r) => r.method)).toEqual(['most-popular', 'item co-occurrence']);
    // 3 items, K >= 20: every target is ranked, recall is 1.
    expect(rows.every((r) => r.values.recall[20] === 1)).toBe(true);
  });

  it('counts the baselines from the splits asked for, and names them so', () => {
    // Train's targets are 2 and 1 (a tie: smaller id first), never 0; two more samples of item 2 in valid.
    const valid = [0, 1].map((user) => ({ user, target: 2, time: 9, history: [0], split: 'valid' as const }));
    const withValid: LoadedDataset = { ...data, split: (s) => (s === 'valid' ? valid : data.split(s)) };
    const [fromTrain] = evaluateBaselines(withValid, 'test', ['popular']);
    const [fromBoth] = evaluateBaselines(withValid, 'test', ['popular'], { fitSplits: ['train', 'valid'] });
    expect(fromTrain.method).toBe('most-popular');
    expect(Array.from(fromTrain.lists[0])).toEqual([1, 2, 0]);
    expect(fromBoth.method).toBe('most-popular (train+valid)');
    expect(Array.from(fromBoth.lists[0])).toEqual([2, 1, 0]);
    expect(() => evaluateBaselines(withValid, 'valid', ['popular'], { fitSplits: ['train', 'valid'] })).toThrow(
      '--baselines-from train,valid counts the valid split, the one being evaluated: every valid sample\'s answer would be counted. Leave valid out.',
    );
    expect(() => parseSplits('train,nope', '--baselines-from')).toThrow('--baselines-from takes train, valid or test, several of them joined by commas (each once), or all; got "train,nope".');
  });

  it('--exclude-history: each baseline list is its own list without the sample\'s history items, the rest moved up; named so', () => {
    const valid = [0, 1].map((user) => ({ user, target: 2, time: 9, history: [0], split: 'valid' as const }));
    const withValid: LoadedDataset = { ...data, split: (s) => (s === 'valid' ? valid : data.split(s)) };
    const test = data.split('test');
    expect(test.map((x) => x.history)).toEqual([[0, 2], [0, 1]]);
    for (const fitSplits of [['train'], ['train', 'valid']] as const) {
      const ranked = evaluateBaselines(withValid, 'test', ['popular', 'cooccurrence'], { fitSplits });
      const excluded = evaluateBaselines(withValid, 'test', ['popular', 'cooccurrence'], { fitSplits, excludeHistory: true });
      const note = fitSplits.length === 1 ? 'history excluded' : 'train+valid, history excluded';
      expect(excluded.map((r) => r.method)).toEqual([`most-popular (${note})`, `item co-occurrence (${note})`]);
      excluded.forEach((run, m) =>
        test.forEach((sample, i) => expect(Array.from(run.lists[i])).toEqual(Array.from(ranked[m].lists[i]).filter((id) => !sample.history.includes(id)))),
      );
    }
    // Known answer: most-popular from train ranks [1, 2, 0]; without each history, sample 0 gets [1], sample 1 [2].
    const [popular] = evaluateBaselines(data, 'test', ['popular'], { excludeHistory: true });
    expect(popular.lists.map((l) => Array.from(l))).toEqual([[1], [2]]);
    expect(popular.values.recall[20]).toBe(1); // both targets (1 and 2) are still ranked
  });

  it('--exclude-history refuses the methods whose lists it would shorten: generation, rankings files', () => {
    const run = (...args: string[]) => spawnSync('npx', ['tsx', 'tools/evaluate/main.ts', '--data', join(dir, 'prepared'), '--exclude-history', ...args], { encoding: 'utf8' });
    const lastLine = (text: string) => text.trim().split('\n').at(-1); // after npx's own warnings
    const greedy = run('--model', 'models/movielens-demo', '--method', 'greedy');
    expect([greedy.status, lastLine(greedy.stderr)]).toEqual([1, 'evaluate: --exclude-history applies to L2D and the baselines (popular, cooccurrence), which rank every item; not to greedy, whose lists would come out shorter than K.']);
    const file = join(dir, 'excluded-rankings.tsv');
    writeFileSync(file, '0\t1 0 2\n1\t0 1 2\n');
    const rankings = run('--rankings', file);
    expect([rankings.status, lastLine(rankings.stderr)]).toEqual([1, 'evaluate: --exclude-history applies to L2D and the baselines (popular, cooccurrence), which rank every item; not to --rankings files, whose lists would come out shorter than K.']);
  });

  it('names a memory that is not all of train by what it holds', () => {
    expect(describeMemory('train', 1)).toBe('');
    expect(describeMemory('train', 0.3)).toBe('30% memory');
    expect(describeMemory('train,valid', 1)).toBe('train+valid memory');
    expect(describeMemory('train,valid,test', 0.3)).toBe('30% train+valid+test memory');
  });

  it('rejects bad rankings files with file and line', () => {
    const test = data.split('test');
    const write = (text: string) => {
      const f = join(dir, 'bad.tsv');
      writeFileSync(f, text);
      return f;
    };
    expect(() => readRankings(write('0\t1 9\n1\t0\n'), test, 3)).toThrow(/bad.tsv:1: "9" is not an item id \(0..2\)/);
    expect(() => readRankings(write('0\t1\n0\t1\n'), test, 3)).toThrow(/bad.tsv:2: sample 0 is ranked twice/);
    expect(() => readRankings(write('5\t1\n'), test, 3)).toThrow(/bad.tsv:1: sample index "5" is outside 0..1/);
    expect(() => readRankings(write('0\t1\n'), test, 3)).toThrow(/no ranking for sample 1/);
    expect(() => loadPrepared(join(dir, 'nowhere'))).toThrow(/nowhere is not a prepared data set \(it has no manifest.json\); `npm run prepare-data -- --all`/);
  });
});
