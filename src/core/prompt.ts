/**
 * The prompt template: ONE definition (prompt-template.json) used by
 * training (tools/train/prompt.py renders it the same way), memory building
 * and queries. A model folder carries its own copy, so a model is always
 * queried with the text it was trained on.
 *
 * Rendering substitutes placeholders by splitting on them, never by
 * re-scanning substituted text, so a title containing "{title}" or
 * "{history}" is inserted literally; Python does exactly the same.
 */
import { InvalidArgumentError } from './errors.ts';
import defaultTemplate from './prompt-template.json';

export interface PromptTemplate {
  format: 'l2d-prompt-template';
  version: number;
  /** Contains "{history}" exactly once. */
  instruction: string;
  /** One history title; contains "{title}" exactly once. */
  historyItem: string;
  historySeparator: string;
  /** The generation target after the prompt; contains "{title}" exactly once. */
  response: string;
  /**
   * The most titles a prompt holds, the newest: the history window the model was trained on (the prepared data's
   * --max-history, written by tools/train/train.py). A longer history is cut to it, as training samples were; without
   * it, only the model's context limits a prompt.
   */
  maxHistory?: number;
}

export const DEFAULT_PROMPT_TEMPLATE = defaultTemplate as PromptTemplate;

function fill(text: string, placeholder: string, value: string): string {
  return text.split(placeholder).join(value);
}

/** Checks a template loaded from a model folder or elsewhere. */
export function parsePromptTemplate(value: unknown, where = 'prompt template'): PromptTemplate {
  const t = value as Partial<PromptTemplate>;
  if (!t || t.format !== 'l2d-prompt-template') throw new InvalidArgumentError(`${where}: not an L2D prompt template (format "l2d-prompt-template" expected).`);
  if (t.version !== 1) throw new InvalidArgumentError(`${where}: template version ${String(t.version)} is not supported (1 expected).`);
  const once = (field: 'instruction' | 'historyItem' | 'response', placeholder: string) => {
    const text = t[field];
    if (typeof text !== 'string' || text.split(placeholder).length !== 2) {
      throw new InvalidArgumentError(`${where}: "${field}" must contain ${placeholder} exactly once.`);
    }
  };
  once('instruction', '{history}');
  once('historyItem', '{title}');
  once('response', '{title}');
  if (typeof t.historySeparator !== 'string') throw new InvalidArgumentError(`${where}: "historySeparator" must be a string.`);
  if (t.maxHistory !== undefined && !(Number.isInteger(t.maxHistory) && t.maxHistory >= 1)) {
    throw new InvalidArgumentError(`${where}: "maxHistory" must be a whole number of titles, at least 1, got ${JSON.stringify(t.maxHistory)}.`);
  }
  return t as PromptTemplate;
}

/** The prompt for a history of titles, oldest first. */
export function renderPrompt(titles: readonly string[], template: PromptTemplate = DEFAULT_PROMPT_TEMPLATE): string {
  if (titles.length === 0) throw new InvalidArgumentError('The history is empty: a prompt needs at least one item title.');
  const history = titles.map((title) => fill(template.historyItem, '{title}', title)).join(template.historySeparator);
  return fill(template.instruction, '{history}', history);
}

/** The training target text for the next item's title. */
export function renderResponse(title: string, template: PromptTemplate = DEFAULT_PROMPT_TEMPLATE): string {
  return fill(template.response, '{title}', title);
}
