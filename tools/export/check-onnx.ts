/**
 * The export's numeric check: for every onnx/model*.onnx and onnx/encoder*.onnx
 * (traced and fused L2D encoder graphs) of a model folder,
 * onnxruntime-node's last-token hidden states vs the torch fixture
 * (fixtures/hidden-states.json), and the tokenizer of @huggingface/transformers
 * vs the Python tokenizer's ids, and each encoder graph against the probe
 * onnx/encoder.json gives it (the one load() checks its warm-up on). Prints a
 * table; exits non-zero when fp32 falls below cosine 0.99999, another file or
 * a probe below 0.999, or any tokenization differs.
 *
 *   npx tsx tools/export/check-onnx.ts models/movielens-demo [fixture file name, default hidden-states.json]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { cosine, modelShape } from '../../src/core/encoder-feeds.ts';
import { lastHiddenStates, loadTokenizer } from '../lib/onnx-encoder.ts';
import { readJson } from '../lib/files.ts';
import { tokenIds } from '../../src/encoder/tokenizer.ts';
import { probeCosine, probeRows, PROBE_MIN_COSINE, type EncoderManifest } from '../../src/core/encoder-manifest.ts';

export interface HiddenStateFixture {
  source: string;
  hidden_size: number;
  /** hidden[dtype]: the reference last-token hidden state for that dtype's weights. */
  cases: { prompt: string; input_ids: number[]; hidden: Record<string, number[]> }[];
}

export interface DtypeCheck {
  file: string;
  dtype: string;
  bytes: number;
  /** Against the torch reference of the same dtype. */
  minCosine: number;
  meanCosine: number;
  /** Against torch fp32: what quantization costs. */
  minCosineVsFp32: number;
  msPerPrompt: number;
  /** Against its probe in onnx/encoder.json (the least of its rows), for the encoder graphs listed there. */
  probeCosine?: number;
}

/** onnx/model.onnx -> fp32, onnx/model_q4.onnx -> q4 (the names @huggingface/transformers uses). */
export function dtypeOf(file: string): string {
  // encoder_<dtype>.onnx, encoder_<dtype>_fused.onnx and encoder_q4_fused_plain.onnx (the L2D encoder graphs) share their generation graph's dtype and reference.
  return file === 'model.onnx' || file === 'encoder.onnx' ? 'fp32' : file.replace(/^(model|encoder)_/, '').replace(/(_fused(_plain)?)?\.onnx$/, '');
}

/** The torch reference for a dtype: q4f16 has q4's weights (only its activations are float16), so q4's reference serves both. */
export function referenceHidden(fixtureCase: HiddenStateFixture['cases'][number], dtype: string): number[] | undefined {
  return fixtureCase.hidden[dtype] ?? (dtype === 'q4f16' ? fixtureCase.hidden.q4 : undefined);
}

export function readFixture(folder: string, name = 'hidden-states.json'): HiddenStateFixture {
  return readJson<HiddenStateFixture>(join(folder, 'fixtures', name));
}

