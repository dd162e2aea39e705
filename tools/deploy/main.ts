/**
 * deploy: the files a site serves for a model and its memories, and nothing else, in one folder: what the browser
 * fetches (src/encoder/browser-encoder.ts, src/shard-fetch.ts) out of a model folder that also holds its weights,
 * fixtures, evaluation, other memories and the graphs of other dtypes (movielens-demo with its int8 memory: 30.4 MB
 * of the folder's 60.4 MB).
 *
 *   npm run deploy -- --model models/my-store --memory models/my-store/memory/all-q4-int8 [--memory ...]
 *       --out public/models/my-store [--dtypes q4,q4f16]
 *
 * Writes OUT/ as a model folder: config.json, the tokenizer's two files, prompt-template.json, each dtype's generation
 * graph (onnx/model_<dtype>.onnx) and the encoder graphs onnx/encoder.json lists for it (encoder.json itself cut to
 * those), and each memory under OUT/memory/<its folder's name>/ (manifest.json, its chunks, its catalog). Every
 * memory is checked first (built with this model's generation graph of that dtype, every chunk's and the catalog's
 * SHA-256 as its manifest says): a wrong one is refused and nothing is written. --dtypes defaults to the memories'.
 *
 * OUT appears whole (written beside it as OUT.l2d-deploy-partial, then renamed), and replaces only an earlier
 * deploy (OUT/l2d-deploy.json says it is one): a folder of anything else is refused, never overwritten.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { DataFormatError, InvalidArgumentError, ShardError } from '../../src/core/errors.ts';
import { pickEncoderGraph, type EncoderManifest, type GraphRuntime } from '../../src/core/encoder-manifest.ts';
import { checkShardModel, parseShardManifest, sha256Hex, type ShardManifest } from '../../src/core/shard-format.ts';
import { exitWithUsage, isEntryPoint, parseOptions, runCli } from '../lib/cli.ts';
import { checkReplaceableFolder, readJson, type OwnOutput } from '../lib/files.ts';
import { GENERATION_GRAPHS, MODEL_TEXT_FILES } from '../../src/core/model-files.ts';

/** The dtypes a page runs (fp32 is the export's reference, for measuring). */
const SERVED_DTYPES = ['q4', 'q4f16'] as const;
type ServedDtype = (typeof SERVED_DTYPES)[number];

/** OUT/l2d-deploy.json: what this deploy holds (the folder is one of this tool's, for the next deploy to replace). */
export const DEPLOY_RECORD = 'l2d-deploy.json';
const DEPLOY_OUTPUT: OwnOutput = { what: 'a deploy', marker: DEPLOY_RECORD, is: (folder) => existsSync(join(folder, DEPLOY_RECORD)) };

export interface DeployOptions {
  model: string;
  memories: string[];
  out: string;
  /** Default: the memories' dtypes. */
  dtypes?: string[];
}

export interface DeployedFile {
  /** Path inside OUT. */
  path: string;
  bytes: number;
}

export interface Deployed {
  files: DeployedFile[];
  /** The model's part of a first visit, per encoder runtime: the small files and the graph 'auto' tries first (a memory comes on top). */
  firstVisit: Record<'webgpu' | 'wasm', { graph: string; bytes: number }>;
  /** Each memory's folder in OUT and its bytes. */
  memories: { path: string; bytes: number }[];
}

/** A path as the messages show it: from the working folder, as it was typed. */
const shown = (path: string) => relative(process.cwd(), path) || '.';

/**
 * A memory's manifest, its files checked against it, and that it was built with `model`'s generation graph
 * (`graphSha256` hashes a graph file once for all the memories).
 */
async function checkedMemory(folder: string, model: string, graphSha256: (file: string) => Promise<string>): Promise<{ manifest: ShardManifest; files: string[] }> {
  const manifestFile = join(folder, 'manifest.json');
  if (!existsSync(manifestFile)) throw new ShardError(`${shown(folder)} is not a memory shard: it has no manifest.json.`);
  const manifest = parseShardManifest(readFileSync(manifestFile, 'utf8'), shown(manifestFile));
  const dtype = manifest.model.dtype;
  if (!(SERVED_DTYPES as readonly string[]).includes(dtype)) {
    throw new InvalidArgumentError(`${shown(folder)} was built with the ${dtype} graph (${manifest.model.file}); a page runs ${SERVED_DTYPES.join(' or ')}: build the memory with one of them (npm run build-memory -- --dtype q4).`);
  }
  const graph = join(model, manifest.model.file);
  if (!existsSync(graph)) throw new ShardError(`${shown(folder)} was built with ${manifest.model.file}, which ${shown(model)} lacks: export it (npm run export-model -- ${shown(model)}).`);
  try {
    checkShardModel(manifest, { sha256: await graphSha256(graph) });
  } catch (error) {
    throw new ShardError(`${shown(folder)}: ${(error as Error).message.replace('the model in use', shown(graph))}`);
  }
  const files = [...manifest.chunks.map((c) => ({ file: c.file, sha256: c.sha256 })), manifest.catalog];
  for (const { file, sha256 } of files) {
    const path = join(folder, file);
    if (!existsSync(path)) throw new ShardError(`${shown(folder)} lacks ${file}, which its manifest lists: build the memory again.`);
    if ((await sha256Hex(readFileSync(path))) !== sha256) throw new ShardError(`${shown(path)} does not have the SHA-256 its manifest lists: the memory is damaged; build it again.`);
  }
  return { manifest, files: ['manifest.json', ...files.map((f) => f.file)] };
}

