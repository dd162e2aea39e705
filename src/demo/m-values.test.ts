import { describe, expect, it } from 'vitest';
import { parseMValues } from './m-values.ts';

describe('parseMValues', () => {
  it('reads M values separated by commas or spaces, each once, in the order given', () => {
    expect(parseMValues('100, 500,2000  50', 1000)).toEqual([100, 500, 2000, 50]);
    expect(parseMValues('200 200, 100', 1000)).toEqual([200, 100]);
  });

  it("takes the slider's M when none is given", () => {
    expect(parseMValues('', 1000)).toEqual([1000]);
    expect(parseMValues(' , ', 300)).toEqual([300]);
  });

  it('names a value that is not a whole number in range, and too many values', () => {
    expect(() => parseMValues('100, abc', 1000)).toThrow('M values must be whole numbers from 1 to 16384, separated by commas; "abc" is not one.');
    expect(() => parseMValues('0', 1000)).toThrow('"0" is not one.');
    expect(() => parseMValues('1.5', 1000)).toThrow('"1.5" is not one.');
    expect(() => parseMValues('20000', 1000)).toThrow('"20000" is not one.');
    expect(() => parseMValues('1 2 3 4 5 6 7 8', 1000)).toThrow('At most 7 M values at once (one forward pass serves 9 lists, L2D-G and L2D-V among them); got 8.');
    expect(parseMValues('1 2 3 4 5 6 7', 1000)).toHaveLength(7);
  });
});
