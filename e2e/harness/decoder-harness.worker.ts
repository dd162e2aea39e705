/** The decoder tests' dedicated worker: the same runners as the page, over Comlink. */
import * as Comlink from 'comlink';
import { runBadInputs, runCase } from './run-case.ts';

const api = { runCase, runBadInputs };
export type WorkerHarness = typeof api;
Comlink.expose(api);
