/**
 * The history rule shared by training, memory building and queries: when a
 * prompt is longer than the model's context, the oldest titles are dropped
 * until it fits (tools/train/train.py's Encoder does the same).
 */
import { InvalidArgumentError } from './errors.ts';
import { renderPrompt, type PromptTemplate } from './prompt.ts';

export interface FittedPrompt {
  text: string;
  ids: number[];
  /** Oldest titles dropped to fit. */
  dropped: number;
}

export function fitPrompt(titles: readonly string[], encode: (text: string) => number[], maxTokens: number, template?: PromptTemplate): FittedPrompt {
  for (let start = 0; start < titles.length; start++) {
    const text = renderPrompt(titles.slice(start), template);
    const ids = encode(text);
    if (ids.length <= maxTokens) return { text, ids, dropped: start };
  }
  if (titles.length === 0) throw new InvalidArgumentError('The history is empty: a prompt needs at least one item title.');
  throw new InvalidArgumentError(`Even the newest title alone makes a prompt longer than the model's context of ${maxTokens} tokens.`);
}
