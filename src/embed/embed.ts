/**
 * The storefront embed: one script tag, built as one IIFE file
 * (`npm run build:embed` -> dist-embed/l2d-embed.js, 48 KB) that works from another
 * origin (a CDN). The worker (l2d-worker.js beside it, 317 KB) is fetched when a
 * widget first needs it and run from a Blob; onnxruntime-web's wasm is fetched
 * from the script's own folder too, and the model and memory URLs are
 * absolute or relative to the page.
 *
 *   <script src="https://cdn.example/l2d/l2d-embed.js"
 *           data-model="https://cdn.example/models/movielens-demo"
 *           data-memory="https://cdn.example/models/movielens-demo/memory/train-q4-f0.3-int8"
 *           data-k="5"></script>   (also data-strategy (default "vote"), data-m, data-device, data-reuse-prefix, data-ids,
 *           data-revalidate)
 *   <l2d-recommendations></l2d-recommendations>
 *   <script> L2D.track('view', 42); </script>   (after the embed ran: a deferred script after it, or DOMContentLoaded)
 *   <script> (window.L2DQueue ||= []).push((L2D) => L2D.track('view', 42)); </script>   (anywhere: also with `async`)
 *
 * Views and purchases stay in this browser (localStorage, IndexedDB);
 * nothing is sent anywhere.
 */
import workerUrl from '../../workers/l2d.worker.ts?worker&url';
import { DEFAULT_STRATEGY, type Strategy } from '../core/decode-options.ts';
import { InvalidArgumentError } from '../core/errors.ts';
import { blobModuleWorker } from '../blob-worker.ts';
import { createRecommender, type Recommender } from '../recommender.ts';
import type { OverlayStatus } from '../worker-protocol.ts';
import { ShardStore } from '../store/shard-store.ts';
import { checkDeleteRequest, deleteStoredData, storedData, type DeletedData, type DeleteStoredDataRequest, type StoredData } from '../store/stored-data.ts';
import { parseCount, parseStrategy } from '../core/setting-text.ts';
import { LocalHistory, type HistoryEventKind } from './local-history.ts';
import { PageIds, parsePageIdKind, type PageId, type PageIdKind } from './page-ids.ts';
import { defineRecommendationsElement } from './recommendations-element.ts';
import { SharedForwardPass } from './shared-forward-pass.ts';
import { VERSION } from '../version.ts';

const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset ?? {};
// The folder the embed was served from: onnxruntime-web's .wasm sits beside it.
const embedBase = script?.src ? new URL('.', script.src).href : new URL('.', location.href).href;
// data-ids (the ids the page speaks: src/embed/page-ids.ts) and the widgets' defaults data-k, data-strategy, data-m.
// A bad value is the widgets' error (the first one, from recommender()); its default stands in for it meanwhile.
const settingErrors: Error[] = [];
function setting<T>(parse: () => T | undefined, fallback: T): T {
  try {
    return parse() ?? fallback;
  } catch (error) {
    settingErrors.push(error as Error);
    return fallback;
  }
}

const config = {
  model: data.model,
  memory: data.memory,
  ids: setting<PageIdKind>(() => parsePageIdKind(data.ids), 'catalog'),
  k: setting(() => parseCount(data.k, 'data-k'), 5),
  // L2D-V by default, as recommend()'s (docs/RESULTS.md, "L2D-V"); on a centroid memory it ranks as L2D-G until the
  // shopper's purchases add rows of their own.
  strategy: setting<Strategy>(() => parseStrategy(data.strategy, 'data-strategy'), DEFAULT_STRATEGY),
  m: setting<number | undefined>(() => parseCount(data.m, 'data-m'), undefined),
  // Checked by load(): a value it does not know is an error naming data-device's choices.
  device: (data.device ?? 'auto') as 'auto' | 'webgpu' | 'wasm',
  // A shopper's history grows one view at a time: reuse the previous prompt's cache where that costs no download.
  reusePrefix: data.reusePrefix ?? 'auto',
  // A store that rebuilds its memory (or model) at the same URL: each visit asks for it first, or behind the load.
  revalidate: setting(() => parseRevalidate(data.revalidate), false),
};
const history = new LocalHistory(undefined, undefined, config.ids);
let pending: Promise<Recommender> | undefined;

/** data-reuse-prefix: "auto" (default: where the encoder graph has its own cache), "true", "false". */
function parseReusePrefix(value: string): boolean | 'auto' {
  if (value === 'auto') return 'auto';
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidArgumentError(`data-reuse-prefix must be "auto", "true" or "false", got "${value}".`);
}

