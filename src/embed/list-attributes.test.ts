import { describe, expect, it } from 'vitest';
import { parseCount, parseStrategy } from './list-attributes.ts';

describe('list attributes', () => {
  it('reads k, m and strategy, absent as undefined', () => {
    expect([parseCount('5', 'k'), parseCount(' 12 ', 'k'), parseCount(null, 'k'), parseCount(undefined, 'data-k')]).toEqual([5, 12, undefined, undefined]);
    expect([parseStrategy('global', 's'), parseStrategy('local', 's'), parseStrategy('vote', 's'), parseStrategy(null, 's')]).toEqual(['global', 'local', 'vote', undefined]);
  });

  it('names where a bad value was written', () => {
    expect(() => parseCount('ten', 'The k attribute')).toThrow('The k attribute must be a positive whole number, got "ten".');
    for (const bad of ['0', '-3', '2.5', '', '1e3']) expect(() => parseCount(bad, 'data-m')).toThrow(`data-m must be a positive whole number, got "${bad}".`);
    expect(() => parseStrategy('nearest', 'data-strategy')).toThrow('data-strategy must be "local" (L2D-L), "global" (L2D-G) or "vote" (L2D-V), got "nearest".');
  });
});