/** Every file a page needs for `dtypes`: the small files, each dtype's generation graph and listed encoder graphs. */
function modelFiles(model: string, dtypes: readonly ServedDtype[]): { files: string[]; encoderJson?: EncoderManifest } {
  const files: string[] = [];
  for (const file of MODEL_TEXT_FILES) {
    if (!existsSync(join(model, file))) throw new DataFormatError(`${shown(model)} has no ${file}, which the browser reads: is it a model folder (npm run train, then npm run export-model)?`);
    files.push(file);
  }
  for (const dtype of dtypes) {
    const file = GENERATION_GRAPHS[dtype];
    if (!existsSync(join(model, file))) throw new DataFormatError(`${shown(model)} has no ${file} (its ${dtype} graph): export it (npm run export-model -- ${shown(model)}).`);
    files.push(file);
  }
  const listing = join(model, 'onnx/encoder.json');
  if (!existsSync(listing)) return { files };
  const manifest = readJson<EncoderManifest>(listing, `${shown(model)}'s encoder graphs (${shown(listing)})`);
  const generation = new Set(dtypes.map((d) => basename(GENERATION_GRAPHS[d])));
  const graphs = Object.fromEntries(Object.entries(manifest.graphs ?? {}).filter(([, entry]) => generation.has(entry.memoriesOf)));
  for (const file of Object.keys(graphs)) {
    if (!existsSync(join(model, 'onnx', file))) throw new DataFormatError(`${shown(listing)} lists ${file}, which ${shown(model)}/onnx lacks: export the model again (npm run export-model -- ${shown(model)}).`);
    files.push(`onnx/${file}`);
  }
  return { files, encoderJson: { ...manifest, graphs } };
}

