import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { networkShape } from './network-shape.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

// 1 Mbit/s = 125,000 bytes/s: 50,000 bytes take 400 ms on the link.
const shape = networkShape(1, 150)!;
const body = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7) % 251);
let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'l2d-shape-'));
  for (const name of ['a.bin', 'b.bin']) writeFileSync(join(dir, name), body);
  server = await startStaticServer({ routes: { '/': dir }, shape });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const fetchTimed = async (path: string) => {
  const bytes = new Uint8Array(await (await fetch(`${server.origin}${path}`)).arrayBuffer());
  return { bytes, at: performance.now() };
};

it('reads --throttle and --latency as a shape: Mbit/s to bytes per second; neither given, none', () => {
  expect(shape).toEqual({ latencyMs: 150, bytesPerSecond: 125_000 });
  expect(networkShape(undefined, 40)).toEqual({ latencyMs: 40 });
  expect(networkShape(undefined, undefined)).toBeUndefined();
});

it('delays each response by the latency and its body by the link, which concurrent responses share; the bytes arrive intact', async () => {
  const t0 = performance.now();
  const one = await fetchTimed('/a.bin');
  expect(one.bytes).toEqual(body);
  expect(one.at - t0).toBeGreaterThanOrEqual(150 + 400 - 5);
  // Two at once: 100,000 bytes over the one link.
  const t1 = performance.now();
  const both = await Promise.all([fetchTimed('/a.bin'), fetchTimed('/b.bin')]);
  expect(Math.max(...both.map((x) => x.at)) - t1).toBeGreaterThanOrEqual(150 + 800 - 5);
  expect(both.map((x) => x.bytes)).toEqual([body, body]);
  // A missing file's 404 is delayed too, and still a 404.
  const t2 = performance.now();
  expect((await fetch(`${server.origin}/missing.bin`)).status).toBe(404);
  expect(performance.now() - t2).toBeGreaterThanOrEqual(150 - 5);
});
