/**
 * build-memory with the committed demo model on a small data set: the same
 * inputs give the same bytes, a stopped build resumes to the same shard,
 * --fraction keeps a seeded reservoir sample, and the shard is bound to its model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareFolder } from '../prepare-data/main.ts';
import { loadShard } from '../lib/shard-files.ts';
import { loadPrepared } from '../lib/prepared.ts';
import { evaluateL2D } from '../evaluate/l2d.ts';
import { loadNodeEncoder } from '../lib/onnx-encoder.ts';
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { fromFloat16Bits } from '../../src/core/float16.ts';
import { buildCentroidMemory, buildMemory, convertMemory, parseRowDtype, reservoirSample } from './main.ts';
import { parseSplits } from '../lib/prepared.ts';
import { runTool } from '../lib/run-tool.ts';

const MODEL = 'models/movielens-demo';
let dir: string;
let data: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'l2d-mem-'));
  const src = join(dir, 'src');
  mkdirSync(src);
  const titles = ['Toy Story (1995)', 'Heat (1995)', 'Casino (1995)', 'Sabrina (1995)', 'GoldenEye (1995)', 'Balto (1995)', 'Jumanji (1995)', 'Nixon (1995)', 'Tom and Huck (1995)'];
  writeFileSync(join(src, 'items.tsv'), `seq_id\tasin\ttitle\n${titles.map((t, i) => `${i + 1}\tM${i}\t${t}`).join('\n')}\n`);
  // 7 distinct items per user (5 is coprime to 9); user 1's valid and test items are two it has not seen.
  const users = Array.from({ length: 8 }, (_, u) => `${u + 1} ${Array.from({ length: 7 }, (_, j) => ((u + j * 5) % 9) + 1).join(' ')}`);
  writeFileSync(join(src, 'sequential_train.txt'), `${users.join('\n')}\n`);
  writeFileSync(join(src, 'sequential_valid.txt'), '1 5\n');
  writeFileSync(join(src, 'sequential_test.txt'), '1 9\n');
  data = join(dir, 'prepared');
  prepareFolder(src, data, { kCore: 2 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = (folder: string) => Object.fromEntries(readdirSync(folder).sort().map((f) => [f, readFileSync(join(folder, f))]));

describe('build-memory', () => {
  it('is deterministic and resumable', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const manifest = await buildMemory({ model: MODEL, data, out: a, chunkRows: 16, batch: 5, quiet: true });
    expect(manifest.rows).toBe(48); // 8 users x 6 samples
    expect(manifest.chunks.map((c) => c.rows)).toEqual([16, 16, 16]);
    // Stop after one chunk, then run again: the second run keeps chunk 0 and finishes. (Same --batch:
    // a row's hidden state can differ in the last bit with the padding of its batch.)
    await buildMemory({ model: MODEL, data, out: b, chunkRows: 16, batch: 5, quiet: true, stopAfterChunks: 1 });
    expect(readdirSync(`${b}.partial`)).toContain('chunk-00000.bin');
    await buildMemory({ model: MODEL, data, out: b, chunkRows: 16, batch: 5, quiet: true });
    expect(files(b)).toEqual(files(a));
    const { memory } = await loadShard(a);
    expect(memory.rows).toBe(48);
  });

  it("encodes with the fused L2D encoder graph by default (--graph full: the generation graph), the same rows; a partial build of the other graph is no start", async () => {
    const auto = join(dir, 'graph-auto');
    const full = join(dir, 'graph-full');
    await buildMemory({ model: MODEL, data, out: auto, chunkRows: 16, batch: 5, quiet: true, stopAfterChunks: 1 });
    expect(JSON.parse(readFileSync(`${auto}.partial/state.json`, 'utf8')).settings.graph).toBe('onnx/encoder_q4_fused.onnx');
    // The generation graph's build does not take that chunk: it starts over (its settings name no graph, as before --graph).
    rmSync(full, { recursive: true, force: true });
    renameSync(`${auto}.partial`, `${full}.partial`);
    await buildMemory({ model: MODEL, data, out: full, chunkRows: 16, batch: 5, quiet: true, graph: 'full', stopAfterChunks: 1 });
    expect(JSON.parse(readFileSync(`${full}.partial/state.json`, 'utf8')).settings.graph).toBeUndefined();
    const [fused, generation] = await Promise.all([
      buildMemory({ model: MODEL, data, out: auto, chunkRows: 16, batch: 5, quiet: true }).then(() => loadShard(auto)),
      buildMemory({ model: MODEL, data, out: full, chunkRows: 16, batch: 5, quiet: true, graph: 'full' }).then(() => loadShard(full)),
    ]);
    // Bound to the same model file, with the same labels and (float16) rows within rounding.
    expect(fused.manifest.model).toEqual(generation.manifest.model);
    expect(fused.memory.labels).toEqual(generation.memory.labels);
    const halves = (m: typeof fused.memory) => Array.from(m.vectors, fromFloat16Bits);
    const [a, b] = [halves(fused.memory), halves(generation.memory)];
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeLessThan(0.02);
    expect(a).not.toEqual(b); // two graphs, not one run twice
  });

  it('starts a partial build over where its state.json was cut short; names a model file that is not JSON', async () => {
    const whole = join(dir, 'cut-whole');
    const cut = join(dir, 'cut');
    await buildMemory({ model: MODEL, data, out: whole, chunkRows: 16, batch: 5, quiet: true });
    await buildMemory({ model: MODEL, data, out: cut, chunkRows: 16, batch: 5, quiet: true, stopAfterChunks: 1 });
    const state = readFileSync(`${cut}.partial/state.json`, 'utf8');
    writeFileSync(`${cut}.partial/state.json`, state.slice(0, state.length / 2));
    writeFileSync(`${cut}.partial/state.json.tmp`, state.slice(0, 10)); // a stop during the write
    await buildMemory({ model: MODEL, data, out: cut, chunkRows: 16, batch: 5, quiet: true });
    expect(files(cut)).toEqual(files(whole));
    // A model folder whose config.json is not JSON: named, not a stack.
    const copy = join(dir, 'broken-model');
    cpSync(MODEL, copy, { recursive: true, filter: (path) => !path.includes('/memory') && !path.includes('/eval') });
    writeFileSync(join(copy, 'config.json'), '{"hidden_size": 256,');
    await expect(buildMemory({ model: copy, data, out: join(dir, 'never'), quiet: true })).rejects.toThrow(`${join(copy, 'config.json')} could not be read as JSON: `);
  });

  it('keeps a seeded reservoir sample with --fraction', async () => {
    expect(reservoirSample(10, 3, 1)).toEqual(reservoirSample(10, 3, 1));
    expect(reservoirSample(10, 3, 1)).toHaveLength(3);
    expect(reservoirSample(5, 9, 1)).toEqual([0, 1, 2, 3, 4]);
    const manifest = await buildMemory({ model: MODEL, data, out: join(dir, 'f'), fraction: 0.25, chunkRows: 16, quiet: true });
    expect(manifest.rows).toBe(12);
    expect(manifest.dataset).toMatchObject({ fraction: 0.25, samples: 48 });
  });

  it('--centroids-of writes the centroid shard of a built one, the same bytes each time, bound to the same model', async () => {
    const one = join(dir, 'centroids-1');
    const two = join(dir, 'centroids-2');
    const manifest = await buildCentroidMemory(join(dir, 'a'), one);
    await buildCentroidMemory(join(dir, 'a'), two);
    expect(files(two)).toEqual(files(one));
    const { memory: samples } = await loadShard(join(dir, 'a'));
    const withRows = new Set(samples.labels).size;
    expect(manifest).toMatchObject({ rows: withRows, itemCount: samples.itemCount, centroids: { sampleRows: 48 } });
    // Each item's sample count, for memory updates: the rows labelled with it in the source.
    expect(manifest.centroids!.itemSamples).toEqual(Array.from({ length: samples.itemCount }, (_, v) => samples.labels.filter((l) => l === v).length));
    expect(files(one)['manifest.json'].toString()).toContain(`"itemSamples": ${JSON.stringify(manifest.centroids!.itemSamples)}`);
    expect(readFileSync(join(one, 'items.tsv'))).toEqual(readFileSync(join(dir, 'a', 'items.tsv')));
    await expect(loadShard(one, { sha256: '0'.repeat(64), hiddenSize: 256 })).rejects.toThrow(/built with model "movielens-demo"/);
    await expect(buildCentroidMemory(one, join(dir, 'centroids-3'))).rejects.toThrow('This shard already holds centroids');
    await expect(buildCentroidMemory(join(dir, 'a'), join(dir, 'a'))).rejects.toThrow(/--out must be another folder than the shard it reads/);
    expect(files(join(dir, 'a'))['manifest.json'].toString()).not.toContain('centroids'); // the source is untouched
  });

  it('the shipped centroid memory is what --centroids-of builds from the shipped memory, byte for byte', async () => {
    const shipped = 'models/movielens-demo/memory/train-q4-f0.3-centroids';
    await buildCentroidMemory('models/movielens-demo/memory/train-q4-f0.3', join(dir, 'shipped-centroids'));
    expect(files(join(dir, 'shipped-centroids'))).toEqual(files(shipped));
  });

  it('--split all: a store\'s memory of every interaction so far, which evaluate refuses to score on its own splits', async () => {
    expect(parseSplits('all')).toEqual(['train', 'valid', 'test']);
    expect(parseSplits('valid, train')).toEqual(['train', 'valid']); // in time order
    for (const bad of ['', 'train,bogus', 'train,train', 'Train']) {
      expect(() => parseSplits(bad)).toThrow(`--split takes train, valid or test, several of them joined by commas (each once), or all; got "${bad}".`);
    }
    const prepared = loadPrepared(data);
    const out = join(dir, 'all');
    const manifest = await buildMemory({ model: MODEL, data, out, split: 'all', chunkRows: 16, quiet: true });
    const samples = ['train', 'valid', 'test'] as const;
    expect(manifest.rows).toBe(samples.reduce((n, name) => n + prepared.split(name).length, 0));
    expect(manifest.dataset).toMatchObject({ split: 'train,valid,test', samples: manifest.rows });
    // Its rows are the splits' samples in that order: the last row's item is the last test sample's target.
    const { memory } = await loadShard(out);
    expect(Array.from(memory.labels)).toEqual(samples.flatMap((name) => prepared.split(name).map((x) => x.target)));
    await expect(evaluateL2D(prepared, 'test', MODEL, out, { quiet: true })).rejects.toThrow(
      `${out} was built from ${prepared.manifest.name}'s test split (--split train,valid,test): every test sample's answer is a row of it. Evaluate on a split the memory was not built from, or build one from train (the default).`,
    );
    // A memory of the training split is scored on test as before.
    await expect(evaluateL2D(prepared, 'test', MODEL, join(dir, 'a'), { quiet: true, ms: [] })).resolves.toMatchObject({ rows: [{ method: 'L2D-G' }] });
  });

  it('evaluate scores L2D-V at each --vote-m beside L2D-L, each list the decoder\'s own', async () => {
    const prepared = loadPrepared(data);
    const run = await evaluateL2D(prepared, 'test', MODEL, join(dir, 'a'), { quiet: true, ms: [4], voteMs: [4, 12] });
    expect(run.rows.map((r) => r.method)).toEqual(['L2D-G', 'L2D-L (M=4)', 'L2D-V (M=4)', 'L2D-V (M=12)']);
    const encoder = await loadNodeEncoder(MODEL, 'q4', 'auto'); // the graph evaluate encodes with
    const { memory } = await loadShard(join(dir, 'a'));
    const samples = prepared.split('test');
    const { hidden } = await encoder.encode(samples.map((x) => x.history.map((i) => prepared.items[i].title)));
    await encoder.release();
    const decoder = new CpuDecoder(memory);
    for (const [name, m] of [['L2D-V (M=4)', 4], ['L2D-V (M=12)', 12]] as const) {
      const expected = hidden.map((h) => decoder.decode(h, { k: 100, strategy: 'vote', m }).map((x) => x.item));
      expect(run.rankings.get(name)!.map((list) => Array.from(list)), name).toEqual(expected);
    }
  });

  it('evaluate --exclude-history: every L2D list is the decoder\'s own with the sample\'s history excluded, named so', async () => {
    const prepared = loadPrepared(data);
    const run = await evaluateL2D(prepared, 'test', MODEL, join(dir, 'a'), { quiet: true, ms: [4], voteMs: [12], excludeHistory: true });
    expect(run.rows.map((r) => r.method)).toEqual(['L2D-G (history excluded)', 'L2D-L (M=4, history excluded)', 'L2D-V (M=12, history excluded)']);
    const encoder = await loadNodeEncoder(MODEL, 'q4', 'auto'); // the graph evaluate encodes with
    const { memory } = await loadShard(join(dir, 'a'));
    const samples = prepared.split('test');
    expect(samples[0].history.length).toBeGreaterThan(1);
    const { hidden } = await encoder.encode(samples.map((x) => x.history.map((i) => prepared.items[i].title)));
    await encoder.release();
    const decoder = new CpuDecoder(memory);
    const requests = [{ k: 100, strategy: 'global' }, { k: 100, strategy: 'local', m: 4 }, { k: 100, strategy: 'vote', m: 12 }] as const;
    run.rows.forEach(({ method }, j) => {
      const lists = run.rankings.get(method)!.map((list) => Array.from(list));
      expect(lists, method).toEqual(hidden.map((h, i) => decoder.decode(h, { ...requests[j], exclude: samples[i].history }).map((x) => x.item)));
      lists.forEach((list, i) => expect(list.some((id) => samples[i].history.includes(id)), method).toBe(false));
    });
    // Without it the history items are ranked (the paper's protocol): some list holds one.
    const ranked = await evaluateL2D(prepared, 'test', MODEL, join(dir, 'a'), { quiet: true, ms: [4], voteMs: [12] });
    expect([...ranked.rankings.values()].some((lists) => lists.some((list, i) => Array.from(list).some((id) => samples[i].history.includes(id))))).toBe(true);
  });

  it('--rows int8: half the bytes, resumed only from an int8 partial build; --convert stores a float16 shard\'s rows in int8', async () => {
    const int8 = join(dir, 'int8');
    const manifest = await buildMemory({ model: MODEL, data, out: int8, chunkRows: 16, batch: 5, quiet: true, rows: 'int8' });
    const float16 = (await loadShard(join(dir, 'a'))).manifest;
    expect([manifest.version, manifest.dtype, manifest.rows]).toEqual([2, 'int8', 48]);
    expect(manifest.chunks.map((c) => c.bytes)).toEqual([16 * 256 + 256 * 4 + 16 * 4, 16 * 256 + 256 * 4 + 16 * 4, 16 * 256 + 256 * 4 + 16 * 4]);
    expect(float16.chunks.map((c) => c.bytes)).toEqual([16 * 512 + 16 * 4, 16 * 512 + 16 * 4, 16 * 512 + 16 * 4]);
    // A float16 build stopped after one chunk is no start for an int8 one: it starts over, to the same bytes.
    const resumed = join(dir, 'int8-resumed');
    await buildMemory({ model: MODEL, data, out: resumed, chunkRows: 16, batch: 5, quiet: true, stopAfterChunks: 1 });
    await buildMemory({ model: MODEL, data, out: resumed, chunkRows: 16, batch: 5, quiet: true, rows: 'int8' });
    expect(files(resumed)).toEqual(files(int8));
    // Converted from the float16 shard: the same rows and labels, each value within half its dimension's step.
    const converted = join(dir, 'converted');
    expect(await convertMemory(join(dir, 'a'), converted, 'int8')).toMatchObject({ dtype: 'int8', rows: 48, chunks: manifest.chunks.map(({ file, rows, bytes }) => ({ file, rows, bytes })) });
    const [source, fromInt8] = [(await loadShard(join(dir, 'a'))).memory, (await loadShard(converted)).memory];
    expect(fromInt8.labels).toEqual(source.labels);
    let worst = 0;
    source.vectors.forEach((bits, i) => (worst = Math.max(worst, Math.abs(fromFloat16Bits(bits) - fromFloat16Bits(fromInt8.vectors[i])))));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(0.02);
    await expect(convertMemory(join(dir, 'a'), join(dir, 'a'), 'int8')).rejects.toThrow(/--out must be another folder than the shard it reads/);
    expect(() => parseRowDtype('int4')).toThrow('--rows must be float16 or int8, got "int4".');
  });

  it('every tool refuses a number it cannot use before it loads anything, naming the option and what was given; a partial build survives it', async () => {
    const out = join(dir, 'typo');
    mkdirSync(`${out}.partial`);
    writeFileSync(`${out}.partial/state.json`, '{"settings":{},"chunks":[]}');
    const refusals: [string, string[], string][] = [
      ['build-memory', ['--model', MODEL, '--data', data, '--out', out, '--chunk-rows', '1.5'], '--chunk-rows must be a positive whole number, got "1.5".'],
      ['build-memory', ['--model', MODEL, '--data', data, '--out', out, '--seed', 'x'], '--seed must be a whole number from 0 to 4294967295, got "x".'],
      ['build-memory', ['--model', MODEL, '--data', data, '--out', out, '--fraction', 'abc'], '--fraction must be a fraction in (0, 1], such as 0.3, got "abc".'],
      ['build-memory', ['--model', MODEL, '--data', data, '--out', out, '--batch', '0'], '--batch must be a positive whole number, got "0".'],
      ['build-memory', ['--model', MODEL, '--data', data, '--out', out, '--graph', 'fast'], '--graph must be auto (the fused L2D encoder graph where the model has one), fused, encoder (the traced one) or full (the generation graph), got "fast".'],
      // Before the data set is read: this folder does not exist.
      ['evaluate', ['--data', join(dir, 'none'), '--model', MODEL, '--memory', join(dir, 'a'), '--m', '100,20000'], '--m must be whole numbers from 1 to 16384, separated by commas; "20000" is not one.'],
      ['evaluate', ['--data', join(dir, 'none'), '--vote-m', ''], '--vote-m takes M values separated by commas, or none; got "".'],
      ['evaluate', ['--data', join(dir, 'none'), '--seed=-1'], '--seed must be a whole number from 0 to 4294967295, got "-1".'],
      ['evaluate', ['--data', join(dir, 'none'), '--memory-fraction', '30%'], '--memory-fraction must be a fraction in (0, 1], such as 0.3, got "30%".'],
      ['evaluate', ['--data', join(dir, 'none'), '--limit', '1.5'], '--limit must be a positive whole number, got "1.5".'],
      ['prepare-data', [join(dir, 'none'), '--out', join(dir, 'p'), '--k-core', 'five'], '--k-core must be a positive whole number, got "five".'],
      ['recommend', ['--model', MODEL, '--memory', join(dir, 'a'), '--history', '0', '--k', '2.5'], '--k must be a positive whole number, got "2.5".'],
    ];
    const runs = await Promise.all(refusals.map(([tool, args]) => runTool(`tools/${tool}/main.ts`, ...args)));
    expect(runs.map(({ code, stderr }) => [code, stderr.trim()])).toEqual(refusals.map(([tool, , message]) => [1, `${tool}: ${message}`]));
    expect(readdirSync(`${out}.partial`)).toEqual(['state.json']);
    // The function as the tools' callers use it checks the same before a partial build of other settings is dropped.
    for (const [option, bad] of [['seed', Number.NaN], ['chunkRows', 1.5], ['batch', -1]] as const) {
      await expect(buildMemory({ model: MODEL, data, out, [option]: bad })).rejects.toThrow(/must be a (positive )?whole number/);
    }
    expect(readdirSync(`${out}.partial`)).toEqual(['state.json']);
  });

  it('never replaces a folder that is not a memory shard: --out naming the model folder by mistake deleted it', async () => {
    const model = join(dir, 'model-copy');
    mkdirSync(join(model, 'onnx'), { recursive: true });
    writeFileSync(join(model, 'config.json'), '{}');
    const message = `--out ${model} holds files and is not a memory shard (it has no manifest.json of one), and the output would replace the whole folder: choose another --out, or empty it first; nothing was written.`;
    await expect(buildMemory({ model: MODEL, data, out: model, fraction: 0.2 })).rejects.toThrow(message);
    await expect(buildCentroidMemory(join(dir, 'a'), model)).rejects.toThrow(message);
    await expect(convertMemory(join(dir, 'a'), model, 'int8')).rejects.toThrow(message);
    expect(readdirSync(model).sort()).toEqual(['config.json', 'onnx']);
    expect(readdirSync(dir).filter((name) => name.startsWith('model-copy.'))).toEqual([]); // no partial build begun
    writeFileSync(join(dir, 'a-file'), 'x');
    await expect(convertMemory(join(dir, 'a'), join(dir, 'a-file'), 'int8')).rejects.toThrow(`--out ${join(dir, 'a-file')} is a file, not a folder: choose another --out; nothing was written.`);
    // An empty folder, and a shard (a rebuild), are replaced.
    const empty = join(dir, 'empty-out');
    mkdirSync(empty);
    await convertMemory(join(dir, 'a'), empty, 'int8');
    await buildCentroidMemory(join(dir, 'a'), empty);
    expect(JSON.parse(readFileSync(join(empty, 'manifest.json'), 'utf8'))).toMatchObject({ dtype: 'float16', centroids: { sampleRows: 48 } });
  });

  it('refuses a shard for another model', async () => {
    await expect(loadShard(join(dir, 'a'), { sha256: '0'.repeat(64), hiddenSize: 128 })).rejects.toThrow(/built with model "movielens-demo"/);
    await expect(buildMemory({ model: MODEL, data, out: join(dir, 'x'), fraction: 0 })).rejects.toThrow(/--fraction must be in \(0, 1\]/);
  });
});
