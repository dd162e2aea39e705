/**
 * The L2D encoder in Node: a model folder's tokenizer (@huggingface/transformers,
 * local files only), prompt template and ONNX file in onnxruntime-node.
 * encode(histories of titles) -> the last prompt token's final-norm hidden state of each.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { graphFeeds, graphSignature, HIDDEN_OUTPUT, lastTokenRows, modelShape, type ModelShape } from '../../src/core/encoder-feeds.ts';
import { pickEncoderGraph, type EncoderManifest } from '../../src/core/encoder-manifest.ts';
import { DataFormatError, InvalidArgumentError } from '../../src/core/errors.ts';
import { GENERATION_GRAPHS, MODEL_TEXT_FILES } from '../../src/core/model-files.ts';
import { fitPrompt } from '../../src/core/fit-prompt.ts';
import { parsePromptTemplate, type PromptTemplate } from '../../src/core/prompt.ts';
import { createTokenizer, tokenIds, type Tokenizer } from '../../src/encoder/tokenizer.ts';
import { readJson } from './files.ts';

/** Each dtype's generation graph, by a dtype the command line names (unchecked: callers say which are known). */
export const MODEL_FILES: Readonly<Record<string, string>> = GENERATION_GRAPHS;

export interface NodeEncoder {
  id: string;
  /** The generation graph whose memories this encoder reads. */
  file: string;
  /** The graph that runs: `file`, or an encoder graph listed for it in onnx/encoder.json. */
  graphFile: string;
  dtype: string;
  sha256: string;
  hiddenSize: number;
  maxPromptTokens: number;
  /** The model's history window (the template's maxHistory), where it has one. */
  maxHistory?: number;
  template: PromptTemplate;
  /** Hidden states of a batch of histories (titles, oldest first), and how many titles were dropped to fit. */
  encode(histories: string[][]): Promise<{ hidden: Float32Array[]; dropped: number[] }>;
  tokenize(text: string): number[];
  release(): Promise<void>;
}

export async function loadTokenizer(folder: string): Promise<Tokenizer> {
  return createTokenizer(readJson(join(folder, 'tokenizer.json')), readJson(join(folder, 'tokenizer_config.json')));
}

/** Last real token's final-norm hidden state of each row, in one forward pass of any of a model folder's graphs. */
export async function lastHiddenStates(session: ort.InferenceSession, rows: number[][], shape: ModelShape): Promise<Float32Array[]> {
  const graph = graphSignature(session);
  const { feeds, width } = graphFeeds(ort.Tensor, rows, shape, graph);
  const out = (await session.run(feeds, [HIDDEN_OUTPUT[graph.kind]]))[HIDDEN_OUTPUT[graph.kind]];
  return lastTokenRows(out.data as Float32Array, rows.length, width, shape.hiddenSize);
}

/** What a model folder's text files give (config, template, tokenizer), checked present; `file` is the ONNX file to be used. */
export async function loadModelText(folder: string, file: string): Promise<{ config: Record<string, unknown>; shape: ModelShape; template: PromptTemplate; maxPromptTokens: number; tokenizer: Tokenizer }> {
  for (const needed of [...MODEL_TEXT_FILES, file]) {
    if (!existsSync(join(folder, needed))) throw new DataFormatError(`${folder}: ${needed} is missing (export the model with tools/export/export.py).`);
  }
  const config = readJson<Record<string, unknown>>(join(folder, 'config.json'));
  const template = parsePromptTemplate(readJson(join(folder, 'prompt-template.json')), join(folder, 'prompt-template.json'));
  const tokenizerConfig = readJson<{ model_max_length?: number }>(join(folder, 'tokenizer_config.json'));
  const maxPromptTokens = Math.min(Number(tokenizerConfig.model_max_length ?? Infinity), Number(config.max_position_embeddings ?? Infinity));
  return { config, shape: modelShape(config), template, maxPromptTokens, tokenizer: await loadTokenizer(folder) };
}

