/**
 * recommend: one L2D recommendation from the terminal, offline. The model folder and its memory shard are read
 * from disk and nothing leaves the machine: the history's prompt is encoded once (onnxruntime-node), then ranked
 * by L2D-V (the default), L2D-L or L2D-G with the CPU decoder, the same rules and results as the page's decoders.
 *
 *   npm run recommend -- --model models/movielens-demo --memory models/movielens-demo/memory/train-q4-f0.3 --history 12,40,41
 *   npm run recommend -- --model M --memory S --title "Toy Story (1995)" --title "Heat (1995)" [--k 10]
 *   npm run recommend -- --model models/amazon-games --memory models/amazon-games/memory/train-q4-centroids --source-ids B00JK00S0S,B00KVR4HEC
 *        [--strategy vote|local|global] [--m 3000] [--exclude-history] [--exclude 7,8] [--only 1,2,3] [--cold-start similar-titles] [--dtype q4] [--json]
 *
 * The history is --history's ids (oldest first), then --source-ids' items (the catalog's own keys, items.tsv's
 * source_id: an ASIN, a MovieLens movieId), then the --title items in order; a title must be a catalog title
 * (case and spacing ignored), and the nearest titles are named when it is not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fastCentroids } from '../../src/core/l2-scan-wasm.ts';
import { COLD_START_RULES, coldStartCentroids, type ColdStartRule } from '../../src/core/cold-start.ts';
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { checkK, type DecodedSource, type Strategy } from '../../src/core/decode-options.ts';
import { parseCount, parseStrategy } from '../../src/core/setting-text.ts';
import { rowStride } from '../../src/core/memory.ts';
import type { PreparedItem } from '../../src/core/data/prepare.ts';
import { InvalidArgumentError } from '../../src/core/errors.ts';
import { TitleGrounder } from '../../src/core/grounding.ts';
import { verifiedCatalog } from '../../src/core/shard-format.ts';
import { lastOfEach } from '../../src/core/fit-prompt.ts';
import { loadNodeEncoder } from '../lib/onnx-encoder.ts';
import { loadShard } from '../lib/shard-files.ts';
import { exitWithUsage, isEntryPoint, parseOptions, runCli } from '../lib/cli.ts';

export interface OfflineRequest {
  model: string;
  memory: string;
  /** Catalog ids, oldest first. */
  history?: number[];
  /** The catalog's own keys (items.tsv's source_id), after the ids. */
  sourceIds?: string[];
  /** Catalog titles, after the keys. */
  titles?: string[];
  k?: number;
  strategy?: Strategy;
  m?: number;
  excludeHistory?: boolean;
  /** Catalog ids never to return, and the only ones to return (as recommend()'s exclude and only). */
  exclude?: number[];
  only?: number[];
  /** 'similar-titles': items that never were a training target get a centroid (src/core/cold-start.ts), as load()'s coldStart. */
  coldStart?: ColdStartRule;
  dtype?: string;
}

export interface OfflineRecommendation {
  history: { id: number; sourceId: string; title: string }[];
  /** score: 1 / distance, or L2D-V's vote (source 'vote'). */
  items: { id: number; sourceId: string; title: string; distance: number; score: number; source: DecodedSource }[];
  /** Oldest history titles left out to fit the model's context. */
  droppedOldest: number;
  hidden: Float32Array;
  timings: { load: number; encode: number; decode: number };
}

/** A title's catalog id (case and spacing ignored); the nearest titles named when there is none. */
function titleId(title: string, catalog: readonly PreparedItem[], grounder: TitleGrounder): number {
  const [exact] = grounder.exactMatches(title);
  if (exact !== undefined) return exact;
  const nearest = grounder.rank(title, 3).map((id) => `"${catalog[id].title}" (${id})`);
  throw new InvalidArgumentError(`"${title}" is not a title of this catalog; the nearest: ${nearest.join(', ')}.`);
}

