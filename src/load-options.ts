/**
 * Checks load()'s options (createRecommender's too) before anything is fetched: a misspelt choice is an error
 * that names the option, its allowed values and what it got, never a silent fallback to some other choice.
 */
import { COLD_START_RULES } from './core/cold-start.ts';
import { InvalidArgumentError } from './core/errors.ts';
import type { LoadOptions } from './worker-protocol.ts';

/** Each option with a fixed set of values, and the values. */
const CHOICES = {
  device: ['auto', 'webgpu', 'wasm'],
  dtype: ['q4', 'q4f16', 'fp32'],
  graph: ['auto', 'fused', 'encoder', 'full'],
  decoder: ['auto', 'webgpu', 'cpu'],
  runtime: ['auto', 'jspi'],
  cache: ['indexeddb', 'none'],
  coldStart: COLD_START_RULES,
  reusePrefix: [true, false, 'auto'],
  keepHiddenOnGpu: [true, false],
  revalidate: [true, false],
} as const satisfies Partial<Record<keyof LoadOptions, readonly unknown[]>>;

const shown = (value: unknown) => (typeof value === 'string' ? `"${value}"` : typeof value === 'object' && value !== null ? Object.prototype.toString.call(value) : String(value));

export function checkLoadOptions(options: LoadOptions): void {
  if (typeof options?.modelUrl !== 'string' || options.modelUrl === '') throw new InvalidArgumentError('load() needs modelUrl: the URL of a model folder.');
  if (options.memoryUrl !== undefined && (typeof options.memoryUrl !== 'string' || options.memoryUrl === '')) {
    throw new InvalidArgumentError(`memory must be the URL of a memory shard folder, got ${shown(options.memoryUrl)}.`);
  }
  for (const [name, allowed] of Object.entries(CHOICES) as [keyof typeof CHOICES, readonly unknown[]][]) {
    const value = options[name];
    if (value !== undefined && !allowed.includes(value)) throw new InvalidArgumentError(`${name} must be one of ${allowed.map(shown).join(', ')}; got ${shown(value)}.`);
  }
  const cap = options.overlayCap;
  if (cap !== undefined && !(typeof cap === 'number' && Number.isInteger(cap) && cap >= 0)) {
    throw new InvalidArgumentError(`overlayCap must be a whole number of interactions (0 turns memory updates off), got ${shown(cap)}.`);
  }
}
