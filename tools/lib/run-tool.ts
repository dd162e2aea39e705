/** A tool run as `npm run` runs it (node with tsx), for its tests: exit code and what it printed, a failure included. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export async function runTool(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}
