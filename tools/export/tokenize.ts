/** Reads a JSON list of texts on stdin and prints their token ids with a model folder's tokenizer (@huggingface/transformers, local files only). */
import { readFileSync } from 'node:fs';
import { loadTokenizer } from '../lib/onnx-encoder.ts';
import { tokenIds } from '../../src/encoder/tokenizer.ts';

const folder = process.argv[2];
const texts = JSON.parse(readFileSync(0, 'utf8')) as string[];
const tokenizer = await loadTokenizer(folder);
process.stdout.write(JSON.stringify(texts.map((t) => tokenIds(tokenizer, t))));
