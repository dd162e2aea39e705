import { describe, expect, it } from 'vitest';
import { datasetFromAddress } from './datasets.ts';

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
