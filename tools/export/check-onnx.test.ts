/** The committed model in onnxruntime-node: tokenizer ids equal Python's; fp32 and q4 reproduce their torch references. */
import { describe, expect, it } from 'vitest';
import { checkModel } from './check-onnx.ts';

describe('models/movielens-demo in onnxruntime-node', () => {
  it('reproduces the export fixture', async () => {
    const { tokenizerMatches, checks } = await checkModel('models/movielens-demo');
    expect(tokenizerMatches).toBe(true);
    const byDtype = Object.fromEntries(checks.map((c) => [c.dtype, c]));
    expect(byDtype.fp32.minCosine).toBeGreaterThanOrEqual(0.99999);
    expect(byDtype.q4.minCosine).toBeGreaterThanOrEqual(0.999);
  });
});