export async function recommendOffline(request: OfflineRequest): Promise<OfflineRecommendation> {
  const k = request.k ?? 10;
  const strategy = parseStrategy(request.strategy, '--strategy'); // unnamed: the decoders' default (L2D-V)
  const coldStart = request.coldStart ?? 'none';
  if (!COLD_START_RULES.includes(coldStart)) throw new InvalidArgumentError(`--cold-start must be one of ${COLD_START_RULES.join(', ')}, got "${String(coldStart)}".`);
  const t0 = performance.now();
  const encoder = await loadNodeEncoder(request.model, request.dtype ?? 'q4', 'auto'); // the graph a page runs
  try {
    const { manifest, memory } = await loadShard(request.memory, { sha256: encoder.sha256, hiddenSize: encoder.hiddenSize });
    const catalog = await verifiedCatalog(manifest, readFileSync(join(request.memory, manifest.catalog.file)), join(request.memory, manifest.catalog.file));
    checkK(k, catalog.length, '--k');
    for (const id of request.history ?? []) {
      if (!(Number.isInteger(id) && id >= 0 && id < catalog.length)) throw new InvalidArgumentError(`History item ${id} is not a catalog id (0..${catalog.length - 1}).`);
    }
    const grounder = request.titles?.length ? new TitleGrounder(catalog.map((item) => item.title)) : undefined;
    const byKey = new Map(catalog.map((item) => [item.sourceId, item.id]));
    const keyId = (key: string) => {
      const id = byKey.get(key);
      if (id === undefined) throw new InvalidArgumentError(`"${key}" is not a source_id of this catalog (${join(request.memory, manifest.catalog.file)}, its second column).`);
      return id;
    };
    // A repeated item counts once, at its last place, as in the training data and the page.
    const ids = lastOfEach([...(request.history ?? []), ...(request.sourceIds ?? []).map(keyId), ...(request.titles ?? []).map((title) => titleId(title, catalog, grounder!))]);
    if (ids.length === 0) throw new InvalidArgumentError('The history is empty: give --history ids, --source-ids keys or --title titles, oldest first.');
    const t1 = performance.now();
    const { hidden, dropped } = await encoder.encode([ids.map((id) => catalog[id].title)]);
    const t2 = performance.now();
    // The rule reads the memory's centroids; the decoder takes them over (not computed twice).
    const centroids = coldStart === 'similar-titles' ? fastCentroids(memory) : undefined;
    const extraCentroids = centroids && coldStartCentroids(catalog.map((item) => item.title), centroids, rowStride(memory.dim));
    const decoded = new CpuDecoder(memory, { extraCentroids, centroids }).decode(hidden[0], {
      k,
      strategy,
      m: request.m,
      exclude: [...(request.exclude ?? []), ...(request.excludeHistory ? ids : [])],
      ...(request.only !== undefined ? { only: request.only } : {}),
    });
    const t3 = performance.now();
    return {
      history: ids.map((id) => ({ id, sourceId: catalog[id].sourceId, title: catalog[id].title })),
      items: decoded.map((x) => ({ id: x.item, sourceId: catalog[x.item].sourceId, title: catalog[x.item].title, distance: x.distance, score: x.score, source: x.source })),
      droppedOldest: dropped[0],
      hidden: hidden[0],
      timings: { load: t1 - t0, encode: t2 - t1, decode: t3 - t2 },
    };
  } finally {
    await encoder.release();
  }
}

function parseIds(text: string | undefined, option: string): number[] {
  if (text === undefined) return [];
  return text.split(',').map((token) => {
    if (!/^\s*\d+\s*$/.test(token)) throw new InvalidArgumentError(`${option} takes catalog ids separated by commas, got "${text}".`);
    return Number(token);
  });
}

function parseKeys(text: string | undefined): string[] {
  if (text === undefined) return [];
  const keys = text.split(',').map((token) => token.trim());
  if (keys.some((key) => key === '')) throw new InvalidArgumentError(`--source-ids takes the catalog's source_id values separated by commas, got "${text}".`);
  return keys;
}

const USAGE =
  'usage: npm run recommend -- --model <model folder> --memory <shard folder> (--history 12,40,41 | --source-ids K1,K2 | --title "A title" ...) [--k 10] [--strategy vote|local|global] [--m 3000] [--exclude-history] [--exclude 7,8] [--only 1,2,3] [--cold-start similar-titles] [--json]';

async function main(): Promise<void> {
  const { values } = parseOptions('recommend', USAGE, {
    options: {
      model: { type: 'string' },
      memory: { type: 'string' },
      history: { type: 'string' },
      'source-ids': { type: 'string' },
      title: { type: 'string', multiple: true },
      k: { type: 'string' },
      strategy: { type: 'string' },
      m: { type: 'string' },
      'exclude-history': { type: 'boolean', default: false },
      exclude: { type: 'string' },
      only: { type: 'string' },
      'cold-start': { type: 'string' },
      dtype: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.model || !values.memory) exitWithUsage(USAGE);
  const result = await recommendOffline({
    model: values.model,
    memory: values.memory,
    history: parseIds(values.history, '--history'),
    sourceIds: parseKeys(values['source-ids']),
    titles: values.title,
    k: parseCount(values.k, '--k'),
    strategy: values.strategy as OfflineRequest['strategy'], // recommendOffline checks it, naming --strategy
    m: parseCount(values.m, '--m'),
    excludeHistory: values['exclude-history'],
    exclude: parseIds(values.exclude, '--exclude'),
    ...(values.only !== undefined ? { only: parseIds(values.only, '--only') } : {}),
    coldStart: values['cold-start'] as ColdStartRule | undefined,
    dtype: values.dtype,
  });
  if (values.json) {
    const { hidden: _hidden, ...rest } = result;
    console.log(JSON.stringify(rest, null, 2));
    return;
  }
  console.log(`History (oldest first): ${result.history.map((h) => `${h.title} (${h.id}, source id ${h.sourceId})`).join('; ')}`);
  if (result.droppedOldest > 0) console.log(`(the ${result.droppedOldest} oldest titles were left out: a prompt holds the model's history window, prompt-template.json's maxHistory, within its context)`);
  console.log('\n| rank | id | source id | distance | score | from | title |\n|---|---|---|---|---|---|---|');
  result.items.forEach((item, rank) => console.log(`| ${rank + 1} | ${item.id} | ${item.sourceId} | ${item.distance.toFixed(4)} | ${item.score.toPrecision(4)} | ${item.source} | ${item.title} |`));
  const t = result.timings;
  console.log(`\nload ${t.load.toFixed(0)} ms, encode ${t.encode.toFixed(1)} ms, decode ${t.decode.toFixed(1)} ms (onnxruntime-node and the CPU decoder, this machine only).`);
}

if (isEntryPoint(import.meta.url)) runCli('recommend', main);
