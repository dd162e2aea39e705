/** A tool run as `npm run` runs it (node with tsx), for its tests: exit code and what it printed, a failure included. */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';

export async function runTool(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/**
 * A port this process listens on, for a test of a tool's "in use" message: one the system picks (a free port found
 * first and taken after could be another test's by then), listening before it resolves.
 */
export async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((listening, fail) => server.once('error', fail).listen(0, '127.0.0.1', listening));
  return { port: (server.address() as AddressInfo).port, release: () => new Promise((closed) => server.close(() => closed())) };
}
