import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertShardRows } from '../core/shard-builder.ts';
import { sha256Hex } from '../core/shard-format.ts';
import { loadShard } from '../../tools/lib/shard-files.ts';
import { DATASETS, datasetFromAddress } from './datasets.ts';

describe("the demo's shipped data sets", () => {
  it.each(DATASETS.filter((d) => !d.buildCommand).map((d) => [d.id, d] as const))(
    '%s: its memory is whole (every chunk checked) and bound to its model\'s file',
    async (_, dataset) => {
      const header = JSON.parse(readFileSync(`${dataset.memory}/manifest.json`, 'utf8')) as { model: { file: string } };
      const sha256 = await sha256Hex(readFileSync(`${dataset.model}/${header.model.file}`));
      const hiddenSize = (JSON.parse(readFileSync(`${dataset.model}/config.json`, 'utf8')) as { hidden_size: number }).hidden_size;
      const { memory } = await loadShard(dataset.memory, { sha256, hiddenSize });
      expect(memory.rows).toBeGreaterThan(0);
    },
  );

  it("movielens' int8 memory (the demo's default) is its float16 memory's rows converted, chunk for chunk", async () => {
    const source = 'models/movielens-demo/memory/train-q4-f0.3';
    const { manifest, memory } = await loadShard(source);
    const converted = await convertShardRows(manifest, memory, readFileSync(`${source}/items.tsv`), 'int8');
    const shipped = JSON.parse(readFileSync('models/movielens-demo/memory/train-q4-f0.3-int8/manifest.json', 'utf8'));
    expect(shipped).toEqual(converted.manifest);
    expect(shipped).toMatchObject({ version: 2, dtype: 'int8', rows: 21456 });
  });

  it("amazon-games' int8 memory is what its build command says: a seeded 30% of the train split's samples, int8 rows", () => {
    const manifest = JSON.parse(readFileSync('models/amazon-games/memory/train-q4-f0.3-int8/manifest.json', 'utf8'));
    expect(manifest).toMatchObject({ version: 2, dtype: 'int8', rows: 59528, dataset: { name: 'amazon-games', split: 'train', fraction: 0.3, seed: 0, samples: 198427 } });
  });
});

describe("the demo's data set from the page's address", () => {
  it('is none without model and memory', () => {
    expect(datasetFromAddress('')).toBeUndefined();
    expect(datasetFromAddress('?k=5')).toBeUndefined();
  });

  it("takes the model and memory, the test split and train sequences from the model's eval/ unless named", () => {
    expect(datasetFromAddress('?model=models/mine/&memory=models/mine/memory/train-q4')).toEqual({
      id: 'address',
      label: "Your model from the page's address: models/mine, memory models/mine/memory/train-q4",
      model: 'models/mine',
      memory: 'models/mine/memory/train-q4',
      test: 'models/mine/eval/test.tsv',
      train: 'models/mine/eval/train-sequences.tsv',
    });
    expect(datasetFromAddress('?model=https://cdn.example/m&memory=https://cdn.example/m/mem&test=t.tsv&train=s.tsv&prepared=data/prepared/mine')).toMatchObject({
      model: 'https://cdn.example/m',
      test: 't.tsv',
      train: 's.tsv',
      prepared: 'data/prepared/mine',
    });
  });

  it.each([
    ['?model=models/mine', "The page's address names a model but no memory: add &memory=<shard folder> (manifest.json and its chunks; npm run build-memory writes one)."],
    ['?memory=models/mine/memory/train-q4', "The page's address names a memory but no model: add &model=<model folder> (config.json, tokenizer.json, onnx/)."],
    ['?model=javascript:alert(1)&memory=m', 'The page\'s address gives model as "javascript:alert(1)": a path relative to the page or an http(s) URL is needed.'],
    ['?model=m&memory=m&test=data:text/plain,x', 'The page\'s address gives test as "data:text/plain,x": a path relative to the page or an http(s) URL is needed.'],
  ])('refuses %s, saying what to write', (search, message) => {
    expect(() => datasetFromAddress(search)).toThrow(message);
  });
});
