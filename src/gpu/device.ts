/**
 * Getting a WebGPU device fit for the decoder: the largest storage-buffer
 * limits the adapter offers (the defaults, 128 MiB a binding, would split
 * even small memories) and shader-f16 where the adapter has it.
 */
import { WebGpuUnavailableError } from '../core/errors.ts';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  shaderF16: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export interface DecoderDevice {
  device: GPUDevice;
  adapter: AdapterDescription;
}

/** The navigator.gpu of a page or worker, if any. */
export function defaultGpu(): GPU | undefined {
  return typeof navigator !== 'undefined' && 'gpu' in navigator ? navigator.gpu : undefined;
}

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info;
  const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean })?.isFallbackAdapter ?? legacyFallback ?? false,
    shaderF16: adapter.features.has('shader-f16'),
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

/** A one-line name of the adapter for logs and the UI. */
export function adapterLabel(a: AdapterDescription): string {
  const name = [a.vendor, a.architecture, a.device || a.description].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'}${a.isFallbackAdapter ? ' (fallback/software)' : ''}`;
}

export async function requestDecoderDevice(gpu: GPU | undefined = defaultGpu()): Promise<DecoderDevice> {
  if (!gpu) throw new WebGpuUnavailableError('navigator.gpu does not exist in this browser or context');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError('no WebGPU adapter was found (on Chromium without a GPU, start it with --enable-unsafe-webgpu)');
  const description = describeAdapter(adapter);
  // shader-f16 for the native scan; timestamp-query for per-stage GPU timings. Not 'subgroups': with it,
  // onnxruntime-web's GroupQueryAttention takes a path SwiftShader computes wrong (docs/MODELS.md); the
  // encoder's probe would catch that on any adapter, but without it the fused graph stays usable here.
  const requiredFeatures = (['shader-f16', 'timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  return { device, adapter: description };
}

/** True for a fallback (software) adapter such as SwiftShader: slower than the CPU paths for this work. */
export function isSoftwareAdapter(adapter: GPUAdapter | null | undefined): boolean {
  return adapter ? describeAdapter(adapter).isFallbackAdapter : false;
}

/** Reads `count` float32 values at `byteOffset` of a GPU buffer (COPY_SRC) back to the CPU. */
export async function readFloats(device: GPUDevice, buffer: GPUBuffer, byteOffset: number, count: number): Promise<Float32Array> {
  const bytes = count * 4;
  const staging = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    return new Float32Array(staging.getMappedRange().slice(0));
  } finally {
    staging.destroy();
  }
}
