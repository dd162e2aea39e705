/**
 * Which kernels one encoder forward pass runs, and on which execution
 * provider, from onnxruntime-web's own profiler: with `enableProfiling` and
 * the session's log level at verbose it prints each node's kernel event ({"cat" : "Node", ...,
 * "args": {"op_name", "provider"}}) and the session's node placements to the
 * console, which this page function collects while the session lives.
 * Memcpy kernels (MemcpyToHost / MemcpyFromHost) are data moving between the
 * GPU and the CPU: a node the WebGPU EP could not take.
 *
 * onnxruntime-web's wasm module binds console.log once, when it starts: the
 * console is wrapped when this module is imported, so import it before any
 * session is created in the page.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { graphFeeds, graphSignature, HIDDEN_OUTPUT, modelShape } from '../src/core/encoder-feeds.ts';
import { syntheticIds } from './forward-timing.ts';

export interface KernelProfile {
  file: string;
  ep: 'webgpu' | 'wasm';
  tokens: number;
  /** Kernel events of one forward pass (the mean over `runs`). */
  kernels: number;
  byProvider: Record<string, number>;
  /** "provider op" -> kernels per forward pass. */
  byOp: Record<string, number>;
  /**
   * "provider op" -> ms per forward pass as onnxruntime's profiler times it: the
   * kernel's own time on the CPU; for WebGPU kernels only the time to record
   * and submit them (the GPU runs them asynchronously).
   */
  msByOp: Record<string, number>;
  /** onnxruntime's "Node(s) placed on [...]" lines for the session. */
  placements: string[];
}

interface NodeEvent {
  cat: string;
  name: string;
  dur: number;
  args: { op_name?: string; provider?: string };
}

const captured: string[] = [];
let capturing = false;
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...a: unknown[]) => (capturing ? void captured.push(a.map(String).join(' ')) : original(...a));
}

export async function profileKernels(modelUrl: string, file: string, ep: 'webgpu' | 'wasm', tokens: number, runs = 3): Promise<KernelProfile> {
  const config = (await (await fetch(`${modelUrl}/config.json`)).json()) as Record<string, unknown>;
  const shape = modelShape(config);
  captured.length = 0;
  capturing = true;
  // The session's own log level only: onnxruntime-web applies env.logLevel once, at its start, for good.
  try {
    const session = await ort.InferenceSession.create(`${modelUrl}/onnx/${file}`, { executionProviders: [ep], enableProfiling: true, logSeverityLevel: 0 });
    const ids = syntheticIds(Number(config.vocab_size), tokens);
    const graph = graphSignature(session);
    const before = captured.length;
    for (let r = 0; r < runs; r++) await session.run(graphFeeds(ort.Tensor, [ids], shape, graph).feeds, [HIDDEN_OUTPUT[graph.kind]]);
    session.endProfiling();
    await session.release();
    const events = captured
      .slice(before)
      .filter((l) => l.startsWith('{"cat" : "Node"'))
      .map((l) => JSON.parse(l.replace(/,\s*$/, '')) as NodeEvent)
      .filter((e) => e.name.endsWith('_kernel_time'));
    const count = (keys: string[]) => {
      const counts: Record<string, number> = {};
      for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
      return Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, n / runs] as const).sort((a, b) => b[1] - a[1]));
    };
    const provider = (e: NodeEvent) => (e.args.provider ?? '?').replace('ExecutionProvider', '');
    const placements = captured.filter((l) => /placed on \[/.test(l)).map((l) => l.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]\s*/, ''));
    const msByOp: Record<string, number> = {};
    for (const e of events) msByOp[`${provider(e)} ${e.args.op_name}`] = (msByOp[`${provider(e)} ${e.args.op_name}`] ?? 0) + e.dur / 1000 / runs;
    return {
      file,
      ep,
      tokens,
      kernels: events.length / runs,
      byProvider: count(events.map(provider)),
      byOp: count(events.map((e) => `${provider(e)} ${e.args.op_name}`)),
      msByOp: Object.fromEntries(Object.entries(msByOp).sort((a, b) => b[1] - a[1])),
      placements,
    };
  } finally {
    capturing = false;
    captured.length = 0;
  }
}

/** A markdown table of profiles: kernels per forward pass, and how many ran where. */
export function kernelTable(profiles: KernelProfile[]): string {
  const lines = ['| graph | execution provider | kernels per forward | on WebGPU | on CPU | GPU<->CPU copies | most frequent |', '|---|---|---|---|---|---|---|'];
  for (const p of profiles) {
    const copies = Object.entries(p.byOp).filter(([op]) => /Memcpy/.test(op)).reduce((s, [, n]) => s + n, 0);
    const top = Object.entries(p.byOp).slice(0, 4).map(([op, n]) => `${op} ${n}`).join(', ');
    lines.push(`| ${p.file} | ${p.ep} | ${p.kernels} | ${p.byProvider.WebGpu ?? 0} | ${p.byProvider.CPU ?? 0} | ${copies} | ${top} |`);
  }
  return lines.join('\n');
}