export async function checkModel(folder: string, fixtureName?: string): Promise<{ tokenizerMatches: boolean; checks: DtypeCheck[] }> {
  const fixture = readFixture(folder, fixtureName);
  const shape = modelShape(readJson<Record<string, unknown>>(join(folder, 'config.json')));
  const tokenizer = await loadTokenizer(folder);
  const ids = fixture.cases.map((c) => tokenIds(tokenizer, c.prompt));
  // The runtime tokenizer (@huggingface/tokenizers) against the Python tokenizer's ids in the fixture,
  // and against @huggingface/transformers' AutoTokenizer on the same folder.
  env.allowRemoteModels = false;
  env.localModelPath = `${resolve(folder, '..')}/`;
  const auto = await AutoTokenizer.from_pretrained(resolve(folder).split('/').pop()!);
  const autoIds = fixture.cases.map((c) => Array.from(auto.encode(c.prompt, { add_special_tokens: false }) as number[]));
  const tokenizerMatches = ids.every(
    (row, i) => JSON.stringify(row) === JSON.stringify(fixture.cases[i].input_ids) && JSON.stringify(row) === JSON.stringify(autoIds[i]),
  );
  const checks: DtypeCheck[] = [];
  const manifestPath = join(folder, 'onnx', 'encoder.json');
  const manifest: EncoderManifest = existsSync(manifestPath) ? readJson<EncoderManifest>(manifestPath) : { graphs: {} };
  for (const file of readdirSync(join(folder, 'onnx')).filter((f) => /^(model|encoder).*\.onnx$/.test(f)).sort()) {
    const path = join(folder, 'onnx', file);
    const session = await ort.InferenceSession.create(path);
    const t0 = performance.now();
    const hidden = [];
    for (const c of fixture.cases) hidden.push((await lastHiddenStates(session, [c.input_ids], shape))[0]);
    const ms = (performance.now() - t0) / fixture.cases.length;
    const probe = manifest.graphs[file]?.probe;
    // Its rows in one forward pass, as the browser's warm-up runs them (the shorter one padded).
    const probeMin = probe ? probeCosine(probe, await lastHiddenStates(session, probeRows(probe), shape)).cosine : undefined;
    const dtype = dtypeOf(file);
    const reference = fixture.cases.map((c) => referenceHidden(c, dtype));
    if (reference.some((r) => !r)) throw new Error(`${folder}/fixtures/hidden-states.json has no ${dtype} reference for ${file}; export again.`);
    const cos = hidden.map((h, i) => cosine(h, reference[i]!));
    const vsFp32 = hidden.map((h, i) => cosine(h, fixture.cases[i].hidden.fp32));
    checks.push({
      file,
      dtype,
      bytes: statSync(path).size + (existsSync(`${path}_data`) ? statSync(`${path}_data`).size : 0),
      minCosine: Math.min(...cos),
      meanCosine: cos.reduce((s, x) => s + x, 0) / cos.length,
      minCosineVsFp32: Math.min(...vsFp32),
      msPerPrompt: ms,
      ...(probeMin !== undefined ? { probeCosine: probeMin } : {}),
    });
    await session.release();
  }
  return { tokenizerMatches, checks };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const folder = process.argv[2];
  if (!folder) {
    console.error('usage: npx tsx tools/export/check-onnx.ts <model folder>');
    process.exit(2);
  }
  const { tokenizerMatches, checks } = await checkModel(folder, process.argv[3]);
  console.log(`${readFixture(folder, process.argv[3]).cases.length} prompts; tokenizer (@huggingface/tokenizers, @huggingface/transformers and Python): ${tokenizerMatches ? 'identical ids' : 'MISMATCH'}`);
  console.log('| file | MB (with external data) | min cosine vs torch (same weights) | mean | min cosine vs torch fp32 | probe cosine | ms / prompt (onnxruntime-node, CPU) |\n|---|---|---|---|---|---|---|');
  for (const c of checks) {
    console.log(`| ${c.file} | ${(c.bytes / 2 ** 20).toFixed(2)} | ${c.minCosine.toFixed(6)} | ${c.meanCosine.toFixed(6)} | ${c.minCosineVsFp32.toFixed(6)} | ${c.probeCosine?.toFixed(6) ?? '-'} | ${c.msPerPrompt.toFixed(1)} |`);
  }
  const failed = checks.filter((c) => c.minCosine < (c.dtype === 'fp32' ? 0.99999 : 0.999) || (c.probeCosine ?? 1) < PROBE_MIN_COSINE);
  if (!tokenizerMatches || failed.length > 0 || !checks.some((c) => c.dtype === 'fp32' || c.dtype === 'q4')) {
    console.error(`check failed: ${tokenizerMatches ? '' : 'tokenizer mismatch; '}${failed.map((c) => `${c.file} cosine ${c.minCosine}`).join(', ')}`);
    process.exit(1);
  }
}
