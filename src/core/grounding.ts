/**
 * Grounding generated titles to catalog items (the paper's appendix A.2):
 * an exact title match first (case and spacing ignored), else the catalog
 * titles ranked by character-trigram Jaccard similarity, ties to the lower
 * item id. A title that matches nothing still ranks the whole catalog, so a
 * list of K items always comes out. Several generated titles (a beam) give
 * one list by interleaving their rankings column by column, keeping the
 * first occurrence of each item.
 */

export function normalizeTitle(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim();
}

function trigrams(text: string): Set<string> {
  const padded = `  ${normalizeTitle(text)} `;
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3));
  return grams;
}

export class TitleGrounder {
  private readonly exact = new Map<string, number[]>();
  private readonly grams: Set<string>[];

  constructor(readonly titles: readonly string[]) {
    titles.forEach((t, id) => {
      const key = normalizeTitle(t);
      if (!this.exact.has(key)) this.exact.set(key, []);
      this.exact.get(key)!.push(id);
    });
    this.grams = titles.map(trigrams);
  }

  /** The items whose title is this one (case and spacing ignored), lowest id first. */
  exactMatches(title: string): readonly number[] {
    return this.exact.get(normalizeTitle(title)) ?? [];
  }

  /** The first k items for one generated title: exact matches, then by similarity. */
  rank(generated: string, k: number): number[] {
    const exact = this.exactMatches(generated);
    const g = trigrams(generated);
    const scored: [number, number][] = [];
    this.grams.forEach((other, id) => {
      let shared = 0;
      for (const x of g) if (other.has(x)) shared++;
      scored.push([id, shared / (g.size + other.size - shared || 1)]);
    });
    scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const seen = new Set(exact);
    const out = [...exact];
    for (const [id] of scored) {
      if (out.length >= k) break;
      if (!seen.has(id)) out.push(id);
    }
    return out.slice(0, k);
  }

  /** One top-k list from several generated titles (best first): rankings interleaved column by column, unique items. */
  rankMany(generated: readonly string[], k: number): number[] {
    const lists = generated.map((t) => this.rank(t, k));
    const out: number[] = [];
    const seen = new Set<number>();
    for (let column = 0; out.length < k && column < k; column++) {
      for (const list of lists) {
        const id = list[column];
        if (id !== undefined && !seen.has(id)) {
          seen.add(id);
          out.push(id);
          if (out.length === k) break;
        }
      }
    }
    return out;
  }
}

/** The title inside a generated response (the template's ` "{title}"`): quotes and spaces stripped. */
export function responseTitle(text: string): string {
  return text.trim().replace(/^"/, '').replace(/"$/, '').trim();
}
