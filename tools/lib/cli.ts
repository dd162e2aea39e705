/** How the project's command-line tools start and end: one line for what the user got wrong, a stack for a bug. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidArgumentError, L2DError } from '../../src/core/errors.ts';

/** Whether the module at `moduleUrl` is the script node was started with (and not imported, by a test say). */
export function isEntryPoint(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/** An option node's parseArgs refused (unknown, or missing its value). */
function isOptionError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * Runs a tool's main. A typed error (bad input, a missing file) prints `name: message` and exits 1 (a refused
 * option is parseOptions' to report). Anything else is a bug: it keeps its stack.
 */
export function runCli(name: string, main: () => void | Promise<void>): void {
  const fail = (error: unknown): never => {
    if (!(error instanceof L2DError)) throw error;
    console.error(`${name}: ${error.message}`);
    process.exit(1);
  };
  try {
    const done = main();
    if (done instanceof Promise) done.catch(fail);
  } catch (error) {
    fail(error);
  }
}

/** Prints the usage and exits 2: the tool was started without what it needs. */
export function exitWithUsage(usage: string): never {
  console.error(usage);
  process.exit(2);
}

/** parseArgs for a tool or a benchmark: an option it refuses prints `name: message` and the usage, and exits 2, instead of node's stack. */
export function parseOptions<T extends ParseArgsConfig>(name: string, usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    if (!isOptionError(error)) throw error;
    console.error(`${name}: ${error.message}\n${usage}`);
    process.exit(2);
  }
}

/**
 * An example server's --port: a port number up to `max` (a tool whose second server takes the next port passes 65534
 * and says so in `note`), else an error naming what was given.
 */
export function parsePort(text: string | undefined, max = 65535, note = ''): number {
  const port = text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN; // digits only: Number() took "0x50", "8e3" and " 80"
  if (!(Number.isInteger(port) && port >= 1 && port <= max)) throw new InvalidArgumentError(`--port must be a port number (1-${max}${note}), got "${text}".`);
  return port;
}

/** The error for a port another server holds. */
export function portInUse(port: number): InvalidArgumentError {
  return new InvalidArgumentError(`Port ${port} is in use (another server?); choose another with --port N.`);
}