/**
 * graph 'full' (default): the generation graph's last_hidden_state.
 * 'encoder' / 'fused': the L2D encoder graph (traced, or fused:
 * tools/export/fused_encoder.py) that onnx/encoder.json lists for the dtype;
 * 'auto': the fused one, else the traced one, else the generation graph. The
 * encoder graphs give the same hidden states without the LM head and read
 * the generation graph's memories (sha256 and file are the generation graph's).
 */
export const NODE_ENCODER_GRAPHS = ['auto', 'fused', 'encoder', 'full'] as const;
export type NodeEncoderGraph = (typeof NODE_ENCODER_GRAPHS)[number];

/** A tool's --graph: which of the model's graphs encodes (the tools' default 'auto'). */
export function parseNodeEncoderGraph(text: string | undefined, option = '--graph'): NodeEncoderGraph {
  if (text === undefined) return 'auto';
  if (!(NODE_ENCODER_GRAPHS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`${option} must be auto (the fused L2D encoder graph where the model has one), fused, encoder (the traced one) or full (the generation graph), got "${text}".`);
  }
  return text as NodeEncoderGraph;
}

export async function loadNodeEncoder(folder: string, dtype = 'q4', graph: NodeEncoderGraph = 'full'): Promise<NodeEncoder> {
  const file = MODEL_FILES[dtype];
  if (!file) throw new DataFormatError(`Unknown dtype "${dtype}": use ${Object.keys(MODEL_FILES).join(' or ')}.`);
  const { config, shape, template, maxPromptTokens, tokenizer } = await loadModelText(folder, file);
  const bytes = readFileSync(join(folder, file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const encoderFile = graph === 'full' ? undefined : encoderGraphFile(folder, file, sha256, graph);
  const session = await ort.InferenceSession.create(join(folder, encoderFile ?? file), { intraOpNumThreads: 0 });
  const tokenize = (text: string) => tokenIds(tokenizer, text);
  const hiddenStates = (rows: number[][]) => lastHiddenStates(session, rows, shape);
  return {
    id: basename(resolve(folder)),
    file,
    graphFile: encoderFile ?? file,
    dtype,
    sha256,
    hiddenSize: Number(config.hidden_size),
    maxPromptTokens,
    maxHistory: template.maxHistory,
    template,
    tokenize,
    async encode(histories) {
      const fitted = histories.map((titles) => fitPrompt(titles, tokenize, maxPromptTokens, template));
      const hidden = await hiddenStates(fitted.map((f) => f.ids));
      return { hidden, dropped: fitted.map((f) => f.dropped) };
    },
    release: () => session.release(),
  };
}

/**
 * The encoder graph onnx/encoder.json lists for `file` (src/core/encoder-manifest.ts),
 * checked against its hash and the generation graph's; undefined when none
 * (an error when one was asked for by kind).
 */
function encoderGraphFile(folder: string, file: string, sha256: string, want: Exclude<NodeEncoderGraph, 'full'>): string | undefined {
  const manifestPath = join(folder, 'onnx/encoder.json');
  const manifest = existsSync(manifestPath) ? readJson<EncoderManifest>(manifestPath) : { graphs: {} };
  const [entry] = pickEncoderGraph(manifest, file.replace(/^onnx\//, ''), want, 'node-cpu');
  if (!entry) {
    if (want === 'auto') return undefined;
    throw new DataFormatError(`${manifestPath} lists no ${want === 'encoder' ? 'traced' : 'fused'} encoder graph for ${file} (export it with tools/export/export.py --encoder-only).`);
  }
  if (entry.memoriesOfSha256 !== sha256) throw new DataFormatError(`${manifestPath}: ${entry.file} was exported from another ${file} (export the encoder again).`);
  const actual = createHash('sha256').update(readFileSync(join(folder, 'onnx', entry.file))).digest('hex');
  if (actual !== entry.sha256) throw new DataFormatError(`${folder}/onnx/${entry.file} is not the file onnx/encoder.json describes (export the encoder again).`);
  return `onnx/${entry.file}`;
}
