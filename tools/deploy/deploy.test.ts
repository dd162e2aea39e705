/**
 * `npm run deploy` on the shipped demo model: exactly the files a page fetches, byte for byte; every wrong input
 * named before anything is written; an earlier deploy replaced whole, any other folder never touched.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runTool } from '../lib/run-tool.ts';
import { deploy, DEPLOY_RECORD } from './main.ts';

const MODEL = 'models/movielens-demo';
const INT8 = `${MODEL}/memory/train-q4-f0.3-int8`;
const CENTROIDS = `${MODEL}/memory/train-q4-f0.3-centroids`;
const ROOT = 'test-results/deploy-test';
const OUT = `${ROOT}/site/models/movielens-demo`;

/** Every file under `folder`, as paths inside it, sorted. */
function tree(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (error: Error & { code?: string }) => ({ name: error.name, message: error.message }));

beforeEach(() => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
});

describe('deploy', () => {
  it('copies what a page fetches, byte for byte: the small files, the q4 graphs, each memory; encoder.json cut to them', async () => {
    const result = await deploy({ model: MODEL, memories: [INT8, CENTROIDS], out: OUT });
    const memoryFiles = (name: string, chunks: string[]) => ['items.tsv', 'manifest.json', ...chunks].map((f) => `memory/${name}/${f}`);
    expect(tree(OUT)).toEqual(
      [
        'config.json', 'tokenizer.json', 'tokenizer_config.json', 'prompt-template.json', DEPLOY_RECORD,
        'onnx/encoder.json', 'onnx/model_q4.onnx', 'onnx/encoder_q4.onnx', 'onnx/encoder_q4_fused.onnx', 'onnx/encoder_q4_fused_plain.onnx',
        ...memoryFiles('train-q4-f0.3-int8', ['chunk-00000.bin', 'chunk-00001.bin']),
        ...memoryFiles('train-q4-f0.3-centroids', ['chunk-00000.bin']),
      ].sort(),
    );
    for (const file of ['onnx/encoder_q4_fused.onnx', 'tokenizer.json', 'memory/train-q4-f0.3-int8/chunk-00001.bin']) {
      const source = file.startsWith('memory/') ? file.replace('memory/train-q4-f0.3-int8', INT8) : `${MODEL}/${file}`;
      expect(readFileSync(join(OUT, file)).equals(readFileSync(source))).toBe(true);
    }
    // The fp32 traced graph and the q4f16 ones are another dtype's: not listed, so a page never asks for them.
    const listed = JSON.parse(readFileSync(`${MODEL}/onnx/encoder.json`, 'utf8'));
    const cut = JSON.parse(readFileSync(`${OUT}/onnx/encoder.json`, 'utf8'));
    expect(Object.keys(cut.graphs).sort()).toEqual(['encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx']);
    expect(cut.graphs['encoder_q4_fused.onnx']).toEqual(listed.graphs['encoder_q4_fused.onnx']);
    // What 'auto' tries first on each runtime (GRAPH_ORDER), and the record of the deploy.
    expect(result.firstVisit.webgpu.graph).toBe('onnx/encoder_q4_fused.onnx');
    expect(result.firstVisit.wasm.graph).toBe('onnx/encoder_q4_fused_plain.onnx');
    const record = JSON.parse(readFileSync(join(OUT, DEPLOY_RECORD), 'utf8'));
    expect(record).toMatchObject({ model: 'movielens-demo', dtypes: ['q4'], memories: [{ path: 'memory/train-q4-f0.3-int8', rows: 21456, rowDtype: 'int8' }, { path: 'memory/train-q4-f0.3-centroids' }] });
    expect(record.files.map((f: { path: string }) => f.path).sort()).toEqual(tree(OUT).filter((f) => f !== DEPLOY_RECORD));
    expect(readdirSync(`${ROOT}/site/models`)).toEqual(['movielens-demo']); // nothing left beside it
  });

  it('adds the q4f16 graphs when asked', async () => {
    await deploy({ model: MODEL, memories: [INT8], out: OUT, dtypes: ['q4', 'q4f16'] });
    expect(tree(`${OUT}/onnx`)).toEqual(['encoder.json', 'encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx', 'encoder_q4f16_fused.onnx', 'model_q4.onnx', 'model_q4f16.onnx']);
  });

  it("refuses another model's memory, a damaged one, or one its dtypes leave out, and writes nothing", async () => {
    expect(await errorOf(deploy({ model: MODEL, memories: ['models/amazon-games/memory/train-q4-centroids'], out: OUT }))).toEqual({
      name: 'ShardError',
      message: expect.stringMatching(/^models\/amazon-games\/memory\/train-q4-centroids: This memory was built with model "amazon-games" \(onnx\/model_q4\.onnx, sha256 \w{12}…\), not with models\/movielens-demo\/onnx\/model_q4\.onnx \(sha256 8c7e7d6bda01…\)\. Build the memory with the same model file\.$/),
    });
    const damaged = `${ROOT}/train-q4-f0.3-int8`;
    cpSync(INT8, damaged, { recursive: true });
    const chunk = readFileSync(`${damaged}/chunk-00001.bin`);
    chunk[100] ^= 1;
    writeFileSync(`${damaged}/chunk-00001.bin`, chunk);
    expect(await errorOf(deploy({ model: MODEL, memories: [damaged], out: OUT }))).toEqual({
      name: 'ShardError',
      message: `${damaged}/chunk-00001.bin does not have the SHA-256 its manifest lists: the memory is damaged; build it again.`,
    });
    expect(await errorOf(deploy({ model: MODEL, memories: [INT8], out: OUT, dtypes: ['q4f16'] }))).toEqual({
      name: 'InvalidArgumentError',
      message: 'train-q4-f0.3-int8 was built with the q4 graph, which --dtypes q4f16 leaves out: a page could not read it.',
    });
    expect(await errorOf(deploy({ model: MODEL, memories: [INT8], out: OUT, dtypes: ['fp32'] }))).toEqual({ name: 'InvalidArgumentError', message: '--dtypes takes q4, q4f16 (what a page runs), got "fp32".' });
    expect(await errorOf(deploy({ model: MODEL, memories: [INT8, damaged], out: OUT }))).toEqual({ name: 'InvalidArgumentError', message: 'Two memories are named train-q4-f0.3-int8: each is served as memory/<its folder\'s name>.' });
    expect(existsSync(`${ROOT}/site`)).toBe(false);
  });

  it('refuses a model folder without a file the browser reads, naming it', async () => {
    const model = `${ROOT}/no-template`;
    cpSync(MODEL, model, { recursive: true, filter: (from) => !from.includes('/memory') });
    rmSync(`${model}/prompt-template.json`);
    expect(await errorOf(deploy({ model, memories: [INT8], out: OUT }))).toEqual({
      name: 'DataFormatError',
      message: `${model} has no prompt-template.json, which the browser reads: is it a model folder (npm run train, then npm run export-model)?`,
    });
    expect(existsSync(OUT)).toBe(false);
  });

  it('replaces an earlier deploy whole, and never a folder of anything else', async () => {
    await deploy({ model: MODEL, memories: [INT8, CENTROIDS], out: OUT });
    await deploy({ model: MODEL, memories: [CENTROIDS], out: OUT });
    expect(readdirSync(`${OUT}/memory`)).toEqual(['train-q4-f0.3-centroids']);
    expect(readdirSync(`${ROOT}/site/models`)).toEqual(['movielens-demo']); // the earlier one gone, nothing beside

    const other = `${ROOT}/site/shop`;
    mkdirSync(other, { recursive: true });
    writeFileSync(`${other}/index.html`, '<p>the store</p>');
    expect(await errorOf(deploy({ model: MODEL, memories: [INT8], out: other }))).toEqual({
      name: 'InvalidArgumentError',
      message: `--out ${other} holds files and is not a deploy (it has no ${DEPLOY_RECORD}), and the output would replace the whole folder: choose another --out, or empty it first; nothing was written.`,
    });
    expect(tree(other)).toEqual(['index.html']);
    expect(await errorOf(deploy({ model: MODEL, memories: [INT8], out: `${other}/index.html` }))).toEqual({
      name: 'InvalidArgumentError',
      message: `--out ${other}/index.html is a file, not a folder: choose another --out; nothing was written.`,
    });
    expect(readFileSync(`${other}/index.html`, 'utf8')).toBe('<p>the store</p>');
  });

  it('runs from the command line: the files and what a first visit downloads; usage and exit 2 without --out', async () => {
    const { code, stdout: printed } = await runTool('tools/deploy/main.ts', '--model', MODEL, '--memory', INT8, '--out', OUT);
    expect(code).toBe(0);
    expect(printed).toMatch(/^test-results\/deploy-test\/site\/models\/movielens-demo\/: 13 files, \d+\.\d MB$/m);
    expect(printed).toMatch(/^A first visit downloads the model's \d+\.\d MB on WebGPU \(onnx\/encoder_q4_fused\.onnx\) or \d+\.\d MB on wasm \(onnx\/encoder_q4_fused_plain\.onnx\), and its memory \(memory\/train-q4-f0\.3-int8 5\.7 MB\)/m);
    const bare = await runTool('tools/deploy/main.ts', '--model', MODEL, '--memory', INT8);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^usage: npm run deploy -- --model <model folder> --memory <shard folder>/m);
  });
});
