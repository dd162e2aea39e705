/**
 * Fetching a cached model again behind the page (src/store/model-cache.ts refreshCachedModel, rebuilt-model.ts
 * prefetchRebuiltModel) in Chromium, on a made-up model folder served by Vite: the server's files replace the
 * cached ones only where they make memories of the model asked for, a failed request or another model keeps
 * nothing, and no staging cache is left behind.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { openHarness, type HarnessPage } from './browser.ts';

const FOLDER = 'test-results/refreshed-model';
let harness: HarnessPage;
let base: string;

beforeAll(async () => {
  harness = await openHarness('e2e/harness/store.html');
  base = `${harness.baseUrl}/${FOLDER}`;
});
afterAll(async () => {
  await harness?.close();
});

type Outcome = { ok: true; model: { sha256: string; hiddenSize: number } | null } | { ok: false; name: string; message: string; isL2DError: boolean };
const call = <T>(fn: string, ...args: unknown[]) =>
  harness.page.evaluate(([f, a]) => (globalThis as unknown as Record<string, Record<string, (...x: unknown[]) => Promise<unknown>>>).l2dModelCache[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const files = ['config.json', 'prompt-template.json', 'onnx/model_q4.onnx'];
/** The cached files' texts, as a load reads them (cache first). */
const cached = () => call<string[]>('read', files.map((f) => `${base}/${f}`));

/** The server's copy of the folder: a generation graph only (no onnx/encoder.json), whose bytes are `graph`. */
function serve(graph: string, hiddenSize: number, extra: Record<string, string> = {}): string[] {
  rmSync(FOLDER, { recursive: true, force: true });
  mkdirSync(`${FOLDER}/onnx`, { recursive: true });
  const texts = [JSON.stringify({ hidden_size: hiddenSize }), '{"template":"same"}', graph];
  files.forEach((file, i) => writeFileSync(`${FOLDER}/${file}`, texts[i]));
  for (const [file, text] of Object.entries(extra)) writeFileSync(`${FOLDER}/${file}`, text);
  return texts;
}

it("the server's files replace the cached model only where they make memories of the memory's model; a failed request or another model keeps nothing", async () => {
  await call('reset');
  const old = serve('graph bytes A', 64);
  expect(await cached()).toEqual(old);

  // Retrained: the memory's model is the new graph's bytes, but first a memory of neither.
  const retrained = serve('graph bytes B', 32);
  expect(await call<Outcome>('prefetchRebuiltModel', base, sha('graph bytes C'))).toEqual({ ok: true, model: null });
  expect(await cached()).toEqual(old);
  // A file the server lacks now: nothing fetched is kept either.
  rmSync(`${FOLDER}/prompt-template.json`);
  const missing = await call<Outcome>('prefetchRebuiltModel', base, sha('graph bytes B'));
  expect(missing).toMatchObject({ ok: false, isL2DError: true, message: `${base}/prompt-template.json: HTTP 404; the stored model stays in use.` });
  expect(await cached()).toEqual(old);

  // An abandoned staging cache (a page closed mid-refresh, long ago) goes; a running refresh's (young) stays.
  await call('openCache', 'l2d-models-staging-1');
  const young = `l2d-models-staging-${Date.now() + 60_000}`;
  await call('openCache', young);
  serve('graph bytes B', 32);
  expect(await call<Outcome>('prefetchRebuiltModel', base, sha('graph bytes B'))).toEqual({ ok: true, model: { sha256: sha('graph bytes B'), hiddenSize: 32 } });
  expect(await cached()).toEqual(retrained);
  expect(await call<string[]>('stagingCaches')).toEqual([young]);
});

it("with onnx/encoder.json: a cached encoder graph's memoriesOfSha256 names the memory's model (a graph this device never fetched does not); a graph the server dropped is deleted", async () => {
  await call('reset');
  const manifest = (graph: string, memoriesOfSha256: string) => JSON.stringify({ graphs: { [graph]: { sha256: 'x', memoriesOf: 'model_q4.onnx', memoriesOfSha256 } } });
  serve('A', 64, { 'onnx/encoder.json': manifest('encoder_q4.onnx', sha('A')), 'onnx/encoder_q4.onnx': 'encoder A' });
  await call('read', [`${base}/onnx/encoder.json`, `${base}/onnx/encoder_q4.onnx`, `${base}/config.json`]);
  // Renamed: the new manifest names the new model only for a graph not cached here.
  serve('B', 64, { 'onnx/encoder.json': manifest('encoder_q4_v2.onnx', 'f'.repeat(64)), 'onnx/encoder_q4.onnx': 'encoder B' });
  expect(await call<Outcome>('prefetchRebuiltModel', base, 'f'.repeat(64))).toEqual({ ok: true, model: null });
  serve('B', 64, { 'onnx/encoder.json': manifest('encoder_q4.onnx', 'f'.repeat(64)), 'onnx/encoder_q4.onnx': 'encoder B' });
  expect(await call<Outcome>('prefetchRebuiltModel', base, 'f'.repeat(64))).toEqual({ ok: true, model: { sha256: 'f'.repeat(64), hiddenSize: 64 } });
  expect(await call<string[]>('read', [`${base}/onnx/encoder_q4.onnx`])).toEqual(['encoder B']);

  // Retrained again, exported without the encoder graph this device used: its generation graph makes the memory's
  // model, and the graph the server no longer has is deleted from the stored copies.
  await call('read', [`${base}/onnx/model_q4.onnx`]);
  serve('C', 64, { 'onnx/encoder.json': '{"graphs":{}}' });
  expect(await call<Outcome>('prefetchRebuiltModel', base, sha('C'))).toEqual({ ok: true, model: { sha256: sha('C'), hiddenSize: 64 } });
  expect((await call<string[]>('cachedFiles')).map((url) => url.slice(base.length + 1)).sort()).toEqual(['config.json', 'onnx/encoder.json', 'onnx/model_q4.onnx']);
  expect(await call<string[]>('read', [`${base}/onnx/model_q4.onnx`])).toEqual(['C']);
});

it("the model's files deleted while a refresh stages new ones (deleteStoredData): the refresh puts nothing back", async () => {
  await call('reset');
  const old = serve('graph bytes A', 64);
  expect(await cached()).toEqual(old);
  serve('graph bytes B', 64);
  await call('refreshHeld', base); // the new files staged, waiting to be accepted
  expect(await call<number>('deleteModel', base)).toBe(files.length);
  expect(await call<boolean>('release')).toBe(false);
  expect(await call<string[]>('stagingCaches')).toEqual([]);
  // Nothing stored: a load reads the server's files, as on a first visit.
  expect(await call<string[]>('read', [`${base}/config.json`])).toEqual([JSON.stringify({ hidden_size: 64 })]);
  expect(await call<number>('deleteModel', base)).toBe(1);
});