/** data-revalidate: "true", "background" or "false" (default). */
function parseRevalidate(value: string | undefined): boolean | 'background' | undefined {
  if (value === undefined || value === 'background') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidArgumentError(`data-revalidate must be "true", "background" or "false", got "${value}".`);
}

function recommender(): Promise<Recommender> {
  pending ??= (async () => {
    if (settingErrors.length > 0) throw settingErrors[0];
    if (!config.model || !config.memory) {
      throw new InvalidArgumentError('The L2D embed needs data-model and data-memory on its script tag (URLs of the model folder and its memory).');
    }
    const reusePrefix = parseReusePrefix(config.reusePrefix);
    // Another tab's purchase or forget() changes this tab's lists too.
    const onInteractionsChange = () => refreshElements(true);
    return createRecommender({
      model: config.model,
      memory: config.memory,
      device: config.device,
      reusePrefix,
      // Without it a later visit asks nothing: the stored memory and model are used as they are.
      revalidate: config.revalidate,
      wasmPaths: embedBase,
      worker: await embedWorker(),
      onInteractionsChange,
    });
  })();
  // A failed start may be retried (e.g. after the network came back).
  pending.catch(() => (pending = undefined));
  return pending;
}

/**
 * The recommender's worker, l2d-worker.js from the embed's folder: fetched only when a widget (or a purchase)
 * first needs it, so a page whose widgets never start downloads 48 KB of embed, not 360. A page may not start a
 * worker from another origin: it runs from a Blob (CSP: worker-src blob:), which it revokes once running.
 */
async function embedWorker(): Promise<Worker> {
  return blobModuleWorker(workerUrl, 'l2d', (reason) =>
    `The L2D embed's worker (${workerUrl}) could not be fetched (${reason}): serve l2d-worker.js beside l2d-embed.js (npm run build:embed writes both).`);
}

/** The translation of the page's ids, for the memory loaded now (a load() of another one gets its own). */
let translation: { status: unknown; ids: Promise<PageIds> } | undefined;
async function pageIds(): Promise<PageIds> {
  const handle = await recommender();
  if (translation?.status !== handle.status()) {
    // Catalog ids need the keys too: their count is the catalog's size, past which exclude's and only's ids are skipped.
    const next = { status: handle.status(), ids: handle.sourceIds().then((keys) => new PageIds(config.ids, keys)) };
    next.ids.catch(() => translation === next && (translation = undefined));
    translation = next;
  }
  return translation.ids;
}

/**
 * Refreshes the widgets a change touches: a view changes only the lists that follow the on-device history; a
 * memory update (or forgetting one) may change every list, those of a fixed history too.
 */
function refreshElements(memoryChanged: boolean): void {
  for (const element of document.querySelectorAll('l2d-recommendations') as NodeListOf<HTMLElement & { refresh(): Promise<unknown>; followsDeviceHistory: boolean }>) {
    if (memoryChanged || element.followsDeviceHistory) void element.refresh();
  }
}

