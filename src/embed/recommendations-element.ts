/**
 * <l2d-recommendations>: renders a recommendation list for a history.
 *
 * Attributes: k (default 5), strategy ("local" | "global" | "vote"), m (L2D-L's and L2D-V's M),
 * history (comma-separated ids, or a JSON array of them, in the page's kind (src/embed/page-ids.ts); without it,
 * the embed's on-device history), exclude-history (leave the history's own items out), exclude (ids never to show:
 * sold-out products, the product on the page), only (the only ids it may show: a category's products; a list is
 * shorter than k, or empty, when fewer of them remain; ids the catalog lacks are skipped in both), loading
 * ("eager", the default, or "lazy": as <img loading="lazy">, nothing is
 * loaded or computed until the element is within a viewport's height of
 * being seen, so a widget below the fold costs a shopper who never scrolls
 * there no download), item-href (a URL template, "/item/{id}": the items
 * become links, {id} and {title} filled in and URL-encoded).
 * Property: history (the page's ids), taking precedence over the attribute. With data-ids="source", a history of
 * none but products the catalog lacks (new since the memory was built) shows empty-text, as no history does.
 * Events: "l2d-select" (detail { id, sourceId, title, rank }, id in the page's kind; cancelable: with item-href,
 * canceling it keeps the page from following the link) when an item is chosen,
 * "l2d-render" (detail { items }) after each list, "l2d-error" (detail { name, message }).
 * Texts: loading-text, empty-text (no history yet) and error-text (shown
 * instead of "Recommendations are unavailable: <what went wrong>"; the details
 * stay in the l2d-error event), for a store in another language.
 * Titles are set as text, never as HTML. Style it through ::part(list),
 * ::part(item), ::part(button) or ::part(link) (an item's title), ::part(message).
 */
import { InvalidArgumentError } from '../core/errors.ts';
import type { Strategy } from '../core/decode-options.ts';
import type { RecommendedItem } from '../worker-protocol.ts';
import { parseCount, parseStrategy } from '../core/setting-text.ts';
import type { WidgetRequest } from './shared-forward-pass.ts';
import { parsePageIds, type PageId, type PageIdKind, type PageIds } from './page-ids.ts';

/** `l2d-select`'s detail: the chosen item, `id` in the page's ids (data-ids), `rank` from 0. */
export interface L2DSelectDetail {
  id: PageId;
  sourceId: string;
  title: string;
  rank: number;
}
/** `l2d-render`'s detail: the list shown, as recommend() returns it (`id` the catalog's, `sourceId` the store's key). */
export interface L2DRenderDetail {
  items: RecommendedItem[];
}
/** `l2d-error`'s detail: the error the widget shows a message for. */
export interface L2DErrorDetail {
  name: string;
  message: string;
}
/** What a page may use of an <l2d-recommendations> element beyond its attributes. */
export interface L2DRecommendationsElement extends HTMLElement {
  /** The history to recommend for (the page's ids); without one set, the attribute's, else the on-device history. */
  history: PageId[];
  /** Runs recommend() again; a refresh still under way is aborted and resolves to []. */
  refresh(): Promise<RecommendedItem[]>;
}

export interface ElementHost {
  /** The element's list (several widgets' lists for one history may share a forward pass: shared-forward-pass.ts). */
  recommend(request: WidgetRequest): Promise<RecommendedItem[]>;
  /** The translation between the page's ids and the catalog's (data-ids). */
  pageIds(): Promise<PageIds>;
  /** The embed's on-device history (oldest first), in the page's ids. */
  localHistory(): PageId[];
  defaults: { k: number; strategy: Strategy; m?: number; ids: PageIdKind };
}

const DEFAULT_TEXTS = {
  'loading-text': 'Loading recommendations…',
  'empty-text': 'Browse a few items to see recommendations here.',
  'error-text': 'Recommendations are unavailable',
};

const STYLE = `
:host { display: block; font: inherit; }
ol { list-style: none; margin: 0; padding: 0; display: grid; gap: .25rem; }
button, a { all: unset; cursor: pointer; display: block; padding: .25rem .5rem; border-radius: .25rem; }
button:hover, button:focus-visible, a:hover, a:focus-visible { background: rgba(127,127,127,.15); outline: 2px solid transparent; }
.message { opacity: .8; }
.message.error { color: #b00020; opacity: 1; }
`;

let shared: CSSStyleSheet | undefined;
function sheet(): CSSStyleSheet {
  if (!shared) {
    shared = new CSSStyleSheet();
    shared.replaceSync(STYLE);
  }
  return shared;
}