export async function deploy(options: DeployOptions): Promise<Deployed> {
  const model = resolve(options.model);
  const out = resolve(options.out);
  if (options.memories.length === 0) throw new InvalidArgumentError('deploy needs at least one --memory: a model alone recommends nothing.');
  if (!existsSync(join(model, 'config.json'))) throw new DataFormatError(`${options.model} is not a model folder (it has no config.json).`);
  if (out === model || model.startsWith(out + '/')) throw new InvalidArgumentError(`--out ${options.out} would hold the model folder it is made from: choose another folder.`);
  // OUT is replaced only when it is an earlier deploy: checked before the memories are read and hashed, as the other tools check theirs.
  checkReplaceableFolder(options.out, DEPLOY_OUTPUT);
  const names = options.memories.map((m) => basename(resolve(m)));
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new InvalidArgumentError(`Two memories are named ${twice}: each is served as memory/<its folder's name>.`);

  const hashes = new Map<string, Promise<string>>();
  const graphSha256 = (file: string) => hashes.get(file) ?? hashes.set(file, sha256Hex(readFileSync(file))).get(file)!;
  const memories = [];
  for (const folder of options.memories) memories.push({ folder: resolve(folder), name: basename(resolve(folder)), ...(await checkedMemory(resolve(folder), model, graphSha256)) });
  const dtypes = (options.dtypes ?? [...new Set(memories.map((m) => m.manifest.model.dtype))]) as ServedDtype[];
  const unknown = dtypes.find((d) => !(SERVED_DTYPES as readonly string[]).includes(d));
  if (unknown !== undefined) throw new InvalidArgumentError(`--dtypes takes ${SERVED_DTYPES.join(', ')} (what a page runs), got "${unknown}".`);
  const unserved = memories.find((m) => !dtypes.includes(m.manifest.model.dtype as ServedDtype));
  if (unserved) throw new InvalidArgumentError(`${unserved.name} was built with the ${unserved.manifest.model.dtype} graph, which --dtypes ${dtypes.join(',')} leaves out: a page could not read it.`);
  const { files, encoderJson } = modelFiles(model, dtypes);

  // Nothing is written until every input is checked.
  // Beside OUT under names of this tool's own, so no folder of the user's is ever in the way.
  const partial = `${out}.l2d-deploy-partial`;
  rmSync(partial, { recursive: true, force: true });
  const deployed: DeployedFile[] = [];
  const copy = (from: string, to: string) => {
    mkdirSync(dirname(join(partial, to)), { recursive: true });
    cpSync(from, join(partial, to));
    deployed.push({ path: to, bytes: statSync(from).size });
  };
  for (const file of files) copy(join(model, file), file);
  if (encoderJson) {
    const text = `${JSON.stringify(encoderJson, null, 2)}\n`;
    writeFileSync(join(partial, 'onnx/encoder.json'), text);
    deployed.push({ path: 'onnx/encoder.json', bytes: Buffer.byteLength(text) });
  }
  for (const memory of memories) for (const file of memory.files) copy(join(memory.folder, file), `memory/${memory.name}/${file}`);
  const record = {
    note: 'Written by npm run deploy: the files a page fetches for this model and its memories. A later deploy to this folder replaces it whole.',
    model: basename(model),
    dtypes,
    memories: memories.map((m) => ({ path: `memory/${m.name}`, rows: m.manifest.rows, items: m.manifest.itemCount, rowDtype: m.manifest.dtype, dataset: m.manifest.dataset })),
    files: [...deployed].sort((a, b) => a.path.localeCompare(b.path)),
  };
  writeFileSync(join(partial, DEPLOY_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  if (existsSync(out)) {
    const previous = `${out}.l2d-deploy-previous`;
    rmSync(previous, { recursive: true, force: true });
    renameSync(out, previous);
    try {
      renameSync(partial, out);
    } catch (error) {
      renameSync(previous, out); // the earlier deploy stays served
      throw error;
    }
    rmSync(previous, { recursive: true, force: true });
  } else {
    mkdirSync(dirname(out), { recursive: true });
    renameSync(partial, out);
  }

  const bytesOf = (path: string) => deployed.find((f) => f.path === path)?.bytes ?? 0;
  const small = [...MODEL_TEXT_FILES, 'onnx/encoder.json'].reduce((sum, f) => sum + bytesOf(f), 0);
  const visit = (runtime: GraphRuntime) => {
    const generation = GENERATION_GRAPHS[dtypes.includes('q4') ? 'q4' : dtypes[0]];
    const [first] = encoderJson ? pickEncoderGraph(encoderJson, basename(generation), 'auto', runtime) : [];
    const graph = first ? `onnx/${first.file}` : generation;
    return { graph, bytes: small + bytesOf(graph) };
  };
  return {
    files: record.files,
    firstVisit: { webgpu: visit('webgpu'), wasm: visit('wasm') },
    memories: memories.map((m) => ({ path: `memory/${m.name}`, bytes: m.files.reduce((sum, f) => sum + bytesOf(`memory/${m.name}/${f}`), 0) })),
  };
}

const mb = (bytes: number) => (bytes < 100_000 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

const USAGE = 'usage: npm run deploy -- --model <model folder> --memory <shard folder> [--memory ...] --out <folder> [--dtypes q4,q4f16]';

async function main(): Promise<void> {
  const { values } = parseOptions('deploy', USAGE, {
    options: { model: { type: 'string' }, memory: { type: 'string', multiple: true }, out: { type: 'string' }, dtypes: { type: 'string' } },
  });
  if (!values.model || !values.memory || !values.out) exitWithUsage(USAGE);
  const result = await deploy({ model: values.model, memories: values.memory, out: values.out, dtypes: values.dtypes?.split(',') });
  const total = result.files.reduce((sum, f) => sum + f.bytes, 0);
  const out = shown(values.out);
  console.log(`${out}/: ${result.files.length} files, ${mb(total)}`);
  for (const file of result.files) console.log(`  ${file.path.padEnd(48)} ${mb(file.bytes).padStart(9)}`);
  const { webgpu, wasm } = result.firstVisit;
  const memories = result.memories.map((m) => `${m.path} ${mb(m.bytes)}`).join(', ');
  console.log(`A first visit downloads the model's ${mb(webgpu.bytes)} on WebGPU (${webgpu.graph}) or ${mb(wasm.bytes)} on wasm (${wasm.graph}), and its memory (${memories}), besides onnxruntime-web; later visits read the device's copies.`);
  const memory = values.memory.map((m) => `${out}/memory/${basename(resolve(m))}`);
  console.log(`Serve the folder (with CORS for another origin), then: createRecommender({ model: '${out}', memory: '${memory[0]}' }) or data-model / data-memory.`);
}

if (isEntryPoint(import.meta.url)) runCli('deploy', main);
