/**
 * The GPU decoder: owns the memory's GPU buffers and the WGSL pipelines,
 * and answers L2D-G / L2D-L / L2D-V requests with the same results as the CPU
 * reference (src/core/cpu-decoder.ts).
 *
 * The GPUDevice comes from outside, so the decoder can share the device of
 * onnxruntime-web's WebGPU backend. The memory is split into parts of at
 * most maxStorageBufferBindingSize bytes; every kernel that reads rows runs
 * once per part, parts in row order, so sums keep the CPU's order.
 */
import { groupRowsByItem } from '../core/centroids.ts';
import {
  decodedItem,
  resolveDecodeOptions,
  resolveQueries,
  takesRows,
  votedItem,
  type DecodeOptions,
  type DecodedItem,
  type ResolvedDecodeOptions,
} from '../core/decode-options.ts';
import { DeviceLostError, GpuError, InvalidArgumentError, MemoryTooLargeError } from '../core/errors.ts';
import { rowStride, validateMemory, type L2DMemory } from '../core/memory.ts';
import type { CentroidChange } from '../core/overlay.ts';
import { rankByVote } from '../core/vote.ts';
import { readFloats } from './device.ts';
import { kernelSources } from './kernels.ts';

const WORKGROUP = 256;
const MAX_WORKGROUPS = 4096;
const SENTINEL = 0xffffffff;
const INVALID = 0xffffffff;
const SELECT_STATE_WORDS = 264;
const UPLOAD_CHUNK_BYTES = 64 << 20;

type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

interface MemoryPart {
  buffer: GPUBuffer;
  firstRow: number;
  rowCount: number;
}

export interface GpuDecoderOptions {
  /** Largest bytes of one memory part; defaults to the device's maxStorageBufferBindingSize. Tests force small values to exercise splitting. */
  maxBindingSize?: number;
  /** Use the native-f16 scan when the device has 'shader-f16' (default true). */
  nativeF16?: boolean;
  /** Room for this many overlay rows (memory updates, setOverlay) after the memory's own. */
  spareRows?: number;
  /** Centroids for items without rows (cold-start rule, src/core/cold-start.ts). */
  extraCentroids?: readonly CentroidChange[];
}

export interface GpuDecoderInfo {
  /** Memory parts (GPU buffers the rows are split across). */
  parts: number;
  rowsPerPart: number;
  /** Whether the scan reads rows as native f16 (shader-f16) or packed u32 pairs. */
  nativeF16: boolean;
}

/**
 * A query that is already on the GPU, on the decoder's device: `dim` float32
 * values at `byteOffset` of `buffer` (e.g. a row of onnxruntime-web's
 * last_hidden_state output kept as a 'gpu-buffer'). It is copied on the GPU,
 * never read back; the buffer needs COPY_SRC usage.
 */
export interface GpuQuery {
  buffer: GPUBuffer;
  byteOffset: number;
}

/** A typed array has .buffer and .byteOffset too: only a plain object holding a GPUBuffer is a GpuQuery. */
export function isGpuQuery(q: ArrayLike<number> | GpuQuery): q is GpuQuery {
  return !ArrayBuffer.isView(q) && !Array.isArray(q) && typeof GPUBuffer !== 'undefined' && (q as GpuQuery).buffer instanceof GPUBuffer;
}

/** Stage timings of the last decode, in milliseconds. */
export interface GpuDecodeTimings {
  /** Validation, uploads and command encoding on the CPU. */
  encode: number;
  /** From submit until the results were mapped back (GPU work plus readback). */
  gpu: number;
  total: number;
  /** GPU time of the L2 scans (rows and centroids), from timestamp queries; undefined without 'timestamp-query'. */
  scan?: number;
  /** GPU time of the top-M / top-K selections. */
  select?: number;
  /** GPU time of L2D-L's grouping and group means. */
  aggregate?: number;
}

type Stage = 'scan' | 'select' | 'aggregate';
const MAX_TIMED_PASSES = 8;

