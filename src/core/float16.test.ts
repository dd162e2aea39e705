import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, isNonFiniteFloat16, toFloat16Bits } from './float16.ts';

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
});
