/**
 * Prefix reuse on the demo model (onnxruntime-node), through the generation
 * graph and through the fused encoder graph's own key/value cache (q4 and
 * q4f16): a request whose history grows runs only the tokens after the
 * common prefix and gives the hidden state of a full encode; a history that
 * changed early reuses only what is still identical; truncation keeps each
 * head's first tokens, in the cache's own element type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cosine, graphSignature, modelShape, type CacheFloat } from '../../src/core/encoder-feeds.ts';
import { fusedLastHiddenAfter } from '../../src/core/fused-prefix.ts';
import { fitPrompt } from '../../src/core/fit-prompt.ts';
import { lastHiddenAfter, type KvCache } from '../../src/core/onnx-step-model.ts';
import { kvCacheOps, PromptPrefixCache, truncateKv } from '../../src/core/prefix-cache.ts';
import { loadNodeEncoder, type NodeEncoder } from './onnx-encoder.ts';

const MODEL = 'models/movielens-demo';
const shape = modelShape(JSON.parse(readFileSync(join(MODEL, 'config.json'), 'utf8')));
let session: ort.InferenceSession;
let node: NodeEncoder;
const fused: Record<string, { session: ort.InferenceSession; encoder: NodeEncoder }> = {};
beforeAll(async () => {
  session = await ort.InferenceSession.create(join(MODEL, 'onnx/model_q4.onnx'));
  node = await loadNodeEncoder(MODEL, 'q4');
  for (const dtype of ['q4', 'q4f16']) {
    fused[dtype] = { session: await ort.InferenceSession.create(join(MODEL, `onnx/encoder_${dtype}_fused.onnx`)), encoder: await loadNodeEncoder(MODEL, dtype, 'fused') };
  }
});
afterAll(async () => {
  await session?.release();
  await node?.release();
  for (const f of Object.values(fused)) await Promise.all([f.session.release(), f.encoder.release()]);
});

/** What runs the tokens after the cached prefix, and the full encode it must equal. */
interface PrefixStep {
  run(tokens: number[], past: KvCache | undefined): Promise<{ hidden: Float32Array; cache: KvCache }>;
  full(titles: string[]): Promise<Float32Array>;
}
const STEPS: Record<string, () => PrefixStep> = {
  'generation graph': () => ({ run: (tokens, past) => lastHiddenAfter(session, ort.Tensor, shape, tokens, past), full: async (t) => (await node.encode([t])).hidden[0] }),
  ...Object.fromEntries(
    (['q4', 'q4f16'] as const).map((dtype) => [
      `fused ${dtype} graph`,
      () => {
        const f = fused[dtype];
        const float = graphSignature(f.session).cache as CacheFloat;
        return { run: (tokens: number[], past: KvCache | undefined) => fusedLastHiddenAfter(f.session, ort.Tensor, shape, float, tokens, past), full: async (t: string[]) => (await f.encoder.encode([t])).hidden[0] };
      },
    ]),
  ),
};

const ids = (titles: string[]) => fitPrompt(titles, (t) => node.tokenize(t), node.maxPromptTokens, node.template).ids;

async function encodeWith(step: PrefixStep, cache: PromptPrefixCache, titles: string[]) {
  const prompt = ids(titles);
  const plan = cache.plan(prompt);
  const { hidden, cache: kv } = await step.run(plan.tokens, plan.past);
  cache.store(prompt, kv);
  return { hidden, reused: plan.reused, ran: plan.tokens.length, length: prompt.length };
}

