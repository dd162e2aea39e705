/**
 * The generation recommender's glue with a scripted character model: the
 * generated text becomes a title, grounds to the catalog, exclusions keep
 * k items, a title that never ends is still grounded, bad options are named.
 */
import { describe, expect, it } from 'vitest';
import type { StepModel } from './beam-search.ts';
import { GenerativeRecommender, type GenerativeModel } from './generative-recommender.ts';
import { DEFAULT_PROMPT_TEMPLATE } from './prompt.ts';

const EOS = 0;
const VOCAB = 128;
/** Emits `script` one character per step, then EOS (or never ends when `endless`). */
function scriptedModel(script: string, endless = false): StepModel<number> {
  const logitsAt = (position: number) => {
    const logits = new Float32Array(VOCAB).fill(-20);
    const next = position < script.length ? script.charCodeAt(position) : endless ? 'x'.charCodeAt(0) : EOS;
    logits[next] = 0;
    return logits;
  };
  return {
    async step(tokens, generated) {
      const position = generated === undefined ? 0 : generated + 1;
      return { logits: tokens.map(() => logitsAt(position)), cache: position };
    },
    reorder: (position) => position,
  };
}

function lm(script: string, endless = false): GenerativeModel<number> {
  return {
    model: scriptedModel(script, endless),
    tokenize: (text) => Array.from(text, (c) => c.charCodeAt(0) % VOCAB),
    decode: (ids) => String.fromCharCode(...ids),
    template: DEFAULT_PROMPT_TEMPLATE,
    maxPromptTokens: 400,
    eosTokenId: EOS,
  };
}

const CATALOG = ['Alpha', 'Beta', 'Gamma', 'Beta Two', 'Delta'];

describe('GenerativeRecommender', () => {
  it('grounds the generated title: exact match first, then by similarity', async () => {
    const r = await new GenerativeRecommender(lm(' "Beta"'), CATALOG).recommend(['Alpha'], { k: 3, numBeams: 1 });
    expect(r.generated).toEqual(['Beta']);
    expect(r.finished).toEqual([true]);
    expect(r.items[0]).toBe(1);
    expect(r.items[1]).toBe(3); // "Beta Two" shares most trigrams with "Beta"
    expect(r.items).toHaveLength(3);
  });

  it('keeps k items after exclusions', async () => {
    const r = await new GenerativeRecommender(lm(' "Beta"'), CATALOG).recommend(['Alpha'], { k: 3, numBeams: 2, exclude: [1, 3] });
    expect(r.items).toHaveLength(3);
    expect(r.items).not.toContain(1);
    expect(r.items).not.toContain(3);
  });

  it('grounds a title that never ends (maxNewTokens) and says so', async () => {
    const r = await new GenerativeRecommender(lm(' "Gam', true), CATALOG, 8).recommend(['Alpha'], { k: 5, numBeams: 1 });
    expect(r.finished).toEqual([false]);
    expect(r.generated[0]).toBe('Gamxxx') // 8 tokens: ' "Gam' and three more;
    expect(r.items[0]).toBe(2);
    expect(new Set(r.items).size).toBe(5);
  });

  it('names bad options', async () => {
    const g = new GenerativeRecommender(lm(' "Beta"'), CATALOG);
    await expect(g.recommend(['Alpha'], { k: 3, numBeams: 11 })).rejects.toThrow(/numBeams must be an integer from 1 to 10, got 11/);
    await expect(g.recommend(['Alpha'], { k: 0, numBeams: 1 })).rejects.toThrow(/k must be a positive integer, got 0/);
  });
});
