import { describe, expect, it } from 'vitest';
import { beamSearch, type StepModel } from './beam-search.ts';

const EOS = 0;
const A = 1;
const B = 2;
/** Next-token probabilities after each generated prefix (the prompt does not matter here). */
const TABLE: Record<string, number[]> = {
  '': [0, 0.6, 0.4],
  [`${A}`]: [0.55, 0, 0.45],
  [`${B}`]: [0.99, 0.01, 0],
  [`${A},${B}`]: [1, 0, 0],
  [`${B},${A}`]: [1, 0, 0],
};

/** A toy model whose cache is each row's generated tokens: a wrong reorder shows up as wrong answers. */
function toyModel(table: Record<string, number[]>, promptLength: number): StepModel<number[][]> & { steps: number } {
  return {
    steps: 0,
    async step(tokens, cache) {
      this.steps++;
      const next = cache ? cache.map((row, i) => [...row, ...tokens[i]]) : tokens.map(() => []);
      if (!cache) expect(tokens[0]).toHaveLength(promptLength);
      const logits = next.map((row) => Float32Array.from(table[row.join(',')] ?? [0, 0.5, 0.5], (p) => (p > 0 ? Math.log(p) : -30)));
      return { logits, cache: next };
    },
    reorder: (cache, rows) => rows.map((r) => cache[r]),
  };
}

describe('language-space decoding', () => {
  it('greedy takes the most likely token each step and stops at EOS', async () => {
    const [best] = await beamSearch(toyModel(TABLE, 3), [7, 8, 9], { numBeams: 1, maxNewTokens: 10, eosTokenId: EOS });
    expect(best.tokens).toEqual([A]);
    expect(best.finished).toBe(true);
    expect(best.score).toBeCloseTo(Math.log(0.6 * 0.55) / 2, 6);
  });

  it('beam search finds the sequence greedy misses, best first', async () => {
    const hyps = await beamSearch(toyModel(TABLE, 3), [7, 8, 9], { numBeams: 2, maxNewTokens: 10, eosTokenId: EOS });
    expect(hyps.map((h) => h.tokens)).toEqual([[B], [A]]);
    expect(hyps[0].score).toBeCloseTo(Math.log(0.4 * 0.99) / 2, 6);
    expect(hyps[1].score).toBeCloseTo(Math.log(0.6 * 0.55) / 2, 6);
  });

  it('stops at maxNewTokens when EOS never comes, and keeps those beams', async () => {
    const never = { '': [0, 0.7, 0.3] };
    const model = toyModel(never, 1);
    const hyps = await beamSearch(model, [5], { numBeams: 2, maxNewTokens: 4, eosTokenId: EOS });
    expect(hyps).toHaveLength(2);
    expect(hyps.every((h) => h.tokens.length === 4 && !h.finished)).toBe(true);
    expect(model.steps).toBe(4);
  });

  it('stops between forward passes when its signal is aborted, with the signal\'s reason', async () => {
    const never = { '': [0, 0.7, 0.3] };
    const model = toyModel(never, 1);
    const controller = new AbortController();
    const step = model.step.bind(model);
    model.step = async (tokens, cache) => {
      if (model.steps === 2) controller.abort(new Error('stop here'));
      return step(tokens, cache);
    };
    await expect(beamSearch(model, [5], { numBeams: 2, maxNewTokens: 10, eosTokenId: EOS, signal: controller.signal })).rejects.toThrow('stop here');
    expect(model.steps).toBe(3); // the pass during which it fired ends; no fourth starts
    await expect(beamSearch(toyModel(never, 1), [5], { numBeams: 1, maxNewTokens: 10, eosTokenId: EOS, signal: AbortSignal.abort(new Error('never started')) })).rejects.toThrow('never started');
  });

  it('refuses bad settings', async () => {
    const model = toyModel(TABLE, 1);
    await expect(beamSearch(model, [1], { numBeams: 0, maxNewTokens: 5, eosTokenId: EOS })).rejects.toThrow('numBeams must be a positive integer, got 0.');
    await expect(beamSearch(model, [], { numBeams: 1, maxNewTokens: 5, eosTokenId: EOS })).rejects.toThrow('The prompt is empty.');
  });
});