describe.each(Object.keys(STEPS))('prompt prefix cache, %s', (name) => {
  let step: PrefixStep;
  beforeAll(() => {
    step = STEPS[name]();
  });
  const encodeWithStep = (cache: PromptPrefixCache, titles: string[]) => encodeWith(step, cache, titles);

  it('a growing history runs only the new tokens and equals a full encode', async () => {
    const cache = new PromptPrefixCache(kvCacheOps(shape.kvHeads, shape.headDim));
    const history = ['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)', 'Casino (1995)', 'Sabrina (1995)'];
    const first = await encodeWithStep(cache, history.slice(0, 2));
    expect(first.reused).toBe(0);
    for (let n = 3; n <= history.length; n++) {
      const r = await encodeWithStep(cache, history.slice(0, n));
      const full = await step.full(history.slice(0, n));
      expect(cosine(r.hidden, full)).toBeGreaterThanOrEqual(0.9999);
      // The instruction and the older titles come from the cache: only the new title and the template's suffix run.
      expect(r.reused).toBeGreaterThan(r.length / 2);
      expect(r.ran).toBe(r.length - r.reused);
      expect(r.ran).toBeLessThan(30);
    }
  });

  it('a history that changed early reuses only the identical prefix, and is still exact', async () => {
    const cache = new PromptPrefixCache(kvCacheOps(shape.kvHeads, shape.headDim));
    await encodeWithStep(cache, ['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)']);
    const changed = ['Casino (1995)', 'Jumanji (1995)', 'Heat (1995)'];
    const r = await encodeWithStep(cache, changed);
    const prompt = ids(changed);
    const before = ids(['Toy Story (1995)', 'Jumanji (1995)', 'Heat (1995)']);
    let common = 0;
    while (prompt[common] === before[common]) common++;
    expect(r.reused).toBe(common); // the instruction's tokens only
    expect(r.reused).toBeLessThan(20);
    const full = await step.full(changed);
    expect(cosine(r.hidden, full)).toBeGreaterThanOrEqual(0.9999);
    // The same prompt again: everything but its last token is reused.
    const again = await encodeWithStep(cache, changed);
    expect([again.reused, again.ran]).toEqual([prompt.length - 1, 1]);
    expect(cosine(again.hidden, full)).toBeGreaterThanOrEqual(0.9999);
  });

});

describe('the fused graphs\' cache inputs', () => {
  it('are read from the session: float32 for q4, float16 for q4f16', () => {
    expect(graphSignature(fused.q4.session)).toEqual({ kind: 'fused', cache: 'float32' });
    expect(graphSignature(fused.q4f16.session)).toEqual({ kind: 'fused', cache: 'float16' });
  });
});

describe('the cache store frees what it no longer hands out (GPU buffers)', () => {
  // A cache is a name and a length; cuts get new names; disposed names are recorded.
  type Fake = { name: string; length: number };
  const freed: string[] = [];
  let cuts = 0;
  const ops = { length: (c: Fake) => c.length, truncate: (c: Fake, length: number) => ({ name: `cut${++cuts} of ${c.name}`, length }), dispose: (c: Fake) => void freed.push(c.name) };

  it('a cut past lives until the prompt it served is stored; a replaced cache is freed; clear frees the rest', () => {
    const cache = new PromptPrefixCache(ops);
    expect(cache.plan([1, 2, 3]).past).toBeUndefined();
    cache.store([1, 2, 3], { name: 'A', length: 3 });
    expect(freed).toEqual([]);
    // Grows: everything but the new last token is reused, from A itself (no cut).
    const grown = cache.plan([1, 2, 3, 4]);
    expect([grown.reused, grown.past?.name]).toEqual([3, 'A']);
    cache.store([1, 2, 3, 4], { name: 'B', length: 4 });
    expect(freed).toEqual(['A']);
    // Changed at token 3: a cut of B's first two tokens, freed with B once C is stored.
    const changed = cache.plan([1, 2, 9, 9]);
    expect([changed.reused, changed.past?.name]).toEqual([2, 'cut1 of B']);
    cache.store([1, 2, 9, 9], { name: 'C', length: 4 });
    expect(freed).toEqual(['A', 'cut1 of B', 'B']);
    // A plan whose run failed: its cut and the stored cache go with clear().
    expect(cache.plan([1, 5]).past?.name).toBe('cut2 of C');
    cache.clear();
    expect(freed).toEqual(['A', 'cut1 of B', 'B', 'cut2 of C', 'C']);
    // A cache that does not cover its prompt is refused and freed.
    expect(() => cache.store([1, 2], { name: 'D', length: 3 })).toThrow(/covers 3 tokens, the prompt 2/);
    expect(freed.at(-1)).toBe('D');
  });
});

