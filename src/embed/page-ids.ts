/**
 * Which item ids a storefront's page speaks to the embed (the script tag's data-ids):
 * - "catalog" (the default): the memory's own item ids, 0-based rows of its items.tsv;
 * - "source": the catalog's keys, items.tsv's source_id column (an ASIN, a MovieLens movieId): the ids a
 *   store's product pages already know, so L2D.track('view', 'B00004T77P') and item-href="/dp/{id}" need no
 *   mapping table of the store's own.
 * Everything the page gives or gets is in its ids (L2D.track, L2D.history(), the history attribute and property,
 * {id} in item-href, l2d-select's detail.id); the recommender itself works on catalog ids.
 */
import { InvalidArgumentError } from '../core/errors.ts';

export type PageIdKind = 'catalog' | 'source';
/** A catalog id (a number) or a catalog key (a string), as the page's data-ids says. */
export type PageId = number | string;

export function parsePageIdKind(value: string | undefined): PageIdKind {
  if (value === undefined || value === 'catalog') return 'catalog';
  if (value === 'source') return 'source';
  throw new InvalidArgumentError(`data-ids must be "catalog" (the memory's item ids) or "source" (items.tsv's source_id, the store's own ids), got "${value}".`);
}

/** An id already in its kind's own form: a non-negative integer catalog id, or a non-empty key string. */
export function isPageId(kind: PageIdKind, value: unknown): value is PageId {
  return kind === 'catalog' ? Number.isInteger(value) && (value as number) >= 0 : typeof value === 'string' && value !== '';
}

/**
 * An id the page gave, checked for its kind: catalog ids are non-negative integers; keys are non-empty strings
 * (an integer is taken as its decimal string, since many stores number their products).
 */
export function pageId(kind: PageIdKind, value: unknown): PageId {
  if (kind === 'catalog') {
    if (isPageId(kind, value)) return value;
    throw new InvalidArgumentError(`An item id is a non-negative integer (the catalog's id; data-ids="source" takes the store's own ids), got ${describe(value)}.`);
  }
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (Number.isInteger(value)) return String(value);
  throw new InvalidArgumentError(`An item id is the catalog's source_id (data-ids="source"): a non-empty string, got ${describe(value)}.`);
}

/**
 * An id list attribute's ids (history, exclude, only), in the page's kind: comma-separated (an empty entry is
 * skipped), or a JSON array (`history='["SKU,1","SKU,2"]'`) for keys that hold commas. A catalog id that is not a
 * whole number is an error naming it, not an unknown id to skip: it is a typo in the page, not an item the model never saw.
 */
export function parsePageIds(kind: PageIdKind, text: string, attribute = 'history'): PageId[] {
  if (text.trim().startsWith('[')) return parseJsonIds(kind, text, attribute);
  const parts = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (kind === 'source') return parts;
  return parts.map((part) => {
    if (!/^\d+$/.test(part)) throw new InvalidArgumentError(`${attribute}="${text}": "${part}" is not a catalog item id (a non-negative integer; data-ids="source" takes the store's own ids).`);
    return Number(part);
  });
}

function parseJsonIds(kind: PageIdKind, text: string, attribute: string): PageId[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`${attribute}='${text}': not a JSON array of ids (${(error as Error).message}).`);
  }
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${attribute}='${text}': not a JSON array of ids.`);
  return value.map((id, i) => {
    try {
      return pageId(kind, id);
    } catch (error) {
      throw new InvalidArgumentError(`${attribute}='${text}', entry ${i}: ${(error as Error).message}`);
    }
  });
}

/** Translates between the page's ids and the catalog's. */
export class PageIds {
  private readonly byKey: Map<string, number> | undefined;

  /**
   * `sourceIds`: the catalog's keys by catalog id (Recommender.sourceIds()); needed for kind "source", and for kind
   * "catalog" they tell the catalog's size, so that known() skips ids past it (without them it takes every id).
   */
  constructor(
    readonly kind: PageIdKind,
    private readonly sourceIds: readonly string[] = [],
  ) {
    this.byKey = kind === 'source' ? new Map(sourceIds.map((key, id) => [key, id])) : undefined;
  }

  /**
   * Catalog ids of the page's ids. Keys the catalog does not have are skipped (a store sells items the model
   * never saw), as the recommender skips unknown catalog ids; catalog ids pass unchanged, for the recommender to check.
   */
  toCatalog(ids: readonly PageId[]): number[] {
    return this.byKey ? this.known(ids) : (ids as number[]);
  }

  /** Catalog ids of those of the page's ids that the catalog has, in order (exclude, only: ids it lacks are skipped). */
  known(ids: readonly PageId[]): number[] {
    const inCatalog = this.kind === 'catalog' && this.sourceIds.length > 0 ? (id: number) => id < this.sourceIds.length : () => true;
    return ids.map((id) => this.catalogId(id)).filter((id): id is number => id !== undefined && inCatalog(id));
  }

  /** The catalog id of one page id, if the catalog has it. */
  catalogId(id: PageId): number | undefined {
    return this.byKey ? this.byKey.get(String(id)) : (id as number);
  }

  /** The page's id of a catalog item. */
  toPage(id: number): PageId {
    return this.byKey ? this.sourceIds[id] : id;
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
