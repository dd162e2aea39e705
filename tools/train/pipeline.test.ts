/**
 * The model pipeline end to end on a tiny data set (Debian's torch, CPU):
 * train (a few steps) -> export fp32 + q4 -> onnxruntime-node reproduces the
 * torch references; and the tools' clear errors on bad model folders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareFolder } from '../prepare-data/main.ts';
import { checkModel } from '../export/check-onnx.ts';
import { graphOps } from '../lib/onnx-proto.ts';

const PYTHON = process.env.L2D_PYTHON ?? '/usr/bin/python3';
let dir: string;
let data: string;
let model: string;

function python(args: string[]) {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'l2d-model-'));
  const src = join(dir, 'src');
  mkdirSync(src);
  const titles = ['Halo 3 - Xbox 360', 'Portal 2', 'Mario Kart 8', 'Zelda: Breath of the Wild', 'Tetris &amp; Dr. Mario', 'Léon (1994)'];
  writeFileSync(join(src, 'items.tsv'), `seq_id\tasin\ttitle\n${titles.map((t, i) => `${i + 1}\tA${i}\t${t}`).join('\n')}\n`);
  const users = Array.from({ length: 12 }, (_, u) => `${u + 1} ${Array.from({ length: 6 }, (_, j) => ((u + j * 5) % 6) + 1).join(' ')}`);
  writeFileSync(join(src, 'sequential_train.txt'), `${users.join('\n')}\n`);
  writeFileSync(join(src, 'sequential_valid.txt'), users.map((_, u) => `${u + 1} ${(u % 6) + 1}`).join('\n') + '\n');
  writeFileSync(join(src, 'sequential_test.txt'), '1 2\n');
  data = join(dir, 'prepared');
  prepareFolder(src, data, { kCore: 2, maxHistory: 3 });
  model = join(dir, 'tiny-model');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train -> export -> onnxruntime', () => {
  it('trains a tiny model and writes a complete model folder', () => {
    const r = python(['tools/train/train.py', '--data', data, '--out', model, '--preset', 'tiny', '--max-steps', '3', '--valid-samples', '8']);
    expect(r.status, r.out).toBe(0);
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'prompt-template.json', 'training.json']) {
      expect(existsSync(join(model, f)), f).toBe(true);
    }
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, num_key_value_heads: 1 });
    // The template it was trained with, and the data's history window: queries are cut to it.
    expect(JSON.parse(readFileSync(join(model, 'prompt-template.json'), 'utf8'))).toEqual({ ...JSON.parse(readFileSync('src/core/prompt-template.json', 'utf8')), maxHistory: 3 });
  });

  it('exports fp32 and q4 ONNX, and the traced and fused encoder graphs, that onnxruntime-node runs like torch', async () => {
    const r = python(['tools/export/export.py', model, '--data', data, '--fixtures', '4']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/tokenizer \(@huggingface\/tokenizers, @huggingface\/transformers and Python\): identical ids/);
    // The tiny model's table is most of its q4 file: the export says how to shrink it.
    expect(r.out).toMatch(/export: the float embedding table \(\d+ x 64, [\d.]+ MB\) is \d+% of model_q4.onnx; --embedding q8 holds it in 8 bits/);
    const { tokenizerMatches, checks } = await checkModel(model);
    expect(tokenizerMatches).toBe(true);
    expect(checks.map((c) => c.file)).toEqual(['encoder.onnx', 'encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx', 'model.onnx', 'model_q4.onnx']);
    for (const c of checks) expect(c.minCosine, c.file).toBeGreaterThanOrEqual(c.dtype === 'fp32' ? 0.99999 : 0.999);
    // encoder.json's probes (fp32 is not exported by default, so encoder.onnx has none)
    for (const file of ['encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx']) expect(checks.find((c) => c.file === file)!.probeCosine, file).toBeGreaterThanOrEqual(0.999);
  });
});

describe.each(['q4', 'q8'] as const)('--embedding %s: the token embedding table quantized', (kind) => {
  let quantized: string;
  const ops = (file: string) => graphOps(readFileSync(join(quantized, 'onnx', file)));
  beforeAll(() => {
    quantized = join(dir, `embedding-${kind}`);
    cpSync(model, quantized, { recursive: true });
    rmSync(join(quantized, 'onnx'), { recursive: true, force: true });
  });

  it('every 4-bit graph gathers from the quantized table, is smaller, and onnxruntime-node reproduces the matching torch reference', async () => {
    const r = python(['tools/export/export.py', quantized, '--data', data, '--fixtures', '4', '--dtypes', 'q4', '--embedding', kind]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toMatch(/the float embedding table/);
    for (const file of ['model_q4.onnx', 'encoder_q4.onnx', 'encoder_q4_fused.onnx', 'encoder_q4_fused_plain.onnx']) {
      // q4: one GatherBlockQuantized kernel in WebGPU's graph, standard ops (nibbles split with Floor) in those wasm runs;
      // q8: standard ops everywhere.
      const kernel = kind === 'q4' && file === 'encoder_q4_fused.onnx';
      expect(ops(file).filter((op) => op === 'com.microsoft:GatherBlockQuantized').length, file).toBe(kernel ? 1 : 0);
      expect(ops(file).includes('ai.onnx:Floor'), file).toBe(kind === 'q4' && !kernel);
      // Smaller than with the float table: the float table is gone, not kept beside the quantized one.
      expect(statSync(join(quantized, 'onnx', file)).size, file).toBeLessThan(statSync(join(model, 'onnx', file)).size);
    }
    expect(JSON.parse(readFileSync(join(quantized, 'onnx', 'export.json'), 'utf8')).embedding).toBe(kind);
    const { checks } = await checkModel(quantized);
    for (const c of checks) {
      expect(c.minCosine, c.file).toBeGreaterThanOrEqual(0.999); // against torch with the same quantized table
      if (c.file.startsWith('encoder_')) expect(c.probeCosine, c.file).toBeGreaterThanOrEqual(0.999);
    }
  });

  it('--encoder-only keeps the generation graphs\' table, and refuses another one', () => {
    const fusedBytes = () => readFileSync(join(quantized, 'onnx', 'encoder_q4_fused.onnx'));
    const before = fusedBytes();
    const kept = python(['tools/export/export.py', quantized, '--encoder-only', '--encoder-kinds', 'fused', '--dtypes', 'q4']);
    expect(kept.status, kept.out).toBe(0);
    expect(fusedBytes().equals(before)).toBe(true); // written again with the same table
    const refused = python(['tools/export/export.py', quantized, '--encoder-only', '--encoder-kinds', 'fused', '--dtypes', 'q4', '--embedding', 'float']);
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(new RegExp(`--embedding float: the generation graphs in .* hold the embedding table as ${kind}, and encoder graphs must match them to read their memories`));
    expect(fusedBytes().equals(before)).toBe(true); // nothing overwritten
  });
});

describe('train never mixes a new model into an old folder', () => {
  it('refuses an --out that holds files, before reading the data, and leaves them as they were', () => {
    const before = readFileSync(join(model, 'model.safetensors'));
    const r = python(['tools/train/train.py', '--data', join(dir, 'nowhere'), '--out', model, '--preset', 'tiny']);
    expect([r.status, r.out.trim()]).toEqual([1, `train: --out ${model} already holds files (config.json, fixtures/, generation_config.json, model.safetensors, onnx/, prompt-template.json, ...); training there would leave its ONNX files and memories answering for the old weights. Choose a new folder, or pass --overwrite to replace the whole folder once training has finished`]);
    expect(readFileSync(join(model, 'model.safetensors')).equals(before)).toBe(true);
    writeFileSync(join(dir, 'a-file'), 'x');
    expect(python(['tools/train/train.py', '--data', data, '--out', join(dir, 'a-file')]).out.trim()).toBe(`train: --out ${join(dir, 'a-file')} is a file, not a folder`);
  });
  it('--overwrite replaces the whole folder once trained: the old ONNX files go with the old weights', () => {
    const folder = join(dir, 'overwritten');
    cpSync(model, folder, { recursive: true });
    const r = python(['tools/train/train.py', '--data', data, '--out', folder, '--preset', 'tiny', '--max-steps', '1', '--valid-samples', '8', '--seed', '1', '--overwrite']);
    expect(r.status, r.out).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'prompt-template.json', 'tokenizer.json', 'tokenizer_config.json', 'training.json']);
    expect(readFileSync(join(folder, 'model.safetensors')).equals(readFileSync(join(model, 'model.safetensors')))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('.writing-'))).toEqual([]); // nothing left beside it
  });
});

describe('clear errors on bad model folders', () => {
  const broken = (name: string, edit: (folder: string) => void) => {
    const folder = join(dir, name);
    cpSync(model, folder, { recursive: true });
    edit(folder);
    return python(['tools/export/export.py', folder, '--skip-check']);
  };
  it('an unsupported architecture', () => {
    const r = broken('gpt2', (f) => {
      const c = JSON.parse(readFileSync(join(f, 'config.json'), 'utf8'));
      writeFileSync(join(f, 'config.json'), JSON.stringify({ ...c, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
    });
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/unsupported architecture 'GPT2LMHeadModel' \(model_type 'gpt2'\)/);
  });
  it('a tokenizer that does not match the config', () => {
    const r = broken('small-vocab', (f) => {
      const c = JSON.parse(readFileSync(join(f, 'config.json'), 'utf8'));
      writeFileSync(join(f, 'config.json'), JSON.stringify({ ...c, vocab_size: 100 }));
    });
    expect(r.out).toMatch(/tokenizer.json has \d+ tokens but config.json's vocab_size is 100: the tokenizer does not match the model/);
  });
  it('a missing file', () => {
    const r = broken('no-tokenizer', (f) => rmSync(join(f, 'tokenizer.json')));
    expect(r.out).toMatch(/tokenizer.json is missing/);
    const t = python(['tools/train/train.py', '--data', join(dir, 'nowhere'), '--out', join(dir, 'x')]);
    expect(t.out).toMatch(/has no manifest.json; prepare it first/);
  });
  it('a config.json that is not JSON, named', () => {
    const r = broken('cut-config', (f) => writeFileSync(join(f, 'config.json'), '{"hidden_size": 64,'));
    expect([r.status, r.out.trim()]).toEqual([1, `export: ${join(dir, 'cut-config', 'config.json')} could not be read as JSON: Expecting property name enclosed in double quotes: line 1 column 20 (char 19)`]);
  });
  it("train refuses a count that is none (--epochs 0 trained the preset's epochs), before reading anything", () => {
    for (const [option, value, message] of [
      ['--epochs', '0', "argument --epochs: must be a whole number above 0, got '0'"],
      ['--max-steps', '-5', "argument --max-steps: must be a whole number above 0, got '-5'"],
      ['--vocab-size', '2.5', "argument --vocab-size: must be a whole number above 0, got '2.5'"],
      ['--max-minutes', 'soon', "argument --max-minutes: must be a number above 0, got 'soon'"],
    ]) {
      const r = python(['tools/train/train.py', '--data', join(dir, 'nowhere'), '--out', join(dir, 'x'), `${option}=${value}`]);
      expect([r.status, r.out.trim().split('\n').at(-1)]).toEqual([2, `train.py: error: ${message}`]);
    }
  });
});
