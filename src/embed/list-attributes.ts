/**
 * The list settings a storefront writes as text: an element's k, strategy and m attributes, the script tag's
 * data-k, data-strategy and data-m. A value that is not one is an error naming where it was written.
 */
import { InvalidArgumentError } from '../core/errors.ts';
import { STRATEGIES, type Strategy } from '../core/decode-options.ts';

/** A positive whole number (k, m), or undefined where the text is absent. */
export function parseCount(text: string | null | undefined, where: string): number | undefined {
  if (text === null || text === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`${where} must be a positive whole number, got "${text}".`);
  return Number(text);
}

/** "local" (L2D-L), "global" (L2D-G) or "vote" (L2D-V), or undefined where the text is absent. */
export function parseStrategy(text: string | null | undefined, where: string): Strategy | undefined {
  if (text === null || text === undefined) return undefined;
  if (!(STRATEGIES as readonly string[]).includes(text)) throw new InvalidArgumentError(`${where} must be "local" (L2D-L), "global" (L2D-G) or "vote" (L2D-V), got "${text}".`);
  return text as Strategy;
}
