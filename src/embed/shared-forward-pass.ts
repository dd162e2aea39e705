/**
 * The lists a page's widgets ask for in the same turn of the event loop, for the same history, come from one
 * recommend() call: one forward pass, a decode per list (recommend()'s `also`). A storefront with "top picks" and
 * "more like your recent views" on the shopper's history runs the model once per view, not once per widget.
 */
import { AbortError, L2DError } from '../core/errors.ts';
import type { Strategy } from '../core/decode-options.ts';
import type { Recommender } from '../recommender.ts';
import type { RecommendedItem } from '../worker-protocol.ts';

/** One widget's list: its history, exclusions and allowed items (catalog ids), its k, strategy and m, and its signal. */
export interface WidgetRequest {
  history: number[];
  excludeHistory: boolean;
  exclude: number[];
  /** The only items the list may hold (a non-empty list), or undefined: any. */
  only?: number[];
  k: number;
  strategy: Strategy;
  m?: number;
  signal: AbortSignal;
}

/** A call's own list and `also`'s eight. */
const MAX_LISTS = 9;

interface Member {
  request: WidgetRequest;
  resolve(items: RecommendedItem[]): void;
  reject(error: unknown): void;
}

export class SharedForwardPass {
  private readonly groups = new Map<string, Member[]>();
  private scheduled = false;

  constructor(private readonly recommender: () => Promise<Recommender>) {}

  /** The widget's items; AbortError once its signal fired (a call shared with other widgets runs on for them). */
  recommend(request: WidgetRequest): Promise<RecommendedItem[]> {
    return new Promise((resolve, reject) => {
      // A call's lists share its exclusions: widgets that exclude or allow other items are asked for apart.
      const key = JSON.stringify([request.history, request.excludeHistory, request.exclude, request.only ?? null]);
      this.groups.set(key, [...(this.groups.get(key) ?? []), { request, resolve, reject }]);
      if (this.scheduled) return;
      this.scheduled = true;
      // A macrotask later: widgets refreshed in one loop each await the recommender first, in their own microtasks.
      setTimeout(() => this.flush(), 0);
    });
  }

  private flush(): void {
    this.scheduled = false;
    const groups = [...this.groups.values()];
    this.groups.clear();
    for (const group of groups) for (let i = 0; i < group.length; i += MAX_LISTS) void this.run(group.slice(i, i + MAX_LISTS));
  }

  private async run(members: Member[]): Promise<void> {
    const live = members.filter((member) => !member.request.signal.aborted);
    for (const member of members) if (member.request.signal.aborted) member.reject(new AbortError('recommend()'));
    if (live.length === 0) return; // superseded before it was sent: never sent
    // The call's signal fires once every member's has.
    const controller = new AbortController();
    let waiting = live.length;
    const onAbort = () => --waiting === 0 && controller.abort();
    for (const member of live) member.request.signal.addEventListener('abort', onAbort, { once: true });
    const [first, ...rest] = live.map((member) => member.request);
    try {
      const r = await (await this.recommender()).recommend({
        history: first.history,
        excludeHistory: first.excludeHistory,
        ...(first.exclude.length > 0 ? { exclude: first.exclude } : {}),
        ...(first.only !== undefined ? { only: first.only } : {}),
        k: first.k,
        strategy: first.strategy,
        ...(first.m !== undefined ? { m: first.m } : {}),
        ...(rest.length > 0 ? { also: rest.map(({ k, strategy, m }) => ({ k, strategy, ...(m !== undefined ? { m } : {}) })) } : {}),
        signal: controller.signal,
      });
      const lists = [r.items, ...(r.also ?? []).map((list) => list.items)];
      live.forEach((member, i) => (member.request.signal.aborted ? member.reject(new AbortError('recommend()')) : member.resolve(lists[i])));
    } catch (error) {
      // One widget's bad list (a k beyond the catalog) must not fail the others': each is asked for alone then.
      if (live.length > 1 && error instanceof L2DError && error.code === 'invalid-argument') {
        for (const member of live) void this.run([member]);
        return;
      }
      for (const member of live) member.reject(error);
    } finally {
      for (const member of live) member.request.signal.removeEventListener('abort', onAbort);
    }
  }
}