interface Pipelines {
  scanF16: GPUComputePipeline;
  scanF32: GPUComputePipeline;
  select: Record<'init' | 'histogram' | 'pick' | 'compact' | 'rankSort', GPUComputePipeline>;
  centroids: Record<'accumulate' | 'finalize', GPUComputePipeline>;
  local: Record<'order' | 'accumulate' | 'finalize', GPUComputePipeline>;
  layouts: Record<'scan' | 'select' | 'centroids' | 'local', GPUBindGroupLayout>;
}

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);
function bitsToFloat(bits: number): number {
  u32Bits[0] = bits;
  return f32Bits[0];
}

/** A select's (key, index) pairs, best first, up to the first SENTINEL (an excluded or missing row). */
function selectedRows(words: Uint32Array, at: number, slots: number): { rows: Uint32Array; squaredDistances: Float32Array } {
  let n = 0;
  while (n < slots && words[at + 2 * n] !== SENTINEL) n++;
  const rows = new Uint32Array(n);
  const squaredDistances = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    squaredDistances[j] = bitsToFloat(words[at + 2 * j]);
    rows[j] = words[at + 2 * j + 1];
  }
  return { rows, squaredDistances };
}

/** Overwrites some items' centroids (and whether they have one) in place. */
function writeCentroids(device: GPUDevice, centroids: GPUBuffer, centroidLabels: GPUBuffer, changes: readonly CentroidChange[], stride: number): void {
  for (const c of changes) {
    device.queue.writeBuffer(centroids, c.item * stride * 4, c.vector.buffer, c.vector.byteOffset, stride * 4);
    device.queue.writeBuffer(centroidLabels, c.item * 4, new Uint32Array([c.count > 0 ? c.item : INVALID]));
  }
}

/** Buffers made for one decode, destroyed together afterwards. */
class Scratch {
  private readonly buffers: GPUBuffer[] = [];
  constructor(private readonly device: GPUDevice) {}
  buffer(bytes: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const b = this.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage, label });
    this.buffers.push(b);
    return b;
  }
  storage(bytes: number, label: string): GPUBuffer {
    return this.buffer(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label);
  }
  data(array: Uint32Array | Float32Array, label: string, usage = GPUBufferUsage.STORAGE): GPUBuffer {
    const b = this.buffer(array.byteLength, usage | GPUBufferUsage.COPY_DST, label);
    this.device.queue.writeBuffer(b, 0, array.buffer, array.byteOffset, array.byteLength);
    return b;
  }
  uniform(words: number[], label: string): GPUBuffer {
    const padded = new Uint32Array(Math.ceil(words.length / 4) * 4);
    padded.set(words);
    return this.data(padded, label, GPUBufferUsage.UNIFORM);
  }
  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}

function workgroupsFor(count: number, itemsPerThread = 1): number {
  return Math.max(1, Math.min(MAX_WORKGROUPS, Math.ceil(count / (WORKGROUP * itemsPerThread))));
}

/**
 * Keys each selection thread handles: fewer workgroups mean fewer
 * workgroup-histogram clears and global atomic merges, which dominate a
 * radix pass (measured on SwiftShader: see bench/README.md).
 */
const SELECT_ITEMS_PER_THREAD = 64;

export class GpuDecoder {
  /** The memory's rows, then the overlay's (setOverlay). */
  memory: L2DMemory;
  readonly info: GpuDecoderInfo;
  lastTimings: GpuDecodeTimings = { encode: 0, gpu: 0, total: 0 };

