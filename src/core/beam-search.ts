/**
 * Language-space decoding, the baseline L2D is measured against: greedy
 * (numBeams = 1) and beam search over a step function with a key/value
 * cache. The model runs behind `StepModel` (onnxruntime-node or -web), so
 * this file is pure arithmetic and is tested with a toy model.
 *
 * Beam search: at each step every live beam is extended by its `numBeams`
 * best next tokens (log-softmax), the `numBeams` best (score, then lower
 * beam index, then lower token id) survive; a beam that emits EOS is
 * finished. It stops when `numBeams` beams are finished and no live beam can
 * beat the worst of them, or at `maxNewTokens` (unfinished beams then count
 * as finished: a title that never ended is still grounded). Scores are summed
 * log-probabilities divided by length ** lengthPenalty (1 by default, as in
 * Hugging Face's generate()).
 */
import { throwIfAbortedBetweenPasses } from './abort.ts';
import { InvalidArgumentError } from './errors.ts';

export interface StepModel<Cache> {
  /**
   * Feeds `tokens` (one new token per row; the whole prompt on the first
   * step, rows = 1) after `cache` and returns each row's next-token logits
   * and the new cache.
   */
  step(tokens: number[][], cache: Cache | undefined): Promise<{ logits: Float32Array[]; cache: Cache }>;
  /** The cache with its rows reordered (row i of the result is row rows[i] of the input). */
  reorder(cache: Cache, rows: number[]): Cache;
}

export interface BeamSearchOptions {
  numBeams: number;
  maxNewTokens: number;
  eosTokenId: number;
  lengthPenalty?: number;
  /** Checked before each forward pass: an aborted signal stops the search with its reason. */
  signal?: AbortSignal;
}

export interface Hypothesis {
  /** Generated tokens, EOS excluded. */
  tokens: number[];
  score: number;
  finished: boolean;
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const log = Math.log(sum) + max;
  return Float64Array.from(logits, (x) => x - log);
}

/** The k best token ids of a row (higher log-probability first, then lower id). */
function topTokens(logp: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let t = 0; t < logp.length; t++) {
    let i = best.length;
    while (i > 0 && logp[best[i - 1]] < logp[t]) i--;
    if (i < k) {
      best.splice(i, 0, t);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** Hypotheses, best first: one for greedy, up to numBeams for beam search. */
export async function beamSearch<Cache>(model: StepModel<Cache>, promptIds: number[], options: BeamSearchOptions): Promise<Hypothesis[]> {
  const { numBeams, maxNewTokens, eosTokenId } = options;
  const lengthPenalty = options.lengthPenalty ?? 1;
  if (!Number.isInteger(numBeams) || numBeams < 1) throw new InvalidArgumentError(`numBeams must be a positive integer, got ${numBeams}.`);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new InvalidArgumentError(`maxNewTokens must be a positive integer, got ${maxNewTokens}.`);
  if (promptIds.length === 0) throw new InvalidArgumentError('The prompt is empty.');
  const normalized = (sum: number, length: number) => sum / Math.max(1, length) ** lengthPenalty;

  await throwIfAbortedBetweenPasses(options.signal);
  let { logits, cache } = await model.step([promptIds], undefined);
  let live: { tokens: number[]; sum: number }[] = [{ tokens: [], sum: 0 }];
  const finished: Hypothesis[] = [];
  for (let length = 1; ; length++) {
    const candidates: { beam: number; token: number; sum: number }[] = [];
    live.forEach((beam, b) => {
      const logp = logSoftmax(logits[b]);
      // numBeams + 1 per beam: numBeams survivors remain even if one candidate is EOS.
      for (const token of topTokens(logp, numBeams + 1)) candidates.push({ beam: b, token, sum: beam.sum + logp[token] });
    });
    candidates.sort((a, b) => b.sum - a.sum || a.beam - b.beam || a.token - b.token);
    const next: typeof candidates = [];
    for (const [rank, c] of candidates.entries()) {
      // As in Hugging Face's generate(): an EOS among the numBeams best candidates ends a hypothesis.
      if (c.token === eosTokenId) {
        if (rank < numBeams) finished.push({ tokens: live[c.beam].tokens, score: normalized(c.sum, length), finished: true });
      } else next.push(c);
      if (next.length === numBeams) break;
    }
    finished.sort((a, b) => b.score - a.score);
    finished.splice(numBeams);
    const done = finished.length === numBeams && finished[numBeams - 1].score >= normalized(next[0].sum, length);
    if (done) break;
    if (length === maxNewTokens) {
      // Never ended: the live beams still count (a title without EOS is grounded anyway).
      for (const c of next) finished.push({ tokens: [...live[c.beam].tokens, c.token], score: normalized(c.sum, length), finished: false });
      break;
    }
    await throwIfAbortedBetweenPasses(options.signal);
    cache = model.reorder(cache, next.map((c) => c.beam));
    live = next.map((c) => ({ tokens: [...live[c.beam].tokens, c.token], sum: c.sum }));
    ({ logits, cache } = await model.step(next.map((c) => [c.token]), cache));
  }
  return finished.sort((a, b) => b.score - a.score || Number(b.finished) - Number(a.finished)).slice(0, numBeams);
}
