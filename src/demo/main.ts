/**
 * The researchers' demo page: the model panel (src/demo/model-panel.ts: the
 * shipped models, a history, L2D-L and L2D-G, evaluation beside the baselines) and, below it, the
 * decode engine alone on a generated memory (WebGPU, else the CPU), L2D-V, L2D-L
 * and L2D-G side by side with distances and the latency of each stage next to
 * the CPU reference.
 */
import { DecodeEngine, VERSION, type DecodedItem, type Strategy } from '../index.ts';
import { CpuDecoder } from '../core/cpu-decoder.ts';
import { generateSyntheticMemory, syntheticQuery } from '../core/synthetic-memory.ts';
import { defaultGpu, describeAdapter, adapterLabel } from '../gpu/index.ts';
import type { L2DMemory } from '../core/memory.ts';
import { decoderLabel, startModelPanel } from './model-panel.ts';
import { startStoredDataPanel } from './stored-data-panel.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
let engine: DecodeEngine | undefined;
let cpu: CpuDecoder | undefined;
let memory: L2DMemory | undefined;

function setStatus(text: string, isError = false): void {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

// For a researcher's report: which build this page is.
$('version').textContent = `l2d-recommender ${VERSION}`;

async function showAdapter(): Promise<void> {
  const gpu = defaultGpu();
  const adapter = gpu ? await gpu.requestAdapter() : null;
  $('adapter').textContent = adapter
    ? `${adapterLabel(describeAdapter(adapter))}; shader-f16: ${adapter.features.has('shader-f16') ? 'yes' : 'no'}; max binding ${(adapter.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`
    : 'none (WebGPU unavailable: the CPU decoder is used)';
}

function renderList(list: HTMLOListElement, items: DecodedItem[]): void {
  list.replaceChildren(
    ...items.map((x) => {
      const li = document.createElement('li');
      li.textContent = `item ${x.item}`;
      const d = document.createElement('span');
      d.className = 'distance';
      const fillUp = x.source === 'global' && list.id !== 'global-list';
      d.textContent = `d = ${x.distance.toFixed(4)}${x.source === 'vote' ? `, vote ${x.score.toFixed(2)}` : ''}${fillUp ? ' (global fill-up)' : ''}`;
      li.append(d);
      if (fillUp) li.className = 'global-fill';
      return li;
    }),
  );
}

const sameRanking = (a: DecodedItem[], b: DecodedItem[]) => a.length === b.length && a.every((x, i) => x.item === b[i].item);

function latencyRow(name: string, total: number, t: { scan?: number; select?: number; aggregate?: number }, cpuMs: number, same: boolean): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const cells = [name, total, t.scan, t.select, t.aggregate, cpuMs].map((v) => (typeof v === 'number' ? v.toFixed(2) : (v ?? '—')));
  cells.push(same ? 'yes' : 'NO');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = String(c);
    tr.append(td);
  }
  return tr;
}

function latencyBar(name: string, total: number, t: { scan?: number; select?: number; aggregate?: number }): HTMLDivElement {
  const row = document.createElement('div');
  const label = document.createElement('span');
  label.textContent = `${name} `;
  row.append(label);
  const scale = 300 / Math.max(total, 1e-3);
  const known = (t.scan ?? 0) + (t.select ?? 0) + (t.aggregate ?? 0);
  for (const [cls, ms] of [['scan', t.scan], ['select', t.select], ['aggregate', t.aggregate], ['other', Math.max(0, total - known)]] as const) {
    if (!ms) continue;
    const bar = document.createElement('span');
    bar.className = `bar ${cls}`;
    bar.style.width = `${Math.max(1, ms * scale)}px`;
    bar.title = `${cls}: ${ms.toFixed(2)} ms`;
    row.append(bar);
  }
  return row;
}

async function buildMemory(form: HTMLFormElement): Promise<void> {
  const data = new FormData(form);
  const rows = Number(data.get('rows'));
  const dim = Number(data.get('dim'));
  const items = Number(data.get('items'));
  const device = String(data.get('device')) as 'auto' | 'webgpu' | 'cpu';
  setStatus(`Generating ${rows} x ${dim} memory…`);
  engine?.dispose();
  memory = generateSyntheticMemory({ rows, dim, items, seed: 42 });
  cpu = new CpuDecoder(memory);
  const t0 = performance.now();
  engine = await DecodeEngine.create(memory, { device });
  const b = engine.backend;
  $('engine-decoder').textContent = decoderLabel(b); // its own row: the model's decoder has the other
  setStatus(`Memory ready: ${rows} rows, d = ${dim}, ${items} items; decoder set up in ${(performance.now() - t0).toFixed(0)} ms.`);
}

