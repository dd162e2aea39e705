import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../core/errors.ts';
import type { Recommender } from '../recommender.ts';
import type { RecommendRequest, RecommendResult } from '../worker-protocol.ts';
import { SharedForwardPass, type WidgetRequest } from './shared-forward-pass.ts';

/** A recommender whose lists name the request: item ids k * 100 + (1 for local), one item per list. */
function fakeRecommender() {
  const calls: RecommendRequest[] = [];
  const list = (k: number, strategy?: string) => [{ id: k * 100 + (strategy === 'local' ? 1 : 0), sourceId: '', title: '', distance: 0, score: 0, source: 'global' as const }];
  const recommender = {
    recommend: async (request: RecommendRequest): Promise<RecommendResult> => {
      calls.push(request);
      if (request.k > 50 || request.also?.some((l) => l.k > 50)) throw new InvalidArgumentError('k must be an integer in 1..50 (the catalog\'s size), got 99.');
      await new Promise((resolve) => setTimeout(resolve, 5));
      return {
        items: list(request.k, request.strategy),
        ...(request.also ? { also: request.also.map((l) => ({ items: list(l.k, l.strategy), timings: { decode: 0 } })) } : {}),
      } as RecommendResult;
    },
  } as unknown as Recommender;
  return { calls, shared: new SharedForwardPass(async () => recommender) };
}

const request = (extra: Partial<WidgetRequest> = {}): WidgetRequest => ({ history: [1, 2], excludeHistory: false, exclude: [], k: 5, strategy: 'global', signal: new AbortController().signal, ...extra });
const ids = (items: { id: number }[]) => items.map((x) => x.id);

describe('SharedForwardPass', () => {
  it('serves lists asked for together, for one history, from one recommend() call', async () => {
    const { calls, shared } = fakeRecommender();
    const lists = await Promise.all([shared.recommend(request()), shared.recommend(request({ k: 3, strategy: 'local', m: 200 })), shared.recommend(request({ history: [7] }))]);
    expect(lists.map(ids)).toEqual([[500], [301], [500]]);
    expect(calls.map(({ signal: _signal, ...rest }) => rest)).toEqual([
      { history: [1, 2], excludeHistory: false, k: 5, strategy: 'global', also: [{ k: 3, strategy: 'local', m: 200 }] },
      { history: [7], excludeHistory: false, k: 5, strategy: 'global' },
    ]);
    // excludeHistory, exclude and only change the lists: not shared; each call carries its own.
    await Promise.all([
      shared.recommend(request()),
      shared.recommend(request({ excludeHistory: true })),
      shared.recommend(request({ exclude: [9] })),
      shared.recommend(request({ only: [3, 4] })),
      shared.recommend(request({ only: [3, 4], k: 2 })),
    ]);
    expect(calls.slice(2).map(({ signal: _signal, ...rest }) => rest)).toEqual([
      { history: [1, 2], excludeHistory: false, k: 5, strategy: 'global' },
      { history: [1, 2], excludeHistory: true, k: 5, strategy: 'global' },
      { history: [1, 2], excludeHistory: false, exclude: [9], k: 5, strategy: 'global' },
      { history: [1, 2], excludeHistory: false, only: [3, 4], k: 5, strategy: 'global', also: [{ k: 2, strategy: 'global' }] },
    ]);
  });

  it('never sends a list aborted before the call; one aborted after answers AbortError while the others get theirs', async () => {
    const { calls, shared } = fakeRecommender();
    const early = new AbortController();
    const superseded = shared.recommend(request({ signal: early.signal }));
    early.abort();
    await expect(superseded).rejects.toMatchObject({ name: 'AbortError', code: 'aborted' });
    expect(calls).toEqual([]);

    const late = new AbortController();
    const leaving = shared.recommend(request({ signal: late.signal }));
    const left = expect(leaving).rejects.toMatchObject({ code: 'aborted' });
    const staying = shared.recommend(request({ k: 3 }));
    await new Promise((resolve) => setTimeout(resolve, 1)); // sent
    late.abort();
    await left;
    expect(ids(await staying)).toEqual([300]);
    expect(calls[0].signal!.aborted).toBe(false); // the call ran on for the other widget
  });

  it('aborts the call once every widget sharing it has aborted', async () => {
    const { calls, shared } = fakeRecommender();
    const [a, b] = [new AbortController(), new AbortController()];
    const lists = [shared.recommend(request({ signal: a.signal })), shared.recommend(request({ k: 2, signal: b.signal }))];
    const ended = lists.map((list) => expect(list).rejects.toMatchObject({ code: 'aborted' }));
    await new Promise((resolve) => setTimeout(resolve, 1));
    a.abort();
    expect(calls[0].signal!.aborted).toBe(false);
    b.abort();
    expect(calls[0].signal!.aborted).toBe(true);
    await Promise.all(ended);
  });

  it('asks for each list alone when one of them is refused, so one widget\'s bad k fails only that widget', async () => {
    const { calls, shared } = fakeRecommender();
    const [good, bad] = [shared.recommend(request()), shared.recommend(request({ k: 99 }))];
    const refused = expect(bad).rejects.toThrow('k must be an integer in 1..50');
    expect(ids(await good)).toEqual([500]);
    await refused;
    expect(calls.map((c) => [c.k, c.also?.length])).toEqual([[5, 1], [5, undefined], [99, undefined]]);
  });

  it('splits more than nine lists into calls of at most nine', async () => {
    const { calls, shared } = fakeRecommender();
    const lists = await Promise.all(Array.from({ length: 11 }, (_, i) => shared.recommend(request({ k: i + 1 }))));
    expect(lists.map(ids)).toEqual(Array.from({ length: 11 }, (_, i) => [(i + 1) * 100]));
    expect(calls.map((c) => 1 + (c.also?.length ?? 0))).toEqual([9, 2]);
  });
});
