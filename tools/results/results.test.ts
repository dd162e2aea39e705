/**
 * The results tool on a tiny prepared data set: saved runs come back as the
 * tables of docs/RESULTS.md with known values, the sparse/dense split follows
 * the training frequencies, and mixed run folders are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateRankings } from '../../src/core/evaluate.ts';
import type { LoadedDataset } from '../lib/prepared.ts';
import { prepareTinyDataset } from '../lib/tiny-dataset.ts';
import { methodFileStem, readRunRecords, saveLatency, saveMethodRun } from '../lib/run-record.ts';
import { datasetReport, sparseDenseSplitOf } from './main.ts';

let dir: string;
let data: LoadedDataset;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'l2d-results-'));
  data = prepareTinyDataset(dir, join(dir, 'prepared', 'tiny'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('results', () => {
  it('splits test samples into sparse and dense targets at the median training frequency', () => {
    const test = data.split('test');
    const counts = new Map<number, number>();
    for (const s of data.split('train')) counts.set(s.target, (counts.get(s.target) ?? 0) + 1);
    const { threshold, sparse, dense } = sparseDenseSplitOf(data, test);
    expect([...sparse, ...dense].sort()).toEqual(test.map((_, i) => i));
    for (const i of sparse) expect(counts.get(test[i].target) ?? 0).toBeLessThanOrEqual(threshold);
    for (const i of dense) expect(counts.get(test[i].target) ?? 0).toBeGreaterThan(threshold);
  });

  /** A run folder of the tiny set's test split, and a way to save a method's lists (test sample i: lists[i]) in it. */
  const runFolder = (name: string) => {
    const runs = join(dir, name);
    const test = data.split('test');
    const header = { dataset: 'tiny', split: 'test', samples: test.length, items: data.items.length };
    const save = (method: string, lists: number[][]) => saveMethodRun(runs, header, { method, lists, values: evaluateRankings(test, (_, i) => lists[i], { ks: [20, 50, 100] }) });
    return { runs, header, save };
  };

  it('prints saved runs as tables with their values, commands and plots', () => {
    const { runs, header, save } = runFolder('runs');
    save('L2D-G', [[1, 0, 2], [0, 1, 2]]);
    save('L2D-L (M=10)', [[0, 1, 2], [2, 1, 0]]);
    save('L2D-L (M=100)', [[1, 2, 0], [2, 0, 1]]);
    save('beam-5', [[2, 1, 0], [1, 0, 2]]);
    saveLatency(runs, header, 3, { 'L2D-G': { mean: 2, median: 2 }, 'beam-5': { mean: 50, median: 40 } });
    expect(readFileSync(join(runs, `${methodFileStem('L2D-L (M=10)')}.tsv`), 'utf8')).toBe('0\t0 1 2\n1\t2 1 0\n');
    const plots = join(dir, 'plots');
    mkdirSync(plots);
    const report = datasetReport(runs, join(dir, 'prepared'), plots);
    expect(report).toContain('### tiny, test split: 2 samples, 3 items');
    // Targets 1 and 2 at ranks 1 and 2: N@20 = (1/log2(3) + 1/log2(4)) / 2 = 0.5655.
    expect(report).toContain('| beam-5 | 1.0000 | 1.0000 | 1.0000 | 0.5655 | 0.5655 | 0.5655 | 2 |');
    expect(report).toMatch(/\| L2D-L \(M=10\) \|/);
    expect(report).toContain('| L2D-G | 2.0 | 2.0 | **20.0x** |');
    expect(report).toContain('Sparse vs dense targets');
    expect(readFileSync(join(plots, 'tiny-recall-vs-m.svg'), 'utf8')).toContain('L2D-L R@50');
    expect(readFileSync(join(plots, 'tiny-quality-vs-latency.svg'), 'utf8')).toContain('beam-5');
  });

  it('puts methods counted from train and valid in a table of their own', () => {
    const { runs, save } = runFolder('deployed');
    save('L2D-L (M=1000, train+valid memory)', [[0, 1, 2], [2, 1, 0]]);
    save('L2D-G', [[1, 0, 2], [0, 1, 2]]);
    save('L2D-G (train+valid memory)', [[1, 0, 2], [0, 2, 1]]);
    save('item co-occurrence (train+valid)', [[2, 1, 0], [1, 0, 2]]);
    const report = datasetReport(runs, join(dir, 'prepared'), undefined);
    const [main, deployed] = report.split('Counted from train and valid');
    expect(main).toContain('| L2D-G |');
    expect(main).not.toContain('train+valid');
    expect(deployed).toContain('`build-memory --split train,valid`');
    // Baselines first, then L2D-G, then L2D-L. L2D-G's targets at ranks 1 and 2: N@20 = (1 + 1/log2(3)) / 2 = 0.8155.
    expect(deployed).toMatch(/\| item co-occurrence \(train\+valid\) \|.*\n\| L2D-G \(train\+valid memory\) \| 1\.0000 \| 1\.0000 \| 1\.0000 \| 0\.8155 .*\n\| L2D-L \(M=1000, train\+valid memory\) \|/);
    expect(deployed).toContain('0 of the 2 test samples (0.0%) have a target that is no train+valid sample\'s target.');
  });

  it('scores every method on the common first samples when a run used --limit', () => {
    const runs = join(dir, 'limited');
    const test = data.split('test');
    const header = { dataset: 'tiny', split: 'test', samples: test.length, items: data.items.length };
    const full = [[1, 0, 2], [0, 2, 1]];
    saveMethodRun(runs, header, { method: 'L2D-G', lists: full, values: evaluateRankings(test, (_, i) => full[i]) });
    saveMethodRun(runs, { ...header, samples: 1 }, { method: 'beam-5', lists: [[0, 1, 2]], values: evaluateRankings(test.slice(0, 1), () => [0, 1, 2]) });
    expect(readRunRecords(runs).samples).toBe(2);
    const report = datasetReport(runs, join(dir, 'prepared'), undefined);
    expect(report).toContain('Every method on the first 1 samples');
    // Target of sample 0 is item 1: L2D-G ranks it first (N = 1), beam-5 second (N = 1/log2(3)).
    expect(report).toContain('| L2D-G | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1 |');
    expect(report).toContain('| beam-5 | 1.0000 | 1.0000 | 1.0000 | 0.6309 | 0.6309 | 0.6309 | 1 |');
    expect(report).toContain('on the first 1 samples: sparse');
  });

  it('refuses a folder that mixes evaluations', () => {
    const runs = join(dir, 'mixed');
    const lists = [[0], [1]];
    const values = evaluateRankings(data.split('test'), (_, i) => lists[i]);
    saveMethodRun(runs, { dataset: 'tiny', split: 'test', samples: 2, items: 3 }, { method: 'a', lists, values });
    saveMethodRun(runs, { dataset: 'tiny', split: 'valid', samples: 2, items: 3 }, { method: 'b', lists, values });
    expect(() => readRunRecords(runs)).toThrow(/is of tiny\/valid, the folder's other runs of tiny\/test/);
    expect(() => readRunRecords(join(dir, 'prepared'))).toThrow(/no results/);
  });

  it('names a folder that is not there and a record that is not JSON, as a data error, not a stack', () => {
    const missing = join(dir, 'no-such-run');
    expect(() => readRunRecords(missing)).toThrow(`${missing}: no such folder (npm run evaluate -- ... --out ${missing} writes one).`);
    const runs = join(dir, 'cut-short');
    mkdirSync(runs);
    writeFileSync(join(runs, 'l2d-g.json'), '{"dataset": "tiny", "spl');
    expect(() => readRunRecords(runs)).toThrow(new RegExp(`^${join(runs, 'l2d-g.json')} is not a run record \\(.*\\); evaluate --out writes each record whole, so this file came from elsewhere or was cut short\\.$`));
    expect(() => readRunRecords(join(runs, 'l2d-g.json'))).toThrow(/: no such folder/);
  });
});
