/**
 * Prefix reuse on the demo model (onnxruntime-node): a request whose history
 * grows runs only the tokens after the common prefix and gives the hidden
 * state of a full encode; a history that changed early reuses only what is
 * still identical; truncation keeps each head's first tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cosine, modelShape } from '../../src/core/encoder-feeds.ts';
import { fitPrompt } from '../../src/core/fit-prompt.ts';
import { lastHiddenAfter } from '../../src/core/onnx-step-model.ts';
import { PromptPrefixCache, truncateKv } from '../../src/core/prefix-cache.ts';
import { loadNodeEncoder, type NodeEncoder } from './onnx-encoder.ts';

const MODEL = 'models/movielens-demo';
const shape = modelShape(JSON.parse(readFileSync(join(MODEL, 'config.json'), 'utf8')));
let session: ort.InferenceSession;
let node: NodeEncoder;
beforeAll(async () => {
  session = await ort.InferenceSession.create(join(MODEL, 'onnx/model_q4.onnx'));
  node = await loadNodeEncoder(MODEL, 'q4');
});
afterAll(async () => {
  await session?.release();
  await node?.release();
});

const ids = (titles: string[]) => fitPrompt(titles, (t) => node.tokenize(t), node.maxPromptTokens, node.template).ids;

async function encodeWith(cache: PromptPrefixCache, titles: string[]) {
  const prompt = ids(titles);
  const plan = cache.plan(prompt);
  const { hidden, cache: kv } = await lastHiddenAfter(session, ort.Tensor, shape, plan.tokens, plan.past);
  cache.store(prompt, kv);
  return { hidden, reused: plan.reused, ran: plan.tokens.length, length: prompt.length };
}

describe('prompt prefix cache', () => {
  it('a growing history runs only the new tokens and equals a full encode', async () => {
    const cache = new PromptPrefixCache(shape.kvHeads, shape.headDim);
    const history = ['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)', 'Casino (1995)', 'Sabrina (1995)'];
    const first = await encodeWith(cache, history.slice(0, 2));
    expect(first.reused).toBe(0);
    for (let n = 3; n <= history.length; n++) {
      const r = await encodeWith(cache, history.slice(0, n));
      const [full] = (await node.encode([history.slice(0, n)])).hidden;
      expect(cosine(r.hidden, full)).toBeGreaterThanOrEqual(0.9999);
      // The instruction and the older titles come from the cache: only the new title and the template's suffix run.
      expect(r.reused).toBeGreaterThan(r.length / 2);
      expect(r.ran).toBe(r.length - r.reused);
      expect(r.ran).toBeLessThan(30);
    }
  });

  it('a history that changed early reuses only the identical prefix, and is still exact', async () => {
    const cache = new PromptPrefixCache(shape.kvHeads, shape.headDim);
    await encodeWith(cache, ['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)']);
    const changed = ['Casino (1995)', 'Jumanji (1995)', 'Heat (1995)'];
    const r = await encodeWith(cache, changed);
    const prompt = ids(changed);
    const before = ids(['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)']);
    let common = 0;
    while (prompt[common] === before[common]) common++;
    expect(r.reused).toBe(common); // the instruction's tokens only
    expect(r.reused).toBeLessThan(20);
    const [full] = (await node.encode([changed])).hidden;
    expect(cosine(r.hidden, full)).toBeGreaterThanOrEqual(0.9999);
    // The same prompt again: everything but its last token is reused.
    const again = await encodeWith(cache, changed);
    expect([again.reused, again.ran]).toEqual([prompt.length - 1, 1]);
    expect(cosine(again.hidden, full)).toBeGreaterThanOrEqual(0.9999);
  });

  it('truncates each head to its first tokens', () => {
    // 2 heads x 3 tokens x headDim 2, values = head * 100 + token * 10 + dim.
    const data = Float32Array.from({ length: 12 }, (_, i) => Math.floor(i / 6) * 100 + Math.floor((i % 6) / 2) * 10 + (i % 2));
    const cut = truncateKv({ rows: 1, length: 3, tensors: [data] }, 2, 2, 2);
    expect(Array.from(cut.tensors[0])).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
    expect(cut.length).toBe(2);
    expect(() => new PromptPrefixCache(2, 2).store([1, 2], { rows: 1, length: 3, tensors: [] })).toThrow(/covers 3 tokens, the prompt 2/);
  });
});
