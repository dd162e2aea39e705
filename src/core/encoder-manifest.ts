/**
 * onnx/encoder.json, written by tools/export/export.py: the L2D encoder
 * graphs of a model folder (no LM head, last token only), each bound to the
 * generation graph whose memories it reads. A generation graph may have
 * several: the traced graph (encoder_<dtype>.onnx) and the fused ones
 * (`fused` set): encoder_<dtype>_fused.onnx with GroupQueryAttention (WebGPU)
 * and encoder_q4_fused_plain.onnx with plain attention ops (wasm).
 * GRAPH_ORDER says which a runtime tries first; the others are fallbacks.
 */
import { cosine } from './encoder-feeds.ts';

export interface EncoderManifestEntry {
  sha256: string;
  /** The generation graph (file name in onnx/) whose memories this graph reads. */
  memoriesOf: string;
  memoriesOfSha256: string;
  /**
   * Token ids and the export's reference last-token hidden state (torch, same
   * weights): the warm-up at load runs it and a graph whose hidden state
   * differs (an operator computing wrong on this adapter) is not used.
   */
  probe?: EncoderProbe;
  /**
   * Set on graphs written operator by operator by tools/export/fused_encoder.py; attention 'gqa'
   * (GroupQueryAttention; absent in manifests from before 'plain' existed) or 'plain' (RotaryEmbedding,
   * MatMul, Softmax: encoder_q4_fused_plain.onnx, for onnxruntime's wasm build).
   */
  fused?: { by: string; attention?: FusedAttention; ops: Record<string, number> };
  optimized?: { by: string; disabled: string[]; kernels: { before: number; after: number }; ops: Record<string, number> };
}

/**
 * The export's probe: token ids and torch's last-token hidden state; with
 * `shorter`, also the hidden state of the first `tokens` ids, which the
 * warm-up runs as a second, padded row of the same forward pass, so a kernel
 * wrong only for batches or padding is caught too.
 */
export interface EncoderProbe {
  input_ids: number[];
  hidden: number[];
  shorter?: { tokens: number; hidden: number[] };
}

/** The rows of the probe's forward pass: the whole probe, then its shorter prefix where the export gave one. */
export function probeRows(probe: EncoderProbe): number[][] {
  return probe.shorter ? [probe.input_ids, probe.input_ids.slice(0, probe.shorter.tokens)] : [probe.input_ids];
}

/** The least cosine of the probe rows' hidden states (probeRows' order) to the export's references, and which row. */
export function probeCosine(probe: EncoderProbe, hidden: readonly ArrayLike<number>[]): { cosine: number; row: 'whole' | 'shorter' } {
  const whole = cosine(hidden[0], probe.hidden);
  if (!probe.shorter) return { cosine: whole, row: 'whole' };
  const shorter = cosine(hidden[1], probe.shorter.hidden);
  return shorter < whole || Number.isNaN(shorter) ? { cosine: shorter, row: 'shorter' } : { cosine: whole, row: 'whole' };
}

export interface EncoderManifest {
  note?: string;
  graphs: Record<string, EncoderManifestEntry>;
}

/** The least cosine between a graph's probe hidden state and the export's reference for the graph to be used (q4f16 gives ~0.9999). */
export const PROBE_MIN_COSINE = 0.999;

export type EncoderGraphChoice = 'auto' | 'fused' | 'encoder';

/** Where a graph runs: onnxruntime-web's WebGPU or wasm execution provider, or onnxruntime-node's CPU one. */
export type GraphRuntime = 'webgpu' | 'wasm' | 'node-cpu';

export type FusedAttention = 'gqa' | 'plain';

/** An encoder graph's kind for ordering: traced, or fused with either attention. */
export type EncoderGraphKind = 'traced' | `fused-${FusedAttention}`;

export function encoderGraphKind(entry: EncoderManifestEntry): EncoderGraphKind {
  return entry.fused ? `fused-${entry.fused.attention ?? 'gqa'}` : 'traced';
}

/**
 * The order 'auto' tries the encoder graphs in, per runtime. Measured
 * (bench/README.md, docs/MODELS.md: `npm run bench:graphs`, `npm run
 * bench:node-graphs`, `npm run bench:encoder`): on WebGPU the GroupQueryAttention
 * graph is ~35 kernels, all but one on the GPU, against 308 (102 on the CPU)
 * for the traced one; in onnxruntime-node it is 1.2x faster than the traced
 * one; in wasm onnxruntime's GroupQueryAttention kernel is slow, and the same
 * graph with plain attention ops is the fastest there.
 */
export const GRAPH_ORDER: Record<GraphRuntime, EncoderGraphKind[]> = {
  webgpu: ['fused-gqa', 'fused-plain', 'traced'],
  'node-cpu': ['fused-gqa', 'fused-plain', 'traced'],
  wasm: ['fused-plain', 'traced', 'fused-gqa'],
};

/**
 * The encoder graphs to try for a generation graph, best first: 'auto' gives
 * every kind in GRAPH_ORDER's order for the runtime (the caller falls back
 * along the list), 'fused' the fused ones in that order, 'encoder' the traced
 * one. Empty when the manifest lists none.
 */
export function pickEncoderGraph(manifest: EncoderManifest, generationFile: string, want: EncoderGraphChoice, runtime: GraphRuntime): (EncoderManifestEntry & { file: string })[] {
  const listed = Object.entries(manifest.graphs ?? {})
    .filter(([, g]) => g.memoriesOf === generationFile)
    .map(([file, g]) => ({ ...g, file }));
  const rank = (g: EncoderManifestEntry) => GRAPH_ORDER[runtime].indexOf(encoderGraphKind(g));
  const ordered = listed.sort((a, b) => rank(a) - rank(b));
  if (want === 'auto') return ordered;
  return ordered.filter((g) => (want === 'fused') === (g.fused !== undefined));
}

/**
 * The SHA-256 of the generation graph whose memories the manifest's encoder graphs for it read: what a memory
 * shard must have been built with, known before any graph is fetched (a load starts the memory beside the model).
 * Undefined where the manifest lists none for that file, or where its entries disagree (a stale manifest: the
 * caller then waits for the file itself).
 */
export function memoriesSha256(manifest: EncoderManifest, generationFile: string): string | undefined {
  const shas = new Set(
    Object.values(manifest.graphs ?? {})
      .filter((g) => g?.memoriesOf === generationFile)
      .map((g) => g.memoriesOfSha256),
  );
  const [sha] = shas;
  return shas.size === 1 && typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha) ? sha : undefined;
}
