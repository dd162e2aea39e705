/** The Node encoder's two graphs give the same h_t, and the encoder graph reads the generation graph's memories. */
import { describe, expect, it } from 'vitest';
import { cosine } from '../../src/core/encoder-feeds.ts';
import { loadNodeEncoder } from './onnx-encoder.ts';

describe('loadNodeEncoder', () => {
  it("graph 'auto' uses the L2D encoder graph: same hidden states, same memory binding", async () => {
    const full = await loadNodeEncoder('models/movielens-demo', 'q4', 'full');
    const auto = await loadNodeEncoder('models/movielens-demo', 'q4', 'auto');
    try {
      expect(auto.sha256).toBe(full.sha256);
      expect(auto.file).toBe('onnx/model_q4.onnx');
      const histories = [['Toy Story (1995)', 'Heat (1995)'], ['Jumanji (1995)']];
      const [a, b] = [await full.encode(histories), await auto.encode(histories)];
      a.hidden.forEach((h, i) => expect(cosine(h, b.hidden[i])).toBeGreaterThanOrEqual(0.9999));
    } finally {
      await Promise.all([full.release(), auto.release()]);
    }
  });
});
