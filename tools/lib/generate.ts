/**
 * Language-space decoding in Node: the generation graph in onnxruntime-node
 * (src/core/onnx-step-model.ts) behind the shared GenerativeRecommender
 * (prompt, greedy or beam search, grounding). The baseline L2D is measured
 * against in `npm run evaluate -- --method greedy,beam5`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { modelShape } from '../../src/core/encoder-feeds.ts';
import { GenerativeRecommender } from '../../src/core/generative-recommender.ts';
import { onnxStepModel, type KvCache } from '../../src/core/onnx-step-model.ts';
import { parsePromptTemplate } from '../../src/core/prompt.ts';
import { tokenIds } from '../../src/encoder/tokenizer.ts';
import { loadTokenizer, MODEL_FILES } from './onnx-encoder.ts';

export { onnxStepModel };

export interface Generator {
  /** Top-k catalog ids for a history of titles, with the generated titles (best first). */
  recommend(titles: string[], k: number): Promise<{ items: number[]; generated: string[] }>;
  recommender: GenerativeRecommender<KvCache>;
  release(): Promise<void>;
}

export async function loadGenerator(folder: string, catalog: readonly string[], options: { dtype?: string; numBeams: number; maxNewTokens?: number }): Promise<Generator> {
  const read = (f: string) => JSON.parse(readFileSync(join(folder, f), 'utf8')) as Record<string, unknown>;
  const config = read('config.json');
  const template = parsePromptTemplate(read('prompt-template.json'), join(folder, 'prompt-template.json'));
  const tokenizerConfig = read('tokenizer_config.json');
  const maxPromptTokens = Math.min(Number(tokenizerConfig.model_max_length ?? Infinity), Number(config.max_position_embeddings ?? Infinity));
  const tokenizer = await loadTokenizer(folder);
  const session = await ort.InferenceSession.create(join(folder, MODEL_FILES[options.dtype ?? 'q4']), { intraOpNumThreads: 0 });
  const recommender = new GenerativeRecommender(
    {
      model: onnxStepModel(session, ort.Tensor, modelShape(config)),
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