describe('several histories (a storefront\'s widgets), one kept prompt each', () => {
  type Fake = { name: string; length: number };
  const fake = (name: string, length: number): Fake => ({ name, length });
  const run = (cache: PromptPrefixCache<Fake>, ids: number[], name: string) => {
    const plan = cache.plan(ids);
    cache.store(ids, fake(name, ids.length));
    return [plan.reused, plan.past?.name.split(' ')[0]];
  };

  it('two histories that share only the instruction are both kept and each reuses its own; a grown one replaces its old prompt', () => {
    const freed: string[] = [];
    let cuts = 0;
    const ops = { length: (c: Fake) => c.length, truncate: (c: Fake, length: number) => fake(`cut${++cuts} of ${c.name}`, length), dispose: (c: Fake) => void freed.push(c.name) };
    // Every prompt starts with tokens 1, 2 (the instruction) and ends with 8, 9 (the suffix).
    const cache = new PromptPrefixCache(ops, { capacity: 3, sharedPrefix: 2 });
    expect(run(cache, [1, 2, 50, 8, 9], 'similar')).toEqual([0, undefined]);
    expect(run(cache, [1, 2, 12, 8, 9], 'forYou')).toEqual([2, 'cut1']); // only the instruction: both kept
    expect([cache.prompts, freed]).toEqual([2, ['cut1 of similar']]);
    expect(run(cache, [1, 2, 12, 40, 8, 9], 'forYou2')).toEqual([3, 'cut2']); // grown: replaces forYou
    expect(run(cache, [1, 2, 50, 8, 9], 'similar2')).toEqual([4, 'cut3']); // the same prompt: all but its last token
    expect([cache.prompts, freed]).toEqual([2, ['cut1 of similar', 'cut2 of forYou', 'forYou', 'cut3 of similar', 'similar']]);
    // Over capacity the least recently used goes.
    run(cache, [1, 2, 70, 8, 9], 'third');
    run(cache, [1, 2, 71, 8, 9], 'fourth');
    expect(cache.prompts).toBe(3);
    expect(freed.at(-1)).toBe('forYou2');
    cache.clear();
    expect([cache.prompts, freed.slice(-3).sort()]).toEqual([0, ['fourth', 'similar2', 'third']]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new PromptPrefixCache(kvCacheOps(2, 2), { capacity: 0 })).toThrow('A prefix cache keeps at least one prompt, got capacity 0.');
  });
});

describe('truncateKv and the cache store', () => {
  it('truncates each head to its first tokens', () => {
    // 2 heads x 3 tokens x headDim 2, values = head * 100 + token * 10 + dim.
    const data = Float32Array.from({ length: 12 }, (_, i) => Math.floor(i / 6) * 100 + Math.floor((i % 6) / 2) * 10 + (i % 2));
    const cut = truncateKv({ rows: 1, length: 3, tensors: [data] }, 2, 2, 2);
    expect(Array.from(cut.tensors[0])).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
    expect(cut.length).toBe(2);
    // float16 bits (the q4f16 fused graph's cache) stay float16 bits.
    const half = truncateKv({ rows: 1, length: 3, tensors: [Uint16Array.from(data)] }, 2, 2, 2);
    expect(half.tensors[0]).toBeInstanceOf(Uint16Array);
    expect(Array.from(half.tensors[0])).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
    expect(() => new PromptPrefixCache(kvCacheOps(2, 2)).store([1, 2], { rows: 1, length: 3, tensors: [] })).toThrow(/covers 3 tokens, the prompt 2/);
  });
});
