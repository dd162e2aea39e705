import { describe, expect, it } from 'vitest';
import { responseTitle, TitleGrounder } from './grounding.ts';

const catalog = ['Toy Story (1995)', 'Toy Story 2 (1999)', 'Heat (1995)', 'toy story (1995)', 'Alien (1979)'];

describe('grounding generated titles', () => {
  const grounder = new TitleGrounder(catalog);
  it('puts exact matches first (case and spacing ignored), then the most similar titles', () => {
    expect(grounder.rank('Toy  Story (1995)', 3)).toEqual([0, 3, 1]);
    expect(grounder.rank('Toy Story 2', 2)).toEqual([1, 0]);
  });
  it('still gives k items for a title that matches nothing, by similarity then id', () => {
    expect(grounder.rank('zzzz', 5)).toEqual([0, 1, 2, 3, 4]);
    expect(grounder.rank('Aliens', 1)).toEqual([4]);
  });
  it('interleaves a beam\'s rankings column by column, keeping each item once', () => {
    expect(grounder.rankMany(['Heat (1995)', 'Alien (1979)'], 4)).toEqual([2, 4, 0, 1]); // Heat ranks 2,0,3,1; Alien 4,1,2,0
  });
  it('takes the title out of a generated response', () => {
    expect(responseTitle(' "Heat (1995)"')).toBe('Heat (1995)');
    expect(responseTitle(' "Heat (19')).toBe('Heat (19');
  });
});
