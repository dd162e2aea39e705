/**
 * The demo's model panel, on the public API (createRecommender): choose a
 * data set and its model, build a history by searching the catalog, and see
 * L2D-V (the default), L2D-L and L2D-G side by side with distances and per-stage latency;
 * take a test user's history and see where the item they chose next ranks;
 * evaluate on the test split (src/demo/evaluation-panel.ts). Titles are always set as
 * text, never as HTML. `window.l2dDemo.recommender()` hands researchers (and
 * the tests) the live recommender.
 */
import { createRecommender, type Recommender } from '../recommender.ts';
import { parseSamples } from '../core/data/prepared-format.ts';
import type { Sample } from '../core/data/prepare.ts';
import { parseTrainSequences, trainingPairs } from '../core/data/train-sequences.ts';
import { CoOccurrence, MostPopular } from '../core/baselines.ts';
import type { DecoderBackend } from '../decode-engine.ts';
import { MAX_SELECTION } from '../core/decode-options.ts';
import type { LoadProgress, LoadStatus, OverlayStatus, RecommendResult, GenerateResult } from '../worker-protocol.ts';
import { barRow } from './charts.ts';
import { DATASETS, datasetFromAddress, type DemoDataset } from './datasets.ts';
import { startEvaluationPanel, type TrainSplitCounts } from './evaluation-panel.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const absolute = (path: string) => new URL(path, document.baseURI).href;
const threadsText = (threads: number | undefined) => (threads === undefined ? '' : `, ${threads} thread${threads === 1 ? '' : 's'}`);

/** Item co-occurrence's list for a request (`ranking`: every item, for the target's place), or why there is none. */
type CoOccurrenceAnswer = { items: number[]; ranking: number[]; ms: number } | { problem: string };

/**
 * A list whose rank of a test user's target is shown: its name, its item ids, and how the whole catalog is ranked
 * when the target is not in it (L2D's asked for again, a baseline's ranking at hand, or nothing: beam search).
 */
type RankedList = [name: string, items: readonly number[], whole: 'L2D-L' | 'L2D-G' | 'L2D-V' | readonly number[] | undefined];

/** A value read once (per data set: `forget` on a change); a failed read is tried again on the next use, not remembered. */
function oncePerDataset<T>(read: () => Promise<T>): { get: () => Promise<T>; forget: () => void } {
  let pending: Promise<T> | undefined;
  return {
    get: () => {
      if (pending) return pending;
      const reading = read();
      reading.catch(() => {
        if (pending === reading) pending = undefined;
      });
      return (pending = reading);
    },
    forget: () => {
      pending = undefined;
    },
  };
}

/** The Backend panel's decoder line (the panel of the generated memory shows the same). */
export function decoderLabel(backend: DecoderBackend): string {
  if (backend.decoder === 'webgpu') return `WebGPU (${backend.adapter})`;
  const scan = backend.scan === 'wasm-simd' ? 'WebAssembly SIMD' : 'JavaScript';
  return `CPU (${scan})${backend.fallbackReason ? ` — ${backend.fallbackReason}` : ''}`;
}

