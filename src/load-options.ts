/**
 * Checks load()'s options (createRecommender's too) before anything is fetched: a misspelt choice is an error
 * that names the option, its allowed values and what it got, never a silent fallback to some other choice.
 */
import { COLD_START_RULES } from './core/cold-start.ts';
import { InvalidArgumentError } from './core/errors.ts';
import { ORT_FILE_NAMES } from './encoder/ort-runtime.ts';
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
  revalidate: [true, false, 'background'],
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
  checkWasmPaths(options.wasmPaths);
  const cap = options.overlayCap;
  if (cap !== undefined && !(typeof cap === 'number' && Number.isInteger(cap) && cap >= 0)) {
    throw new InvalidArgumentError(`overlayCap must be a whole number of interactions (0 turns memory updates off), got ${shown(cap)}.`);
  }
}

/** A folder URL, or a URL for each of onnxruntime-web's files by its name. */
function checkWasmPaths(paths: unknown): void {
  if (paths === undefined || (typeof paths === 'string' && paths !== '')) return;
  const expected = `wasmPaths must be the URL of the folder holding onnxruntime-web's files, or an object giving each file's URL by its name (${ORT_FILE_NAMES.join(', ')})`;
  if (typeof paths !== 'object' || paths === null || Array.isArray(paths)) throw new InvalidArgumentError(`${expected}; got ${shown(paths)}.`);
  for (const [name, url] of Object.entries(paths)) {
    if (!(ORT_FILE_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`${expected}; got a file named "${name}".`);
    if (typeof url !== 'string' || url === '') throw new InvalidArgumentError(`wasmPaths["${name}"] must be the file's URL, got ${shown(url)}.`);
  }
}
