/**
 * The fused graph's key/value cache kept where onnxruntime-web's WebGPU
 * execution provider left it: its present_* outputs stay in GPU buffers, and
 * the next prompt's past is cut from them with buffer-to-buffer copies on the
 * same device, so prefix reuse reads nothing back and uploads nothing
 * (src/core/prefix-cache.ts decides what to keep).
 */
import type { Tensor } from 'onnxruntime-web/webgpu';
import type { CacheFloat } from '../core/encoder-feeds.ts';
import type { CacheOps } from '../core/prefix-cache.ts';

/** Per layer key then value, each [1, kvHeads, length, headDim] in a GPU buffer. */
export interface GpuKvCache {
  length: number;
  tensors: Tensor[];
}

/** `TensorClass`: the WebGPU build's Tensor (src/encoder/ort-runtime.ts), whose fromGpuBuffer its sessions take. */
export function gpuKvCacheOps(TensorClass: typeof Tensor, device: GPUDevice, kvHeads: number, headDim: number, float: CacheFloat): CacheOps<GpuKvCache> {
  const elementBytes = float === 'float16' ? 2 : 4;
  return {
    length: (cache) => cache.length,
    truncate(cache, length) {
      // Each head's first `length` rows: one copy per head and tensor, all in one submission.
      const rowBytes = headDim * elementBytes;
      const encoder = device.createCommandEncoder({ label: 'prefix cache cut' });
      const tensors = cache.tensors.map((tensor) => {
        const size = kvHeads * length * rowBytes;
        const buffer = device.createBuffer({ size: Math.ceil(size / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: 'prefix cache' });
        for (let h = 0; h < kvHeads; h++) encoder.copyBufferToBuffer(tensor.gpuBuffer as GPUBuffer, h * cache.length * rowBytes, buffer, h * length * rowBytes, length * rowBytes);
        return TensorClass.fromGpuBuffer(buffer, { dataType: float, dims: [1, kvHeads, length, headDim], dispose: () => buffer.destroy() });
      });
      device.queue.submit([encoder.finish()]);
      return { length, tensors };
    },
    // Copies submitted before are ordered on the queue ahead of any later reuse of these buffers.
    dispose: (cache) => cache.tensors.forEach((t) => t.dispose()),
  };
}
