/**
 * The shipped demo encoder graph is the optimized one: its ops (read with the
 * protobuf reader) have the fused norms and activations and no FusedMatMul
 * (which WebGPU lacks), match what encoder.json records, and running the
 * optimizer again changes nothing. Hidden-state parity with the generation
 * graph is held in tools/lib/onnx-encoder.test.ts and e2e/recommend-flow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matMulModel } from '../lib/batched-nearest.ts';
import { graphOps, kernelCount } from '../lib/onnx-proto.ts';
import { optimizeEncoders } from './optimize-encoder.ts';

const FOLDER = 'models/movielens-demo';

describe('encoder graph optimization', () => {
  it('reads op types from ONNX bytes', () => {
    expect(graphOps(matMulModel(8))).toEqual(['ai.onnx:MatMul']);
    expect(() => graphOps(new Uint8Array([8, 1]))).toThrow(/no graph/);
  });

  it('ships the optimized demo encoder, as encoder.json records it', () => {
    const manifest = JSON.parse(readFileSync(join(FOLDER, 'onnx/encoder.json'), 'utf8'));
    const entry = manifest.graphs['encoder_q4.onnx'];
    const ops = graphOps(readFileSync(join(FOLDER, 'onnx/encoder_q4.onnx')));
    expect(ops).not.toContain('com.microsoft:FusedMatMul');
    expect(ops).not.toContain('ai.onnx:Constant');
    expect(ops.filter((op) => op === 'ai.onnx:SimplifiedLayerNormalization')).toHaveLength(9); // 2 per layer + the final norm
    expect(ops.filter((op) => op === 'com.microsoft:QuickGelu')).toHaveLength(4); // SiLU, one per layer
    expect(ops.filter((op) => op === 'com.microsoft:MatMulNBits')).toHaveLength(28);
    expect(entry.optimized.kernels.after).toBe(kernelCount(ops));
    expect(entry.optimized.kernels.before).toBeGreaterThan(entry.optimized.kernels.after);
  });

  it('leaves an already optimized folder unchanged, and names a folder without an encoder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2d-opt-'));
    try {
      cpSync(join(FOLDER, 'config.json'), join(dir, 'config.json'));
      cpSync(join(FOLDER, 'onnx'), join(dir, 'onnx'), { recursive: true, filter: (src) => !/model/.test(src.split('/').pop()!) });
      const before = readFileSync(join(dir, 'onnx/encoder_q4.onnx'));
      await optimizeEncoders(dir, { quiet: true });
      expect(readFileSync(join(dir, 'onnx/encoder_q4.onnx')).equals(before)).toBe(true);
      await expect(optimizeEncoders(join(dir, 'nowhere'), { quiet: true })).rejects.toThrow(/encoder.json not found: export the encoder first/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
