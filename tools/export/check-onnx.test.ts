/**
 * Each committed model in onnxruntime-node: tokenizer ids equal Python's; the
 * committed q4 and q4f16 graphs reproduce their torch references. (fp32 is not
 * committed: the pipeline test covers its export on a tiny model.)
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { checkModel } from './check-onnx.ts';

const models = readdirSync('models', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`models/${d.name}/fixtures/hidden-states.json`) && d.name !== 'dev')
  .map((d) => `models/${d.name}`);

describe('committed models in onnxruntime-node', () => {
  it('include the demo model', () => {
    expect(models).toContain('models/movielens-demo');
  });
  for (const model of models) {
    it(`${model} reproduces its export fixture`, async () => {
      const { tokenizerMatches, checks } = await checkModel(model);
      expect(tokenizerMatches).toBe(true);
      const byDtype = Object.fromEntries(checks.map((c) => [c.dtype, c]));
      expect(Object.keys(byDtype).filter((d) => d !== 'fp32').sort()).toEqual(['q4', 'q4f16']);
      expect(byDtype.q4.minCosine).toBeGreaterThanOrEqual(0.999);
      expect(byDtype.q4f16.minCosine).toBeGreaterThanOrEqual(0.999);
      if (byDtype.fp32) expect(byDtype.fp32.minCosine).toBeGreaterThanOrEqual(0.99999); // present after a local export
    });
  }
});
