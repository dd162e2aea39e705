/**
 * The model folder's tokenizer, built from the folder's own tokenizer.json
 * and tokenizer_config.json by @huggingface/tokenizers: the tokenizer
 * library of @huggingface/transformers 4, imported directly so the worker
 * does not also load transformers' own copy of onnxruntime-web (a second
 * multi-megabyte bundle). tools/export/check-onnx.ts holds it against
 * transformers' AutoTokenizer. The caller fetches or reads the two files,
 * so no model hub and no path rules are involved: Node, pages, workers and
 * cross-origin embeds build it the same way.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';

export type Tokenizer = HfTokenizer;

export function createTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown): Tokenizer {
  return new HfTokenizer(tokenizerJson as object, tokenizerConfig as object);
}

export function tokenIds(tokenizer: Tokenizer, text: string): number[] {
  return tokenizer.encode(text, { add_special_tokens: false }).ids;
}
