import { describe, expect, it } from 'vitest';
import { holdPort, runTool } from '../lib/run-tool.ts';

const run = (...args: string[]) => runTool('tools/example-storefront/main.ts', ...args);

// Its serving is e2e/embed.test.ts's (startExampleStorefront); here, what it says to bad input, before any build.
describe('npm run example:storefront, bad input', () => {
  it('refuses a port that is not one', async () => {
    const { code, stderr } = await run('--port', '70000');
    expect([code, stderr.trim()]).toEqual([1, 'example:storefront: --port must be a port number (1-65534; the CDN takes the next), got "70000".']);
  });

  it('says which ports are in use, at once', async () => {
    // The CDN's port (--port + 1) is held: the message names both, whichever of them is taken.
    const { port: cdnPort, release } = await holdPort();
    const port = cdnPort - 1;
    try {
      const { code, stderr } = await run('--port', String(port));
      expect([code, stderr.trim()]).toEqual([1, `example:storefront: Port ${port} or ${port + 1} is in use (another server?); choose others with --port N (the CDN takes N + 1).`]);
    } finally {
      await release();
    }
  }, 30_000);
});
