/** The WGSL sources of the decoder, each beside its CPU twin in src/core (named in the file's header). */
import l2ScanF16Body from './kernels/l2-scan-f16.wgsl?raw';
import l2ScanF16RowsPacked from './kernels/l2-scan-f16-rows-packed.wgsl?raw';
import l2ScanF16RowsNative from './kernels/l2-scan-f16-rows-native.wgsl?raw';
import l2ScanF32 from './kernels/l2-scan-f32.wgsl?raw';
import radixSelect from './kernels/radix-select.wgsl?raw';
import centroids from './kernels/centroids.wgsl?raw';
import localGroups from './kernels/local-groups.wgsl?raw';

// One f16 scan, two row readers: the reader first (the native one's `enable f16` must open the module).
const l2ScanF16 = `${l2ScanF16RowsPacked}\n${l2ScanF16Body}`;
const l2ScanF16Native = `${l2ScanF16RowsNative}\n${l2ScanF16Body}`;

export const kernelSources = { l2ScanF16, l2ScanF16Native, l2ScanF32, radixSelect, centroids, localGroups } as const;
export type KernelName = keyof typeof kernelSources;
