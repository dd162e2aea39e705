/** GPU side of the decoder tests: runs in the harness page and in its dedicated worker alike. */
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { L2DError } from '../../src/core/errors.ts';
import { createMemory, type L2DMemory } from '../../src/core/memory.ts';
import { DecodeEngine } from '../../src/decode-engine.ts';
import { adapterLabel, GpuDecoder, requestDecoderDevice } from '../../src/gpu/index.ts';
import { buildCaseMemory, buildCaseQueries, type CaseSpec, type RankedView } from './cases.ts';

export interface CaseResult {
  adapter: string;
  parts: number;
  nativeF16: boolean;
  /** results[request][query] */
  results: RankedView[][];
  centroids?: number[];
  decodeMs: number[];
}

export async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const { device, adapter } = await requestDecoderDevice();
  try {
    const memory = buildCaseMemory(spec);
    const queries = buildCaseQueries(spec, memory);
    const decoder = await GpuDecoder.create(device, memory, { maxBindingSize: spec.maxBindingSize });
    const results: RankedView[][] = [];
    const decodeMs: number[] = [];
    for (const request of spec.requests) {
      const t0 = performance.now();
      const batch = await decoder.decodeBatch(queries, request);
      decodeMs.push(performance.now() - t0);
      results.push(batch.map((list) => list.map((x): RankedView[number] => [x.item, x.distance, x.source, x.score])));
    }
    const centroids = spec.rows <= 10_000 ? Array.from(await decoder.readCentroids()) : undefined;
    decoder.destroy();
    return { adapter: adapterLabel(adapter), parts: decoder.info.parts, nativeF16: decoder.info.nativeF16, results, centroids, decodeMs };
  } finally {
    device.destroy();
  }
}

export interface ErrorReport {
  name: string;
  code: string;
  message: string;
}

async function report(action: () => Promise<unknown>): Promise<ErrorReport> {
  try {
    await action();
    return { name: 'none', code: 'none', message: 'no error was thrown' };
  } catch (error) {
    const e = error as L2DError;
    return { name: e.name, code: e.code ?? 'untyped', message: e.message };
  }
}

/** Each bad input against the GPU decoder; the typed error that came back. */
export async function runBadInputs(): Promise<Record<string, ErrorReport>> {
  const { device } = await requestDecoderDevice();
  try {
    const memory = buildCaseMemory({ name: 'bad', rows: 100, dim: 8, items: 10, seed: 1, querySeeds: [], requests: [] });
    const decoder = await GpuDecoder.create(device, memory);
    const q = new Float32Array(8);
    const emptyMemory: L2DMemory = { dim: 8, rows: 0, itemCount: 1, vectors: new Uint16Array(0), labels: new Uint32Array(0) };
    const nanRow = { ...memory, vectors: memory.vectors.slice() };
    nanRow.vectors[5 * 8 + 3] = 0x7e00;
    const out = {
      emptyMemory: await report(() => GpuDecoder.create(device, emptyMemory)),
      nanInMemory: await report(() => GpuDecoder.create(device, nanRow)),
      dimensionMismatch: await report(() => decoder.decode(new Float32Array(9), { k: 3 })),
      kZero: await report(() => decoder.decode(q, { k: 0 })),
      nanQuery: await report(() => decoder.decode(Float32Array.of(0, 0, NaN, 0, 0, 0, 0, 0), { k: 3 })),
      infinityQuery: await report(() => decoder.decode(Float32Array.of(0, 0, 0, 0, 0, 0, 0, -Infinity), { k: 3 })),
      unknownStrategy: await report(() => decoder.decode(q, { k: 3, strategy: 'best' as 'global' })),
      mZero: await report(() => decoder.decode(q, { k: 3, strategy: 'local', m: 0 })),
      oversizedRow: await report(() => GpuDecoder.create(device, memory, { maxBindingSize: 8 })),
    };
    decoder.destroy();
    return out;
  } finally {
    device.destroy();
  }
}

export interface DeviceLossReport {
  lostError: ErrorReport;
  laterCall: ErrorReport;
  engineBackendAfterLoss: { decoder: string; fallbackReason?: string };
  engineResult: RankedView;
  cpuResult: RankedView;
  rebuiltBackend: string;
  rebuiltResult: RankedView;
}

const view = (items: { item: number; distance: number; source: string; score: number }[]): RankedView => items.map((x) => [x.item, x.distance, x.source, x.score]);

/** Loses the device in the middle of a decode: the decoder reports it, the engine falls back and can be rebuilt. */
export async function runDeviceLoss(): Promise<DeviceLossReport> {
  const memory = buildCaseMemory({ name: 'loss', rows: 20_000, dim: 64, items: 500, seed: 5, querySeeds: [], requests: [] });
  const [query] = buildCaseQueries({ name: 'loss', rows: 0, dim: 0, items: 0, seed: 0, querySeeds: [3], requests: [] }, memory);
  const request = { k: 10, strategy: 'local' as const, m: 200 };

  const { device } = await requestDecoderDevice();
  const decoder = await GpuDecoder.create(device, memory);
  const pending = decoder.decode(query, request);
  device.destroy();
  const lostError = await report(() => pending);
  const laterCall = await report(() => decoder.decode(query, request));

  const engine = await DecodeEngine.create(memory, { device: 'webgpu' });
  const engineDevice = (engine as unknown as { gpu: GpuDecoder }).gpu.device;
  const first = engine.decode(query, request);
  engineDevice.destroy();
  const engineResult = view(await first);
  const engineBackendAfterLoss = engine.backend;
  const cpuResult = view(new CpuDecoder(memory).decode(query, request));
  await engine.rebuild('webgpu');
  const rebuiltResult = view(await engine.decode(query, request));
  const rebuiltBackend = engine.backend.decoder;
  engine.dispose();
  return { lostError, laterCall, engineBackendAfterLoss, engineResult, cpuResult, rebuiltBackend, rebuiltResult };
}

/** createMemory is part of the tested surface too: it must reject NaN rows in the page as in Node. */
export function createMemoryError(): ErrorReport {
  try {
    createMemory({ dim: 2, itemCount: 1, vectors: Float32Array.of(0, NaN), labels: [0] });
    return { name: 'none', code: 'none', message: 'no error was thrown' };
  } catch (error) {
    const e = error as L2DError;
    return { name: e.name, code: e.code, message: e.message };
  }
}
