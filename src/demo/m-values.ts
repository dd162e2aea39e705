/**
 * The evaluation's L2D-L M values, as a researcher types them ("100, 500, 2000"): L2D-L at each M from the same
 * forward pass (recommend()'s `also`), the paper's M sweep in the page.
 */
import { MAX_SELECTION } from '../core/decode-options.ts';

/** recommend() takes the request's list and at most 8 more (`also`); L2D-G and L2D-V (at the slider's M) are two of them. */
export const MAX_M_VALUES = 7;

/** The M values of `text` (commas or spaces between them), each once, in the order given; none given: `fallback`. */
export function parseMValues(text: string, fallback: number): number[] {
  const parts = text.split(/[\s,]+/).filter((part) => part !== '');
  if (parts.length === 0) return [fallback];
  const values: number[] = [];
  for (const part of parts) {
    const m = /^\d+$/.test(part) ? Number(part) : NaN;
    if (!(Number.isInteger(m) && m >= 1 && m <= MAX_SELECTION)) {
      throw new Error(`M values must be whole numbers from 1 to ${MAX_SELECTION}, separated by commas; "${part}" is not one.`);
    }
    if (!values.includes(m)) values.push(m);
  }
  if (values.length > MAX_M_VALUES) throw new Error(`At most ${MAX_M_VALUES} M values at once (one forward pass serves 9 lists, L2D-G and L2D-V among them); got ${values.length}.`);
  return values;
}
