import { describe, expect, it } from 'vitest';
import { parseCount, parseFraction, parseMList, parseStrategy, parseWholeNumber } from './setting-text.ts';

describe('settings written as text', () => {
  it('reads k, m and strategy, absent as undefined', () => {
    expect([parseCount('5', 'k'), parseCount(' 12 ', 'k'), parseCount(null, 'k'), parseCount(undefined, 'data-k')]).toEqual([5, 12, undefined, undefined]);
    expect([parseStrategy('global', 's'), parseStrategy('local', 's'), parseStrategy('vote', 's'), parseStrategy(null, 's')]).toEqual(['global', 'local', 'vote', undefined]);
  });

  it('names where a bad value was written', () => {
    expect(() => parseCount('ten', 'The k attribute')).toThrow('The k attribute must be a positive whole number, got "ten".');
    for (const bad of ['0', '-3', '2.5', '', '1e3']) expect(() => parseCount(bad, 'data-m')).toThrow(`data-m must be a positive whole number, got "${bad}".`);
    expect(() => parseStrategy('nearest', 'data-strategy')).toThrow('data-strategy must be "local" (L2D-L), "global" (L2D-G) or "vote" (L2D-V), got "nearest".');
  });

  it('reads whole numbers in a range: digits only, the range in the error', () => {
    expect([parseWholeNumber('0', '--seed', 0, 10), parseWholeNumber('10', '--seed', 0, 10), parseWholeNumber('16384', '--chunk-rows')]).toEqual([0, 10, 16384]);
    expect(() => parseWholeNumber('x', '--seed', 0, 4294967295)).toThrow('--seed must be a whole number from 0 to 4294967295, got "x".');
    expect(() => parseWholeNumber('11', '--seed', 0, 10)).toThrow('--seed must be a whole number from 0 to 10, got "11".');
    for (const bad of ['1.5', '0x10', '1e3', '', ' ', '-1']) expect(() => parseWholeNumber(bad, '--chunk-rows')).toThrow(`--chunk-rows must be a positive whole number, got "${bad}".`);
    expect(() => parseWholeNumber('-1', '--latency', 0)).toThrow('--latency must be a whole number of at least 0, got "-1".');
    expect(() => parseWholeNumber(undefined, '--runs')).toThrow('--runs must be a positive whole number, got "undefined".');
  });

  it('reads a fraction in (0, 1]', () => {
    expect(['0.3', '1', '.5', '1.0', ' 0.25 '].map((text) => parseFraction(text, '--fraction'))).toEqual([0.3, 1, 0.5, 1, 0.25]);
    for (const bad of ['0', '1.5', 'abc', '', '3/10', '-0.3', '1e-1']) expect(() => parseFraction(bad, '--fraction')).toThrow(`--fraction must be a fraction in (0, 1], such as 0.3, got "${bad}".`);
  });

  it('reads M lists: commas or spaces, each value once, in the order given, each from 1 to the largest selection', () => {
    expect(parseMList('100, 500,2000  50', '--m')).toEqual([100, 500, 2000, 50]);
    expect(parseMList('200 200, 100', '--m')).toEqual([200, 100]);
    expect(parseMList(' , ', '--m')).toEqual([]);
    for (const bad of ['0', '1.5', '20000', 'abc', '1e3']) expect(() => parseMList(`100,${bad}`, '--vote-m')).toThrow(`--vote-m must be whole numbers from 1 to 16384, separated by commas; "${bad}" is not one.`);
  });
});