async function recommend(form: HTMLFormElement): Promise<void> {
  if (!engine || !memory || !cpu) throw new Error('Build a memory first.');
  const data = new FormData(form);
  const k = Number(data.get('k'));
  const query = syntheticQuery(memory, Number(data.get('seed')));
  const tbody = $('latency-rows');
  const chart = $('latency-chart');
  tbody.replaceChildren();
  chart.replaceChildren();
  const strategies: { strategy: Strategy; m?: number; name: string }[] = [
    { strategy: 'vote', m: Number(data.get('voteM')), name: 'L2D-V' },
    { strategy: 'local', m: Number(data.get('m')), name: 'L2D-L' },
    { strategy: 'global', name: 'L2D-G' },
  ];
  for (const { strategy, m, name: method } of strategies) {
    const name = m === undefined ? method : `${method} (M=${m})`;
    const options = { k, strategy, m };
    const t0 = performance.now();
    const items = await engine.decode(query, options);
    const total = performance.now() - t0;
    const gpuTimes = engine.backend.decoder === 'webgpu' ? engine.lastTimings : {};
    const c0 = performance.now();
    const reference = cpu.decode(query, options);
    const cpuMs = performance.now() - c0;
    renderList($(`${strategy}-list`), items);
    tbody.append(latencyRow(name, total, gpuTimes, cpuMs, sameRanking(items, reference)));
    chart.append(latencyBar(name, total, gpuTimes));
  }
  setStatus(`Recommended K = ${k} for query seed ${String(data.get('seed'))}.`);
}

function guard(action: (form: HTMLFormElement) => Promise<void>) {
  return (event: Event) => {
    event.preventDefault();
    action(event.target as HTMLFormElement).catch((error: Error) => setStatus(`${error.name}: ${error.message}`, true));
  };
}

const requestForm = $<HTMLFormElement>('request-form');
for (const name of ['k', 'm', 'voteM'] as const) {
  const input = requestForm.elements.namedItem(name) as HTMLInputElement;
  const out = requestForm.elements.namedItem(`${name}Out`) as HTMLOutputElement;
  input.addEventListener('input', () => (out.value = input.value));
}

/** Set for this tab's session once the first visit reloaded itself: never a second time, whatever happens. */
const ISOLATION_RELOAD_KEY = 'l2d-demo-isolation-reload';

/**
 * The built demo's service worker: offline after the first visit, and cross-origin isolation on static hosts
 * that send no COOP/COEP headers (it adds them to the pages it controls). A first visit is not yet controlled:
 * it waits while the worker installs the app and takes the page, then reloads once, before anything has
 * started. The reloaded page is isolated (wasm runs multi-threaded from the first visit) and gets the app's files
 * from the worker's cache instead of fetching them a second time; onnxruntime's wasm (one of two builds, not
 * precached) goes through the worker once, which stores it.
 * Resolves true when the page is about to reload.
 */
async function registerServiceWorker(): Promise<boolean> {
  // Not in the dev server: its modules change under a cache.
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return false;
  const registering = navigator.serviceWorker.register('./sw.js');
  const firstVisit = !crossOriginIsolated && navigator.serviceWorker.controller === null && sessionStorage.getItem(ISOLATION_RELOAD_KEY) === null;
  if (!firstVisit) {
    registering.catch(() => undefined); // no worker: online only, single-threaded wasm
    return false;
  }
  $('model-status').textContent = 'First visit: storing the demo for offline use (once), then it reloads…';
  const controlled = await new Promise<boolean>((resolve) => {
    navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), { once: true });
    registering.then(
      (registration) => {
        const installing = registration.installing ?? registration.waiting;
        // Already active but not in control (a hard reload bypasses it): it takes pages on activation only.
        if (!installing) return resolve(false);
        installing.addEventListener('statechange', () => installing.state === 'redundant' && resolve(false));
      },
      () => resolve(false),
    );
  });
  if (!controlled) return false;
  sessionStorage.setItem(ISOLATION_RELOAD_KEY, String(Date.now()));
  location.reload();
  return true;
}

// Nothing starts on a page about to reload.
if (!(await registerServiceWorker())) {
  $('memory-form').addEventListener('submit', guard(buildMemory));
  requestForm.addEventListener('submit', guard(recommend));
  await showAdapter();
  document.body.dataset.ready = 'true';
  const stored = startStoredDataPanel();
  void startModelPanel({ onLoaded: () => void stored.refresh(), onStoredChange: () => void stored.refresh() });
}
