/**
 * A larger memory for load timings (bench:second-visit --memory): a shard's rows repeated `--times` over, in
 * chunks of `--chunk-rows`, with the same model, catalog and item labels. The rows repeat, so it is for timing a
 * download, never for quality.
 *
 *   npx tsx bench/rechunk-memory.ts [--from models/movielens-demo/memory/train-q4-f0.3] [--times 4] [--chunk-rows 4096] [--out test-results/rechunked-memory]
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { encodeChunk, formatShardManifest, sha256Hex, shardVersion, type ShardChunk } from '../src/core/shard-format.ts';
import { chunkFileName } from '../src/core/shard-builder.ts';
import { rowStride } from '../src/core/memory.ts';
import { loadShard } from '../tools/lib/shard-files.ts';
import { parseOptions } from '../tools/lib/cli.ts';
import { optionFailure, wholeNumber } from './bench-options.ts';

const USAGE = 'usage: npx tsx bench/rechunk-memory.ts [--from <shard folder>] [--times 4] [--chunk-rows 4096] [--out test-results/rechunked-memory]';
const { values } = parseOptions('rechunk-memory', USAGE, {
  options: {
    from: { type: 'string', default: 'models/movielens-demo/memory/train-q4-f0.3' },
    times: { type: 'string', default: '4' },
    'chunk-rows': { type: 'string', default: '4096' },
    out: { type: 'string', default: 'test-results/rechunked-memory' },
  },
});
const fail = optionFailure('rechunk-memory', USAGE);
const times = wholeNumber('--times', values.times, fail);
const chunkRows = wholeNumber('--chunk-rows', values['chunk-rows'], fail);
const { manifest, memory } = await loadShard(values.from);
rmSync(values.out, { recursive: true, force: true });
mkdirSync(values.out, { recursive: true });
const d = memory.dim;
const stride = rowStride(d);
const total = memory.rows * times;
const chunks: ShardChunk[] = [];
for (let start = 0; start < total; start += chunkRows) {
  const rows = Math.min(chunkRows, total - start);
  const vectors = new Uint16Array(rows * d);
  const labels = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const source = (start + r) % memory.rows;
    vectors.set(memory.vectors.subarray(source * stride, source * stride + d), r * d);
    labels[r] = memory.labels[source];
  }
  const bytes = encodeChunk(vectors, labels, d);
  const file = chunkFileName(chunks.length);
  writeFileSync(`${values.out}/${file}`, bytes);
  chunks.push({ file, rows, bytes: bytes.length, sha256: await sha256Hex(bytes) });
}
copyFileSync(`${values.from}/${manifest.catalog.file}`, `${values.out}/${manifest.catalog.file}`);
// Written as float16 rows whatever the source's were.
writeFileSync(`${values.out}/manifest.json`, formatShardManifest({ ...manifest, version: shardVersion('float16'), dtype: 'float16', rows: total, chunkRows, chunks }));
console.log(`${values.out}: ${total} rows in ${chunks.length} chunks, ${(chunks.reduce((s, c) => s + c.bytes, 0) / 2 ** 20).toFixed(1)} MB`);
