import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEFAULT_PROMPT_TEMPLATE, parsePromptTemplate, renderPrompt, renderResponse } from './prompt.ts';

const fixture = JSON.parse(readFileSync('tools/train/fixtures/prompt-cases.json', 'utf8')) as { history: string[]; target: string }[];

describe('prompt template', () => {
  it("renders the paper's template", () => {
    expect(renderPrompt(['Toy Story (1995)', 'Heat (1995)'])).toBe(
      'A user has interacted with the following items: "Toy Story (1995)", "Heat (1995)"; which item would the user like next?',
    );
    expect(renderResponse('Jumanji (1995)')).toBe(' "Jumanji (1995)"');
  });

  it('inserts titles literally, placeholders included', () => {
    expect(renderPrompt(['{history}'])).toBe('A user has interacted with the following items: "{history}"; which item would the user like next?');
  });

  it('renders identically in TypeScript and in the Python training code', () => {
    const python = JSON.parse(
      execFileSync('python3', ['tools/train/prompt.py', 'src/core/prompt-template.json', 'tools/train/fixtures/prompt-cases.json'], { encoding: 'utf8' }),
    ) as { prompt: string; response: string }[];
    expect(python).toEqual(fixture.map((c) => ({ prompt: renderPrompt(c.history), response: renderResponse(c.target) })));
  });

  it('rejects an empty history and malformed templates', () => {
    expect(() => renderPrompt([])).toThrow(/history is empty/);
    expect(() => parsePromptTemplate({ ...DEFAULT_PROMPT_TEMPLATE, instruction: 'no placeholder' })).toThrow(/"instruction" must contain \{history\} exactly once/);
    expect(() => parsePromptTemplate({ ...DEFAULT_PROMPT_TEMPLATE, version: 2 })).toThrow(/version 2 is not supported/);
    expect(() => parsePromptTemplate({ format: 'other' })).toThrow(/not an L2D prompt template/);
  });
});
