/**
 * Language-space decoding in Node: the generation graph in onnxruntime-node
 * (src/core/onnx-step-model.ts) behind the shared GenerativeRecommender
 * (prompt, greedy or beam search, grounding). The baseline L2D is measured
 * against in `npm run evaluate -- --method greedy,beam5`.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataFormatError } from '../../src/core/errors.ts';
import { GenerativeRecommender } from '../../src/core/generative-recommender.ts';
import { onnxStepModel, type KvCache } from '../../src/core/onnx-step-model.ts';
import { tokenIds } from '../../src/encoder/tokenizer.ts';
import { loadModelText, MODEL_FILES } from './onnx-encoder.ts';

export { onnxStepModel };

export interface Generator {
  /** Top-k catalog ids for a history of titles, with the generated titles (best first). */
  recommend(titles: string[], k: number): Promise<{ items: number[]; generated: string[] }>;
  recommender: GenerativeRecommender<KvCache>;
  release(): Promise<void>;
}

export async function loadGenerator(folder: string, catalog: readonly string[], options: { dtype?: string; numBeams: number; maxNewTokens?: number }): Promise<Generator> {
  const file = MODEL_FILES[options.dtype ?? 'q4'];
  if (!file) throw new DataFormatError(`Unknown dtype "${options.dtype}": use ${Object.keys(MODEL_FILES).join(' or ')}.`);
  const { config, shape, template, maxPromptTokens, tokenizer } = await loadModelText(folder, file);
  const session = await ort.InferenceSession.create(join(folder, file), { intraOpNumThreads: 0 });
  const recommender = new GenerativeRecommender(
    {
      model: onnxStepModel(session, ort.Tensor, shape),
      tokenize: (text) => tokenIds(tokenizer, text),
      decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
      template,
      maxPromptTokens,
      eosTokenId: Number(config.eos_token_id),
    },
    catalog,
    options.maxNewTokens,
  );
  return {
    recommender,
    async recommend(titles, k) {
      const { items, generated } = await recommender.recommend(titles, { k, numBeams: options.numBeams });
      return { items, generated };
    },
    release: () => session.release(),
  };
}
