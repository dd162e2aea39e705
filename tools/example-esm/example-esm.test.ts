import { describe, expect, it } from 'vitest';
import { holdPort, runTool } from '../lib/run-tool.ts';

const run = (...args: string[]) => runTool('tools/example-esm/main.ts', ...args);

// Its serving is e2e/library.test.ts's (startExampleEsm); here, what it says to bad input, before any build.
describe('npm run example:esm, bad input', () => {
  it('refuses a port that is not one', async () => {
    for (const text of ['http', '0x1F90', '8e3']) {
      const { code, stderr } = await run('--port', text);
      expect([code, stderr.trim()]).toEqual([1, `example:esm: --port must be a port number (1-65535), got "${text}".`]);
    }
  });

  it('says the port is in use, at once', async () => {
    const { port, release } = await holdPort();
    try {
      const { code, stderr } = await run('--port', String(port));
      expect([code, stderr.trim()]).toEqual([1, `example:esm: Port ${port} is in use (another server?); choose another with --port N.`]);
    } finally {
      await release();
    }
  }, 30_000);
});
