import { describe, expect, it } from 'vitest';
import { toFloat16Bits } from './float16.ts';
import { rowStride } from './memory.ts';
import { ChunkChecker, MemoryAssembler, PendingMemory, assembleMemory, checkShardModel, chunkBytes, encodeChunk, encodeRowsChunk, parseShardManifest, sha256Hex, type ShardManifest } from './shard-format.ts';

async function shard(rowsPerChunk: number[], dim: number) {
  const chunks: Uint8Array[] = [];
  const meta: ShardManifest['chunks'] = [];
  let row = 0;
  for (const rows of rowsPerChunk) {
    const vectors = Uint16Array.from({ length: rows * dim }, (_, i) => toFloat16Bits(((row * dim + i) % 17) / 4 - 2));
    const labels = Uint32Array.from({ length: rows }, (_, r) => (row + r) % 5);
    const bytes = encodeChunk(vectors, labels, dim);
    chunks.push(bytes);
    meta.push({ file: `chunk-${meta.length}.bin`, rows, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
    row += rows;
  }
  const manifest: ShardManifest = {
    format: 'l2d-memory-shard', version: 1,
    model: { id: 'm', file: 'onnx/model_q4.onnx', sha256: 'a'.repeat(64), dtype: 'q4' },
    dataset: { name: 'd', split: 'train', fraction: 1, seed: 0, samples: row },
    hiddenSize: dim, dtype: 'float16', rows: row, itemCount: 5, chunkRows: rowsPerChunk[0], chunks: meta,
    catalog: { file: 'items.tsv', sha256: '0'.repeat(64) },
  };
  return { manifest, chunks };
}

describe('memory shards', () => {
  it('round-trip rows and labels exactly (d = 3: padding inside chunks and rows)', async () => {
    const { manifest, chunks } = await shard([4, 4, 3], 3);
    const parsed = parseShardManifest(JSON.stringify(manifest));
    const memory = await assembleMemory(parsed, chunks);
    expect(memory.rows).toBe(11);
    expect(Array.from(memory.labels)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0]);
    const stride = rowStride(3);
    expect(memory.vectors[7 * stride + 2]).toBe(toFloat16Bits(((7 * 3 + 2) % 17) / 4 - 2));
    expect(memory.vectors[7 * stride + 3]).toBe(0);
  });

  it("PendingMemory: the assembler a stream makes from the manifest, and a clear error where no manifest came", async () => {
    const { manifest, chunks } = await shard([4, 4, 3], 3);
    const early = new PendingMemory();
    expect(() => early.finish()).toThrow("The shard's manifest was not read: there is no memory to assemble yet.");
    const pending = new PendingMemory(2);
    const sink = pending.sinkFor(manifest);
    for (const [i, bytes] of chunks.entries()) await sink.add(i, bytes);
    expect(pending.sink).toBe(sink);
    const memory = pending.finish();
    expect([memory.vectors, memory.labels]).toEqual([(await assembleMemory(manifest, chunks)).vectors, (await assembleMemory(manifest, chunks)).labels]);
    expect(memory.labels.buffer.byteLength).toBe((11 + 2) * 4); // the spare rows after the shard's
  });

  it('reads a chunk wherever its bytes lie (an odd offset is read half by half), and names a NaN or Infinity row by row', async () => {
    // The same bytes one byte into a buffer: no Uint16Array can view them.
    const oneByteIn = (chunks: Uint8Array[]) =>
      chunks.map((bytes) => {
        const buffer = new Uint8Array(bytes.byteLength + 1);
        buffer.set(bytes, 1);
        return buffer.subarray(1);
      });
    const { manifest, chunks } = await shard([4, 4, 3], 3);
    const expected = await assembleMemory(manifest, chunks);
    const fromOdd = await assembleMemory(manifest, oneByteIn(chunks));
    expect([fromOdd.vectors, fromOdd.labels]).toEqual([expected.vectors, expected.labels]);
    // A non-finite half in chunk 1's row 2, dimension 1 (memory row 6), with checksums that match it.
    for (const [bits, place] of [[0x7c00, (c: Uint8Array[]) => c], [0xfe01, oneByteIn]] as const) {
      const bad = await shard([4, 4, 3], 3);
      new DataView(bad.chunks[1].buffer).setUint16(2 * (2 * 3 + 1), bits, true);
      const chunkList = await Promise.all(bad.manifest.chunks.map(async (c, i) => ({ ...c, sha256: await sha256Hex(bad.chunks[i]) })));
      await expect(assembleMemory({ ...bad.manifest, chunks: chunkList }, place(bad.chunks))).rejects.toThrow('Chunk 1, row 2 (memory row 6) holds NaN or Infinity in dimension 1.');
    }
  });

  it('rejects a truncated chunk and a flipped bit', async () => {
    const { manifest, chunks } = await shard([4, 2], 8);
    await expect(assembleMemory(manifest, [chunks[0], chunks[1].subarray(0, 10)])).rejects.toThrow(/Chunk 1 \(chunk-1.bin\) has 10 bytes; the manifest says \d+ \(truncated/);
    const flipped = chunks[0].slice();
    flipped[5] ^= 0x10;
    await expect(assembleMemory(manifest, [flipped, chunks[1]])).rejects.toThrow(/Chunk 0 \(chunk-0.bin\) fails its SHA-256 checksum/);
  });

  it('checked on one side and placed on another (the memory worker): the same memory, in any order; a label outside the catalog is refused', async () => {
    const { manifest, chunks } = await shard([4, 4, 3], 3);
    const expected = await assembleMemory(manifest, chunks);
    const checker = new ChunkChecker(manifest);
    const assembler = new MemoryAssembler(manifest, 2);
    for (const i of [2, 0, 1]) {
      await checker.check(i, chunks[i].slice().buffer);
      assembler.take(i, chunks[i].slice().buffer);
    }
    const placed = assembler.finish();
    expect([placed.vectors, placed.labels]).toEqual([expected.vectors, expected.labels]);
    // Room for 2 spare rows after the shard's.
    expect(placed.vectors.buffer.byteLength).toBeGreaterThanOrEqual((11 + 2) * rowStride(3) * 2);
    const partial = new MemoryAssembler(manifest);
    partial.take(0, chunks[0]);
    expect(() => partial.finish()).toThrow('Chunk 1 (chunk-1.bin) of the shard is missing.');
    expect(() => partial.take(1, chunks[2])).toThrow(/^Chunk 1 does not fit the shard \(\d+ bytes; the manifest says \d+\)\.$/);
    expect(() => partial.take(3, chunks[2])).toThrow(/the manifest says no such chunk/);
    // Label 5 of a 5-item catalog in chunk 2's row 1, with a checksum that matches it.
    const bad = await shard([4, 4, 3], 3);
    const labelsAt = Math.ceil((3 * 3 * 2) / 4) * 4;
    new DataView(bad.chunks[2].buffer).setUint32(labelsAt + 4, 5, true);
    const badChecker = new ChunkChecker({ ...bad.manifest, chunks: await Promise.all(bad.manifest.chunks.map(async (c, i) => ({ ...c, sha256: await sha256Hex(bad.chunks[i]) }))) });
    await expect(badChecker.check(2, bad.chunks[2])).rejects.toThrow('Chunk 2, row 1 has label 5, outside the 5 items.');
    await expect(badChecker.check(3, bad.chunks[2])).rejects.toThrow('The shard has 3 chunks; there is no chunk 3.');
  });

  it('refuses a shard built with another model, or another hidden size', async () => {
    const { manifest } = await shard([2], 8);
    expect(() => checkShardModel(manifest, { sha256: 'b'.repeat(64) })).toThrow(/built with model "m" .* not with the model in use/);
    expect(() => checkShardModel(manifest, { sha256: 'a'.repeat(64), hiddenSize: 16 })).toThrow(/hidden size 8; the model's is 16/);
    expect(() => checkShardModel(manifest, { sha256: 'a'.repeat(64), hiddenSize: 8 })).not.toThrow();
  });

  it('rejects unknown formats and versions and inconsistent manifests', async () => {
    const { manifest } = await shard([4, 2], 8);
    expect(() => parseShardManifest(JSON.stringify({ ...manifest, version: 9 }))).toThrow(/shard format version 9 is not supported/);
    expect(() => parseShardManifest(JSON.stringify({ ...manifest, format: 'x' }))).toThrow(/not an L2D memory shard/);
    expect(() => parseShardManifest(JSON.stringify({ ...manifest, rows: 7 }))).toThrow(/chunks hold 6 rows but the manifest says 7/);
    expect(() => parseShardManifest('{', 'm/manifest.json')).toThrow(/^m\/manifest.json: not valid JSON \(/);
    // A host's index page in place of a missing manifest is named as such, not as a JSON syntax error.
    expect(() => parseShardManifest('\n  <!doctype html><html></html>', 'm/manifest.json')).toThrow(
      /^m\/manifest.json: the server answered with an HTML page, not this JSON file \(is the file there\?/,
    );
  });
});

describe('int8 rows', () => {
  // dim 0: largest |x| 4 (scale 4/127); dim 1: 1 (scale 1/127); dim 2: zero in every row (scale 0). No value is a
  // rounding tie: codes 4 -> 127, -3 -> -95.25 -> -95, 1 -> 31.75 -> 32; -0.6 -> -76, 1 -> 127, 0.25 -> 32.
  const values = Float32Array.of(4, -0.6, 0, -3, 1, 0, 1, 0.25, 0);
  const labels = Uint32Array.of(0, 2, 4);
  const scales = [Math.fround(4 / 127), Math.fround(1 / 127), 0];

  async function int8Shard(bytes: Uint8Array): Promise<ShardManifest> {
    const { manifest } = await shard([3], 3);
    return { ...manifest, version: 2, dtype: 'int8', chunks: [{ file: 'chunk-0.bin', rows: 3, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) }] };
  }

  it('stores a scale per dimension and a byte per value: known codes, read back as the float16 of code x scale', async () => {
    const bytes = encodeRowsChunk(values, labels, 3, 'int8');
    const view = new DataView(bytes.buffer);
    expect([0, 1, 2].map((c) => view.getFloat32(4 * c, true))).toEqual(scales);
    expect(Array.from(new Int8Array(bytes.buffer, 12, 9))).toEqual([127, -76, 0, -95, 127, 0, 32, 32, 0]);
    expect([bytes.byteLength, view.getUint32(24, true), view.getUint32(32, true)]).toEqual([3 * 4 + 12 + 3 * 4, 0, 4]); // codes padded to 12 bytes
    const memory = await assembleMemory(parseShardManifest(JSON.stringify(await int8Shard(bytes))), [bytes]);
    const stride = rowStride(3);
    const codes = [127, -76, 0, -95, 127, 0, 32, 32, 0];
    for (let i = 0; i < 9; i++) {
      const [r, c] = [Math.floor(i / 3), i % 3];
      expect(memory.vectors[r * stride + c]).toBe(toFloat16Bits(codes[i] * scales[c]));
      expect(Math.abs(codes[i] * scales[c] - values[i])).toBeLessThanOrEqual(scales[c] / 2);
    }
    expect(Array.from(memory.labels)).toEqual([0, 2, 4]);
    // The same bytes one byte into a buffer read the same.
    const odd = new Uint8Array(bytes.byteLength + 1);
    odd.set(bytes, 1);
    expect((await assembleMemory(await int8Shard(bytes), [odd.subarray(1)])).vectors).toEqual(memory.vectors);
  });

  it('takes half the bytes of float16 rows (a full chunk of 16,384 rows x 256: 4,260,864 bytes instead of 8,454,144)', () => {
    expect([chunkBytes(16384, 256, 'int8'), chunkBytes(16384, 256, 'float16')]).toEqual([4260864, 8454144]);
  });

  it('refuses a corrupted scale (its checksum matching), and values float16 could not hold, naming them', async () => {
    for (const scale of [NaN, -1, 600]) {
      const bytes = encodeRowsChunk(values, labels, 3, 'int8');
      new DataView(bytes.buffer).setFloat32(4, scale, true);
      await expect(assembleMemory(await int8Shard(bytes), [bytes])).rejects.toThrow(`Chunk 0's int8 scale of dimension 1 is ${scale}, not a number from 0 to 511.75: the data is corrupted.`);
    }
    expect(() => encodeRowsChunk(Float32Array.of(1, 2, 3, 70000, 0, 0), Uint32Array.of(0, 1), 3, 'int8')).toThrow(
      'Row 1 of the chunk holds 70000 in dimension 0: int8 rows hold finite values up to 64992.25 in magnitude (they are read as float16).',
    );
    expect(() => encodeRowsChunk(Float32Array.of(1, NaN, 3), Uint32Array.of(0), 3, 'int8')).toThrow('Row 0 of the chunk holds NaN in dimension 1');
  });

  it('is format version 2; a manifest that says otherwise, or names another dtype, is refused', async () => {
    const manifest = await int8Shard(encodeRowsChunk(values, labels, 3, 'int8'));
    expect(parseShardManifest(JSON.stringify(manifest)).dtype).toBe('int8');
    expect(() => parseShardManifest(JSON.stringify({ ...manifest, version: 1 }))).toThrow('manifest.json: a shard of int8 rows has format version 2, not 1.');
    expect(() => parseShardManifest(JSON.stringify({ ...manifest, dtype: 'bf16' }))).toThrow('manifest.json: rows of dtype "bf16" are not supported (float16 or int8).');
    expect(() => parseShardManifest(JSON.stringify({ ...manifest, version: 3 }))).toThrow(
      'manifest.json: shard format version 3 is not supported (this code reads versions 1 and 2); build the memory again, or load it with the code that built it.',
    );
    // A float16 chunk's size under an int8 manifest is named.
    const { manifest: f16, chunks } = await shard([3], 3);
    expect(() => parseShardManifest(JSON.stringify({ ...f16, version: 2, dtype: 'int8' }))).toThrow(
      `manifest.json: chunk 0 is listed with ${chunks[0].byteLength} bytes; 3 rows of 3 int8 dims take 36.`,
    );
  });
});
