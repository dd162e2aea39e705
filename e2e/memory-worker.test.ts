/**
 * load()'s memory stage in a worker of its own (workers/memory.worker.ts): it downloads, checks and stores the
 * memory while the encoder's worker is busy, and gives the memory the CPU reference decodes; where no memory
 * worker starts, the stage runs in the encoder's worker and says why.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuDecoder } from '../src/core/cpu-decoder.ts';
import type { L2DMemory } from '../src/core/memory.ts';
import { assembleMemory, type ShardManifest } from '../src/core/shard-format.ts';
import { flowCaller, outcomeValue, useFlowPage } from './flow-client.ts';

const MODEL = 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const options = { modelUrl: `/${MODEL}`, memoryUrl: `/${MEMORY}`, device: 'wasm', decoder: 'cpu', wasmPaths: '/node_modules/onnxruntime-web/dist/' };
const request = { history: [12, 40, 41, 42, 100], k: 10, strategy: 'local', m: 200, returnHidden: true };

type Status = { rows: number; memoryThread?: string; memorySource?: string };
type Recommended = { items: { id: number }[]; hidden: number[] };

const { harness, call } = useFlowPage();
let memory: L2DMemory;

beforeAll(async () => {
  const manifest = JSON.parse(readFileSync(`${MEMORY}/manifest.json`, 'utf8')) as ShardManifest;
  memory = await assembleMemory(manifest, manifest.chunks.map((c) => readFileSync(`${MEMORY}/${c.file}`)));
});

/** The flow page with its memory worker changed (e2e/harness/memory-worker-probe.worker.ts), from empty storage. */
async function probePage(mode: 'missing' | 'throws' | 'refused' | 'busy'): Promise<{ tab: Page; call: ReturnType<typeof flowCaller> }> {
  const tab = await harness.openTab(`e2e/harness/recommend.html?memory-worker=${mode}`);
  await tab.evaluate(async () => {
    for (const db of await indexedDB.databases()) if (db.name) indexedDB.deleteDatabase(db.name);
  });
  return { tab, call: flowCaller(() => tab) };
}

/** recommend()'s list, and the CPU reference's from the same h_t over the shard as Node reads it. */
async function listAndReference(callIn: ReturnType<typeof flowCaller>): Promise<[number[], number[]]> {
  const r = outcomeValue(await callIn<Recommended>('recommend', request));
  return [r.items.map((x) => x.id), new CpuDecoder(memory).decode(Float32Array.from(r.hidden), { k: 10, strategy: 'local', m: 200 }).map((x) => x.item)];
}

describe('the memory worker', () => {
  it('loads the memory: the status says where, and the recommendations are the CPU reference over the shard', async () => {
    const status = outcomeValue(await call<Status>('load', { ...options, cache: 'none' }));
    expect(status).toMatchObject({ rows: memory.rows, memoryThread: 'memory worker', memorySource: 'network' });
    const [list, reference] = await listAndReference(call);
    expect(list).toEqual(reference);
  });

  it("downloads, checks and stores the whole memory while the encoder's worker is held for 4 s", async () => {
    const { tab, call: callIn } = await probePage('busy');
    try {
      const { hold, storedAt, status } = outcomeValue(
        await callIn<{ hold: { start?: number; end?: number }; storedAt?: number; status: Status }>('loadWhileBusy', options),
      );
      expect(hold.start).toBeDefined();
      expect(hold.end).toBeDefined();
      // The page saw the memory complete in IndexedDB before the hold ended (the old in-thread stage waited for it).
      expect(storedAt).toBeGreaterThan(hold.start!);
      expect(storedAt).toBeLessThan(hold.end!);
      expect(status).toMatchObject({ rows: memory.rows, memoryThread: 'memory worker', memorySource: 'network' });
      const [list, reference] = await listAndReference(callIn);
      expect(list).toEqual(reference);
    } finally {
      await tab.close();
    }
  });

  const fallbacks = {
    throws: 'encoder worker: the memory worker could not be made (The operation is insecure.)',
    refused: "encoder worker: the memory worker failed to start (Refused to create a worker: it violates the page's Content Security Policy)",
  } as const;
  for (const [mode, thread] of Object.entries(fallbacks) as [keyof typeof fallbacks, string][]) {
    it(`where no memory worker starts (${mode}), the stage runs in the encoder's worker and says why; stored, then read back`, async () => {
      const { tab, call: callIn } = await probePage(mode);
      try {
        expect(outcomeValue(await callIn<Status>('load', options))).toMatchObject({ rows: memory.rows, memoryThread: thread, memorySource: 'network' });
        const [list, reference] = await listAndReference(callIn);
        expect(list).toEqual(reference);
        // A second load() reads what the first stored.
        expect(outcomeValue(await callIn<Status>('load', options))).toMatchObject({ rows: memory.rows, memoryThread: thread, memorySource: 'indexeddb' });
        expect(await listAndReference(callIn).then(([a]) => a)).toEqual(list);
      } finally {
        await tab.close();
      }
    });
  }

  it('a browser with no Worker inside workers is refused at once, by name: onnxruntime-web could not start there', async () => {
    const { tab, call: callIn } = await probePage('missing');
    try {
      const requested: string[] = [];
      tab.on('request', (r) => requested.push(new URL(r.url()).pathname));
      const outcome = await callIn('load', options);
      expect(!outcome.ok && [outcome.name, outcome.code, outcome.isL2DError]).toEqual(['UnsupportedBrowserError', 'unsupported-browser', true]);
      expect(!outcome.ok && outcome.message).toBe(
        "This browser has no Worker inside a worker, and onnxruntime-web's WebAssembly cannot start without one. Use a browser that has it (Chrome, Edge, Firefox; Safari 15.5 or later).",
      );
      expect(requested.filter((path) => path.startsWith(`/${MODEL}`))).toEqual([]); // refused before any download
    } finally {
      await tab.close();
    }
  });

  it('a chunk the memory worker refuses fails load() with its typed error in the page', async () => {
    await harness.page.context().route('**/flipped/**', async (route) => {
      const path = new URL(route.request().url()).pathname.replace(/^\/flipped/, '');
      const response = await route.fetch({ url: new URL(path, route.request().url()).href });
      const body = Buffer.from(await response.body());
      if (path.endsWith('.bin')) body[100] ^= 0x01;
      await route.fulfill({ response, body });
    });
    try {
      const outcome = await call('load', { ...options, memoryUrl: `/flipped/${MEMORY}`, cache: 'none' });
      expect(!outcome.ok && [outcome.name, outcome.code, outcome.isL2DError]).toEqual(['ShardError', 'shard-invalid', true]);
      expect(!outcome.ok && outcome.message).toMatch(/^Chunk 0 \(chunk-00000\.bin\) fails its SHA-256 checksum/);
    } finally {
      await harness.page.context().unroute('**/flipped/**');
    }
  });
});
