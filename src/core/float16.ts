/**
 * IEEE 754 binary16 conversion. Memory rows are stored as float16 bits in a
 * Uint16Array, which is exactly the layout WGSL's unpack2x16float reads from
 * a u32 (low half first).
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> float16 bits, round to nearest even (what hardware conversion does). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) {
    // Inf stays Inf; NaN becomes a quiet NaN.
    return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  }
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    // Subnormal half (or zero).
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const rounded = rest > halfway || (rest === halfway && (half & 1) === 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // Carry from rounding may bump the exponent, which is still correct (up to Inf).
  const rounded = rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  return sign | rounded;
}

/** float16 bits -> number (exact). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** True when the float16 bits encode NaN or +-Infinity. */
export function isNonFiniteFloat16(bits: number): boolean {
  return (bits & 0x7c00) === 0x7c00;
}

/**
 * The index of the first NaN or +-Infinity among halves[from .. to), or -1: the same verdict as
 * isNonFiniteFloat16 on each, two halves a 32-bit word and four words a step (a shard's rows are checked at
 * every load: ~5x faster than one half at a time on 100k x 896 rows). A half's exponent is all ones exactly when
 * adding 0x0400 to its exponent bits carries into its top bit.
 */
export function firstNonFiniteHalf(halves: Uint16Array, from = 0, to = halves.length): number {
  let i = from;
  // Halves one by one up to a 4-byte boundary, then whole words.
  while (i < to && (halves.byteOffset + 2 * i) % 4 !== 0) {
    if (isNonFiniteFloat16(halves[i])) return i;
    i++;
  }
  const words = new Uint32Array(halves.buffer, halves.byteOffset + 2 * i, (to - i) >> 1);
  const n = words.length;
  let w = 0;
  for (; w + 4 <= n; w += 4) {
    const carries =
      ((words[w] & 0x7c007c00) + 0x04000400) |
      ((words[w + 1] & 0x7c007c00) + 0x04000400) |
      ((words[w + 2] & 0x7c007c00) + 0x04000400) |
      ((words[w + 3] & 0x7c007c00) + 0x04000400);
    if ((carries & 0x80008000) !== 0) break; // one of these 8 halves: found below
  }
  for (i += 2 * w; i < to; i++) if (isNonFiniteFloat16(halves[i])) return i;
  return -1;
}

/** Lookup table of all 65536 float16 values, for fast decoding in scans. */
let table: Float32Array | undefined;
export function float16Table(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = fromFloat16Bits(i);
  }
  return table;
}
