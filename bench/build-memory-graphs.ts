/**
 * `npm run bench:build-memory`: what build-memory's encoding costs per row, side by side in one Node process
 * (onnxruntime-node on all cores), on the same training prompts in build-memory's batches:
 * - the generation graph (`--graph full`) with the samples in their order (build-memory before 2026-12-07),
 * - the graph `--graph auto` picks (the fused L2D encoder graph where onnx/encoder.json lists one), same order,
 * - that graph with the samples in lengthOrder (batches of like length: what build-memory does now).
 * It also prints the share of each order's tokens that are padding (a batch is padded to its longest prompt).
 * Each configuration encodes every batch once per round, the configurations taking turns, for --rounds rounds
 * after a warm-up batch each; the median round's ms per row of each, and the ratios. All three must give the
 * same hidden states (the smallest cosine is printed; below 0.9999 it exits 1): a speed-up that changed a
 * memory is no speed-up.
 */
import { cosine } from '../src/core/encoder-feeds.ts';
import { fitPrompt, lastOfEach } from '../src/core/fit-prompt.ts';
import { encodeInOrder, lengthOrder } from '../src/core/shard-builder.ts';
import { median } from '../src/core/stats.ts';
import { parseOptions } from '../tools/lib/cli.ts';
import { loadNodeEncoder, type NodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';

const USAGE = 'usage: npm run bench:build-memory -- [--model models/movielens-demo] [--data data/prepared/movielens-latest-small] [--rows 1024] [--batch 32] [--rounds 3]';
const { values } = parseOptions('bench:build-memory', USAGE, {
  options: {
    model: { type: 'string', default: 'models/movielens-demo' },
    data: { type: 'string', default: 'data/prepared/movielens-latest-small' },
    rows: { type: 'string', default: '1024' },
    batch: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
  },
});
const fail = optionFailure('bench:build-memory', USAGE);
const rows = wholeNumber('--rows', values.rows, fail);
const batch = wholeNumber('--batch', values.batch, fail);
const rounds = wholeNumber('--rounds', values.rounds, fail);
const data = loadPrepared(values.data);
// As build-memory encodes them: the training split's first rows, a repeated item once, at its last place.
const histories = data.split('train').slice(0, rows).map((s) => lastOfEach(s.history).map((i) => data.items[i].title));
const [full, auto] = [await loadNodeEncoder(values.model, 'q4', 'full'), await loadNodeEncoder(values.model, 'q4', 'auto')];
const inOrder = histories.map((_, i) => i);
const configs: { name: string; encoder: NodeEncoder; order: number[] }[] = [
  { name: `${full.graphFile}, samples in order`, encoder: full, order: inOrder },
  { name: `${auto.graphFile}, samples in order`, encoder: auto, order: inOrder },
  { name: `${auto.graphFile}, batches of like length`, encoder: auto, order: lengthOrder(histories, auto.maxHistory) },
];
// The tokens each order's batches run: every prompt padded to its batch's longest.
const promptTokens = histories.map((titles) => fitPrompt(titles, auto.tokenize, auto.maxPromptTokens, auto.template).ids.length);
const paddingShare = (order: number[]) => {
  let padded = 0;
  for (let b = 0; b < order.length; b += batch) {
    const part = order.slice(b, b + batch);
    padded += part.length * Math.max(...part.map((i) => promptTokens[i]));
  }
  return 1 - promptTokens.reduce((sum, n) => sum + n, 0) / padded;
};
const msPerRow: number[][] = configs.map(() => []);
const hidden: Float32Array[][] = configs.map(() => new Array<Float32Array>(histories.length));
for (const { encoder } of configs) await encoder.encode(histories.slice(0, batch)); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [c, { encoder, order }] of configs.entries()) {
    const t0 = performance.now();
    await encodeInOrder(encoder, histories, order, batch, (i, h) => (hidden[c][i] = h));
    msPerRow[c].push((performance.now() - t0) / histories.length);
  }
}
await Promise.all([full.release(), auto.release()]);
let smallest = 1;
for (const other of hidden.slice(1)) other.forEach((h, i) => (smallest = Math.min(smallest, cosine(h, hidden[0][i]))));
const ms = msPerRow.map(median);
console.log(`${values.model}, ${histories.length} training prompts of ${data.manifest.name}, batches of ${batch}, ${rounds} rounds taking turns (median round):\n`);
console.log('| encoding | ms per row | rows per s | speed vs the first |\n|---|---|---|---|');
configs.forEach((c, i) => console.log(`| ${c.name} | ${ms[i].toFixed(2)} | ${(1000 / ms[i]).toFixed(0)} | ${(ms[0] / ms[i]).toFixed(2)}x |`));
console.log(`\nPadding: ${(100 * paddingShare(inOrder)).toFixed(1)}% of the tokens in sample order, ${(100 * paddingShare(configs[2].order)).toFixed(1)}% in batches of like length.`);
console.log(`Smallest cosine between their hidden states: ${smallest.toFixed(6)}.`);
if (smallest < 0.9999) {
  console.error('The configurations disagree (cosine below 0.9999): not a like-for-like comparison.');
  process.exit(1);
}
