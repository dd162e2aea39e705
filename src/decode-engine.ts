/**
 * The decode engine: the GPU decoder when WebGPU is there, the CPU
 * reference when it is not, and a switch to the CPU (reported in
 * `backend`) when the GPU device is lost in the middle of the work.
 */
import { CpuDecoder } from './core/cpu-decoder.ts';
import type { DecodeOptions, DecodedItem } from './core/decode-options.ts';
import { InvalidArgumentError, L2DError } from './core/errors.ts';
import { scanImplementation, type ScanImplementation } from './core/l2-scan-wasm.ts';
import type { Centroids } from './core/centroids.ts';
import type { L2DMemory } from './core/memory.ts';
import { centroidOverlayOfRows, EMPTY_OVERLAY, withOverlay, type CentroidOverlay, type OverlayRows } from './core/overlay.ts';
import { adapterLabel, GpuDecoder, isGpuQuery, requestDecoderDevice, type AdapterDescription, type GpuDecodeTimings, type GpuDecoderOptions, type GpuQuery } from './gpu/index.ts';

export interface DecodeEngineOptions extends GpuDecoderOptions {
  /**
   * 'auto' (default): WebGPU on a hardware adapter, else the CPU (a software
   * adapter such as SwiftShader is slower than the CPU reference, bench/README.md). 'webgpu': WebGPU or an
   * error. 'cpu': the CPU reference. A GPUDevice: decode on that device (e.g.
   * onnxruntime-web's, so hidden states can stay on the GPU).
   */
  device?: 'auto' | 'webgpu' | 'cpu' | GPUDevice;
  /** On device loss, continue on the CPU (default true) instead of throwing DeviceLostError. */
  fallbackToCpu?: boolean;
  /** A centroid memory's samples per item (centroidSampleCounts): memory updates weigh each row by them (CentroidOverlay). */
  sampleCounts?: Uint32Array;
  /**
   * The memory's own centroids, where the caller computed them already (the worker's cold-start rule reads
   * them): the CPU decoder takes them over instead of computing them again; the GPU computes its own.
   */
  centroids?: Centroids;
}

export interface DecoderBackend {
  decoder: 'webgpu' | 'cpu';
  /** The adapter's name when on WebGPU. */
  adapter?: string;
  /** Why the engine is on the CPU although WebGPU was asked for or had been used. */
  fallbackReason?: string;
  /** On the CPU: its scans on WebAssembly SIMD, or in plain JavaScript where that cannot run (same results). */
  scan?: ScanImplementation;
}

export class DecodeEngine {
  private gpu: GpuDecoder | undefined;
  private cpu: CpuDecoder | undefined;
  private reason: string | undefined;
  private adapter: AdapterDescription | undefined;
  private overlayRows: OverlayRows = EMPTY_OVERLAY;
  private gpuOverlay: CentroidOverlay | undefined;
  /** options.centroids until a CPU decoder takes them over or the GPU decodes (then not held for nothing). */
  private givenCentroids: Centroids | undefined;

  private constructor(
    readonly memory: L2DMemory,
    private readonly options: DecodeEngineOptions,
  ) {
    this.givenCentroids = options.centroids;
  }

  static async create(memory: L2DMemory, options: DecodeEngineOptions = {}): Promise<DecodeEngine> {
    const engine = new DecodeEngine(memory, options);
    await engine.rebuild(options.device);
    return engine;
  }

  get backend(): DecoderBackend {
    if (this.gpu) return { decoder: 'webgpu', adapter: this.adapter ? adapterLabel(this.adapter) : 'external GPUDevice' };
    return { decoder: 'cpu', scan: scanImplementation(), ...(this.reason ? { fallbackReason: this.reason } : {}) };
  }