/** The page's API: window.L2D. */
const api = {
  /** The embed's version (package.json's when it was built). */
  version: VERSION,
  config,
  recommender,
  /**
   * Reports a view or a purchase of an item (in the page's ids, data-ids); a purchase after some
   * history also updates the on-device memory (its overlay status is returned).
   */
  async track(kind: HistoryEventKind, item: PageId): Promise<OverlayStatus | undefined> {
    const before = history.items();
    const bought = history.add(kind, item).at(-1)!;
    // What led to the purchase: the history before it, less the item itself (a shopper views an item before buying
    // it). Training samples never hold their target in their history; a row that did would sit where the shopper's
    // next query lands and rank the item just bought first.
    const context = before.filter((id) => id !== bought);
    const handle = kind === 'purchase' && context.length > 0 ? await recommender() : undefined;
    // A memory without updates (overlayCap 0, or centroids without sample counts) still takes the purchase into the history.
    const overlay = handle && (handle.status().overlay?.cap ?? 0) > 0 ? await recordPurchase(handle, context, bought) : undefined;
    refreshElements(overlay !== undefined);
    return overlay;
  },
  history: () => history.items(),
  /**
   * Forgets this browser's history and memory updates: those of earlier visits too, even where no widget has
   * started the recommender yet (it is not started for this: nothing is downloaded). Other open tabs of the site
   * take it in at once (their widgets refresh).
   */
  async forget(): Promise<void> {
    history.clear();
    if (pending) await (await recommender()).clearInteractions();
    else if (config.memory) await forgetStoredInteractions(new URL(config.memory, location.href).href);
    refreshElements(true);
  },
  /**
   * What the embed keeps in this browser (a store's privacy page can list it): model files, memories, memory
   * updates (as storedData() in src/index.ts) and the on-device history's length.
   */
  async storedData(): Promise<StoredData & { historyItems: number }> {
    return { ...(await storedData()), historyItems: history.items().length };
  },
  /**
   * Deletes what `request` names (as deleteStoredData() in src/index.ts); `everything: true` deletes the
   * on-device history too, so nothing of the shopper's is left. Every widget refreshes.
   */
  async deleteStoredData(request: DeleteStoredDataRequest): Promise<DeletedData & { historyItems: number }> {
    checkDeleteRequest(request); // a bad request deletes nothing, the history included
    // The history first: deleting the memory updates makes the site's open tabs refresh their widgets, which read it.
    const historyItems = request.everything ? history.items().length : 0;
    if (request.everything) history.clear();
    const deleted = await deleteStoredData(request);
    refreshElements(true);
    return { ...deleted, historyItems };
  },
};
(globalThis as unknown as { L2D: typeof api }).L2D = api;
// A view in another tab of the store is this shopper's history too: the widgets that follow it refresh here. It also
// reaches a page coming back from the back/forward cache, whose lists would otherwise be those it was left with.
addEventListener('storage', (event) => history.changedBy(event) && refreshElements(false));
const shared = new SharedForwardPass(recommender);
defineRecommendationsElement({ recommend: (request) => shared.recommend(request), pageIds, localHistory: () => history.items(), defaults: config });

/** Deletes the memory updates earlier visits stored for this memory (the worker keys them by its absolute URL). */
async function forgetStoredInteractions(memoryUrl: string): Promise<void> {
  const store = await ShardStore.openExisting();
  try {
    await store?.deleteOverlaysOf(memoryUrl);
  } finally {
    store?.close();
  }
}

/**
 * A purchase as a memory update, in catalog ids. With the store's own ids, items the catalog lacks are left out
 * of the history, and a purchased item it lacks updates nothing (the model has no row for it): no error.
 */
async function recordPurchase(handle: Recommender, context: PageId[], item: PageId): Promise<OverlayStatus | undefined> {
  const translate = await pageIds();
  const known = translate.known(context);
  const target = translate.catalogId(item);
  return target === undefined || known.length === 0 ? undefined : handle.recordInteraction({ history: known, item: target });
}
runQueuedCalls();

/** window.L2D's type, for a store's TypeScript (dist-embed/l2d-embed.d.ts declares the globals with it). */
export type L2DEmbed = typeof api;
/** A call queued in window.L2DQueue before the embed ran (an `async` script tag). */
export type QueuedCall = (l2d: L2DEmbed) => unknown;

/**
 * With an `async` script tag the store's code may run before the embed: it queues functions,
 *   (window.L2DQueue ||= []).push((L2D) => L2D.track('view', 42));
 * which run here in order, once L2D exists; afterwards L2DQueue.push runs each function at once.
 */
function runQueuedCalls(): void {
  const global = globalThis as unknown as { L2DQueue?: unknown };
  const run = (entry: unknown, where: string) => {
    if (typeof entry !== 'function') {
      console.error(`L2D: ${where} is ${entry === null ? 'null' : `a ${typeof entry}`}, not a function; queue calls as L2DQueue.push((L2D) => L2D.track('view', 42)).`);
      return;
    }
    try {
      (entry as QueuedCall)(api); // a promise it returns is the page's to handle, as if it had called L2D itself
    } catch (error) {
      reportError(error); // as an uncaught error in the page's own code; the queue goes on
    }
  };
  const queued = global.L2DQueue ?? [];
  if (Array.isArray(queued)) queued.forEach((entry, i) => run(entry, `L2DQueue[${i}]`));
  else console.error(`L2D: window.L2DQueue must be an array of functions, got ${Object.prototype.toString.call(queued)}; nothing in it was run.`);
  global.L2DQueue = {
    push: (...entries: unknown[]) => {
      for (const entry of entries) run(entry, 'what was pushed to L2DQueue');
      return entries.length;
    },
  };
}
