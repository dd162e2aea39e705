/**
 * The evaluation's L2D-L M values, as a researcher types them ("100, 500, 2000"): L2D-L at each M from the same
 * forward pass (recommend()'s `also`), the paper's M sweep in the page.
 */
import { InvalidArgumentError } from '../core/errors.ts';
import { parseMList } from '../core/setting-text.ts';

/** recommend() takes the request's list and at most 8 more (`also`); L2D-G and L2D-V (at the slider's M) are two of them. */
export const MAX_M_VALUES = 7;

/** The M values of `text` (commas or spaces between them), each once, in the order given; none given: `fallback`. */
export function parseMValues(text: string, fallback: number): number[] {
  const values = parseMList(text, 'M values');
  if (values.length === 0) return [fallback];
  if (values.length > MAX_M_VALUES) throw new InvalidArgumentError(`At most ${MAX_M_VALUES} M values at once (one forward pass serves 9 lists, L2D-G and L2D-V among them); got ${values.length}.`);
  return values;
}
