/**
 * The committed models in onnxruntime-web inside Chromium: the WebGPU EP with
 * q4 (float32 activations: runs on every adapter, SwiftShader included) and
 * the wasm EP with q4 and q4f16 reproduce the export's reference hidden states
 * (cosine >= 0.999). q4f16 on WebGPU needs shader-f16, which SwiftShader lacks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { cosine } from '../src/core/encoder-feeds.ts';
import { readFixture, dtypeOf, referenceHidden } from '../tools/export/check-onnx.ts';
import { openHarness, type HarnessPage } from './browser.ts';

// Every committed model (models/dev is a local scratch folder, never committed).
const MODELS = process.env.L2D_TEST_MODEL
  ? [process.env.L2D_TEST_MODEL]
  : readdirSync('models', { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'dev' && existsSync(`models/${d.name}/fixtures/hidden-states.json`))
      .map((d) => `models/${d.name}`);

let harness: HarnessPage;
beforeAll(async () => {
  harness = await openHarness('e2e/harness/encoder.html');
});
afterAll(async () => {
  await harness?.close();
});

for (const MODEL of MODELS) describe(`onnxruntime-web on ${MODEL}`, () => {
  const fixture = readFixture(MODEL);
  const files = readdirSync(`${MODEL}/onnx`).filter((f) => /^(model|encoder).*\.onnx$/.test(f));
  const runs: [string, 'webgpu' | 'wasm'][] = [
    ['model_q4.onnx', 'webgpu'],
    ['model_q4.onnx', 'wasm'],
    ['model_q4f16.onnx', 'wasm'],
    // The L2D encoder graph (no LM head, last token only), where the model folder has one.
    ...(existsSync(`${MODEL}/onnx/encoder_q4.onnx`) ? ([['encoder_q4.onnx', 'webgpu'], ['encoder_q4.onnx', 'wasm']] as [string, 'webgpu' | 'wasm'][]) : []),
  ];
  it('has the files the runs need', () => {
    for (const [file] of runs) expect(files).toContain(file);
  });
  for (const [file, ep] of runs) {
    it(`${file} on the ${ep} execution provider matches the reference`, async () => {
      const { hidden, ms } = await harness.page.evaluate(
        ([url, f, e, rows]) =>
          (globalThis as unknown as { l2dEncoder: { lastHidden: (...a: unknown[]) => Promise<{ hidden: number[][]; ms: number }> } }).l2dEncoder.lastHidden(url, f, e, rows),
        [`/${MODEL}`, file, ep, fixture.cases.map((c) => c.input_ids)] as const,
      );
      const dtype = dtypeOf(file);
      const cosines = hidden.map((h, i) => cosine(h, referenceHidden(fixture.cases[i], dtype)!));
      console.log(`${file} ${ep}: min cosine ${Math.min(...cosines).toFixed(6)}, ${ms.toFixed(1)} ms / prompt`);
      expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.999);
      expect(harness.problems).toEqual([]);
    });
  }
});

