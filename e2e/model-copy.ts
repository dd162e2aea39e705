/**
 * Test plumbing: a copy of a model folder under test-results/ (served by Vite, never committed) to break on
 * purpose (a probe, a graph, a file the server lacks), or exported again with other export options; a centroid
 * shard as built before it stored its items' sample counts.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const MODEL_SOURCES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'prompt-template.json'];

/**
 * `model`'s weights and tokenizer exported again into test-results/<name> by tools/export/export.py with
 * `exportArgs` (Debian's torch, as the pipeline tests use; ~30 s): its ONNX files, encoder.json and fixtures.
 */
export function exportedCopy(model: string, name: string, exportArgs: string[]): string {
  const folder = `test-results/${name}`;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const file of MODEL_SOURCES) if (existsSync(`${model}/${file}`)) copyFileSync(`${model}/${file}`, `${folder}/${file}`);
  const python = process.env.L2D_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, ['tools/export/export.py', folder, '--skip-check', '--fixtures', '4', '--check-prompts', '4', ...exportArgs], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`exporting ${model} to ${folder} failed: ${r.stdout}${r.stderr}`);
  return folder;
}

/** A copy of centroid shard `folder` at `out` whose manifest lacks centroids.itemSamples, as shards built before them. */
export function centroidShardWithoutCounts(folder: string, out: string): string {
  rmSync(out, { recursive: true, force: true });
  cpSync(folder, out, { recursive: true });
  const manifest = JSON.parse(readFileSync(`${folder}/manifest.json`, 'utf8'));
  writeFileSync(`${out}/manifest.json`, JSON.stringify({ ...manifest, centroids: { sampleRows: manifest.centroids.sampleRows } }));
  return out;
}
