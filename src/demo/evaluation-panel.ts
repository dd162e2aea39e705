/**
 * The demo's evaluation panel: Recall@K and NDCG@K of L2D-L (at one M or several: an M sweep), L2D-G and L2D-V over the
 * first N samples of the data set's test split, through the page's recommender, every list from one forward pass,
 * beside the classic baselines counted in the page from the train split (most-popular, item co-occurrence:
 * src/core/baselines.ts, as `npm run evaluate` counts them), with a stop button that scores the samples finished so
 * far; and every method on sparse and dense targets (the paper's Figure 4, as `npm run results` splits them).
 */
import type { Recommender } from '../recommender.ts';
import { recommendWithoutHistory, type Recommender as Baseline } from '../core/baselines.ts';
import type { Sample } from '../core/data/prepare.ts';
import type { Strategy } from '../core/decode-options.ts';
import { evaluateRankings, HISTORY_EXCLUDED, methodName } from '../core/evaluate.ts';
import { MetricAccumulator, METRIC_KS, sparseDenseSplit, type MetricValues } from '../core/metrics.ts';
import { barRow } from './charts.ts';
import { parseMValues } from './m-values.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What the evaluation counts from the data set's train split. */
export interface TrainSplitCounts {
  baselines: Baseline[];
  /** Per item, the training samples with it as their target: sparse and dense targets are split by it. */
  targetCounts: Uint32Array;
}

/** What the evaluation reads from the model panel, at the moment it runs. */
export interface EvaluationSource {
  recommender(): Recommender | undefined;
  /** The data set's test split (fetched once per data set). */
  testSamples(): Promise<Sample[]>;
  /** The baselines and target counts, counted from the data set's train split (once per data set). */
  trainSplit(): Promise<TrainSplitCounts>;
  itemCount(): number;
  /** L2D-L's M, the model panel's setting (the evaluation's own M values replace it where given). */
  m(): number;
  /** L2D-V's M, the model panel's setting. */
  voteM(): number;
  /** The data set: its id names the rankings files, its prepared folder the command that scores them. */
  dataset(): { id: string; prepared?: string };
  setStatus(element: HTMLElement, text: string, isError?: boolean): void;
}

export interface EvaluationPanel {
  /** Enables the run button (a model and memory are loaded) or disables it. */
  enable(on: boolean): void;
  /** Aborts a run under way (another memory is loading); it scores what it finished. */
  stop(): void;
}

