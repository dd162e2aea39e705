/**
 * Language-space decoding on the demo model: the key/value cache (and its
 * reordering between beams) gives the same hypotheses as recomputing the
 * whole sequence at every step, and generated titles ground to catalog items.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beamSearch, type StepModel } from '../../src/core/beam-search.ts';
import { modelShape } from '../../src/core/encoder-feeds.ts';
import { parseItems } from '../../src/core/data/prepared-format.ts';
import { loadGenerator, onnxStepModel } from './generate.ts';

const MODEL = 'models/movielens-demo';
const config = JSON.parse(readFileSync(join(MODEL, 'config.json'), 'utf8'));
const shape = modelShape(config);
let session: ort.InferenceSession;
beforeAll(async () => {
  session = await ort.InferenceSession.create(join(MODEL, 'onnx/model_q4.onnx'));
});
afterAll(async () => {
  await session?.release();
});

/** No cache: every step runs the whole sequence so far (the reference for the cached model). */
function recomputingModel(): StepModel<number[][]> {
  const cached = onnxStepModel(session, ort.Tensor, shape);
  return {
    async step(tokens, sequences) {
      const next = sequences ? sequences.map((s, i) => [...s, ...tokens[i]]) : tokens;
      const logits = [];
      for (const seq of next) logits.push((await cached.step([seq], undefined)).logits[0]);
      return { logits, cache: next };
    },
    reorder: (sequences, rows) => rows.map((r) => sequences[r]),
  };
}

describe('language-space decoding with onnxruntime-node', () => {
  const prompt = [5, 17, 300, 42, 9, 101, 7, 64, 12, 88];
  for (const numBeams of [1, 3]) {
    it(`${numBeams === 1 ? 'greedy' : `beam ${numBeams}`}: the KV cache gives the hypotheses of full recomputation`, async () => {
      const options = { numBeams, maxNewTokens: 12, eosTokenId: Number(config.eos_token_id) };
      const withCache = await beamSearch(onnxStepModel(session, ort.Tensor, shape), prompt, options);
      const reference = await beamSearch(recomputingModel(), prompt, options);
      expect(withCache.map((h) => h.tokens)).toEqual(reference.map((h) => h.tokens));
      withCache.forEach((h, i) => expect(h.score).toBeCloseTo(reference[i].score, 3));
    });
  }

  it('recommends k catalog items from generated titles', async () => {
    const titles = parseItems(readFileSync(join(MODEL, 'memory/train-q4-f0.3/items.tsv'), 'utf8')).map((i) => i.title);
    const generator = await loadGenerator(MODEL, titles, { numBeams: 3 });
    try {
      const { items, generated } = await generator.recommend(['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)'], 20);
      expect(items).toHaveLength(20);
      expect(new Set(items).size).toBe(20);
      expect(generated).toHaveLength(3);
      // Each beam's title grounds to itself when it is a catalog title.
      for (const [i, title] of generated.entries()) if (titles.includes(title)) expect(items.slice(0, 3)[i]).toBe(titles.indexOf(title));
    } finally {
      await generator.release();
    }
  });
});
