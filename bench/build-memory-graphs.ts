/**
 * `npm run bench:build-memory`: what build-memory's encoding costs per row with each graph of a model's dtype, side
 * by side in one Node process (onnxruntime-node, all cores): the same training prompts, in build-memory's batches,
 * batch by batch alternating between the generation graph (`--graph full`) and the graph `--graph auto` picks (the
 * fused L2D encoder graph where onnx/encoder.json lists one); ms per row of each and their ratio. The two must give
 * the same hidden states (the smallest cosine is printed; below 0.9999 it exits 1): a speed-up that changed a memory
 * is no speed-up.
 */
import { cosine } from '../src/core/encoder-feeds.ts';
import { lastOfEach } from '../src/core/fit-prompt.ts';
import { median } from '../src/core/stats.ts';
import { parseOptions } from '../tools/lib/cli.ts';
import { loadNodeEncoder } from '../tools/lib/onnx-encoder.ts';
import { loadPrepared } from '../tools/lib/prepared.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';

const USAGE = 'usage: npm run bench:build-memory -- [--model models/movielens-demo] [--data data/prepared/movielens-latest-small] [--rows 1024] [--batch 32]';
const { values } = parseOptions('bench:build-memory', USAGE, {
  options: {
    model: { type: 'string', default: 'models/movielens-demo' },
    data: { type: 'string', default: 'data/prepared/movielens-latest-small' },
    rows: { type: 'string', default: '1024' },
    batch: { type: 'string', default: '32' },
  },
});
const fail = optionFailure('bench:build-memory', USAGE);
const rows = wholeNumber('--rows', values.rows, fail);
const batch = wholeNumber('--batch', values.batch, fail);
const data = loadPrepared(values.data);
// As build-memory encodes them: the training split's first rows, a repeated item once, at its last place.
const histories = data.split('train').slice(0, rows).map((s) => lastOfEach(s.history).map((i) => data.items[i].title));
const encoders = [await loadNodeEncoder(values.model, 'q4', 'full'), await loadNodeEncoder(values.model, 'q4', 'auto')];
const ms: number[][] = encoders.map(() => []);
let smallest = 1;
for (let b = 0; b < histories.length; b += batch) {
  const part = histories.slice(b, b + batch);
  // The first batch warms each session and is not timed.
  const outs: { hidden: Float32Array[] }[] = [];
  for (const [e, encoder] of encoders.entries()) {
    const t0 = performance.now();
    outs.push(await encoder.encode(part));
    if (b > 0) ms[e].push((performance.now() - t0) / part.length);
  }
  outs[0].hidden.forEach((h, i) => (smallest = Math.min(smallest, cosine(h, outs[1].hidden[i]))));
}
await Promise.all(encoders.map((e) => e.release()));
const [full, auto] = ms.map(median);
console.log(`${values.model}, ${histories.length} training prompts of ${data.manifest.name}, batches of ${batch}, alternating (median ms per row over ${ms[0].length} batches):\n`);
console.log('| graph | ms per row | rows per s |\n|---|---|---|');
encoders.forEach((e, i) => console.log(`| ${e.graphFile} | ${[full, auto][i].toFixed(2)} | ${(1000 / [full, auto][i]).toFixed(0)} |`));
console.log(`\n${encoders[1].graphFile} is ${(full / auto).toFixed(2)}x the generation graph's speed; smallest cosine between their hidden states ${smallest.toFixed(6)}.`);
if (smallest < 0.9999) {
  console.error('The graphs disagree (cosine below 0.9999): not a like-for-like comparison.');
  process.exit(1);
}
