/**
 * The demo's model panel: loads models/movielens-demo and its memory in the
 * recommender worker, lets a researcher build a history from the catalog,
 * and shows L2D-G and L2D-L side by side with distances and stage timings.
 * Titles are always set as text, never as HTML.
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../comlink-errors.ts';
import { parseItems } from '../core/data/prepared-format.ts';
import type { LoadProgress, RecommendResult, WorkerApi } from '../worker-protocol.ts';

installErrorTransfer();

// Relative to the page (index.html at the project root). Not `new URL(..., import.meta.url)`:
// Vite rewrites that pattern as an asset reference and dropped the folder's last segment.
const MODEL_URL = new URL('models/movielens-demo', document.baseURI).href;
const MEMORY_URL = `${MODEL_URL}/memory/train-q4-f0.3`;
const WASM_PATHS = new URL('node_modules/onnxruntime-web/dist/', document.baseURI).href;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export async function startModelPanel(): Promise<void> {
  const status = $('model-status');
  const progress = $<HTMLProgressElement>('model-progress');
  const search = $<HTMLInputElement>('catalog-search');
  const matches = $<HTMLUListElement>('catalog-matches');
  const historyList = $<HTMLOListElement>('history');
  const form = $<HTMLFormElement>('model-form');
  const history: number[] = [];
  let titles: string[] = [];

  const worker = Comlink.wrap<WorkerApi>(new Worker(new URL('../../workers/l2d.worker.ts', import.meta.url), { type: 'module' }));
  const fail = (error: Error) => {
    status.textContent = `${error.name}: ${error.message}`;
    status.classList.add('error');
  };

  const renderHistory = () => {
    historyList.replaceChildren(
      ...history.map((id, i) => {
        const li = document.createElement('li');
        li.textContent = titles[id];
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.textContent = 'remove';
        remove.addEventListener('click', () => {
          history.splice(i, 1);
          renderHistory();
        });
        li.append(remove);
        return li;
      }),
    );
    (form.querySelector('button') as HTMLButtonElement).disabled = history.length === 0;
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
        add.addEventListener('click', () => {
          history.push(id);
          renderHistory();
        });
        li.append(add);
        return li;
      }),
    );
  });

  for (const name of ['k', 'm'] as const) {
    const input = form.elements.namedItem(name) as HTMLInputElement;
    const out = form.elements.namedItem(`${name}Out`) as HTMLOutputElement;
    input.addEventListener('input', () => (out.value = input.value));
  }

  const renderList = (list: HTMLOListElement, result: RecommendResult) =>
    list.replaceChildren(
      ...result.items.map((x) => {
        const li = document.createElement('li');
        li.textContent = x.title;
        const d = document.createElement('span');
        d.className = 'distance';
        d.textContent = `d = ${x.distance.toFixed(3)}${x.source === 'global' && list.id === 'model-local' ? ' (global fill-up)' : ''}`;
        li.append(d);
        return li;
      }),
    );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const request = { history: [...history], k: Number(data.get('k')), m: Number(data.get('m')), excludeHistory: data.get('excludeHistory') === 'on' };
    (async () => {
      const g = await worker.recommend({ ...request, strategy: 'global' });
      const l = await worker.recommend({ ...request, strategy: 'local' });
      renderList($('model-global'), g);
      renderList($('model-local'), l);
      const t = (r: RecommendResult) => `tokenize ${r.timings.tokenize.toFixed(1)} ms, forward ${r.timings.forward.toFixed(1)} ms, decode ${r.timings.decode.toFixed(1)} ms, total ${r.timings.total.toFixed(1)} ms`;
      $('model-timings').textContent = `L2D-G: ${t(g)}. L2D-L: ${t(l)}. Encoder ${g.backend.encoder}; decoder ${g.backend.decoder}.`;
      status.classList.remove('error');
    })().catch(fail);
  });

  try {
    const loaded = await worker.load(
      { modelUrl: MODEL_URL, memoryUrl: MEMORY_URL, wasmPaths: WASM_PATHS },
      Comlink.proxy((p: LoadProgress) => {
        progress.max = p.total;
        progress.value = p.loaded;
        status.textContent = `Loading ${p.stage}…`;
      }),
    );
    const catalog = await (await fetch(`${MEMORY_URL}/items.tsv`)).text();
    titles = parseItems(catalog, `${MEMORY_URL}/items.tsv`).map((item) => item.title);
    status.textContent = `Ready: ${loaded.items} items, memory of ${loaded.rows} rows (d = ${loaded.hiddenSize}); encoder ${loaded.encoder.device} (${loaded.encoder.dtype}), decoder ${loaded.decoder?.decoder ?? 'none'}${loaded.hiddenOnGpu ? ' (h_t stays on the GPU)' : ''}; loaded in ${(loaded.loadMs / 1000).toFixed(1)} s.${
      loaded.encoder.fallbackReason ? ` (Encoder: ${loaded.encoder.fallbackReason}.)` : ''
    }`;
    progress.value = progress.max;
    search.disabled = false;
    document.body.dataset.modelReady = 'true';
  } catch (error) {
    fail(error as Error);
  }
}