  private lostReason: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly baseRows: number;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    memory: L2DMemory,
    private readonly pipelines: Pipelines,
    private readonly parts: MemoryPart[],
    private readonly labels: GPUBuffer,
    private readonly centroids: GPUBuffer,
    private readonly centroidLabels: GPUBuffer,
    private readonly emptyBuffer: GPUBuffer,
    private readonly spareRows: number,
    info: GpuDecoderInfo,
  ) {
    this.memory = memory;
    this.baseRows = memory.rows;
    this.info = info;
    device.lost.then((lost) => {
      this.lostReason = lost.message || lost.reason || 'unknown reason';
    });
  }

  /** Uploads the memory, computes the item centroids on the GPU and compiles the kernels. */
  static async create(device: GPUDevice, memory: L2DMemory, options: GpuDecoderOptions = {}): Promise<GpuDecoder> {
    validateMemory(memory);
    const limits = device.limits;
    const bindingLimit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const stride = rowStride(memory.dim);
    const rowBytes = stride * 2;
    const partLimit = Math.min(bindingLimit, options.maxBindingSize ?? Infinity);
    const rowsPerPart = Math.floor(partLimit / rowBytes);
    if (rowsPerPart === 0) {
      throw new MemoryTooLargeError(`One memory row takes ${rowBytes} bytes, more than a storage binding allows (${partLimit} bytes).`);
    }
    const checkFits = (bytes: number, what: string) => {
      if (bytes > bindingLimit) {
        throw new MemoryTooLargeError(`${what} needs ${bytes} bytes, more than this device's largest storage binding (${bindingLimit} bytes).`);
      }
    };
    const spareRows = options.spareRows ?? 0;
    checkFits((memory.rows + spareRows) * 4, `The label array of ${memory.rows} rows (+ ${spareRows} spare)`);
    if (spareRows * rowBytes > partLimit) throw new MemoryTooLargeError(`${spareRows} spare rows take ${spareRows * rowBytes} bytes, more than one storage binding (${partLimit} bytes).`);
    checkFits(memory.itemCount * stride * 4, `The centroids of ${memory.itemCount} items x ${memory.dim} dims`);

    const nativeF16 = (options.nativeF16 ?? true) && device.features.has('shader-f16');
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const pipelines = await createPipelines(device, nativeF16);

    const parts: MemoryPart[] = [];
    for (let firstRow = 0; firstRow < memory.rows; firstRow += rowsPerPart) {
      const rowCount = Math.min(rowsPerPart, memory.rows - firstRow);
      const bytes = rowCount * rowBytes;
      const buffer = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: `memory part ${parts.length}` });
      const view = memory.vectors.subarray(firstRow * stride, (firstRow + rowCount) * stride);
      for (let offset = 0; offset < bytes; offset += UPLOAD_CHUNK_BYTES) {
        const size = Math.min(UPLOAD_CHUNK_BYTES, bytes - offset);
        device.queue.writeBuffer(buffer, offset, view.buffer, view.byteOffset + offset, size);
      }
      parts.push({ buffer, firstRow, rowCount });
    }
    const persistent = (array: Uint32Array, label: string, capacity = array.byteLength) => {
      const b = device.createBuffer({ size: Math.max(16, Math.ceil(capacity / 16) * 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label });
      device.queue.writeBuffer(b, 0, array.buffer, array.byteOffset, array.byteLength);
      return b;
    };
    const labels = persistent(memory.labels, 'memory labels', (memory.rows + spareRows) * 4);
    const emptyBuffer = persistent(new Uint32Array(4), 'empty');

    // Centroids: CSR index of rows by item (host, O(N)), sums and means on the GPU.
    const byItem = groupRowsByItem(memory.labels, memory.itemCount);
    const centroidLabels = persistent(
      Uint32Array.from({ length: memory.itemCount }, (_, v) => (byItem.offsets[v + 1] > byItem.offsets[v] ? v : INVALID)),
      'centroid labels',
    );
    const centroids = device.createBuffer({
      size: memory.itemCount * stride * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      label: 'centroids',
    });
    const scratch = new Scratch(device);
    const offsets = scratch.data(byItem.offsets, 'centroid offsets');
    const rowIds = scratch.data(byItem.rowIds, 'centroid row ids');
    const encoder = device.createCommandEncoder({ label: 'centroids' });
    const pass = encoder.beginComputePass();
    const strideVec4 = stride / 8;
    const work = workgroupsFor(memory.itemCount * strideVec4 * 2);
    for (const part of parts) {
      const params = scratch.uniform([memory.itemCount, strideVec4, part.firstRow, part.rowCount], 'centroid params');
      pass.setPipeline(pipelines.centroids.accumulate);
      pass.setBindGroup(0, bind(device, pipelines.layouts.centroids, [params, part.buffer, offsets, rowIds, centroids]));
      pass.dispatchWorkgroups(work);
    }
    const params = scratch.uniform([memory.itemCount, strideVec4, 0, 0], 'centroid params');
    pass.setPipeline(pipelines.centroids.finalize);
    pass.setBindGroup(0, bind(device, pipelines.layouts.centroids, [params, parts[0].buffer, offsets, rowIds, centroids]));
    pass.dispatchWorkgroups(work);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    scratch.destroy();
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom) throw new MemoryTooLargeError(`The GPU ran out of memory while uploading the memory: ${oom.message}`);
    if (validation) throw new GpuError(`WebGPU rejected the decoder's setup: ${validation.message}`);

    if (options.extraCentroids?.length) {
      writeCentroids(device, centroids, centroidLabels, options.extraCentroids, stride);
      await device.queue.onSubmittedWorkDone();
    }
    if (spareRows > 0) {
      // The overlay's own part, empty until setOverlay; scans skip empty parts.
      const buffer = device.createBuffer({ size: Math.max(16, spareRows * rowBytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'overlay rows' });
      parts.push({ buffer, firstRow: memory.rows, rowCount: 0 });
    }
    return new GpuDecoder(device, memory, pipelines, parts, labels, centroids, centroidLabels, emptyBuffer, spareRows, {
      parts: parts.length - (spareRows > 0 ? 1 : 0),
      rowsPerPart,
      nativeF16,
    });
  }

  /** True once the device is lost; every later decode throws DeviceLostError. */
  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  async decode(query: ArrayLike<number> | GpuQuery, options: DecodeOptions): Promise<DecodedItem[]> {
    return (await this.decodeBatch([query], options))[0];
  }

  /**
   * Several queries in one scan; calls are answered in the order they were made.
   * A query may be a GpuQuery (no readback of the hidden state); such a query is not
   * checked for NaN/Infinity, which only a readback could do.
   */
  decodeBatch(queries: (ArrayLike<number> | GpuQuery)[], options: DecodeOptions): Promise<DecodedItem[][]> {
    const run = this.queue.then(() => this.runBatch(queries, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The item centroids (itemCount x rowStride(dim) float32), read back from the GPU. */
  readCentroids(): Promise<Float32Array> {
    const run = this.queue.then(async () => {
      this.assertUsable();
      try {
        return await readFloats(this.device, this.centroids, 0, this.centroids.size / 4);
      } catch (error) {
        throw await this.explain(error);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Puts a user's overlay rows after the memory's (merged = withOverlay(memory, rows))
   * and writes the changed items' centroids (CentroidOverlay.changes): an
   * update costs the overlay's rows and the touched items, not a re-upload.
   */
  setOverlay(merged: L2DMemory, changes: CentroidChange[]): Promise<void> {
    const run = this.queue.then(async () => {
      this.assertUsable();
      const n = merged.rows - this.baseRows;
      if (merged.dim !== this.memory.dim || merged.itemCount !== this.memory.itemCount || n < 0) throw new InvalidArgumentError('The overlay memory does not extend this decoder\'s memory.');
      if (n > this.spareRows) throw new InvalidArgumentError(`The overlay has ${n} rows; this decoder was made with room for ${this.spareRows} (spareRows).`);
      const stride = rowStride(merged.dim);
      const part = this.parts[this.parts.length - 1];
      const queue = this.device.queue;
      if (n > 0) {
        const rows = merged.vectors.subarray(this.baseRows * stride, merged.rows * stride);
        queue.writeBuffer(part.buffer, 0, rows.buffer, rows.byteOffset, rows.byteLength);
        const labels = merged.labels.subarray(this.baseRows, merged.rows);
        queue.writeBuffer(this.labels, this.baseRows * 4, labels.buffer, labels.byteOffset, labels.byteLength);
      }
      writeCentroids(this.device, this.centroids, this.centroidLabels, changes, stride);
      if (this.spareRows > 0) part.rowCount = n;
      this.memory = merged;
      try {
        await queue.onSubmittedWorkDone();
      } catch (error) {
        throw await this.explain(error);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const part of this.parts) part.buffer.destroy();
    for (const b of [this.labels, this.centroids, this.centroidLabels, this.emptyBuffer]) b.destroy();
  }

  private assertUsable(): void {
    if (this.lostReason !== undefined) throw new DeviceLostError(this.lostReason);
    if (this.destroyed) throw new GpuError('This GPU decoder was destroyed; create a new one.');
  }

  /** Turns a failure during GPU work into DeviceLostError when the device went away meanwhile. */
  private async explain(error: unknown): Promise<unknown> {
    if (this.lostReason === undefined) {
      await Promise.race([this.device.lost, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    if (this.lostReason !== undefined) return new DeviceLostError(this.lostReason);
    return error instanceof Error ? new GpuError(`GPU work failed: ${error.message}`) : error;
  }

  private async runBatch(queries: (ArrayLike<number> | GpuQuery)[], options: DecodeOptions): Promise<DecodedItem[][]> {
    this.assertUsable();
    const resolved = resolveDecodeOptions(options, this.memory);
    const onCpu = queries.filter((q) => !isGpuQuery(q)) as ArrayLike<number>[];
    const checked = onCpu.length ? resolveQueries(onCpu, this.memory) : [];
    if (queries.length === 0) resolveQueries([], this.memory); // throws the usual "no query" error
    let next = 0;
    const padded: (Float32Array | GpuQuery)[] = queries.map((q) => {
      if (!isGpuQuery(q)) return checked[next++];
      if (q.byteOffset % 4 !== 0 || q.byteOffset + this.memory.dim * 4 > q.buffer.size) {
        throw new InvalidArgumentError(`A GPU query needs ${this.memory.dim} float32 values at a 4-byte aligned offset inside its buffer (offset ${q.byteOffset}, buffer ${q.buffer.size} bytes).`);
      }
      return q;
    });
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    // Keys of a batch: queries x N u32 must fit one binding.
    const perPass = Math.max(1, Math.floor(limit / (4 * Math.max(this.memory.rows, this.memory.itemCount))));
    const results: DecodedItem[][] = [];
    const timings: GpuDecodeTimings = { encode: 0, gpu: 0, total: 0 };
    if (this.device.features.has('timestamp-query')) Object.assign(timings, { scan: 0, select: 0, aggregate: 0 });
    for (let start = 0; start < padded.length; start += perPass) {
      const chunk = padded.slice(start, start + perPass);
      results.push(...(await this.runChunk(chunk, resolved, timings)));
    }
    timings.total = timings.encode + timings.gpu;
    this.lastTimings = timings;
    return results;
  }

  private async runChunk(queries: (Float32Array | GpuQuery)[], options: ResolvedDecodeOptions, timings: GpuDecodeTimings): Promise<DecodedItem[][]> {
    const t0 = performance.now();
    const { device, memory, pipelines } = this;
    const Q = queries.length;
    const stride = rowStride(memory.dim);
    const strideVec4 = stride / 8;
    const scratch = new Scratch(device);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const queryData = new Float32Array(Q * stride);
    queries.forEach((q, i) => {
      if (!isGpuQuery(q)) queryData.set(q, i * stride);
    });
    const queryBuffer = scratch.data(queryData, 'queries');
    const excludeWords = options.excluded.size > 0 ? Math.ceil(memory.itemCount / 32) : 0;
    let excluded = this.emptyBuffer;
    if (excludeWords > 0) {
      const bits = new Uint32Array(Q * excludeWords);
      for (let q = 0; q < Q; q++) for (const item of options.excluded) bits[q * excludeWords + (item >>> 5)] |= 1 << (item & 31);
      excluded = scratch.data(bits, 'excluded items');
    }

    const encoder = device.createCommandEncoder({ label: 'l2d decode' });
    queries.forEach((q, i) => {
      // Padding lanes stay zero from queryData; only the dim values are copied.
      if (isGpuQuery(q)) encoder.copyBufferToBuffer(q.buffer, q.byteOffset, queryBuffer, i * stride * 4, memory.dim * 4);
    });
    const timed = device.features.has('timestamp-query');
    const querySet = timed ? device.createQuerySet({ type: 'timestamp', count: 2 * MAX_TIMED_PASSES }) : undefined;
    const stages: Stage[] = [];
    const beginPass = (stage: Stage): GPUComputePassEncoder => {
      const at = stages.length;
      stages.push(stage);
      return encoder.beginComputePass({
        label: stage,
        ...(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * at, endOfPassWriteIndex: 2 * at + 1 } } : {}),
      });
    };
    const readbacks: { source: GPUBuffer; words: number }[] = [];

    let local: { pairs: GPUBuffer; want: number; orderedLabels: GPUBuffer; slots: number } | undefined;
    let vote: { pairs: GPUBuffer; slots: number } | undefined;
    if (takesRows(options.strategy)) {
      const N = memory.rows;
      const rowKeys = scratch.storage(Q * N * 4, 'row keys');
      let pass = beginPass('scan');
      for (const part of this.parts) {
        if (part.rowCount === 0) continue;
        const params = scratch.uniform([part.rowCount, part.firstRow, strideVec4, N, excludeWords], 'scan params');
        pass.setPipeline(pipelines.scanF16);
        pass.setBindGroup(0, bind(device, pipelines.layouts.scan, [params, part.buffer, this.labels, excluded, queryBuffer, rowKeys]));
        pass.dispatchWorkgroups(workgroupsFor(part.rowCount), Q);
      }
      pass.end();
      pass = beginPass('select');
      // L2D-V votes nearest first, so its rows come in order; L2D-L's grouping orders them by (item, row) itself,
      // so its M rows skip the O(M^2) rank sort.
      const nearest = this.encodeSelect(pass, scratch, rowKeys, N, options.m, Q, options.strategy === 'vote');
      pass.end();
      const slots = nearest.want;
      if (options.strategy === 'vote') {
        // L2D-V's vote is O(M) over the rows' (distance, item): the top M come back and vote on the CPU through
        // rankByVote, the CPU decoder's own function, so the two decoders rank alike by construction.
        vote = { pairs: nearest.pairs, slots };
        readbacks.push({ source: nearest.pairs, words: Q * slots * 2 });
      } else {
        const orderedLabels = scratch.storage(Q * slots * 4, 'ordered labels');
        const orderedRows = scratch.storage(Q * slots * 4, 'ordered rows');
        const groupSums = scratch.storage(Q * slots * stride * 4, 'group sums');
        const groupLabels = scratch.storage(Q * slots * 4, 'group labels');
        const localBind = (params: GPUBuffer, rows: GPUBuffer) =>
          bind(device, pipelines.layouts.local, [params, nearest.pairs, this.labels, orderedLabels, orderedRows, rows, groupSums, groupLabels]);
        const baseParams = scratch.uniform([slots, strideVec4, 0, 0], 'local params');
        pass = beginPass('aggregate');
        pass.setPipeline(pipelines.local.order);
        pass.setBindGroup(0, localBind(baseParams, this.parts[0].buffer));
        pass.dispatchWorkgroups(Math.ceil(slots / WORKGROUP), Q);
        for (const part of this.parts) {
          if (part.rowCount === 0) continue;
          const params = scratch.uniform([slots, strideVec4, part.firstRow, part.rowCount], 'local params');
          pass.setPipeline(pipelines.local.accumulate);
          pass.setBindGroup(0, localBind(params, part.buffer));
          pass.dispatchWorkgroups(workgroupsFor(slots * strideVec4), Q);
        }
        pass.setPipeline(pipelines.local.finalize);
        pass.setBindGroup(0, localBind(baseParams, this.parts[0].buffer));
        pass.dispatchWorkgroups(workgroupsFor(slots * strideVec4 * 2), Q);
        const groupKeys = scratch.storage(Q * slots * 4, 'group keys');
        const groupParams = scratch.uniform([slots, strideVec4 * 2, 0, 1], 'group scan params');
        pass.setPipeline(pipelines.scanF32);
        pass.setBindGroup(0, bind(device, pipelines.layouts.scan, [groupParams, groupSums, groupLabels, this.emptyBuffer, queryBuffer, groupKeys]));
        pass.dispatchWorkgroups(workgroupsFor(slots), Q);
        pass.end();
        pass = beginPass('select');
        const groups = this.encodeSelect(pass, scratch, groupKeys, slots, options.k, Q);
        pass.end();
        local = { pairs: groups.pairs, want: groups.want, orderedLabels, slots };
        readbacks.push({ source: groups.pairs, words: Q * groups.want * 2 }, { source: orderedLabels, words: Q * slots });
      }
    }
    // Global ranking: L2D-G itself, and L2D-L's and L2D-V's fill-up when fewer than k items come from the rows.
    const items = memory.itemCount;
    const itemKeys = scratch.storage(Q * items * 4, 'item keys');
    const itemParams = scratch.uniform([items, strideVec4 * 2, excludeWords, 0], 'centroid scan params');
    let pass = beginPass('scan');
    pass.setPipeline(pipelines.scanF32);
    pass.setBindGroup(0, bind(device, pipelines.layouts.scan, [itemParams, this.centroids, this.centroidLabels, excluded, queryBuffer, itemKeys]));
    pass.dispatchWorkgroups(workgroupsFor(items), Q);
    pass.end();
    pass = beginPass('select');
    const global = this.encodeSelect(pass, scratch, itemKeys, items, options.k, Q);
    pass.end();
    const globalReadback = readbacks.push({ source: global.pairs, words: Q * global.want * 2 }) - 1;
    if (querySet) {
      const resolved = scratch.buffer(stages.length * 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, 'timestamps');
      encoder.resolveQuerySet(querySet, 0, stages.length * 2, resolved, 0);
      readbacks.push({ source: resolved, words: stages.length * 4 });
    }

    // One staging buffer for every readback; each starts 8-byte aligned (the timestamps are u64).
    const offsets: number[] = [];
    let totalWords = 0;
    for (const r of readbacks) {
      offsets.push(totalWords);
      totalWords += r.words + (r.words % 2);
    }
    const staging = scratch.buffer(totalWords * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
    readbacks.forEach((r, i) => encoder.copyBufferToBuffer(r.source, 0, staging, offsets[i] * 4, r.words * 4));
    device.queue.submit([encoder.finish()]);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const t1 = performance.now();
    let words: Uint32Array;
    try {
      if (validation) throw new GpuError(`WebGPU rejected a decode command: ${validation.message}`);
      if (oom) throw new GpuError(`The GPU ran out of memory while decoding: ${oom.message}`);
      await staging.mapAsync(GPUMapMode.READ);
      words = new Uint32Array(staging.getMappedRange().slice(0, totalWords * 4));
      staging.unmap();
    } catch (error) {
      throw error instanceof GpuError ? error : await this.explain(error);
    } finally {
      scratch.destroy();
      querySet?.destroy();
    }
    const t2 = performance.now();
    timings.encode += t1 - t0;
    timings.gpu += t2 - t1;
    if (querySet) {
      const stamps = new BigUint64Array(words.buffer, offsets[offsets.length - 1] * 4, stages.length * 2);
      stages.forEach((stage, i) => {
        const ms = Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6;
        timings[stage] = (timings[stage] ?? 0) + Math.max(0, ms);
      });
    }

    const globalAt = offsets[globalReadback];
    return queries.map((_, q) => {
      const out: DecodedItem[] = [];
      if (local) {
        const sortedAt = offsets[0] + q * local.want * 2;
        const labelsAt = offsets[1] + q * local.slots;
        for (let j = 0; j < local.want && out.length < options.k; j++) {
          const key = words[sortedAt + 2 * j];
          if (key === SENTINEL) break;
          const item = words[labelsAt + words[sortedAt + 2 * j + 1]];
          out.push(decodedItem(item, bitsToFloat(key), 'local'));
        }
      }
      if (vote) {
        const { rows, squaredDistances } = selectedRows(words, offsets[0] + q * vote.slots * 2, vote.slots);
        out.push(...rankByVote(rows, squaredDistances, this.memory.labels, options.k, this.baseRows).map(votedItem));
      }
      // The fill-up (fewer than k items from the rows) follows them all, so what it skips is what is already out.
      const taken = new Set(out.map((x) => x.item));
      const want = global.want;
      for (let j = 0; j < want && out.length < options.k; j++) {
        const key = words[globalAt + q * want * 2 + 2 * j];
        if (key === SENTINEL) break;
        const item = words[globalAt + q * want * 2 + 2 * j + 1];
        if (taken.has(item)) continue;
        out.push(decodedItem(item, bitsToFloat(key), 'global'));
      }
      return out;
    });
  }

  /**
   * Encodes a radix select of the k smallest keys of each query's `count` keys into `pass`: `pairs` holds each
   * query's `want` (key, index) pairs, in (key, index) order when `ordered`, else in no set order.
   */
  private encodeSelect(pass: GPUComputePassEncoder, scratch: Scratch, keys: GPUBuffer, count: number, k: number, queries: number, ordered = true) {
    const { device, pipelines } = this;
    const want = Math.min(k, count);
    const params = scratch.uniform([count, k, want, 0], 'select params');
    const state = scratch.storage(queries * SELECT_STATE_WORDS * 4, 'select state');
    const selected = scratch.storage(queries * want * 8, 'selected');
    const sorted = scratch.storage(queries * want * 8, 'sorted');
    const group = bind(device, pipelines.layouts.select, [params, keys, state, selected, sorted]);
    const s = pipelines.select;
    pass.setBindGroup(0, group);
    pass.setPipeline(s.init);
    pass.dispatchWorkgroups(1, queries);
    const work = workgroupsFor(count, SELECT_ITEMS_PER_THREAD);
    for (let p = 0; p < 8; p++) {
      pass.setPipeline(s.histogram);
      pass.dispatchWorkgroups(work, queries);
      pass.setPipeline(s.pick);
      pass.dispatchWorkgroups(1, queries);
    }
    pass.setPipeline(s.compact);
    pass.dispatchWorkgroups(work, queries);
    if (!ordered) return { pairs: selected, want };
    pass.setPipeline(s.rankSort);
    pass.dispatchWorkgroups(Math.ceil(want / WORKGROUP), queries);
    return { pairs: sorted, want };
  }
}

function bind(device: GPUDevice, layout: GPUBindGroupLayout, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({ layout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
}

function layout(device: GPUDevice, kinds: BindingKind[], label: string): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label,
    entries: kinds.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
  });
}

async function compile(device: GPUDevice, code: string, label: string): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    throw new GpuError(`WGSL compilation of ${label} failed: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  }
  return module;
}

async function createPipelines(device: GPUDevice, nativeF16: boolean): Promise<Pipelines> {
  const ro: BindingKind = 'read-only-storage';
  const layouts = {
    scan: layout(device, ['uniform', ro, ro, ro, ro, 'storage'], 'scan'),
    select: layout(device, ['uniform', ro, 'storage', 'storage', 'storage'], 'select'),
    centroids: layout(device, ['uniform', ro, ro, ro, 'storage'], 'centroids'),
    local: layout(device, ['uniform', ro, ro, 'storage', 'storage', ro, 'storage', 'storage'], 'local'),
  };
  const [scanF16, scanF32, select, centroids, local] = await Promise.all([
    compile(device, nativeF16 ? kernelSources.l2ScanF16Native : kernelSources.l2ScanF16, 'l2-scan-f16'),
    compile(device, kernelSources.l2ScanF32, 'l2-scan-f32'),
    compile(device, kernelSources.radixSelect, 'radix-select'),
    compile(device, kernelSources.centroids, 'centroids'),
    compile(device, kernelSources.localGroups, 'local-groups'),
  ]);
  const make = (module: GPUShaderModule, entryPoint: string, group: GPUBindGroupLayout) =>
    device.createComputePipelineAsync({
      layout: device.createPipelineLayout({ bindGroupLayouts: [group] }),
      compute: { module, entryPoint },
      label: entryPoint,
    });
  const [f16, f32, init, histogram, pick, compact, rankSort, cAcc, cFin, order, lAcc, lFin] = await Promise.all([
    make(scanF16, 'main', layouts.scan),
    make(scanF32, 'main', layouts.scan),
    make(select, 'init', layouts.select),
    make(select, 'histogram', layouts.select),
    make(select, 'pick', layouts.select),
    make(select, 'compact', layouts.select),
    make(select, 'rankSort', layouts.select),
    make(centroids, 'accumulate', layouts.centroids),
    make(centroids, 'finalize', layouts.centroids),
    make(local, 'order', layouts.local),
    make(local, 'accumulate', layouts.local),
    make(local, 'finalize', layouts.local),
  ]);
  return {
    scanF16: f16,
    scanF32: f32,
    select: { init, histogram, pick, compact, rankSort },
    centroids: { accumulate: cAcc, finalize: cFin },
    local: { order, accumulate: lAcc, finalize: lFin },
    layouts,
  };
}
