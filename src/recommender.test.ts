/**
 * createRecommender()'s page side over a stand-in worker: a Comlink endpoint on a MessageChannel whose calls
 * the test holds and releases, so the order of answers, cancels and aborts is exact (the real worker is
 * tested in Chromium: e2e/demo.test.ts).
 */
import * as Comlink from 'comlink';
import { afterEach, expect, it } from 'vitest';
import { createRecommender, type Recommender } from './recommender.ts';
import type { LoadStatus, MemoryRevalidation, OverlayStatus, RecommendResult, ToWorker, RecommendRequest, WorkerApi } from './worker-protocol.ts';

interface StandIn {
  worker: Worker;
  /** What the worker was asked, in order: "load", "recommend <history> <operation>", "cancel <operation>". */
  calls: string[];
  /** watchInteractions() calls: "watch after <n> calls" (of `calls`), "unwatch". */
  watches: string[];
  /** The worker took in another tab's memory updates: tells the page's listener. */
  otherTabChanged(overlay: OverlayStatus): Promise<void>;
  /** Answers the oldest recommend() still held. */
  release(): void;
  terminated(): boolean;
}

const opened: Recommender[] = [];
afterEach(async () => {
  for (const recommender of opened.splice(0)) await recommender.dispose();
});

function standIn(options: { loadNeverEnds?: boolean; revalidation?: MemoryRevalidation } = {}): StandIn {
  const calls: string[] = [];
  const held: (() => void)[] = [];
  let terminated = false;
  let listener: ((overlay: OverlayStatus) => void) | undefined;
  const watches: string[] = [];
  const { port1, port2 } = new MessageChannel();
  const api: Partial<WorkerApi> = {
    load: async () => {
      calls.push('load');
      if (options.loadNeverEnds) await new Promise(() => undefined);
      const revalidation = options.revalidation && { revalidation: { state: 'checking' } };
      return { items: 3, overlay: { rows: 0, cap: 4, seen: 0, persisted: true }, ...revalidation } as unknown as LoadStatus;
    },
    revalidated: async () => options.revalidation,
    recordInteraction: async () => ({ rows: 1, cap: 4, seen: 1, persisted: true }),
    watchInteractions: (given) => {
      watches.push(given ? `watch after ${calls.length} calls` : 'unwatch');
      listener = given;
    },
    recommend: async (request: ToWorker<RecommendRequest>) => {
      calls.push(`recommend ${request.history.join(',')} ${request.operation ?? '-'}`);
      await new Promise<void>((resolve) => held.push(resolve));
      return { items: request.history.map((id) => ({ id, title: `item ${id}`, distance: 0 })) } as unknown as RecommendResult;
    },
    cancel: (operation: number) => {
      calls.push(`cancel ${operation}`);
    },
    dispose: async () => undefined,
  };
  Comlink.expose(api, port2);
  const worker = Object.assign(port1, {
    terminate: () => {
      terminated = true;
      port1.close();
      port2.close();
    },
  }) as unknown as Worker;
  return { worker, calls, watches, otherTabChanged: async (overlay) => void (await listener?.(overlay)), release: () => held.shift()?.(), terminated: () => terminated };
}

async function open(worker: StandIn): Promise<Recommender> {
  const recommender = await createRecommender({ model: 'https://store.example/model', cache: 'none', worker: worker.worker });
  opened.push(recommender);
  return recommender;
}

/** Settles the test's promises and the channel's messages (each hop is a macrotask). */
const turn = () => new Promise((resolve) => setTimeout(resolve, 20));
const failure = (e: Error & { code?: string }) => ({ name: e.name, code: e.code, message: e.message });
const aborted = (what: string) => ({ name: 'AbortError', code: 'aborted', message: `${what} was aborted by its signal.` });

it('rejects a recommend() whose signal fires while the worker runs it at once, tells the worker, and drops its late answer', async () => {
  const worker = standIn();
  const recommender = await open(worker);
  const controller = new AbortController();
  const settled: string[] = [];
  const running = recommender.recommend({ history: [1, 2], k: 2, signal: controller.signal }).then(
    (result) => settled.push(`answered ${result.items.length}`),
    (error) => settled.push(error.name),
  );
  await turn();
  expect(worker.calls).toEqual(['load', 'recommend 1,2 1']);
  controller.abort();
  await Promise.race([running, turn()]);
  expect(settled).toEqual(['AbortError']); // the worker still holds the call
  await turn();
  expect(worker.calls).toEqual(['load', 'recommend 1,2 1', 'cancel 1']);
  worker.release(); // the pass ends in the worker; its answer reaches nobody
  const next = recommender.recommend({ history: [3], k: 1 });
  await turn();
  worker.release();
  expect((await next).items.map((item) => item.id)).toEqual([3]);
  expect(settled).toEqual(['AbortError']);
  expect(worker.calls.at(-1)).toBe('recommend 3 -'); // no signal: no operation number, nothing to cancel
});

