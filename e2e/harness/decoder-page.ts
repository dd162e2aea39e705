/** The decoder tests' page: exposes the runners on window for Playwright, in the page and through a worker. */
import * as Comlink from 'comlink';
import { defaultGpu, describeAdapter } from '../../src/gpu/index.ts';
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
};
export type PageHarness = typeof harness;
(globalThis as unknown as { l2dHarness: PageHarness }).l2dHarness = harness;
document.body.dataset.ready = 'true';
