import { describe, expect, it } from 'vitest';
import { fastScanMemory } from './l2-scan-wasm.ts';
import { padQuery, scanMemory } from './l2-scan.ts';
import { rowStride } from './memory.ts';
import { withOverlay } from './overlay.ts';
import { allocateRows, RESIDENT_MIN_BYTES, residentRows } from './row-storage.ts';
import { MemoryAssembler } from './shard-format.ts';
import { generateSyntheticMemory, syntheticQuery } from './synthetic-memory.ts';

describe('row storage: large memories live in a scan instance of their own', () => {
  it('allocates zeroed rows there from RESIDENT_MIN_BYTES on, and plain arrays below', () => {
    const stride = rowStride(256);
    const small = allocateRows(RESIDENT_MIN_BYTES / (stride * 2) - 1, stride);
    const large = allocateRows(RESIDENT_MIN_BYTES / (stride * 2), stride);
    expect(residentRows(small)).toBeUndefined();
    const resident = residentRows(large)!;
    expect(resident).toBeDefined();
    expect(large.length).toBe((RESIDENT_MIN_BYTES / 2));
    expect(large.every((h) => h === 0)).toBe(true);
    // The rows come last: the room after them is theirs, and the distances' region has a row for each.
    expect(large.byteOffset + large.byteLength + 65536).toBeGreaterThan(large.buffer.byteLength);
    expect(resident.outRows * stride * 2).toBeGreaterThanOrEqual(large.buffer.byteLength - large.byteOffset);
    // Each allocation has its own instance: rows of one memory never share a buffer with another's.
    expect(allocateRows(RESIDENT_MIN_BYTES / (stride * 2), stride).buffer).not.toBe(large.buffer);
  });

  it('a shard assembled with spare rows takes memory updates in place and still scans them as the JS twin', () => {
    const dim = 256;
    const stride = rowStride(dim);
    const shard = generateSyntheticMemory({ rows: 3000, dim, items: 40, seed: 9 });
    const assembler = new MemoryAssembler({ hiddenSize: dim, rows: 3000, itemCount: 40, chunks: [] } as never, 64);
    assembler.vectors.set(shard.vectors);
    assembler.labels.set(shard.labels);
    const base = { ...shard, vectors: assembler.vectors.subarray(0, 3000 * stride), labels: assembler.labels.subarray(0, 3000) };
    expect(residentRows(base.vectors)).toBeDefined();
    const extra = generateSyntheticMemory({ rows: 50, dim, items: 40, seed: 10 });
    const overlayVectors = new Uint16Array(50 * dim);
    for (let r = 0; r < 50; r++) overlayVectors.set(extra.vectors.subarray(r * stride, r * stride + dim), r * dim);
    const updated = withOverlay(base, { vectors: overlayVectors, labels: extra.labels });
    expect(updated.vectors.buffer).toBe(base.vectors.buffer); // a view: no copy
    expect(updated.rows).toBe(3050);
    const query = padQuery(syntheticQuery(updated, 3), dim);
    expect(fastScanMemory(query, updated)).toEqual(scanMemory(query, updated));
    expect(fastScanMemory(query, base)).toEqual(scanMemory(query, base));
  });
});
