import { describe, expect, it } from 'vitest';
import { fitPrompt, lastOfEach } from './fit-prompt.ts';
import { DEFAULT_PROMPT_TEMPLATE, parsePromptTemplate, renderPrompt } from './prompt.ts';

/** One "token" per character: the context limit is then a character count. */
const chars = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const titles = Array.from({ length: 14 }, (_, i) => `T${i}`);

describe('lastOfEach: an item counts once, at its last place', () => {
  it('keeps each id where it last appears, in order', () => {
    expect(lastOfEach([5, 9, 5, 3, 9, 9, 1])).toEqual([5, 3, 9, 1]);
    expect(lastOfEach([4, 2, 7])).toEqual([4, 2, 7]);
    expect(lastOfEach([])).toEqual([]);
  });

  it('by a key, keeping the whole last entry', () => {
    const events = [{ item: 1, time: 0 }, { item: 2, time: 1 }, { item: 1, time: 2 }];
    expect(lastOfEach(events, (e) => e.item)).toEqual([{ item: 2, time: 1 }, { item: 1, time: 2 }]);
  });
});

describe('fitPrompt: the history window, then the context', () => {
  it('keeps the newest maxHistory titles and counts the rest as dropped', () => {
    const template = { ...DEFAULT_PROMPT_TEMPLATE, maxHistory: 10 };
    const fitted = fitPrompt(titles, chars, 10_000, template);
    expect(fitted.text).toBe(renderPrompt(titles.slice(4), template));
    expect(fitted.dropped).toBe(4);
    expect(fitted.ids).toEqual(chars(fitted.text));
    // Within the window nothing is dropped.
    expect(fitPrompt(titles.slice(0, 10), chars, 10_000, template)).toMatchObject({ text: renderPrompt(titles.slice(0, 10)), dropped: 0 });
  });

  it('without a window only the context limits a prompt', () => {
    expect(fitPrompt(titles, chars, 10_000).dropped).toBe(0);
    // Room for the prompt of the newest three titles and no more.
    const fitted = fitPrompt(titles, chars, renderPrompt(titles.slice(11)).length);
    expect(fitted).toMatchObject({ text: renderPrompt(titles.slice(11)), dropped: 11 });
  });

  it('cuts to the window first, then drops more where the window still exceeds the context', () => {
    const template = { ...DEFAULT_PROMPT_TEMPLATE, maxHistory: 10 };
    const fitted = fitPrompt(titles, chars, renderPrompt(titles.slice(12)).length, template);
    expect(fitted).toMatchObject({ text: renderPrompt(titles.slice(12)), dropped: 12 });
  });

  it('names a bad maxHistory in a model folder\'s template', () => {
    for (const bad of [0, -1, 2.5, '10', null]) {
      expect(() => parsePromptTemplate({ ...DEFAULT_PROMPT_TEMPLATE, maxHistory: bad }, 'models/x/prompt-template.json')).toThrow(
        `models/x/prompt-template.json: "maxHistory" must be a whole number of titles, at least 1, got ${JSON.stringify(bad)}.`,
      );
    }
    expect(parsePromptTemplate({ ...DEFAULT_PROMPT_TEMPLATE, maxHistory: 10 }).maxHistory).toBe(10);
  });
});