export function defineRecommendationsElement(host: ElementHost, name = 'l2d-recommendations'): void {
  if (customElements.get(name)) return;
  class RecommendationsElement extends HTMLElement implements L2DRecommendationsElement {
    static observedAttributes = ['k', 'strategy', 'm', 'history', 'exclude-history', 'exclude', 'only', 'loading', 'item-href'];
    private historyValue: PageId[] | undefined;
    private readonly root: ShadowRoot;
    /** The refresh under way: a newer one (or leaving the page) aborts it, so a stale request still queued never runs. */
    private pending: AbortController | undefined;
    /** loading="lazy": watches for the element nearing the viewport; the refresh waiting for it resolves through `deferred`. */
    private observer: IntersectionObserver | undefined;
    private deferred: ((items: RecommendedItem[]) => void) | undefined;
    private nearViewport = false;

    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      // A constructed stylesheet: a storefront's CSP need not allow inline <style>.
      this.root.adoptedStyleSheets = [sheet()];
      this.root.append(this.message(DEFAULT_TEXTS['loading-text']));
    }

    /** A text the page may set in its own language (loading-text, empty-text, error-text), else ours. */
    private text(name: keyof typeof DEFAULT_TEXTS): string {
      return this.getAttribute(name) ?? DEFAULT_TEXTS[name];
    }

    /** The history to recommend for; set it from the page's JavaScript. */
    get history(): PageId[] {
      const attribute = this.getAttribute('history');
      return this.historyValue ?? (attribute === null ? undefined : parsePageIds(host.defaults.ids, attribute)) ?? host.localHistory();
    }
    set history(ids: PageId[]) {
      this.historyValue = [...ids];
      void this.refresh();
    }

    /** Whether the list follows the embed's on-device history (no history attribute or property of its own). */
    get followsDeviceHistory(): boolean {
      return this.historyValue === undefined && !this.hasAttribute('history');
    }

    connectedCallback(): void {
      // Until a first list shows, the page's own loading text (attributes are not there in the constructor).
      if (!this.root.querySelector('ol')) this.show(this.message(this.text('loading-text')), true);
      void this.refresh();
    }

    disconnectedCallback(): void {
      this.pending?.abort();
      this.stopWatching();
    }

    attributeChangedCallback(): void {
      if (this.isConnected) void this.refresh();
    }

    /**
     * Runs recommend() again (e.g. after the history changed); a refresh still under way is aborted and resolves to [].
     * With loading="lazy", before the element first nears the viewport, it waits for that.
     */
    async refresh(): Promise<RecommendedItem[]> {
      this.pending?.abort();
      this.takeDeferred()?.([]);
      const controller = (this.pending = new AbortController());
      let history: PageId[];
      let exclude: PageId[];
      let only: PageId[] | undefined;
      try {
        history = this.history;
        exclude = this.idsAttribute('exclude') ?? [];
        only = this.idsAttribute('only');
      } catch (error) {
        this.showError(error as Error); // a malformed history, exclude or only attribute
        return [];
      }
      if (history.length === 0) {
        this.show(this.message(this.text('empty-text')));
        return [];
      }
      const loading = this.getAttribute('loading') ?? 'eager';
      if (loading !== 'eager' && loading !== 'lazy') {
        this.showError(new InvalidArgumentError(`The loading attribute must be "eager" or "lazy", got "${loading}".`));
        return [];
      }
      if (loading === 'lazy' && !this.nearViewport) return this.whenNearViewport();
      const hrefTemplate = this.getAttribute('item-href');
      try {
        if (hrefTemplate !== null) checkHrefTemplate(hrefTemplate);
        const ids = await host.pageIds();
        const catalogHistory = ids.toCatalog(history);
        if (catalogHistory.length === 0) {
          // Only products the memory does not know yet (new since it was built): for the shopper as with no history
          // yet; the ids go to the developer's console.
          const shown = history.slice(0, 5).map((id) => JSON.stringify(String(id))).join(', ');
          console.warn(`l2d: none of the history's items (${shown}${history.length > 5 ? ', …' : ''}) is in the memory's catalog (items.tsv's source_id), so the widget shows its empty-text.`);
          this.show(this.message(this.text('empty-text')));
          return [];
        }
        const strategy = parseStrategy(this.getAttribute('strategy'), 'The strategy attribute') ?? host.defaults.strategy;
        const k = parseCount(this.getAttribute('k'), 'The k attribute') ?? host.defaults.k;
        const m = parseCount(this.getAttribute('m'), 'The m attribute') ?? host.defaults.m;
        const allowed = only && ids.known(only);
        this.setAttribute('aria-busy', 'true'); // a shown list stays until the new one replaces it
        const items =
          allowed?.length === 0
            ? [] // none of the only ids is in the catalog: nothing it may show
            : await host.recommend({
                history: catalogHistory,
                k,
                strategy,
                ...(m !== undefined ? { m } : {}),
                excludeHistory: this.hasAttribute('exclude-history'),
                exclude: ids.known(exclude),
                ...(allowed ? { only: allowed } : {}),
                signal: controller.signal,
              });
        if (controller.signal.aborted) return items; // a newer refresh is under way, or the element left the page
        this.show(this.list(items, hrefTemplate, ids));
        this.dispatchEvent(new CustomEvent<L2DRenderDetail>('l2d-render', { detail: { items }, bubbles: true, composed: true }));
        return items;
      } catch (error) {
        // Aborted: superseded by a newer refresh (or removed), which shows its own list.
        if (!controller.signal.aborted) this.showError(error as Error);
        return [];
      }
    }

    /** An id list attribute (exclude, only) in the page's kind, or undefined where the element has none. */
    private idsAttribute(name: 'exclude' | 'only'): PageId[] | undefined {
      const text = this.getAttribute(name);
      return text === null ? undefined : parsePageIds(host.defaults.ids, text, name);
    }

    /** A refresh that waits for the element to come within a viewport's height of the visible area. */
    private whenNearViewport(): Promise<RecommendedItem[]> {
      this.observer ??= new IntersectionObserver(
        (entries) => {
          if (!entries.some((entry) => entry.isIntersecting)) return;
          this.nearViewport = true;
          const resolve = this.takeDeferred(); // handed to the refresh below, not resolved empty
          this.stopWatching();
          void this.refresh().then((items) => resolve?.(items));
        },
        // A viewport ahead: the list is usually ready by the time the shopper scrolls to it.
        { rootMargin: '100% 0px' },
      );
      this.observer.observe(this);
      return new Promise((resolve) => (this.deferred = resolve));
    }

    private stopWatching(): void {
      this.observer?.disconnect();
      this.observer = undefined;
      this.takeDeferred()?.([]);
    }

    /** The resolver of the refresh waiting for the viewport, if any, which no longer waits. */
    private takeDeferred(): ((items: RecommendedItem[]) => void) | undefined {
      const resolve = this.deferred;
      this.deferred = undefined;
      return resolve;
    }

    private showError(e: Error): void {
      const own = this.getAttribute('error-text');
      this.show(this.message(own ?? `${DEFAULT_TEXTS['error-text']}: ${e.message}`, true));
      this.dispatchEvent(new CustomEvent<L2DErrorDetail>('l2d-error', { detail: { name: e.name, message: e.message }, bubbles: true, composed: true }));
    }

    /** The items as buttons, or as links where the page gave an item-href template. */
    private list(items: RecommendedItem[], hrefTemplate: string | null, ids: PageIds): HTMLElement {
      const ol = document.createElement('ol');
      ol.setAttribute('part', 'list');
      items.forEach((item, rank) => {
        const li = document.createElement('li');
        li.setAttribute('part', 'item');
        const id = ids.toPage(item.id);
        li.dataset.id = String(id);
        let choice: HTMLAnchorElement | HTMLButtonElement;
        if (hrefTemplate === null) {
          choice = document.createElement('button');
          choice.type = 'button';
        } else {
          choice = document.createElement('a');
          choice.href = fillHrefTemplate(hrefTemplate, { id, title: item.title });
        }
        choice.setAttribute('part', hrefTemplate === null ? 'button' : 'link');
        choice.textContent = item.title;
        choice.addEventListener('click', (event) => {
          const select = new CustomEvent<L2DSelectDetail>('l2d-select', { detail: { id, sourceId: item.sourceId, title: item.title, rank }, bubbles: true, composed: true, cancelable: true });
          if (!this.dispatchEvent(select)) event.preventDefault();
        });
        li.append(choice);
        ol.append(li);
      });
      return ol;
    }

    private message(text: string, isError = false): HTMLElement {
      const p = document.createElement('p');
      p.className = isError ? 'message error' : 'message';
      p.setAttribute('part', 'message');
      if (isError) p.setAttribute('role', 'alert');
      p.textContent = text;
      return p;
    }

    /** Shows a list or a message; `busy` while a list is on its way (aria-busy: assistive technology waits for it). */
    private show(content: HTMLElement, busy = false): void {
      this.root.querySelector('ol, p')?.remove();
      this.root.append(content);
      if (busy) this.setAttribute('aria-busy', 'true');
      else this.removeAttribute('aria-busy');
    }
  }
  customElements.define(name, RecommendationsElement);
}

/** item-href with {id} (in the page's kind) and {title} filled in, each URL-encoded. */
function fillHrefTemplate(template: string, item: { id: PageId; title: string }): string {
  return template.replace(/\{(id|title)\}/g, (_, field: 'id' | 'title') => encodeURIComponent(String(item[field])));
}

/** An item-href must name an item and lead to a web page of the store (no javascript: or data: links). */
function checkHrefTemplate(template: string): void {
  if (!/\{(id|title)\}/.test(template)) throw new InvalidArgumentError(`item-href must hold {id} or {title}, got "${template}".`);
  let url: URL;
  try {
    url = new URL(fillHrefTemplate(template, { id: 0, title: 'title' }), document.baseURI);
  } catch {
    throw new InvalidArgumentError(`item-href is not a URL template, got "${template}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError(`item-href must be an http(s) or relative URL, got "${template}".`);
}
