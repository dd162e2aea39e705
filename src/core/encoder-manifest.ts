/**
 * onnx/encoder.json, written by tools/export/export.py: the L2D encoder
 * graphs of a model folder (no LM head, last token only), each bound to the
 * generation graph whose memories it reads. A generation graph may have two:
 * the traced graph (encoder_<dtype>.onnx) and the fused one
 * (encoder_<dtype>_fused.onnx, GroupQueryAttention etc.: `fused` set), which
 * is faster where the execution provider has its operators and the traced
 * graph is the fallback where it has not.
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
  /** Set on graphs written operator by operator by tools/export/fused_encoder.py. */
  fused?: { by: string; ops: Record<string, number> };
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

/**
 * Whether 'auto' tries the fused graph before the traced one. Measured
 * (bench/README.md, docs/MODELS.md: `npm run bench:graphs`, `npm run
 * bench:node-graphs`, `npm run bench:encoder`): on WebGPU the fused graph is
 * 31 kernels, all on the GPU, against 308 (102 on the CPU) for the traced
 * one; in onnxruntime-node it is 1.2x faster; but in wasm its
 * GroupQueryAttention kernel alone takes 41 of its 64 profiled ms, so wasm
 * keeps the traced graph first.
 */
export const FUSED_FIRST: Record<GraphRuntime, boolean> = { webgpu: true, 'node-cpu': true, wasm: false };

/**
 * The encoder graphs to try for a generation graph, best first: 'auto' gives
 * both kinds in the order FUSED_FIRST says for the runtime (the caller falls
 * back along the list), 'fused' / 'encoder' only that kind. Empty when the
 * manifest lists none.
 */
export function pickEncoderGraph(manifest: EncoderManifest, generationFile: string, want: EncoderGraphChoice, runtime: GraphRuntime): (EncoderManifestEntry & { file: string })[] {
  const listed = Object.entries(manifest.graphs ?? {})
    .filter(([, g]) => g.memoriesOf === generationFile)
    .map(([file, g]) => ({ ...g, file }));
  const fused = listed.filter((g) => g.fused);
  const traced = listed.filter((g) => !g.fused);
  if (want !== 'auto') return want === 'fused' ? fused : traced;
  return FUSED_FIRST[runtime] ? [...fused, ...traced] : [...traced, ...fused];
}
