/**
 * Settings written as text, parsed in one place: a storefront's attributes (an element's k, strategy and m, the
 * script tag's data-k, data-strategy and data-m), the demo's M list, and the command-line tools' numeric options. A
 * value that is not one is an error naming where it was written and what it said, before anything runs on it.
 */
import { InvalidArgumentError } from './errors.ts';
import { MAX_SELECTION, STRATEGIES, type Strategy } from './decode-options.ts';

const WHOLE_NUMBER = /^\s*\d+\s*$/;

/** A whole number from `least` to `most` (digits only: "1e3", "2.5", "0x10" and "" are refused). */
export function parseWholeNumber(text: string | undefined, where: string, least = 1, most = Number.MAX_SAFE_INTEGER): number {
  const value = text !== undefined && WHOLE_NUMBER.test(text) ? Number(text) : NaN;
  if (!(value >= least && value <= most)) {
    const range = most === Number.MAX_SAFE_INTEGER ? (least === 1 ? 'a positive whole number' : `a whole number of at least ${least}`) : `a whole number from ${least} to ${most}`;
    throw new InvalidArgumentError(`${where} must be ${range}, got "${text}".`);
  }
  return value;
}

/** A positive whole number (k, m), or undefined where the text is absent. */
export function parseCount(text: string | null | undefined, where: string): number | undefined {
  return text === null || text === undefined ? undefined : parseWholeNumber(text, where);
}

/** A fraction in (0, 1] (of a memory's rows, of a split). */
export function parseFraction(text: string | undefined, where: string): number {
  const value = text !== undefined && /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(value > 0 && value <= 1)) throw new InvalidArgumentError(`${where} must be a fraction in (0, 1], such as 0.3, got "${text}".`);
  return value;
}

/** "local" (L2D-L), "global" (L2D-G) or "vote" (L2D-V), or undefined where the text is absent. */
export function parseStrategy(text: string | null | undefined, where: string): Strategy | undefined {
  if (text === null || text === undefined) return undefined;
  if (!(STRATEGIES as readonly string[]).includes(text)) throw new InvalidArgumentError(`${where} must be "local" (L2D-L), "global" (L2D-G) or "vote" (L2D-V), got "${text}".`);
  return text as Strategy;
}

/** M values as a researcher types them ("100, 500 2000": commas or spaces between), each once, in the order given. */
export function parseMList(text: string, where: string): number[] {
  const values: number[] = [];
  for (const part of text.split(/[\s,]+/).filter((p) => p !== '')) {
    const m = WHOLE_NUMBER.test(part) ? Number(part) : NaN;
    if (!(m >= 1 && m <= MAX_SELECTION)) throw new InvalidArgumentError(`${where} must be whole numbers from 1 to ${MAX_SELECTION}, separated by commas; "${part}" is not one.`);
    if (!values.includes(m)) values.push(m);
  }
  return values;
}