it('gives the AbortError of the call that was aborted, and a call answered before its signal fires keeps its answer', async () => {
  const worker = standIn();
  const recommender = await open(worker);
  const controller = new AbortController();
  const answered = recommender.recommend({ history: [4], k: 1, signal: controller.signal });
  await turn();
  worker.release();
  expect((await answered).items.map((item) => item.id)).toEqual([4]);
  controller.abort(); // too late: nothing to stop, nothing sent
  await turn();
  expect(worker.calls).toEqual(['load', 'recommend 4 1']);
  expect(await recommender.recommend({ history: [5], k: 1, signal: AbortSignal.abort() }).then(() => null, failure)).toEqual(aborted('recommend()'));
  expect(await recommender.recommend({ history: [5], k: 1, signal: 'stop' as unknown as AbortSignal }).then(() => null, failure)).toEqual({
    name: 'InvalidArgumentError',
    code: 'invalid-argument',
    message: 'recommend(): signal must be an AbortSignal, got [object String].',
  });
  await turn();
  expect(worker.calls).toEqual(['load', 'recommend 4 1']); // neither bad call reached the worker
});

it('stops createRecommender() when its signal fires during the first load: AbortError, and the worker is terminated', async () => {
  const worker = standIn({ loadNeverEnds: true });
  const controller = new AbortController();
  const creating = createRecommender({ model: 'https://store.example/model', cache: 'none', worker: worker.worker, signal: controller.signal }).then(() => null, failure);
  await turn();
  expect(worker.calls).toEqual(['load']);
  controller.abort();
  expect(await creating).toEqual(aborted('createRecommender()'));
  expect(worker.terminated()).toBe(true);
});

it("keeps status().overlay current: its own calls' answers, and another tab's changes, which onInteractionsChange hears (load() may give another)", async () => {
  const worker = standIn();
  const heard: string[] = [];
  const recommender = await createRecommender({ model: 'https://store.example/model', cache: 'none', worker: worker.worker, onInteractionsChange: (o) => heard.push(`first ${o.rows}`) });
  opened.push(recommender);
  expect(worker.watches).toEqual(['watch after 0 calls']); // listening before the first load, to hear a change right after it
  const status = recommender.status();
  await recommender.recordInteraction({ history: [1], item: 2 });
  expect(recommender.status().overlay).toEqual({ rows: 1, cap: 4, seen: 1, persisted: true });
  await worker.otherTabChanged({ rows: 3, cap: 4, seen: 5, persisted: true });
  expect(heard).toEqual(['first 3']);
  expect(recommender.status()).toBe(status); // the same object, its overlay as it is now
  expect(status.overlay).toEqual({ rows: 3, cap: 4, seen: 5, persisted: true });
  await recommender.load({ model: 'https://store.example/model', cache: 'none', onInteractionsChange: (o) => heard.push(`second ${o.rows}`) });
  await worker.otherTabChanged({ rows: 0, cap: 4, seen: 0, persisted: true });
  expect(heard).toEqual(['first 3', 'second 0']);
  await recommender.dispose();
  expect(worker.watches).toEqual(['watch after 0 calls', 'unwatch']);
});

it("revalidated() waits for the load's background revalidation, and status() then says what it found, in place", async () => {
  const found: MemoryRevalidation = { state: 'stored', version: '0123456789abcdef' };
  const recommender = await open(standIn({ revalidation: found }));
  const status = recommender.status();
  expect(status.revalidation).toEqual({ state: 'checking' });
  expect(await recommender.revalidated()).toEqual(found);
  expect(recommender.status()).toBe(status);
  expect(status.revalidation).toEqual(found);
  // A load that started none: undefined, and status() has no revalidation.
  const plain = await open(standIn());
  expect([await plain.revalidated(), plain.status().revalidation]).toEqual([undefined, undefined]);
});

it('says it runs in a web page where there is no Worker (a server rendering the page), before anything else', async () => {
  expect(typeof Worker).toBe('undefined'); // Node: as a server-side render sees it
  await expect(createRecommender({ model: 'https://store.example/model' })).rejects.toMatchObject({
    name: 'UnsupportedBrowserError',
    code: 'unsupported-browser',
    message: 'createRecommender() runs in a web page: it starts a Web Worker, and this environment has none (a server rendering the page? call it in the browser, once the page is there).',
  });
});

it('names a relative URL it cannot resolve where there is no page address', async () => {
  const worker = standIn();
  await expect(createRecommender({ model: 'models/movielens-demo', cache: 'none', worker: worker.worker })).rejects.toMatchObject({
    name: 'InvalidArgumentError',
    message: '"models/movielens-demo" is not a URL, and there is no page address here to resolve it against: give absolute URLs.',
  });
  expect(worker.calls).toEqual([]);
});
