/** The Node encoder's graphs give the same h_t, and the encoder graphs read the generation graph's memories. */
import { describe, expect, it } from 'vitest';
import { cosine } from '../../src/core/encoder-feeds.ts';
import { loadNodeEncoder } from './onnx-encoder.ts';

describe('loadNodeEncoder', () => {
  it("graph 'auto' uses the fused L2D encoder graph in Node; traced, fused and generation graphs give the same hidden states and memory binding", async () => {
    const encoders = await Promise.all((['full', 'auto', 'encoder', 'fused'] as const).map((g) => loadNodeEncoder('models/movielens-demo', 'q4', g)));
    const [full, auto, encoder, fused] = encoders;
    try {
      expect(encoders.map((e) => e.graphFile)).toEqual(['onnx/model_q4.onnx', 'onnx/encoder_q4_fused.onnx', 'onnx/encoder_q4.onnx', 'onnx/encoder_q4_fused.onnx']);
      for (const e of encoders) expect([e.file, e.sha256]).toEqual(['onnx/model_q4.onnx', full.sha256]);
      // Rows of different lengths in one batch: left padding for the traced graphs, right padding for the fused one.
      const histories = [['Toy Story (1995)', 'Heat (1995)', 'Casino (1995)'], ['Jumanji (1995)']];
      const reference = await full.encode(histories);
      for (const e of [auto, encoder, fused]) {
        const { hidden } = await e.encode(histories);
        hidden.forEach((h, i) => expect(cosine(h, reference.hidden[i]), `${e.graphFile} row ${i}`).toBeGreaterThanOrEqual(0.9999));
      }
    } finally {
      await Promise.all(encoders.map((e) => e.release()));
    }
  });

  it('asks for an encoder graph the folder does not list: a clear error', async () => {
    // amazon-games ships only the fused encoder graphs.
    await expect(loadNodeEncoder('models/amazon-games', 'q4', 'encoder')).rejects.toThrow(/encoder\.json lists no traced encoder graph for onnx\/model_q4\.onnx/);
  });
});
