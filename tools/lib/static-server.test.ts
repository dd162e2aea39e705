import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startStaticServer } from './static-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'l2d-static-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('closes while a client holds a response it stopped reading (a page left open): the client is cut off, close() resolves', async () => {
  // Larger than the socket buffers, so the server's write stalls on the client that never reads.
  writeFileSync(join(dir, 'big.bin'), new Uint8Array(64 * 1024 * 1024));
  const server = await startStaticServer({ routes: { '/': dir } });
  const response = await new Promise<IncomingMessage>((resolve) => request(`${server.origin}/big.bin`, resolve).end());
  response.pause(); // headers read, the body left unread
  await new Promise((resolve) => setTimeout(resolve, 200)); // the server's write stalled on it
  await server.close(); // before: waited for this client for ever
  const ended = new Promise<boolean>((resolve) => response.once('close', () => resolve(response.complete)));
  response.resume();
  expect(await ended).toBe(false); // cut off, not served whole
  expect(server.served).toEqual(['/big.bin']);
}, 20_000);
