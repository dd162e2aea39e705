/** The GPU boundary: everything outside src/gpu reaches WebGPU through these exports. */
export { GpuDecoder, isGpuQuery, type GpuQuery, type GpuDecoderInfo, type GpuDecoderOptions, type GpuDecodeTimings } from './gpu-decoder.ts';
export { requestDecoderDevice, describeAdapter, adapterLabel, defaultGpu, isSoftwareAdapter, readFloats, type AdapterDescription, type DecoderDevice } from './device.ts';
