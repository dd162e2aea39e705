/**
 * A model folder's graphs in onnxruntime-node on this machine's CPU, one
 * thread: the forward time of one prompt of TOKENS synthetic ids (the ids of
 * bench/forward-timing.ts) per graph, and with --reference each graph's
 * last-token hidden state against torch's (the weights MatMulNBits computes
 * with, bench/torch-encoder.py --reference, which also times torch fp32 on
 * the same CPU in the same command). For folders without a fixture, such as
 * the Llama-3.2-1B-shaped one of bench/gpu-speed-model.sh.
 *
 *   npm run bench:node-graphs -- models/movielens-demo [--tokens 128] [--reference]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';
import * as ort from 'onnxruntime-node';
import { cosine, graphFeeds, graphSignature, HIDDEN_OUTPUT, modelShape } from '../src/core/encoder-feeds.ts';
import { median } from '../src/core/stats.ts';
import { syntheticIds } from './forward-timing.ts';

const USAGE = 'usage: npm run bench:node-graphs -- models/movielens-demo [--tokens 128] [--reference]';
const { values, positionals } = parseOptions('bench:node-graphs', USAGE, { allowPositionals: true, options: { tokens: { type: 'string', default: '128' }, reference: { type: 'boolean', default: false } } });
const folder = positionals[0];
if (!folder) throw new Error('usage: npm run bench:node-graphs -- <model folder> [--tokens 128] [--reference]');
const tokens = wholeNumber('--tokens', values.tokens, optionFailure('bench:node-graphs', USAGE));
const config = JSON.parse(readFileSync(`${folder}/config.json`, 'utf8')) as Record<string, unknown>;
const shape = modelShape(config);
const ids = syntheticIds(Number(config.vocab_size), tokens);
const torch = values.reference
  ? (JSON.parse(execFileSync('/usr/bin/python3', ['bench/torch-encoder.py', folder, '--reference', String(tokens)], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { fp32_cpu_ms_median: number; hidden_q4: number[]; torch: string })
  : undefined;

console.log(`${folder}, one prompt of ${tokens} tokens, onnxruntime-node ${ort.env.versions.common} (CPU, 1 thread)${torch ? `; torch ${torch.torch} fp32 on the same CPU: ${torch.fp32_cpu_ms_median.toFixed(1)} ms` : ''}\n`);
console.log(`| graph | median ms (5 runs after one) |${torch ? ' cosine vs torch (q4 weights) |' : ''}\n|---|---|${torch ? '---|' : ''}`);
for (const file of ['model_q4.onnx', 'encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx', 'encoder_q4f16_fused.onnx']) {
  if (!existsSync(`${folder}/onnx/${file}`)) continue;
  const session = await ort.InferenceSession.create(`${folder}/onnx/${file}`, { intraOpNumThreads: 1 });
  const graph = graphSignature(session);
  const output = HIDDEN_OUTPUT[graph.kind];
  const run = async () => (await session.run(graphFeeds(ort.Tensor, [ids], shape, graph).feeds, [output]))[output].data as Float32Array;
  let hidden = await run();
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    hidden = await run();
    times.push(performance.now() - t0);
  }
  const last = hidden.subarray(hidden.length - shape.hiddenSize);
  console.log(`| ${file} | ${median(times).toFixed(1)} |${torch ? ` ${cosine(last, torch.hidden_q4).toFixed(6)} |` : ''}`);
  await session.release();
}
