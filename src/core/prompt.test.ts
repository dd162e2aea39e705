import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it("the training code refuses a bad history window as the page does", () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2d-template-'));
    try {
      const file = join(dir, 'prompt-template.json');
      writeFileSync(file, JSON.stringify({ ...DEFAULT_PROMPT_TEMPLATE, maxHistory: 0 }));
      const r = spawnSync('python3', ['tools/train/prompt.py', file, 'tools/train/fixtures/prompt-cases.json'], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('"maxHistory" must be a whole number of titles, at least 1, got 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an empty history and malformed templates', () => {
    expect(() => renderPrompt([])).toThrow(/history is empty/);
    expect(() => parsePromptTemplate({ ...DEFAULT_PROMPT_TEMPLATE, instruction: 'no placeholder' })).toThrow(/"instruction" must contain \{history\} exactly once/);
    expect(() => parsePromptTemplate({ ...DEFAULT_PROMPT_TEMPLATE, version: 2 })).toThrow(/version 2 is not supported/);
    expect(() => parsePromptTemplate({ format: 'other' })).toThrow(/not an L2D prompt template/);
  });
});
