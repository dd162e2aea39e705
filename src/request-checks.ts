/**
 * Checks the worker's requests (recommend(), generate(), recordInteraction(), buildMemory()) before any work:
 * a wrong request is an InvalidArgumentError that names the field, what it takes and what it got, and is refused
 * before a forward pass runs or anything is stored. Pure functions of the request and the loaded catalog, so they
 * are tested without a browser (request-checks.test.ts); the worker applies them.
 */
import { describeValue } from './core/describe-value.ts';
import { checkK, resolveDecodeOptions, type DecodeOptions, type Strategy } from './core/decode-options.ts';
import { InvalidArgumentError } from './core/errors.ts';
import { lastOfEach } from './core/fit-prompt.ts';
import type { L2DMemory } from './core/memory.ts';

/** What a request's lists may hold: recommend()'s and generate()'s exclude and only, with the history's items. */
export type ListFilter = Pick<DecodeOptions, 'exclude' | 'only'>;

/** recommend()'s `also`: at most this many more lists from one forward pass. */
export const MAX_ALSO_LISTS = 8;

/** A yes/no option: true, false or left out ("no" is truthy: it would have done the opposite of what it says). */
export function checkFlag(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidArgumentError(`${name} must be true or false, got ${describeValue(value)}.`);
}

/** A request is an object of options (null failed inside with a TypeError): true, else an error naming the shape. */
export function checkRequestObject(request: unknown, call: string, shape: string): true {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new InvalidArgumentError(`${call} takes ${shape}, got ${describeValue(request)}.`);
  return true;
}

/**
 * Checks a history of catalog ids (0..itemCount-1): ids the catalog lacks are left out and returned in
 * `unknownItems` (the caller warns), none left is an error; an entry that is no id at all (a product key as a
 * string, a fraction) is an error naming it. A repeated id counts once, at its last place, as in the training data
 * (lastOfEach).
 */
export function knownHistory(history: unknown, itemCount: number): { history: number[]; unknownItems: number[] } {
  if (history !== undefined && !Array.isArray(history)) throw new InvalidArgumentError(`The history must be an array of item ids (oldest first), got ${describeValue(history)}.`);
  if (!history || history.length === 0) throw new InvalidArgumentError('The history is empty: give at least one item id.');
  const notId = history.findIndex((id) => !Number.isInteger(id));
  if (notId >= 0) {
    throw new InvalidArgumentError(
      `history[${notId}] is ${describeValue(history[notId])}, not an item id: ids are integers 0..${itemCount - 1}, an item's index in catalog() (a store's own keys map to them through sourceIds()).`,
    );
  }
  const ids = history as number[];
  const unknownItems = ids.filter((id) => id < 0 || id >= itemCount);
  const known = ids.filter((id) => id >= 0 && id < itemCount);
  if (known.length === 0) throw new InvalidArgumentError(`None of the history's items is in the catalog (unknown: ${unknownItems.slice(0, 10).join(', ')}).`);
  return { history: lastOfEach(known), unknownItems };
}

/**
 * What a request's lists may hold: not `exclude`'s catalog ids nor, with excludeHistory, the history's; with `only`,
 * none but its ids (each checked by resolveDecodeOptions / excludedItems, naming the option).
 */
export function listFilter(request: { exclude?: unknown; only?: unknown; excludeHistory?: unknown }, history: readonly number[]): ListFilter {
  const { exclude, only } = request;
  for (const [name, value] of [['exclude', exclude], ['only', only]] as const) {
    if (value !== undefined && !Array.isArray(value)) throw new InvalidArgumentError(`${name} must be an array of item ids, got ${describeValue(value)}.`);
  }
  checkFlag(request.excludeHistory, 'excludeHistory');
  return {
    exclude: [...((exclude as number[] | undefined) ?? []), ...(request.excludeHistory ? history : [])],
    ...(only !== undefined ? { only: only as number[] } : {}),
  };
}

/**
 * recommend()'s `also`: more lists from the same forward pass, each checked against the memory before that pass
 * runs, with the request's exclude and only.
 */
export function alsoLists(also: unknown, filter: ListFilter, memory: L2DMemory): DecodeOptions[] | undefined {
  if (also === undefined) return undefined;
  if (!Array.isArray(also) || also.length > MAX_ALSO_LISTS) {
    throw new InvalidArgumentError(`also must be an array of at most ${MAX_ALSO_LISTS} lists ({ k, strategy?, m? }), got ${Array.isArray(also) ? `${also.length} lists` : typeof also}.`);
  }
  return also.map((list: { k?: unknown; strategy?: unknown; m?: unknown } | null, i) => {
    if (typeof list !== 'object' || list === null) throw new InvalidArgumentError(`also[${i}] must be a list request { k, strategy?, m? }, got ${String(list)}.`);
    checkK(list.k, memory.itemCount, `also[${i}].k`);
    const options = { k: list.k, strategy: list.strategy as Strategy | undefined, m: list.m as number | undefined, ...filter };
    try {
      resolveDecodeOptions(options, memory);
    } catch (error) {
      throw new InvalidArgumentError(`also[${i}]: ${(error as Error).message}`);
    }
    return options;
  });
}
