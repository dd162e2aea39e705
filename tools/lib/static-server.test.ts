import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { routeFile, startStaticServer } from './static-server.ts';

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

it('answers a path from the longest matching prefix, a folder with its index.html, and nothing outside the folders', () => {
  const routes = { '/': 'examples/esm', '/l2d/': 'dist-lib', '/models/': 'models' };
  expect(routeFile(routes, '/')).toBe(resolve('examples/esm/index.html'));
  expect(routeFile(routes, '/l2d/l2d.js')).toBe(resolve('dist-lib/l2d.js'));
  expect(routeFile(routes, '/models/movielens-demo/config.json')).toBe(resolve('models/movielens-demo/config.json'));
  expect(routeFile(routes, '/l2d/../../package.json')).toBeUndefined(); // out of dist-lib and of the project
  expect(routeFile({ '/l2d/': 'dist-lib' }, '/index.html')).toBeUndefined();
  expect(routeFile(routes, '/l2d/../dist-lib2/l2d.js')).toBeUndefined(); // a sibling folder whose name starts the same
});

it('answers a URL path that does not decode with 400, and goes on serving', async () => {
  writeFileSync(join(dir, 'a.json'), '{}');
  const server = await startStaticServer({ routes: { '/': dir } });
  try {
    const bad = await fetch(`${server.origin}/%E0%A4%A`);
    expect([bad.status, await bad.text()]).toEqual([400, 'bad request: the URL path does not decode']);
    expect((await fetch(`${server.origin}/a.json`)).status).toBe(200);
    expect(server.served).toEqual(['/a.json']);
  } finally {
    await server.close();
  }
});
