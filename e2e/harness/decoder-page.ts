/** The decoder tests' page: exposes the runners on window for Playwright, in the page and through a worker. */
import * as Comlink from 'comlink';
import { defaultGpu, describeAdapter } from '../../src/gpu/index.ts';
import { kernelSources, type KernelName } from '../../src/gpu/kernels.ts';
import { createMemoryError, runBadInputs, runCase, runDeviceLoss } from './run-case.ts';
import type { WorkerHarness } from './decoder-harness.worker.ts';
import type { CaseSpec } from './cases.ts';

const worker = Comlink.wrap<WorkerHarness>(new Worker(new URL('./decoder-harness.worker.ts', import.meta.url), { type: 'module' }));

const harness = {
  async adapter() {
    const adapter = await defaultGpu()?.requestAdapter();
    return adapter ? describeAdapter(adapter) : null;
  },
  runCase,
  runCaseInWorker: (spec: CaseSpec) => worker.runCase(spec),
  runBadInputs,
  runBadInputsInWorker: () => worker.runBadInputs(),
  runDeviceLoss,
  createMemoryError,
  /** WGSL errors of one kernel's module on this adapter's device; `f16AsF32` first swaps f16 for f32 (for adapters without shader-f16). */
  async compileErrors(name: KernelName, f16AsF32 = false): Promise<string[]> {
    const device = await (await defaultGpu()!.requestAdapter())!.requestDevice();
    const code = f16AsF32 ? kernelSources[name].replace(/^enable f16;$/m, '').replace(/\bf16\b/g, 'f32') : kernelSources[name];
    const info = await device.createShaderModule({ code }).getCompilationInfo();
    device.destroy();
    return info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
  },
};
export type PageHarness = typeof harness;
(globalThis as unknown as { l2dHarness: PageHarness }).l2dHarness = harness;
document.body.dataset.ready = 'true';
