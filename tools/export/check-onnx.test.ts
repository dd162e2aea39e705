/**
 * Each committed model in onnxruntime-node: tokenizer ids equal Python's; the
 * committed q4 and q4f16 graphs, and the L2D encoder graphs (traced and fused),
 * reproduce their torch references and the probes of onnx/encoder.json. (fp32 is not
 * committed: the pipeline test covers its export on a tiny model.)
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { PROBE_MIN_COSINE, type EncoderManifest } from '../../src/core/encoder-manifest.ts';
import { checkModel } from './check-onnx.ts';

const models = readdirSync('models', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`models/${d.name}/fixtures/hidden-states.json`) && d.name !== 'dev')
  .map((d) => `models/${d.name}`);

describe('committed models in onnxruntime-node', () => {
  it('include the demo model', () => {
    expect(models).toContain('models/movielens-demo');
  });
  for (const model of models) {
    it(`${model} reproduces its export fixture, every graph and every encoder graph's probe`, async () => {
      const { tokenizerMatches, checks } = await checkModel(model);
      expect(tokenizerMatches).toBe(true);
      const models = checks.filter((c) => c.file.startsWith('model'));
      expect(models.map((c) => c.dtype).filter((d) => d !== 'fp32').sort()).toEqual(['q4', 'q4f16']);
      for (const c of checks) expect(c.minCosine, c.file).toBeGreaterThanOrEqual(c.dtype === 'fp32' ? 0.99999 : 0.999); // fp32 present after a local export
      const manifest = existsSync(`${model}/onnx/encoder.json`) ? (JSON.parse(readFileSync(`${model}/onnx/encoder.json`, 'utf8')) as EncoderManifest) : { graphs: {} };
      for (const [file, entry] of Object.entries(manifest.graphs)) {
        const check = checks.find((c) => c.file === file);
        if (!check) continue; // listed but not committed (encoder.onnx, fp32)
        if (entry.probe) expect(check.probeCosine, file).toBeGreaterThanOrEqual(PROBE_MIN_COSINE);
      }
    });
  }
});
