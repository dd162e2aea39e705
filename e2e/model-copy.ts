/**
 * Test plumbing: a copy of a model folder under test-results/ (served by Vite, never committed) to break on
 * purpose (a probe, a graph, a file the server lacks), or exported again with other export options; a centroid
 * shard as built before it stored its items' sample counts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseItems, serializeItems } from '../src/core/data/prepared-format.ts';
import type { EncoderManifest } from '../src/core/encoder-manifest.ts';
import type { ShardManifest } from '../src/core/shard-format.ts';

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

/**
 * `model` "retrained": its weights each moved by noise of a tenth of their tensor's spread (seeded), with the same
 * tokenizer and config, exported into test-results/<name> as exportedCopy does (q4 and its fused encoder graphs).
 * Its hidden states differ from `model`'s; its memories are bound to its own model_q4.onnx.
 */
export function retrainedCopy(model: string, name: string): string {
  const source = `test-results/${name}-checkpoint`;
  rmSync(source, { recursive: true, force: true });
  mkdirSync(source, { recursive: true });
  for (const file of MODEL_SOURCES) if (existsSync(`${model}/${file}`)) copyFileSync(`${model}/${file}`, `${source}/${file}`);
  const perturb = [
    'import sys, torch',
    "sys.path.insert(0, 'tools/train')",
    'from safetensors_io import read_safetensors, write_safetensors',
    'torch.manual_seed(1)',
    'path = sys.argv[1]',
    'weights = read_safetensors(path, sys.exit)',
    'write_safetensors(path, {k: v + 0.1 * v.std().clamp(min=1e-3) * torch.randn_like(v) for k, v in weights.items()}, torch.float32)',
  ].join('\n');
  const python = process.env.L2D_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, ['-c', perturb, `${source}/model.safetensors`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`perturbing ${source}/model.safetensors failed: ${r.stdout}${r.stderr}`);
  return exportedCopy(source, name, ['--dtypes', 'q4', '--encoder-kinds', 'fused']);
}

/**
 * A copy of shard `folder` at `out` declared built with `modelFolder`'s model_q4.onnx (its rows stay the ones
 * built with another model: a stand-in for a rebuild with a retrained model, whose rows a test does not read).
 */
export function shardForModel(folder: string, modelFolder: string, out: string): string {
  rmSync(out, { recursive: true, force: true });
  cpSync(folder, out, { recursive: true });
  const manifest = JSON.parse(readFileSync(`${folder}/manifest.json`, 'utf8')) as ShardManifest;
  manifest.model.sha256 = createHash('sha256').update(readFileSync(`${modelFolder}/onnx/model_q4.onnx`)).digest('hex');
  writeFileSync(`${out}/manifest.json`, JSON.stringify(manifest, null, 2));
  return out;
}

/** A copy of centroid shard `folder` at `out` whose manifest lacks centroids.itemSamples, as shards built before them. */
export function centroidShardWithoutCounts(folder: string, out: string): string {
  rmSync(out, { recursive: true, force: true });
  cpSync(folder, out, { recursive: true });
  const manifest = JSON.parse(readFileSync(`${folder}/manifest.json`, 'utf8'));
  writeFileSync(`${out}/manifest.json`, JSON.stringify({ ...manifest, centroids: { sampleRows: manifest.centroids.sampleRows } }));
  return out;
}

/**
 * A copy of shard `folder` at `out` with its items numbered backwards (id -> itemCount - 1 - id): each row's label,
 * the catalog and the items' sample counts renumbered, checksums written anew. The same memory as a rebuild whose
 * prepare-data numbered the items otherwise.
 */
export function renumberedShard(folder: string, out: string): string {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const manifest = JSON.parse(readFileSync(`${folder}/manifest.json`, 'utf8')) as ShardManifest;
  const last = manifest.itemCount - 1;
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  for (const chunk of manifest.chunks) {
    const bytes = new Uint8Array(readFileSync(`${folder}/${chunk.file}`));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const labels = bytes.byteLength - chunk.rows * 4; // a chunk ends with its rows' labels (uint32, little-endian)
    for (let r = 0; r < chunk.rows; r++) view.setUint32(labels + 4 * r, last - view.getUint32(labels + 4 * r, true), true);
    writeFileSync(`${out}/${chunk.file}`, bytes);
    chunk.sha256 = sha256(bytes);
  }
  const items = parseItems(readFileSync(`${folder}/${manifest.catalog.file}`, 'utf8'))
    .reverse()
    .map((item, id) => ({ ...item, id }));
  const catalog = new TextEncoder().encode(serializeItems(items));
  writeFileSync(`${out}/${manifest.catalog.file}`, catalog);
  manifest.catalog.sha256 = sha256(catalog);
  if (manifest.centroids?.itemSamples) manifest.centroids.itemSamples.reverse();
  writeFileSync(`${out}/manifest.json`, JSON.stringify(manifest, null, 2));
  return out;
}