  /** (Re)builds the GPU decoder, e.g. on a new device after a loss. */
  async rebuild(device: DecodeEngineOptions['device'] = 'auto'): Promise<void> {
    this.gpu?.destroy();
    this.gpu = undefined;
    if (device === 'cpu') {
      this.useCpu(undefined);
      return;
    }
    try {
      let gpuDevice: GPUDevice;
      if (device === 'auto' || device === 'webgpu') {
        const requested = await requestDecoderDevice();
        if (device === 'auto' && requested.adapter.isFallbackAdapter) {
          requested.device.destroy();
          this.useCpu(`the WebGPU adapter (${adapterLabel(requested.adapter)}) is a software fallback; the CPU decoder is faster`);
          return;
        }
        gpuDevice = requested.device;
        this.adapter = requested.adapter;
      } else {
        gpuDevice = device;
        this.adapter = undefined;
      }
      this.gpu = await GpuDecoder.create(gpuDevice, this.memory, this.options);
      this.givenCentroids = undefined;
      this.reason = undefined;
      if (this.overlayRows.labels.length > 0) await this.applyOverlayOnGpu();
    } catch (error) {
      if (device !== 'auto' || !(error instanceof L2DError)) throw error;
      this.useCpu(error.message);
    }
  }

  /** The GPUDevice the decoder runs on (undefined on the CPU): a GpuQuery must live on it. */
  get gpuDevice(): GPUDevice | undefined {
    return this.gpu?.device;
  }

  async decode(query: ArrayLike<number> | GpuQuery, options: DecodeOptions): Promise<DecodedItem[]> {
    return (await this.decodeBatch([query], options))[0];
  }

  async decodeBatch(queries: (ArrayLike<number> | GpuQuery)[], options: DecodeOptions): Promise<DecodedItem[][]> {
    const onGpu = queries.some(isGpuQuery);
    if (!this.gpu) {
      if (onGpu) throw new InvalidArgumentError('A query in a GPU buffer needs the WebGPU decoder, but this engine decodes on the CPU; pass the hidden state as numbers.');
      return this.cpuDecoder().decodeBatch(queries as ArrayLike<number>[], options);
    }
    try {
      return await this.gpu.decodeBatch(queries, options);
    } catch (error) {
      // A query in a GPU buffer went with the lost device: nothing to fall back on.
      if (onGpu || !(error instanceof L2DError) || error.code !== 'device-lost' || this.options.fallbackToCpu === false) throw error;
      this.gpu.destroy();
      this.gpu = undefined;
      this.useCpu(error.message);
      return this.cpuDecoder().decodeBatch(queries as ArrayLike<number>[], options);
    }
  }

  /**
   * A user's own rows after the memory's (memory updates): the decoders
   * recompute only the touched items' centroids; an empty overlay restores
   * the memory's own results exactly. Needs `spareRows` >= the overlay's rows.
   */
  async setOverlay(rows: OverlayRows): Promise<void> {
    const spare = this.options.spareRows ?? 0;
    if (rows.labels.length > spare) throw new InvalidArgumentError(`The overlay has ${rows.labels.length} rows; this engine was made with room for ${spare} (spareRows).`);
    withOverlay(this.memory, rows); // validates before anything changes
    this.overlayRows = rows;
    this.cpu?.setOverlay(rows);
    if (this.gpu) await this.applyOverlayOnGpu();
  }

  private async applyOverlayOnGpu(): Promise<void> {
    // The shard's own centroids of the items an update touches, by the CPU rule the GPU kernels match bit for bit,
    // item by item: the GPU holds them all, and a pass over every row on the CPU cost more than the update itself.
    this.gpuOverlay ??= centroidOverlayOfRows(this.memory, this.options.extraCentroids, this.options.sampleCounts);
    const merged = withOverlay(this.memory, this.overlayRows);
    await this.gpu!.setOverlay(merged, this.gpuOverlay.changes(merged));
  }

  /** Stage timings of the last GPU decode (empty on the CPU). */
  get lastTimings(): Partial<GpuDecodeTimings> {
    return this.gpu?.lastTimings ?? {};
  }

  dispose(): void {
    this.gpu?.destroy();
    this.gpu = undefined;
  }

  private useCpu(reason: string | undefined): void {
    this.reason = reason;
    // The centroids now, not in the first request (~40 ms for the demo's 21k rows).
    void this.cpuDecoder().centroids;
  }

  private cpuDecoder(): CpuDecoder {
    if (!this.cpu) {
      const { extraCentroids, sampleCounts } = this.options;
      this.cpu = new CpuDecoder(this.memory, { extraCentroids, sampleCounts, centroids: this.givenCentroids });
      this.givenCentroids = undefined;
      if (this.overlayRows.labels.length > 0) this.cpu.setOverlay(this.overlayRows);
    }
    return this.cpu;
  }
}