/** `onLoaded`: after each model and memory load; `onStoredChange`: after a memory update (what is stored on the device may have changed). */
export async function startModelPanel(panel: { onLoaded?: () => void; onStoredChange?: () => void } = {}): Promise<void> {
  const status = $('model-status');
  const progress = $<HTMLProgressElement>('model-progress');
  const search = $<HTMLInputElement>('catalog-search');
  const matches = $<HTMLUListElement>('catalog-matches');
  const historyList = $<HTMLOListElement>('history');
  const form = $<HTMLFormElement>('model-form');
  const select = $<HTMLSelectElement>('dataset');
  const coldStart = $<HTMLInputElement>('cold-start');
  const sampleForm = $<HTMLFormElement>('sample-form');
  const sampleInput = sampleForm.elements.namedItem('sample') as HTMLInputElement;
  const sampleCount = sampleForm.elements.namedItem('sampleCount') as HTMLOutputElement;
  const sampleTarget = $('sample-target');
  const updatesText = $('memory-updates').querySelector('span')!;
  const forgetChoices = $<HTMLButtonElement>('forget-choices');
  const history: number[] = [];
  let titles: string[] = [];
  let recommender: Recommender | undefined;
  let dataset: DemoDataset = DATASETS[0];
  // The test sample the history is, while the researcher has not changed it: its held-out target is marked.
  let sample: { index: number; count: number; user: number; target: number } | undefined;
  // The request under way: a newer request aborts it, and so does a load (another memory, as does the evaluation's
  // run), so it shows no lists or errors of a memory that is no longer there.
  let running: AbortController | undefined;
  (globalThis as unknown as { l2dDemo: unknown }).l2dDemo = { recommender: () => recommender, dataset: () => dataset };

  const setStatus = (element: HTMLElement, text: string, isError = false) => {
    element.textContent = text;
    element.classList.toggle('error', isError);
  };
  const fail = (error: Error) => setStatus(status, `${error.name}: ${error.message}`, true);
  const ready = (on: boolean) => {
    search.disabled = !on;
    (form.querySelector('button') as HTMLButtonElement).disabled = !on || history.length === 0;
    evaluation.enable(on);
    if (!on) for (const button of sampleForm.querySelectorAll('button')) button.disabled = true;
    document.body.dataset.modelReady = String(on);
  };

  /** The researcher's own memory updates ("chose it"), as recordInteraction() and a purchase in the embed make them. */
  const showUpdates = (overlay: OverlayStatus | undefined) => {
    const rows = overlay?.rows ?? 0;
    forgetChoices.hidden = rows === 0;
    if (!overlay || overlay.cap === 0) {
      updatesText.textContent = overlay ? 'This memory takes no memory updates.' : '';
      return;
    }
    updatesText.textContent =
      rows === 0
        ? 'Your choices: none yet. "chose it" beside an L2D item records that it was chosen after this history (a memory update, as a storefront records a purchase), kept on this device only.'
        : `Your choices: ${rows} memory update${rows === 1 ? '' : 's'}${overlay.persisted ? ', kept on this device' : ''} (of ${overlay.seen} recorded, at most ${overlay.cap}). They move every list, the evaluation's too.`;
  };
  /** "chose it": `item` recorded as chosen after `chosenAfter`, then the lists asked for again. */
  const choose = async (item: number, chosenAfter: number[]) => {
    try {
      showUpdates(await recommender!.recordInteraction({ history: chosenAfter, item }));
      panel.onStoredChange?.();
      form.requestSubmit();
    } catch (error) {
      fail(error as Error);
    }
  };
  forgetChoices.addEventListener('click', async () => {
    try {
      showUpdates(await recommender!.clearInteractions());
      panel.onStoredChange?.();
      if (history.length > 0) form.requestSubmit();
    } catch (error) {
      fail(error as Error);
    }
  });

  /** A file of the data set's, as text. */
  const fetchText = async (path: string, what: string): Promise<string> => {
    const response = await fetch(absolute(path));
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}; this data set's ${what} is not here.`);
    return response.text();
  };
  /** The data set's test split, fetched once per data set: the evaluation and the test-user picker share it. */
  const testSplit = oncePerDataset(async () => {
    const { test } = dataset;
    const itemCount = titles.length;
    return parseSamples(await fetchText(test, 'test split'), 'test', itemCount, test);
  });
  const testSamples = testSplit.get;
  /**
   * The baselines and each item's count as a training target, counted once per data set from its train sequences
   * with the model's history window (its training data's), as `npm run evaluate` counts them from the train split.
   */
  const trainSplit = oncePerDataset(async (): Promise<TrainSplitCounts> => {
    const { train } = dataset;
    const itemCount = titles.length;
    const window = recommender?.status().encoder.maxHistory;
    if (window === undefined) throw new Error("the model's prompt template names no history window (maxHistory), and the baselines count the train split with it.");
    const pairs = trainingPairs(parseTrainSequences(await fetchText(train, 'train split'), itemCount, train), window);
    const popular = new MostPopular(pairs, itemCount);
    return { baselines: [popular, new CoOccurrence(pairs, itemCount, popular.counts)], targetCounts: popular.counts };
  });
  const evaluation = startEvaluationPanel({
    recommender: () => recommender,
    testSamples,
    trainSplit: trainSplit.get,
    itemCount: () => titles.length,
    m: () => Number(new FormData(form).get('m')),
    voteM: () => Number(new FormData(form).get('voteM')),
    dataset: () => dataset,
    setStatus,
  });

  /** The held-out target's line under the lists: where each list ranks it (`places`, once they are shown). */
  const showTarget = (places?: string[]) => {
    sampleTarget.hidden = !sample;
    if (!sample) return;
    const { index, count, user, target } = sample;
    sampleTarget.textContent = `Test sample ${index + 1} of ${count} (user ${user}): the item chosen next was "${titles[target]}". ${
      places ? `${places.join('; ')}.` : 'Recommend to see where it ranks.'
    }`;
  };

  /** A change the researcher made to the history: it is no longer the test sample's. */
  const editHistory = (change: () => void) => {
    change();
    sample = undefined;
    showTarget();
    renderHistory();
  };

  const renderHistory = () => {
    historyList.replaceChildren(
      ...history.map((id, i) => {
        const li = document.createElement('li');
        li.textContent = titles[id];
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.textContent = 'remove';
        remove.setAttribute('aria-label', `Remove ${titles[id]} from the history`); // a screen reader's list of buttons names the item
        remove.addEventListener('click', () => editHistory(() => history.splice(i, 1)));
        li.append(remove);
        return li;
      }),
    );
    (form.querySelector('button') as HTMLButtonElement).disabled = history.length === 0 || !recommender;
  };

  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    const found = q.length < 2 ? [] : titles.map((t, id) => [t, id] as const).filter(([t]) => t.toLowerCase().includes(q)).slice(0, 20);
    matches.replaceChildren(
      ...found.map(([title, id]) => {
        const li = document.createElement('li');
        li.textContent = title;
        const add = document.createElement('button');
        add.type = 'button';
        add.textContent = 'add';
        add.setAttribute('aria-label', `Add ${title} to the history`);
        // An item already in the history moves to its end: it counts once, at its last place (as recommend() reads it).
        add.addEventListener('click', () => editHistory(() => history.splice(0, history.length, ...history.filter((h) => h !== id), id)));
        li.append(add);
        return li;
      }),
    );
  });

  for (const name of ['k', 'm', 'voteM'] as const) {
    const input = form.elements.namedItem(name) as HTMLInputElement;
    const out = form.elements.namedItem(`${name}Out`) as HTMLOutputElement;
    input.addEventListener('input', () => (out.value = input.value));
  }

  /** An item's list entry; the test user's chosen item is marked by more than its colour. */
  const itemEntry = (id: number, title: string, target: number | undefined) => {
    const li = document.createElement('li');
    li.dataset.id = String(id);
    li.textContent = title;
    if (id === target) {
      li.classList.add('target');
      const mark = document.createElement('span');
      mark.className = 'chosen';
      mark.textContent = 'chosen next';
      li.append(mark);
    }
    return li;
  };

  /** An L2D list of the history `listedFor`, each item with its distance and a "chose it" button. */
  const renderList = (list: HTMLOListElement, result: RecommendResult, target: number | undefined, listedFor: number[]) =>
    list.replaceChildren(
      ...result.items.map((x) => {
        const li = itemEntry(x.id, x.title, target);
        const d = document.createElement('span');
        d.className = 'distance';
        d.textContent = `d = ${x.distance.toFixed(3)}${x.source === 'vote' ? `, vote ${x.score.toFixed(2)}` : ''}${x.source === 'global' && list.id !== 'model-global' ? ' (global fill-up)' : ''}`;
        const chose = document.createElement('button');
        chose.type = 'button';
        chose.className = 'choose';
        chose.textContent = 'chose it';
        chose.setAttribute('aria-label', `Record that ${x.title} was chosen after this history`);
        chose.addEventListener('click', () => void choose(x.id, listedFor));
        li.append(d, chose);
        return li;
      }),
    );

  const renderStages = (results: [string, RecommendResult][], generated?: GenerateResult) => {
    const longest = Math.max(...results.map(([, r]) => r.timings.total), generated?.timings.total ?? 0, 1e-3);
    const rows = results.map(([name, r]) =>
      barRow(
        name,
        (['tokenize', 'forward', 'decode'] as const).map((stage) => ({ className: stage, value: r.timings[stage], title: `${stage}: ${r.timings[stage].toFixed(1)} ms` })),
        400 / longest,
      ),
    );
    if (generated) {
      const t = generated.timings;
      rows.push(barRow('beam-5', [
        { className: 'tokenize', value: t.tokenize, title: `tokenize: ${t.tokenize.toFixed(1)} ms` },
        { className: 'generate', value: t.generate, title: `generate: ${t.generate.toFixed(1)} ms` },
        { className: 'decode', value: t.ground, title: `ground titles: ${t.ground.toFixed(1)} ms` },
      ], 400 / longest));
    }
    $('model-chart').replaceChildren(...rows);
  };

  /** The catalog ids whose title contains `text`, any case (the demo's "only titles containing"). */
  const titlesContaining = (text: string): number[] => {
    const wanted = text.toLowerCase();
    return titles.flatMap((title, id) => (title.toLowerCase().includes(wanted) ? [id] : []));
  };

  /**
   * Item co-occurrence's answer to a request (no model: counted in the page from the train split, as the
   * evaluation's), its whole ranking for the target's place, or why there is none (this data set has no train split).
   */
  const coOccurrenceFor = async (request: { history: number[]; k: number; excludeHistory: boolean; only?: number[] }): Promise<CoOccurrenceAnswer> => {
    try {
      const coOccurrence = (await trainSplit.get()).baselines.find((b) => b instanceof CoOccurrence)!;
      const started = performance.now();
      const excluded = new Set(request.excludeHistory ? request.history : []);
      const allowed = request.only && new Set(request.only);
      const ranking = coOccurrence.recommend(request.history, titles.length).filter((id) => !excluded.has(id) && (!allowed || allowed.has(id)));
      return { ranking, items: ranking.slice(0, request.k), ms: performance.now() - started };
    } catch (error) {
      return { problem: (error as Error).message };
    }
  };

  const renderCoOccurrence = (answer: CoOccurrenceAnswer | undefined, target: number | undefined) => {
    $('model-cooc-list').hidden = !answer;
    if (!answer) return;
    $('model-cooc-note').textContent = 'problem' in answer ? `No item co-occurrence: ${answer.problem}` : `Counted in this page from the train split: ${answer.ms.toFixed(1)} ms.`;
    $('model-cooc').replaceChildren(...('problem' in answer ? [] : answer.items.map((id) => itemEntry(id, titles[id], target))));
  };

  const renderGenerated = (result: GenerateResult | undefined, target: number | undefined) => {
    $('model-beam-list').hidden = !result;
    if (!result) return;
    $('model-generated').textContent = `Generated: ${result.generated.map((g) => `"${g.title}"${g.finished ? '' : ' (cut at the length cap)'}`).join(', ')}`;
    $('model-beam').replaceChildren(
      ...result.items.map((x) => itemEntry(x.id, x.title, target)),
    );
  };

  // A new request supersedes one still running (a slow beam search): the old one is aborted, never shown.
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    running?.abort();
    const controller = (running = new AbortController());
    const { signal } = controller;
    const data = new FormData(form);
    const onlyText = String(data.get('only') ?? '').trim();
    const only = onlyText ? titlesContaining(onlyText) : undefined;
    const request = { history: [...history], k: Number(data.get('k')), m: Number(data.get('m')), voteM: Number(data.get('voteM')), excludeHistory: data.get('excludeHistory') === 'on', ...(only ? { only } : {}) };
    const compareBeam = data.get('compareBeam') === 'on';
    const compareCoOccurrence = data.get('compareCoOccurrence') === 'on';
    const shown = sample; // the sample this request's history is, if any
    /**
     * L2D-L's list, L2D-G's and L2D-V's (recommend()'s default) from one forward pass (recommend()'s `also`), with K =
     * `k`; each with its own cost as a request of its own (the shared encode, then its decode), and the call's whole time.
     */
    const allLists = async (k: number): Promise<{ lists: [RecommendResult, RecommendResult, RecommendResult]; totalMs: number }> => {
      const all = await recommender!.recommend({ ...request, k, strategy: 'local', also: [{ k, strategy: 'global' }, { k, strategy: 'vote', m: request.voteM }], signal });
      const [global, vote] = all.also!;
      const decodes = all.timings.decode + global.timings.decode + vote.timings.decode;
      const own = (decode: number) => all.timings.total - decodes + decode;
      const asRequest = (list: typeof global): RecommendResult => ({ ...all, items: list.items, timings: { tokenize: all.timings.tokenize, forward: all.timings.forward, ...list.timings, total: own(list.timings.decode) } });
      return {
        lists: [{ ...all, timings: { ...all.timings, total: own(all.timings.decode) } }, asRequest(global), asRequest(vote)],
        totalMs: all.timings.total,
      };
    };
    /**
     * Where each list ranks the sample's target: its rank in the list, else its rank over the whole catalog: L2D's
     * asked for once more (every strategy from one forward pass) with K = every item, item co-occurrence's already
     * counted; beam search ranks only what it generated.
     */
    const placesOf = async (target: number, lists: RankedList[]): Promise<string[]> => {
      const all = Math.min(titles.length, MAX_SELECTION);
      const missing = lists.some(([, items, whole]) => typeof whole === 'string' && !items.includes(target));
      const excluded = request.excludeHistory && request.history.includes(target);
      const leftOut = only !== undefined && !only.includes(target);
      const full = missing && !excluded && !leftOut ? (await allLists(all)).lists.map((r) => r.items.map((x) => x.id)) : undefined;
      return lists.map(([name, items, whole]) => {
        const rank = items.indexOf(target);
        if (rank >= 0) return `${name}: rank ${rank + 1}`;
        const top = `not in its top ${items.length}`;
        if (!whole) return `${name}: ${top}`;
        if (excluded) return `${name}: ${top} (excluded: it is in the history)`;
        if (leftOut) return `${name}: ${top} (left out: its title does not contain "${onlyText}")`;
        const ranked = whole === 'L2D-L' ? full![0] : whole === 'L2D-G' ? full![1] : whole === 'L2D-V' ? full![2] : whole;
        const place = ranked.indexOf(target);
        if (place >= 0) return `${name}: rank ${place + 1} of ${ranked.length} (${top})`;
        if (ranked.length === all && all < titles.length) return `${name}: beyond rank ${all}`;
        return `${name}: not ranked at all (the item has no row in this memory${coldStart.checked ? '' : '; the cold-start rule would give it one'})`;
      });
    };
    (async () => {
      if (!recommender) throw new Error('The model is not loaded.');
      if (only?.length === 0) {
        // recommend() refuses an empty only (no item could be listed): said here in the researcher's terms.
        for (const list of ['model-local', 'model-global', 'model-vote', 'model-chart']) $(list).replaceChildren();
        renderGenerated(undefined, undefined);
        renderCoOccurrence(undefined, undefined);
        if (shown === sample) showTarget();
        $('model-timings').textContent = `No title contains "${onlyText}": no item may be recommended. Change or clear "only titles containing".`;
        return;
      }
      const {
        lists: [l, g, v],
        totalMs,
      } = await allLists(request.k);
      const beam = compareBeam ? await recommender.generate({ history: request.history, k: request.k, numBeams: 5, excludeHistory: request.excludeHistory, ...(only ? { only } : {}), signal }) : undefined;
      const coOccurrence = compareCoOccurrence ? await coOccurrenceFor(request) : undefined;
      if (signal.aborted) return;
      renderList($('model-local'), l, shown?.target, request.history);
      renderList($('model-global'), g, shown?.target, request.history);
      renderList($('model-vote'), v, shown?.target, request.history);
      renderGenerated(beam, shown?.target);
      renderCoOccurrence(coOccurrence, shown?.target);
      if (shown) {
        const ids = (items: readonly { id: number }[]) => items.map((x) => x.id);
        const places = await placesOf(shown.target, [
          ['L2D-V', ids(v.items), 'L2D-V'],
          ['L2D-L', ids(l.items), 'L2D-L'],
          ['L2D-G', ids(g.items), 'L2D-G'],
          ...(beam ? [['beam-5', ids(beam.items), undefined] satisfies RankedList] : []),
          ...(coOccurrence && !('problem' in coOccurrence) ? [['item co-occurrence', coOccurrence.items, coOccurrence.ranking] satisfies RankedList] : []),
        ]);
        if (shown === sample) showTarget(places);
      }
      const t = (r: RecommendResult) => `tokenize ${r.timings.tokenize.toFixed(1)} ms, forward ${r.timings.forward.toFixed(1)} ms, decode ${r.timings.decode.toFixed(1)} ms, total ${r.timings.total.toFixed(1)} ms`;
      const setup = beam && beam.timings.setup > 1 ? `; its first call also loaded the generation graph, ${beam.timings.setup.toFixed(0)} ms` : '';
      const beamText = beam ? ` Beam search (B = 5): ${beam.timings.total.toFixed(1)} ms (${(beam.timings.total / v.timings.total).toFixed(1)}x L2D-V${setup}).` : '';
      // The model reads the newest titles of its training window (prompt-template.json's maxHistory) within its context.
      const dropped = l.droppedOldest > 0 ? ` The ${l.droppedOldest} oldest of the history's ${request.history.length} items were left out: the model reads the newest ${request.history.length - l.droppedOldest}, as it was trained.` : '';
      const onlyNote = only ? ` Only the ${only.length} items whose title contains "${onlyText}" could be listed.` : '';
      $('model-timings').textContent = `L2D-V: ${t(v)}. L2D-L: ${t(l)}. L2D-G: ${t(g)}. The three lists came from one forward pass: ${totalMs.toFixed(1)} ms in all.${beamText} Encoder ${l.backend.encoder}; decoder ${l.backend.decoder}.${dropped}${onlyNote}`;
      renderStages(
        [
          [`L2D-V (M=${request.voteM})`, v],
          [`L2D-L (M=${request.m})`, l],
          ['L2D-G', g],
        ],
        beam,
      );
      status.classList.remove('error');
    })().catch((error: Error) => {
      if (!signal.aborted) fail(error);
    });
  });

  async function load(next: DemoDataset): Promise<void> {
    // Another data set is another catalog: its history and test split start afresh. The same one loaded again
    // (with or without the cold-start rule) keeps them, and its lists are asked for again.
    const again = next === dataset && recommender !== undefined;
    running?.abort();
    evaluation.stop();
    dataset = next;
    ready(false);
    if (!again) {
      testSplit.forget();
      trainSplit.forget();
      editHistory(() => (history.length = 0));
      sampleCount.value = '';
    }
    setStatus(status, `Loading ${next.model}…`);
    // The memory loads beside the model (LoadStatus.stageMs): the status names both while both run.
    const latest: Partial<Record<LoadProgress['stage'], LoadProgress>> = {};
    const options = {
      model: absolute(next.model),
      memory: absolute(next.memory),
      coldStart: coldStart.checked ? ('similar-titles' as const) : ('none' as const),
      // Another tab's choices (or an earlier model's, encoded again behind the load) taken in.
      onInteractionsChange: showUpdates,
      onProgress: (p: LoadProgress) => {
        latest[p.stage] = p;
        const { model, memory, decoder } = latest;
        const loading = [
          ...(model && model.loaded < model.total ? ['the model'] : []),
          ...(memory && !decoder ? [`the memory (${(memory.loaded / 2 ** 20).toFixed(1)} / ${(memory.total / 2 ** 20).toFixed(1)} MB${memory.fromStore ? ', from this device' : ''})`] : []),
          ...(decoder ? ['the decoder'] : []),
        ];
        // The bar follows the bytes while there are bytes to follow.
        const bar = memory && !decoder ? memory : p;
        progress.max = bar.total;
        progress.value = bar.loaded;
        status.textContent = `Loading ${loading.join(' and ') || p.stage}…`;
      },
    };
    try {
      const loaded: LoadStatus = recommender ? await recommender.load(options) : (recommender = await createRecommender(options)).status();
      titles = await recommender.catalog();
      setStatus(
        status,
        `Ready: ${loaded.items} items, memory of ${loaded.rows} rows (d = ${loaded.hiddenSize}, ${loaded.rowDtype}) from ${loaded.memorySource ?? 'the network'}${
          loaded.coldStartItems !== undefined ? `, cold-start rule: ${loaded.coldStartItems} items without rows given centroids` : ''
        }; encoder ${loaded.encoder.device} (${loaded.encoder.dtype}, ${loaded.encoder.graph} graph${threadsText(loaded.encoder.wasmThreads)}${loaded.encoder.maxHistory ? `, reads the newest ${loaded.encoder.maxHistory} titles of a history` : ''}), decoder ${loaded.decoder?.decoder ?? 'none'}${loaded.hiddenOnGpu ? ' (h_t stays on the GPU)' : ''}; loaded in ${(loaded.loadMs / 1000).toFixed(1)} s.${
          loaded.encoder.fallbackReason ? ` (Encoder: ${loaded.encoder.fallbackReason}.)` : ''
        }${loaded.storageUnavailable ? ` (Storage: ${loaded.storageUnavailable}.)` : ''}${
          loaded.memoryThread && loaded.memoryThread !== 'memory worker' ? ` (Memory: loaded on the ${loaded.memoryThread.replace(': ', "'s thread: ")}.)` : ''
        }${loaded.encoder.wasmThreads === 1 && !crossOriginIsolated && import.meta.env.PROD ? ' One wasm thread: this host sends no cross-origin isolation headers; the page\'s service worker adds them from the next visit on.' : ''}`,
      );
      if (loaded.decoder) $('decoder').textContent = decoderLabel(loaded.decoder);
      showUpdates(loaded.overlay);
      progress.value = progress.max;
      ready(true);
      panel.onLoaded?.();
      void offerSamples(next);
      if (again && history.length > 0) form.requestSubmit();
    } catch (error) {
      const e = error as Error;
      const hint = next.buildCommand && /HTTP 404|could not be fetched|HTML page/.test(e.message) ? ` This memory is not built here; build it with: ${next.buildCommand}` : '';
      fail(Object.assign(new Error(`${e.message}${hint}`), { name: e.name }));
    }
  }

  /** Enables the test-user picker once the data set's test split is here (it says so where it is not). */
  async function offerSamples(forDataset: DemoDataset): Promise<void> {
    try {
      const samples = await testSamples();
      if (dataset !== forDataset) return;
      sampleInput.max = String(samples.length);
      sampleCount.value = `of ${samples.length}`;
      for (const button of sampleForm.querySelectorAll('button')) button.disabled = false;
    } catch (error) {
      if (dataset === forDataset) sampleCount.value = `(no test split: ${(error as Error).message})`;
    }
  }

  /** The history becomes a test sample's (`pick` chooses its 0-based index), and the lists are asked for at once. */
  async function useSample(pick: (count: number) => number): Promise<void> {
    const problem = (text: string) => {
      sampleTarget.hidden = false;
      sampleTarget.textContent = text;
    };
    try {
      const samples = await testSamples();
      const index = pick(samples.length);
      const picked = Number.isInteger(index) ? samples[index] : undefined;
      if (!picked) return problem(`There is no test sample ${sampleInput.value}: this test split has samples 1 to ${samples.length}.`);
      sampleInput.value = String(index + 1);
      editHistory(() => history.splice(0, history.length, ...picked.history));
      sample = { index, count: samples.length, user: picked.user, target: picked.target };
      showTarget();
      form.requestSubmit();
    } catch (error) {
      problem(`${(error as Error).name}: ${(error as Error).message}`);
    }
  }

  sampleForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void useSample(() => Number(sampleInput.value) - 1);
  });
  $('sample-random').addEventListener('click', () => void useSample((count) => Math.floor(Math.random() * count)));

  // A model named in the page's address comes first; a wrongly named one is said, and the shipped ones load.
  let fromAddress: DemoDataset | undefined;
  let addressProblem: Error | undefined;
  try {
    fromAddress = datasetFromAddress(location.search);
  } catch (error) {
    addressProblem = error as Error;
  }
  const choices = fromAddress ? [fromAddress, ...DATASETS] : DATASETS;
  select.replaceChildren(
    ...choices.map((d) => {
      const option = document.createElement('option');
      option.value = d.id;
      option.textContent = d.label;
      return option;
    }),
  );
  select.addEventListener('change', () => void load(choices.find((d) => d.id === select.value) ?? choices[0]));
  coldStart.addEventListener('change', () => void load(dataset));
  await load(choices[0]);
  if (addressProblem) fail(Object.assign(new Error(`${addressProblem.message} The shipped data sets are loaded instead.`), { name: addressProblem.name }));
}
