/**
 * optimize-encoder: onnxruntime's graph optimizer, run once on the exporting
 * machine, over a model folder's L2D encoder graphs (onnx/encoder.json):
 * constants folded, RMSNorm's seven ops fused into SimplifiedLayerNormalization,
 * SiLU into QuickGelu, shape arithmetic simplified. Two fusions are left out
 * because they produce com.microsoft FusedMatMul, which onnxruntime-web's
 * WebGPU execution provider does not implement (it would run on the CPU).
 * Each optimized graph must give the original's hidden states (cosine >=
 * 0.9999 in onnxruntime-node) before it replaces the file; encoder.json then
 * records its new SHA-256 and the node counts before and after. The fused
 * graphs (tools/export/fused_encoder.py) are left as they are.
 *
 *   npm run optimize-encoder -- models/movielens-demo
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cosine, modelShape, onnxFeeds } from '../../src/core/encoder-feeds.ts';
import { DataFormatError, L2DError } from '../../src/core/errors.ts';
import { graphOps, kernelCount } from '../lib/onnx-proto.ts';
import type { EncoderManifest, EncoderManifestEntry } from '../../src/core/encoder-manifest.ts';
import { exitWithUsage, isEntryPoint, runCli } from '../lib/cli.ts';
import { readJson } from '../lib/files.ts';

/** Fusions whose output op the WebGPU execution provider lacks (com.microsoft FusedMatMul). */
export const DISABLED_FUSIONS = ['MatMulScaleFusion', 'MatmulTransposeFusion'];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function opCounts(ops: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of ops) counts[op] = (counts[op] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

/** Last-token hidden states of a few token rows (left-padded batch) through an encoder graph. */
async function hiddenStates(file: string, rows: number[][], config: Record<string, unknown>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'disabled' });
  try {
    const { feeds } = onnxFeeds(ort.Tensor, rows, modelShape(config), false);
    const out = await session.run(feeds, ['last_token_hidden_state']);
    return out.last_token_hidden_state.data as Float32Array;
  } finally {
    await session.release();
  }
}

export async function optimizeEncoders(folder: string, options: { quiet?: boolean } = {}): Promise<Record<string, EncoderManifestEntry>> {
  const manifestPath = join(folder, 'onnx', 'encoder.json');
  if (!existsSync(manifestPath)) throw new DataFormatError(`${manifestPath} not found: export the encoder first (npm run export-model -- ${folder} --encoder-only).`);
  const manifest = readJson<EncoderManifest>(manifestPath);
  const config = readJson<Record<string, unknown>>(join(folder, 'config.json'));
  const vocab = Number(config.vocab_size);
  // Token rows of different lengths (so padding is exercised), ids spread over the vocabulary.
  const rows = [17, 60, 123].map((length, r) => Array.from({ length }, (_, i) => 2 + ((i * 7919 + r * 104729) % (vocab - 2))));
  const log = (line: string) => options.quiet || console.log(line);
  for (const [name, entry] of Object.entries(manifest.graphs)) {
    const file = join(folder, 'onnx', name);
    if (!existsSync(file)) {
      log(`${name}: not in this folder (not tracked, or not exported); skipped`);
      continue;
    }
    const bytes = readFileSync(file);
    if (sha256(bytes) !== entry.sha256) throw new DataFormatError(`${file} is not the file encoder.json describes; export the encoder again.`);
    if (entry.fused) {
      log(`${name}: written fused by ${entry.fused.by}; nothing to optimize`);
      continue;
    }
    if (entry.optimized) {
      log(`${name}: already optimized (${entry.optimized.kernels.before} -> ${entry.optimized.kernels.after} kernels)`);
      continue;
    }
    const tmp = `${file}.optimized-tmp`;
    try {
      const session = await ort.InferenceSession.create(file, {
        graphOptimizationLevel: 'extended',
        optimizedModelFilePath: tmp,
        executionProviders: ['cpu'],
        extra: { optimization: { disable_specified_optimizers: DISABLED_FUSIONS.join(';') } },
      });
      await session.release();
    } catch (error) {
      rmSync(tmp, { force: true });
      log(`${name}: onnxruntime-node could not optimize it (${(error as Error).message.split('\n')[0]}); left as it is`);
      continue;
    }
    const optimized = readFileSync(tmp);
    const [before, after] = [graphOps(bytes), graphOps(optimized)];
    if (after.some((op) => op === 'com.microsoft:FusedMatMul')) throw new L2DError('invalid-argument', `${name}: the optimizer still made FusedMatMul (unsupported on WebGPU); not replacing.`);
    const [a, b] = [await hiddenStates(file, rows, config), await hiddenStates(tmp, rows, config)];
    const d = Number(config.hidden_size);
    for (let r = 0; r < rows.length; r++) {
      const c = cosine(a.subarray(r * d, (r + 1) * d), b.subarray(r * d, (r + 1) * d));
      if (!(c >= 0.9999)) {
        rmSync(tmp, { force: true });
        throw new L2DError('invalid-argument', `${name}: the optimized graph's hidden state differs (cosine ${c.toFixed(6)} on row ${r}); not replacing.`);
      }
    }
    renameSync(tmp, file);
    entry.sha256 = sha256(optimized);
    entry.optimized = {
      by: `onnxruntime-node ${ort.env.versions.common} graphOptimizationLevel extended`,
      disabled: DISABLED_FUSIONS,
      kernels: { before: kernelCount(before), after: kernelCount(after) },
      ops: opCounts(after),
    };
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    log(`${name}: ${kernelCount(before)} -> ${kernelCount(after)} kernels (${before.length} -> ${after.length} nodes); hidden states equal; encoder.json updated`);
  }
  return manifest.graphs;
}

const USAGE = 'usage: npm run optimize-encoder -- <model folder>';

if (isEntryPoint(import.meta.url)) {
  runCli('optimize-encoder', async () => {
    const folder = process.argv[2];
    if (!folder) exitWithUsage(USAGE);
    await optimizeEncoders(folder);
  });
}
