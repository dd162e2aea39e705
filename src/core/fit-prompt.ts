/**
 * The history rule shared by training, memory building and queries: an item
 * counts once, at its last place (lastOfEach); a prompt holds at most the
 * template's `maxHistory` newest titles (the window the
 * model was trained on: a longer history is out of its training distribution,
 * and its h_t lands far from the memory's rows), and when it is still longer
 * than the model's context, the oldest titles are dropped until it fits
 * (tools/train/train.py's Encoder does the same).
 */
import { InvalidArgumentError } from './errors.ts';
import { renderPrompt, type PromptTemplate } from './prompt.ts';

/**
 * A user's interactions with one item count once, at the last (a repeated view, a purchase after views): training
 * samples never repeat an item in a history, nor hold their target in it. `key` names the item of an entry.
 */
export function lastOfEach<T>(list: readonly T[], key: (entry: T) => unknown = (entry) => entry): T[] {
  const last = new Map<unknown, number>();
  list.forEach((entry, i) => last.set(key(entry), i));
  return last.size === list.length ? [...list] : list.filter((entry, i) => last.get(key(entry)) === i);
}

export interface FittedPrompt {
  text: string;
  ids: number[];
  /** Oldest titles dropped: those beyond the template's history window, then those that did not fit the context. */
  dropped: number;
}

export function fitPrompt(titles: readonly string[], encode: (text: string) => number[], maxTokens: number, template?: PromptTemplate): FittedPrompt {
  const window = template?.maxHistory ?? Infinity;
  for (let start = Math.max(0, titles.length - window); start < titles.length; start++) {
    const text = renderPrompt(titles.slice(start), template);
    const ids = encode(text);
    if (ids.length <= maxTokens) return { text, ids, dropped: start };
  }
  if (titles.length === 0) throw new InvalidArgumentError('The history is empty: a prompt needs at least one item title.');
  throw new InvalidArgumentError(`Even the newest title alone makes a prompt longer than the model's context of ${maxTokens} tokens.`);
}
