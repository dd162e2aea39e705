/** The WGSL sources of the decoder, each beside its CPU twin in src/core (named in the file's header). */
import l2ScanF16 from './kernels/l2-scan-f16.wgsl?raw';
import l2ScanF16Native from './kernels/l2-scan-f16-native.wgsl?raw';
import l2ScanF32 from './kernels/l2-scan-f32.wgsl?raw';
import radixSelect from './kernels/radix-select.wgsl?raw';
import centroids from './kernels/centroids.wgsl?raw';
import localGroups from './kernels/local-groups.wgsl?raw';

export const kernelSources = { l2ScanF16, l2ScanF16Native, l2ScanF32, radixSelect, centroids, localGroups } as const;
export type KernelName = keyof typeof kernelSources;
