/** Test plumbing: a copy of a model folder under test-results/ to break on purpose (a probe, a graph, a file the server lacks). */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { EncoderManifest } from '../src/core/encoder-manifest.ts';

/**
 * A copy of `model` at test-results/<name> (without its memory, evaluation data and the graphs these tests
 * never load); `edit` may change its files and its onnx/encoder.json, which is written back after.
 */
export function modelCopy(model: string, name: string, edit: (manifest: EncoderManifest, folder: string) => void = () => undefined): string {
  const folder = `test-results/${name}`;
  rmSync(folder, { recursive: true, force: true });
  cpSync(model, folder, { recursive: true, filter: (src) => !src.includes('/memory') && !src.includes('/eval') && !/model(_q4f16)?\.onnx$|encoder\.onnx$/.test(src) });
  const manifest = JSON.parse(readFileSync(`${folder}/onnx/encoder.json`, 'utf8')) as EncoderManifest;
  edit(manifest, folder);
  writeFileSync(`${folder}/onnx/encoder.json`, JSON.stringify(manifest));
  return folder;
}
