/**
 * Language-space decoding in Node (onnxruntime-node, the generation graph
 * with its key/value cache): greedy or beam search (src/core/beam-search.ts)
 * from a history's prompt, then the generated titles grounded to the catalog
 * (src/core/grounding.ts). The baseline L2D is measured against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beamSearch, type StepModel } from '../../src/core/beam-search.ts';
import { modelShape, type ModelShape } from '../../src/core/encoder-feeds.ts';
import { fitPrompt } from '../../src/core/fit-prompt.ts';
import { parsePromptTemplate } from '../../src/core/prompt.ts';
import { responseTitle, TitleGrounder } from '../../src/core/grounding.ts';
import { tokenIds } from '../../src/encoder/tokenizer.ts';
import { loadTokenizer, MODEL_FILES } from './onnx-encoder.ts';

/** Per layer: key then value, each rows x kvHeads x length x headDim. */
interface KvCache {
  rows: number;
  length: number;
  tensors: Float32Array[];
}

export function onnxStepModel(session: ort.InferenceSession, shape: ModelShape): StepModel<KvCache> {
  const block = (length: number) => shape.kvHeads * length * shape.headDim;
  return {
    async step(tokens, cache) {
      const rows = tokens.length;
      const t = tokens[0].length;
      const past = cache?.length ?? 0;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.flat(), BigInt), [rows, t]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * (past + t)).fill(1n), [rows, past + t]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: rows * t }, (_, i) => BigInt(past + (i % t))), [rows, t]),
      };
      for (let i = 0; i < shape.layers; i++) {
        for (const [j, kind] of ['key', 'value'].entries()) {
          const data = cache ? cache.tensors[2 * i + j] : new Float32Array(0);
          feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', data, [rows, shape.kvHeads, past, shape.headDim]);
        }
      }
      const out = await session.run(feeds);
      const logits = out.logits.data as Float32Array;
      const vocab = out.logits.dims[2];
      const last = Array.from({ length: rows }, (_, r) => logits.slice(((r + 1) * t - 1) * vocab, (r + 1) * t * vocab));
      const tensors: Float32Array[] = [];
      for (let i = 0; i < shape.layers; i++) for (const kind of ['key', 'value']) tensors.push(out[`present.${i}.${kind}`].data as Float32Array);
      return { logits: last, cache: { rows, length: past + t, tensors } };
    },
    reorder(cache, order) {
      const size = block(cache.length);
      const tensors = cache.tensors.map((data) => {
        const next = new Float32Array(order.length * size);
        order.forEach((r, i) => next.set(data.subarray(r * size, (r + 1) * size), i * size));
        return next;
      });
      return { rows: order.length, length: cache.length, tensors };
    },
  };
}

export interface Generator {
  /** Top-k catalog ids for a history of titles, with the generated titles (best first). */
  recommend(titles: string[], k: number): Promise<{ items: number[]; generated: string[] }>;
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
  const model = onnxStepModel(session, modelShape(config));
  const grounder = new TitleGrounder(catalog);
  const eosTokenId = Number(config.eos_token_id);
  // Longest catalog title in tokens, plus the quotes and EOS: generation stops there at the latest.
  const maxNewTokens = options.maxNewTokens ?? Math.min(64, Math.max(...catalog.slice(0, 2000).map((t) => tokenIds(tokenizer, ` "${t}"`).length)) + 2);
  return {
    async recommend(titles, k) {
      const { ids } = fitPrompt(titles, (text) => tokenIds(tokenizer, text), maxPromptTokens - maxNewTokens, template);
      const hyps = await beamSearch(model, ids, { numBeams: options.numBeams, maxNewTokens, eosTokenId });
      const generated = hyps.map((h) => responseTitle(tokenizer.decode(h.tokens, { skip_special_tokens: true })));
      return { items: grounder.rankMany(generated, k), generated };
    },
    release: () => session.release(),
  };
}
