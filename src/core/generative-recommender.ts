/**
 * Language-space decoding as a recommender, the baseline L2D is measured
 * against (docs/RESULTS.md): the history's prompt (the same template and
 * context fitting as L2D's), greedy or beam search over a StepModel, each
 * hypothesis decoded to text, its title taken from the response, and the
 * titles grounded to catalog items (src/core/grounding.ts). Shared by
 * Node (tools/lib/generate.ts) and the worker (src/encoder/browser-generator.ts).
 */
import { beamSearch, type StepModel } from './beam-search.ts';
import { describeValue } from './describe-value.ts';
import { InvalidArgumentError } from './errors.ts';
import { fitPrompt } from './fit-prompt.ts';
import { responseTitle, TitleGrounder } from './grounding.ts';
import type { PromptTemplate } from './prompt.ts';

/** Most beams a request may ask for (the range; beam search cost grows with it). */
export const MAX_BEAMS = 10;

export interface GenerativeModel<Cache> {
  model: StepModel<Cache>;
  tokenize(text: string): number[];
  decode(ids: number[]): string;
  template: PromptTemplate;
  maxPromptTokens: number;
  eosTokenId: number;
}

export interface GeneratedRecommendation {
  /** Catalog ids, best first (always min(k, catalog size) of them). */
  items: number[];
  /** Generated titles, best hypothesis first. */
  generated: string[];
  /** Hypotheses that ended with EOS (the others hit maxNewTokens). */
  finished: boolean[];
  /** Oldest titles dropped to fit the context. */
  dropped: number;
  timings: { tokenize: number; generate: number; ground: number };
}

/** Generation stops at the catalog's longest title in tokens, plus the quotes and EOS. */
export function defaultMaxNewTokens(catalog: readonly string[], tokenize: (text: string) => number[], sample = 2000): number {
  return Math.min(64, Math.max(...catalog.slice(0, sample).map((t) => tokenize(` "${t}"`).length)) + 2);
}

/** A beam count recommend() takes; a caller with costly setup (the worker's generation session) checks it first. */
export function checkNumBeams(numBeams: unknown): asserts numBeams is number {
  if (!Number.isInteger(numBeams) || (numBeams as number) < 1 || (numBeams as number) > MAX_BEAMS) {
    throw new InvalidArgumentError(`numBeams must be an integer from 1 to ${MAX_BEAMS}, got ${describeValue(numBeams)}.`);
  }
}

export class GenerativeRecommender<Cache> {
  private readonly grounder: TitleGrounder;

  constructor(
    private readonly lm: GenerativeModel<Cache>,
    readonly catalog: readonly string[],
    readonly maxNewTokens = defaultMaxNewTokens(catalog, lm.tokenize),
  ) {
    this.grounder = new TitleGrounder(catalog);
  }

  async recommend(titles: readonly string[], options: { k: number; numBeams: number; exclude?: Iterable<number>; signal?: AbortSignal }): Promise<GeneratedRecommendation> {
    const { k, numBeams } = options;
    checkNumBeams(numBeams);
    if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`k must be a positive integer, got ${String(k)}.`);
    const t0 = performance.now();
    const { ids, dropped } = fitPrompt([...titles], (text) => this.lm.tokenize(text), this.lm.maxPromptTokens - this.maxNewTokens, this.lm.template);
    const t1 = performance.now();
    const hyps = await beamSearch(this.lm.model, ids, { numBeams, maxNewTokens: this.maxNewTokens, eosTokenId: this.lm.eosTokenId, signal: options.signal });
    const t2 = performance.now();
    const generated = hyps.map((h) => responseTitle(this.lm.decode(h.tokens)));
    const excluded = new Set(options.exclude ?? []);
    // Ground k + |excluded| so that k items remain after the exclusions.
    const ranked = this.grounder.rankMany(generated, Math.min(this.catalog.length, k + excluded.size));
    const items = ranked.filter((id) => !excluded.has(id)).slice(0, k);
    return { items, generated, finished: hyps.map((h) => h.finished), dropped, timings: { tokenize: t1 - t0, generate: t2 - t1, ground: performance.now() - t2 } };
  }
}
