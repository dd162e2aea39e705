/**
 * What the side-by-side benches share in reading their options: an option error that exits with the usage, whole
 * numbers, and a --baseline git ref made into a commit and, where a bench imports or serves it, a tree of its files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseWholeNumber } from '../src/core/setting-text.ts';
import { networkShape, type NetworkShape } from '../tools/lib/network-shape.ts';

/** A bench's option error: the message, then its usage, on stderr; exit 2. */
export function optionFailure(bench: string, usage: string): (message: string) => never {
  return (message) => {
    console.error(`${bench}: ${message}\n${usage}`);
    process.exit(2);
  };
}

/** An option that must be a whole number of at least `least` (the tools' rule: src/core/setting-text.ts). */
export function wholeNumber(option: string, text: string | undefined, fail: (message: string) => never, least = 1): number {
  try {
    return parseWholeNumber(text, option, least);
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** A --baseline git ref as its short commit id; fails naming it where it names no commit of this repository. */
export function baselineCommit(ref: string | undefined, fail: (message: string) => never): string {
  if (!ref) fail('--baseline is required: the commit this tree is held against.');
  try {
    return execFileSync('git', ['rev-parse', '--short', '--verify', `${ref}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return fail(`--baseline "${ref}" is not a commit of this repository (git rev-parse found none).`);
  }
}

/**
 * `ref`'s recommender worker (its src/ and workers/, from git into test-results/<bench>-baseline-<commit>), for a
 * page to run beside this tree's: its commit and the worker's URL on the dev server.
 */
export function baselineWorker(ref: string | undefined, bench: string, fail: (message: string) => never): { name: string; worker: string } {
  const commit = baselineCommit(ref, fail);
  const folder = `${bench}-baseline-${commit}`;
  archivedTree(commit, ['src', 'workers'], folder);
  return { name: commit, worker: `/test-results/${folder}/workers/l2d.worker.ts` };
}

/** The commit's `paths` (git archive) in test-results/<name>, emptied first; its absolute path. */
export function archivedTree(commit: string, paths: readonly string[], name: string): string {
  const folder = resolve('test-results', name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} ${paths.join(' ')} | tar -x -C "${folder}"`]);
  return folder;
}

/**
 * The visit benches' network: --throttle <Mbit/s> (above 0) and --latency <ms> (0 or more; 20 by default with
 * --throttle), shaped by the server (tools/lib/network-shape.ts); none without either (localhost).
 */
export function networkOptions(values: { throttle?: string; latency?: string }, fail: (message: string) => never): NetworkShape | undefined {
  const throttleMbit = values.throttle === undefined ? undefined : Number(values.throttle);
  if (throttleMbit !== undefined && !(throttleMbit > 0)) fail(`--throttle must be a download speed in Mbit/s above 0, got "${values.throttle}".`);
  const latencyMs = values.latency === undefined ? (throttleMbit !== undefined ? 20 : undefined) : Number(values.latency);
  if (latencyMs !== undefined && !(latencyMs >= 0)) fail(`--latency must be a delay in ms, 0 or more, got "${values.latency}".`);
  return networkShape(throttleMbit, latencyMs);
}