export function startEvaluationPanel(source: EvaluationSource): EvaluationPanel {
  const evalForm = $<HTMLFormElement>('eval-form');
  const { setStatus } = source;
  let running: AbortController | undefined;
  let enabled = false;
  evalForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(evalForm);
    void evaluate(Number(form.get('samples')), String(form.get('ms') ?? ''), form.get('excludeHistory') === 'on');
  });

  /** `excludeHistory`: every method's list leaves each sample's history out, as the lists above may (the paper's protocol ranks it). */
  async function evaluate(count: number, mText: string, excludeHistory: boolean): Promise<void> {
    const evalStatus = $('eval-status');
    const bar = $<HTMLProgressElement>('eval-progress');
    const button = evalForm.querySelector('button') as HTMLButtonElement;
    const stop = $<HTMLButtonElement>('eval-stop');
    // Stop: the request under way is aborted and the samples finished so far are scored.
    const controller = (running = new AbortController());
    const onStop = () => controller.abort();
    stop.addEventListener('click', onStop);
    button.disabled = true;
    stop.hidden = false;
    bar.value = 0; // not the last run's
    let done = 0;
    let total = count;
    // L2D-L first, at each M asked for, then L2D-G and L2D-V (recommend()'s default) at its slider's M; a value that
    // is no M is said before anything runs.
    let strategies: [string, { strategy: Strategy; m?: number }][] = [];
    let names: string[] = [];
    let metrics: MetricAccumulator[] = [];
    // Each method's list per sample, in test-split order: the rankings files a researcher can download.
    let ranked: number[][][] = [];
    let baselineNote = '';
    let samples: Sample[] = [];
    let counts: Uint32Array | undefined;
    const dataset = source.dataset();
    const score = () => {
      renderEvaluation(names.map((name, j) => [name, metrics[j].values()]));
      renderSparseDense(names.map((name, j) => [name, ranked[j]]), samples.slice(0, done), counts);
      offerRankings(dataset, names.map((name, j) => [name, ranked[j]]));
    };
    offerRankings(dataset, []);
    renderSparseDense([], [], undefined);
    const recommender = source.recommender();
    try {
      if (!recommender) throw new Error('The model is not loaded.');
      if (!(Number.isInteger(count) && count >= 1)) throw new Error(`Samples must be a whole number of at least 1, got ${count}.`);
      // Named as `npm run evaluate` names them: "L2D-L (M=200)", "L2D-G (history excluded)".
      const excluded = excludeHistory ? [HISTORY_EXCLUDED] : [];
      const sweep = parseMValues(mText, source.m()).map((m): [string, { strategy: Strategy; m: number }] => [methodName('L2D-L', [`M=${m}`, ...excluded]), { strategy: 'local', m }]);
      strategies = [...sweep, [methodName('L2D-G', excluded), { strategy: 'global' }], [methodName('L2D-V', [`M=${source.voteM()}`, ...excluded]), { strategy: 'vote', m: source.voteM() }]];
      names = strategies.map(([name]) => name);
      samples = (await source.testSamples()).slice(0, count);
      setStatus(evalStatus, 'Counting the baselines from the train split…');
      // Without the train split the L2D rows still come, and the status says why the baselines (and the sparse/dense
      // split) do not.
      const train = await source.trainSplit().catch((error: Error) => {
        baselineNote = ` No baselines: ${error.message}`;
        return undefined;
      });
      const baselines = train?.baselines ?? [];
      counts = train?.targetCounts;
      names = [...names, ...baselines.map((b) => methodName(b.name, excluded))];
      metrics = names.map(() => new MetricAccumulator(METRIC_KS));
      ranked = names.map(() => []);
      const k = Math.min(Math.max(...METRIC_KS), source.itemCount());
      total = samples.length;
      bar.max = samples.length;
      const t0 = performance.now();
      for (const [i, sample] of samples.entries()) {
        // Both strategies from one forward pass; every method or none: a stopped run scores the same samples for each.
        const [[, first], ...rest] = strategies;
        const r = await recommender.recommend({ history: sample.history, k, ...first, also: rest.map(([, options]) => ({ k, ...options })), excludeHistory, signal: controller.signal });
        const lists = [r.items, ...r.also!.map((list) => list.items)].map((items) => items.map((x) => x.id));
        for (const baseline of baselines) lists.push(excludeHistory ? recommendWithoutHistory(baseline, sample.history, k) : baseline.recommend(sample.history, k));
        lists.forEach((list, j) => {
          metrics[j].add(list, sample.target);
          ranked[j].push(list);
        });
        done = i + 1;
        bar.value = i + 1;
        if (i % 10 === 9 || i === samples.length - 1) {
          const perSample = (performance.now() - t0) / (i + 1);
          setStatus(evalStatus, `${i + 1} / ${samples.length} samples, ${perSample.toFixed(0)} ms per sample (every method).${baselineNote}`, baselineNote !== '');
        }
      }
      score();
    } catch (error) {
      if (controller.signal.aborted && (error as Error).name === 'AbortError') {
        if (done > 0) score();
        setStatus(evalStatus, `Stopped after ${done} of ${total} samples${done > 0 ? '; the table scores those' : ''}.${baselineNote}`, baselineNote !== '');
      } else {
        setStatus(evalStatus, `${(error as Error).name}: ${(error as Error).message}`, true);
      }
    } finally {
      stop.removeEventListener('click', onStop);
      stop.hidden = true;
      button.disabled = !enabled; // a load may have begun meanwhile
    }
  }

  let rankingUrls: string[] = [];
  /**
   * Links to each method's rankings of the samples scored, in `npm run evaluate -- --rankings`'s format (a line per
   * sample: its index in the test split, a tab, item ids best first), with the command that scores them in Node.
   */
  function offerRankings(dataset: { id: string; prepared?: string }, lists: [string, number[][]][]): void {
    const downloads = $('eval-downloads');
    for (const url of rankingUrls) URL.revokeObjectURL(url);
    rankingUrls = [];
    downloads.hidden = lists.length === 0 || lists[0][1].length === 0;
    if (downloads.hidden) return downloads.replaceChildren();
    const files = lists.map(([name, rankings]) => {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([rankings.map((ids, i) => `${i}\t${ids.join(' ')}\n`).join('')], { type: 'text/tab-separated-values' }));
      rankingUrls.push(a.href);
      a.download = `${dataset.id}-test-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}.tsv`;
      a.textContent = `${name} rankings`;
      return a;
    });
    const command = document.createElement('code');
    command.textContent = `npm run evaluate -- --data ${dataset.prepared ?? '<prepared folder>'} --split test --limit ${lists[0][1].length} --rankings ${files.map((a) => a.download).join(' --rankings ')}`;
    downloads.replaceChildren('Download ', ...files.flatMap((a, i) => (i === 0 ? [a] : [' and ', a])), ' (TSV); score them in Node with ', command, '.');
  }

  /**
   * Every method on the scored samples whose target is sparse (at most the median of their targets' training
   * counts) and dense (above it): the paper's Figure 4, split as `npm run results` splits a whole test split.
   */
  function renderSparseDense(lists: [string, number[][]][], scored: readonly Sample[], trainCounts: Uint32Array | undefined): void {
    const table = $('eval-sparse-dense');
    const note = $('eval-sparse-dense-note');
    table.hidden = note.hidden = trainCounts === undefined || scored.length === 0;
    if (table.hidden) return $('eval-sparse-dense-rows').replaceChildren();
    const { threshold, sparse, dense } = sparseDenseSplit(trainCounts!, scored);
    const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
    note.textContent = `Sparse vs dense targets (the paper's Figure 4): sparse = the target was the next item of at most ${count(threshold, 'training sample')} (the median over ${scored.length === 1 ? 'this sample' : `these ${scored.length} samples`}; ${count(sparse.length, 'sample')}), dense = more (${dense.length}).`;
    // The samples of one part and their lists, scored as `npm run results` scores them.
    const values = (ranked: number[][], part: number[]) => evaluateRankings(part.map((i) => scored[i]), (_, j) => ranked[part[j]]);
    $('eval-sparse-dense-rows').replaceChildren(
      ...lists.map(([name, ranked]) => {
        // A part without samples (a handful scored, all on one side of the median) has no figures: '-'.
        const cells = (part: number[]) => {
          const v = values(ranked, part);
          return part.length === 0 ? ['-', '-', '-'] : [v.recall[20], v.recall[50], v.ndcg[50]].map((x) => x.toFixed(4));
        };
        const tr = document.createElement('tr');
        for (const cell of [name, ...cells(sparse), ...cells(dense)]) {
          const td = document.createElement('td');
          td.textContent = cell;
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  function renderEvaluation(rows: [string, MetricValues][]): void {
    $('eval-rows').replaceChildren(
      ...rows.map(([name, v]) => {
        const tr = document.createElement('tr');
        for (const cell of [name, ...METRIC_KS.map((k) => v.recall[k].toFixed(4)), ...METRIC_KS.map((k) => v.ndcg[k].toFixed(4)), String(v.samples)]) {
          const td = document.createElement('td');
          td.textContent = cell;
          tr.append(td);
        }
        return tr;
      }),
    );
    const largest = Math.max(...rows.flatMap(([, v]) => METRIC_KS.map((k) => v.recall[k])), 1e-6);
    const legend = document.createElement('p');
    legend.className = 'legend';
    for (const [j, [name]] of rows.entries()) {
      const swatch = document.createElement('span');
      swatch.className = `bar method-${j}`;
      legend.append(swatch, ` ${name}`);
    }
    $('eval-chart').replaceChildren(
      legend,
      ...(['recall', 'ndcg'] as const).flatMap((metric) =>
        METRIC_KS.map((k) =>
          barRow(
            `${metric === 'recall' ? 'Recall' : 'NDCG'}@${k}`,
            rows.map(([name, v], j) => ({ className: `method-${j}`, value: v[metric][k], title: `${name}: ${v[metric][k].toFixed(4)}` })),
            // Each method's bar at most 300 px, and a row of them within the panel (an M sweep has up to 11 methods).
            Math.min(300, 840 / rows.length) / largest,
          ),
        ),
      ),
    );
  }

  return {
    enable: (on) => {
      enabled = on;
      (evalForm.querySelector('button') as HTMLButtonElement).disabled = !on;
    },
    stop: () => running?.abort(),
  };
}
