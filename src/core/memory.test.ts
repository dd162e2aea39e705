import { describe, expect, it } from 'vitest';
import { createMemory, rowStride, selectRows } from './memory.ts';

describe('selectRows', () => {
  const memory = createMemory({ dim: 2, itemCount: 3, vectors: new Float32Array([0, 1, 2, 3, 4, 5]), labels: [2, 0, 1] });

  it('keeps the given rows in the given order, with their labels', () => {
    const picked = selectRows(memory, [2, 0]);
    const stride = rowStride(2);
    expect(picked.rows).toBe(2);
    expect(Array.from(picked.labels)).toEqual([1, 2]);
    expect(Array.from(picked.vectors.subarray(0, 2))).toEqual(Array.from(memory.vectors.subarray(2 * stride, 2 * stride + 2)));
    expect(Array.from(picked.vectors.subarray(stride, stride + 2))).toEqual(Array.from(memory.vectors.subarray(0, 2)));
  });

  it('rejects rows outside the memory and an empty selection', () => {
    expect(() => selectRows(memory, [3])).toThrow(/Row 3 is not a row of this memory \(0..2\)/);
    expect(() => selectRows(memory, [])).toThrow(/empty/i);
  });
});
