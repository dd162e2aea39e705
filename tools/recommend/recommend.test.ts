/**
 * `npm run recommend` on the shipped demo model and memory: the history's h_t is the model's (the export's
 * torch fixture), the list is the CPU decoder's on it, and bad input is named.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuDecoder } from '../../src/core/cpu-decoder.ts';
import { parseItems } from '../../src/core/data/prepared-format.ts';
import { renderPrompt } from '../../src/core/prompt.ts';
import { loadShard } from '../lib/shard-files.ts';
import { recommendOffline } from './main.ts';

const MODEL = 'models/movielens-demo';
const MEMORY = `${MODEL}/memory/train-q4-f0.3`;
const fixture = JSON.parse(readFileSync(`${MODEL}/fixtures/hidden-states.json`, 'utf8')) as { cases: { prompt: string; hidden: { q4?: number[] } }[] };

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) [dot, na, nb] = [dot + a[i] * b[i], na + a[i] ** 2, nb + b[i] ** 2];
  return dot / Math.sqrt(na * nb);
}

describe('npm run recommend (offline, in Node)', () => {
  it("encodes the history as the model does and ranks with the CPU decoder's rules", async () => {
    // Toy Story by id, Jumanji by its source_id (MovieLens movieId 2), Heat by title.
    const result = await recommendOffline({ model: MODEL, memory: MEMORY, history: [0], sourceIds: ['2'], titles: ['  heat (1995) '], k: 5, strategy: 'local', m: 200, excludeHistory: true });
    expect(result.history).toEqual([
      { id: 0, sourceId: '1', title: 'Toy Story (1995)' },
      { id: 1, sourceId: '2', title: 'Jumanji (1995)' },
      { id: 5, sourceId: '6', title: 'Heat (1995)' },
    ]);
    const { memory } = await loadShard(MEMORY);
    expect(result.items.map((x) => [x.id, x.source])).toEqual(new CpuDecoder(memory).decode(result.hidden, { k: 5, strategy: 'local', m: 200, exclude: [0, 1, 5] }).map((x) => [x.item, x.source]));
    expect(result.items.map((x) => x.id)).not.toContain(5);
    expect(result.droppedOldest).toBe(0);
  });

  it('ranks with L2D-V unless --strategy says otherwise (M = 3000 unless --m), as the CPU decoder does', async () => {
    const result = await recommendOffline({ model: MODEL, memory: MEMORY, history: [0, 1], k: 8 });
    const { memory } = await loadShard(MEMORY);
    const expected = new CpuDecoder(memory).decode(result.hidden, { k: 8, strategy: 'vote', m: 3000 });
    expect(result.items.map((x) => [x.id, x.source, x.distance, x.score])).toEqual(expected.map((x) => [x.item, x.source, x.distance, x.score]));
    expect(result.items.every((x) => x.source === 'vote')).toBe(true);
    const named = await recommendOffline({ model: MODEL, memory: MEMORY, history: [0, 1], k: 8, strategy: 'vote' });
    expect(named.items).toEqual(result.items);
  });

  it('--exclude and --only filter the list as recommend() does: none of the excluded, none but the allowed', async () => {
    const result = await recommendOffline({ model: MODEL, memory: MEMORY, history: [0, 1], k: 5, exclude: [2], only: [2, 3, 4, 10, 20, 30] });
    const { memory } = await loadShard(MEMORY);
    expect(result.items.map((x) => x.id)).toEqual(new CpuDecoder(memory).decode(result.hidden, { k: 5, exclude: [2], only: [2, 3, 4, 10, 20, 30] }).map((x) => x.item));
    expect(result.items.map((x) => x.id).sort((a, b) => a - b)).toEqual([3, 4, 10, 20, 30]);
  });

  it('counts a repeated item once, at its last place, as the page does', async () => {
    const repeated = await recommendOffline({ model: MODEL, memory: MEMORY, history: [0, 5], sourceIds: ['1'], k: 5, strategy: 'global' });
    expect(repeated.history.map((h) => h.id)).toEqual([5, 0]);
    const distinct = await recommendOffline({ model: MODEL, memory: MEMORY, history: [5, 0], k: 5, strategy: 'global' });
    expect(Array.from(repeated.hidden)).toEqual(Array.from(distinct.hidden));
    expect(repeated.items).toEqual(distinct.items);
  });

  it('--cold-start similar-titles ranks items that no memory row carries, as load()\'s coldStart does', async () => {
    const { memory } = await loadShard(MEMORY);
    const rowless = new Set(Array.from({ length: memory.itemCount }, (_, id) => id).filter((id) => !memory.labels.includes(id)));
    const plain = await recommendOffline({ model: MODEL, memory: MEMORY, history: [0, 1], k: 3496 });
    const withRule = await recommendOffline({ model: MODEL, memory: MEMORY, history: [0, 1], k: 3496, coldStart: 'similar-titles' });
    expect(plain.items.filter((x) => rowless.has(x.id))).toEqual([]);
    expect(withRule.items.filter((x) => rowless.has(x.id)).length).toBeGreaterThan(100);
  });

  it('gives the hidden state the export recorded in torch for a fixture prompt', async () => {
    const items = parseItems(readFileSync(`${MEMORY}/items.tsv`, 'utf8'));
    const byTitle = new Map(items.map((item) => [item.title, item.id]));
    const titles = (prompt: string) => [...prompt.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    const usable = fixture.cases.find((c) => c.hidden.q4 && titles(c.prompt).every((t) => byTitle.has(t)) && renderPrompt(titles(c.prompt)) === c.prompt);
    expect(usable, 'a fixture prompt made of catalog titles').toBeDefined();
    const result = await recommendOffline({ model: MODEL, memory: MEMORY, titles: titles(usable!.prompt), k: 3 });
    expect(cosine(result.hidden, usable!.hidden.q4!)).toBeGreaterThan(0.999);
  });

  it('names what is wrong: an unknown id, a title not in the catalog (with the nearest), an empty history, a k past the catalog, a bad strategy', async () => {
    const fails = (request: Parameters<typeof recommendOffline>[0]) => recommendOffline(request).then(() => 'no error', (e: Error) => `${e.name}: ${e.message}`);
    expect(await fails({ model: MODEL, memory: MEMORY, history: [99999] })).toBe('InvalidArgumentError: History item 99999 is not a catalog id (0..3495).');
    expect(await fails({ model: MODEL, memory: MEMORY, titles: ['Toy Stroy'] })).toBe(
      'InvalidArgumentError: "Toy Stroy" is not a title of this catalog; the nearest: "Toy Story (1995)" (0), "Toy Story 2 (1999)" (1693), "Toy Story 3 (2010)" (3220).',
    );
    expect(await fails({ model: MODEL, memory: MEMORY })).toBe('InvalidArgumentError: The history is empty: give --history ids, --source-ids keys or --title titles, oldest first.');
    expect(await fails({ model: MODEL, memory: MEMORY, sourceIds: ['B00JK00S0S'] })).toBe(`InvalidArgumentError: "B00JK00S0S" is not a source_id of this catalog (${MEMORY}/items.tsv, its second column).`);
    expect(await fails({ model: MODEL, memory: MEMORY, history: [0], strategy: 'nearest' as 'local' })).toBe('InvalidArgumentError: --strategy must be "local" (L2D-L), "global" (L2D-G) or "vote" (L2D-V), got "nearest".');
    // As recommend() in the worker: a list longer than the catalog is refused, not cut short.
    expect(await fails({ model: MODEL, memory: MEMORY, history: [0], k: 3497 })).toBe('InvalidArgumentError: --k must be an integer in 1..3496 (the catalog\'s size), got 3497.');
    expect(await fails({ model: MODEL, memory: MEMORY, history: [0], only: [3, 99999] })).toBe('InvalidArgumentError: only holds 99999, which is not an item of this memory (0..3495).');
    expect(await fails({ model: MODEL, memory: MEMORY, history: [0], coldStart: 'magic' as 'none' })).toBe('InvalidArgumentError: --cold-start must be one of none, similar-titles, got "magic".');
    expect(await fails({ model: MODEL, memory: 'models/movielens-demo/onnx', history: [0] })).toMatch(/^ShardError: models\/movielens-demo\/onnx: no manifest.json/);
  });

  it('runs from the command line: a table, --json, and exit 1 with the message on bad input', () => {
    const run = (...args: string[]) => execFileSync('npx', ['tsx', 'tools/recommend/main.ts', '--model', MODEL, '--memory', MEMORY, ...args], { encoding: 'utf8', stdio: 'pipe' });
    const json = JSON.parse(run('--history', '0,1', '--k', '3', '--json')) as { items: { id: number; sourceId: string }[]; history: { id: number }[] };
    expect(json.history.map((h) => h.id)).toEqual([0, 1]);
    expect(json.items).toHaveLength(3);
    // Each item also by the catalog's own key (items.tsv's source_id: here the MovieLens movieId).
    const catalog = parseItems(readFileSync(`${MEMORY}/items.tsv`, 'utf8'), 'items.tsv');
    expect(json.items.map((x) => x.sourceId)).toEqual(json.items.map((x) => catalog[x.id].sourceId));
    expect(run('--source-ids', '1', '--k', '2')).toMatch(/^History \(oldest first\): Toy Story \(1995\) \(0, source id 1\)\n\n\| rank \| id \| source id \| distance \| score \| from \| title \|\n\|---\|---\|---\|---\|---\|---\|---\|\n\| 1 \| \d+ \| \d+ \| \d+\.\d{4} \| [\d.]+ \| vote \| .+ \|\n\| 2 \|/); // L2D-V by default
    expect(run('--source-ids', '1', '--k', '1', '--strategy', 'local')).toMatch(/\n\| 1 \| \d+ \| \d+ \| \d+\.\d{4} \| [\d.]+ \| local \| .+ \|\n/);
    let failure: { status: number; stderr: string } | undefined;
    try {
      run('--history', '0,x');
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toContain('recommend: --history takes catalog ids separated by commas, got "0,x".');
    try {
      run('--history', '0', '--only', '3,4,-5');
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.stderr).toContain('recommend: --only takes catalog ids separated by commas, got "3,4,-5".');
    expect((JSON.parse(run('--history', '0', '--k', '3', '--exclude', '4', '--only', '3,4', '--json')) as { items: { id: number }[] }).items.map((x) => x.id)).toEqual([3]);
    // An option node's parseArgs refuses: one line and the usage, exit 2, no stack.
    for (const [args, line] of [
      [['--title'], "recommend: Option '--title <value>' argument missing"],
      [['--history', '0', '--top', '3'], "recommend: Unknown option '--top'"],
    ] as const) {
      try {
        run(...args);
        failure = undefined;
      } catch (error) {
        failure = error as { status: number; stderr: string };
      }
      expect(failure?.status).toBe(2);
      expect(failure?.stderr.split('\n').filter((l) => !l.startsWith('npm warn'))).toEqual([line, expect.stringMatching(/^usage: npm run recommend -- --model <model folder> --memory <shard folder> /), '']);
    }
  }, 60_000);
});
