import { describe, expect, it } from 'vitest';
import { firstNonFiniteHalf, fromFloat16Bits, isNonFiniteFloat16, toFloat16Bits } from './float16.ts';

describe('float16', () => {
  it('encodes known values with round-to-nearest-even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(0.1)).toBe(0x2e66);
    expect(toFloat16Bits(1 / 3)).toBe(0x3555);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // halfway to the next binade rounds up to Inf
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000); // tie -> even (0)
    expect(toFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // tie -> even (2)
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even mantissa
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(toFloat16Bits(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('decodes exactly and round-trips every finite half', () => {
    expect(fromFloat16Bits(0x3c00)).toBe(1);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0xfbff)).toBe(-65504);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
    for (let bits = 0; bits < 0x10000; bits++) {
      if (isNonFiniteFloat16(bits)) continue;
      expect(toFloat16Bits(fromFloat16Bits(bits))).toBe(bits);
    }
  });

  it('finds the first NaN or Infinity as isNonFiniteFloat16 does on each half, at any place and alignment', () => {
    const every = Uint16Array.from({ length: 0x10000 }, (_, bits) => bits);
    const finite = every.filter((bits) => !isNonFiniteFloat16(bits));
    const nonFinite = every.filter(isNonFiniteFloat16);
    expect([finite.length, nonFinite.length]).toEqual([63488, 2048]);
    // Every finite half passes, whatever its neighbours: in one array, four words a step.
    expect(firstNonFiniteHalf(finite)).toBe(-1);
    // Each non-finite half is found, in either half of a word; and the first of several.
    const buffer = new Uint16Array(64);
    for (const bits of nonFinite) {
      for (const at of [0, 1, 2, 5, 8, 9, 15, 31, 40]) {
        buffer.fill(0x3c00).fill(0xfbff, 20, 28); // finite neighbours, the largest magnitude among them
        buffer[at] = bits;
        buffer[at + 17] = bits;
        expect(firstNonFiniteHalf(buffer)).toBe(at);
      }
    }
    // Views at odd half offsets (not on a 4-byte boundary), odd lengths, ranges with an end before the halves'.
    const halves = new Uint16Array(101).fill(0x3c00);
    halves[3] = 0x7c00;
    halves[70] = 0xfe00;
    for (const start of [0, 1, 2, 3, 4]) {
      const view = halves.subarray(start);
      const naive = (from: number, to: number) => view.subarray(from, to).findIndex(isNonFiniteFloat16);
      for (const [from, to] of [[0, view.length], [4, view.length], [0, 3], [5, 66], [5, 67], [5, 68], [5, 69], [66, 100 - start]]) {
        const found = naive(from, to);
        expect(firstNonFiniteHalf(view, from, to), `start ${start}, ${from}..${to}`).toBe(found < 0 ? -1 : from + found);
      }
    }
  });
});
