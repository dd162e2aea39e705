import { describe, expect, it } from 'vitest';
import { ShardError } from './core/errors.ts';
import { checkedOrReloaded, fetchAhead } from './shard-fetch.ts';

describe('fetchAhead', () => {
  it('starts the asked-for download, then the next wanted ones up to `ahead`, each once and in order', async () => {
    const starts: number[] = [];
    const get = fetchAhead(5, 1, (i) => i !== 2, async (i) => {
      starts.push(i);
      return `chunk ${i}`;
    });
    expect(await get(0)).toBe('chunk 0');
    expect(starts).toEqual([0, 1]);
    expect(await get(1)).toBe('chunk 1');
    expect(starts).toEqual([0, 1]); // 2 is not wanted (stored): not started ahead
    expect(await get(2)).toBe('chunk 2'); // but fetched when asked for (a stored chunk found corrupted)
    expect(starts).toEqual([0, 1, 2, 3]);
    expect(await get(3)).toBe('chunk 3');
    expect(await get(4)).toBe('chunk 4');
    expect(starts).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps `ahead` downloads in flight beyond the asked-for one, never past the last', () => {
    const starts: number[] = [];
    const get = fetchAhead(4, 2, () => true, (i) => {
      starts.push(i);
      return new Promise<number>(() => undefined);
    });
    void get(0);
    expect(starts).toEqual([0, 1, 2]);
    void get(1);
    expect(starts).toEqual([0, 1, 2, 3]);
    void get(2);
    void get(3);
    expect(starts).toEqual([0, 1, 2, 3]);
  });

  it("a download started ahead that fails rejects when it is asked for, and not before (no unhandled rejection)", async () => {
    const get = fetchAhead(2, 1, () => true, (i) => (i === 1 ? Promise.reject(new Error('chunk 1: HTTP 503')) : Promise.resolve(i)));
    expect(await get(0)).toBe(0);
    await new Promise((r) => setTimeout(r, 10)); // chunk 1's rejection settles unobserved meanwhile
    await expect(get(1)).rejects.toThrow('chunk 1: HTTP 503');
  });
});

describe('checkedOrReloaded', () => {
  const bytes = (n: number) => new Uint8Array([n]).buffer;
  const wants = (n: number) => async (b: ArrayBuffer) => {
    if (new Uint8Array(b)[0] !== n) throw new ShardError(`holds ${new Uint8Array(b)[0]}, the manifest says ${n}`);
    return `checked ${n}`;
  };

  it('keeps bytes that pass, fetching nothing more', async () => {
    let reloads = 0;
    const r = await checkedOrReloaded(bytes(2), wants(2), async () => (reloads++, bytes(2)));
    expect([new Uint8Array(r.bytes)[0], r.checked, reloads]).toEqual([2, 'checked 2', 0]);
  });

  it('fetches an old copy (a rebuilt shard\'s file under the same name, from the HTTP cache) once more, past the cache', async () => {
    let reloads = 0;
    const r = await checkedOrReloaded(bytes(1), wants(2), async () => (reloads++, bytes(2)));
    expect([new Uint8Array(r.bytes)[0], r.checked, reloads]).toEqual([2, 'checked 2', 1]);
  });

  it('fails with the check\'s error when the fresh copy is wrong too, and never retries other errors', async () => {
    await expect(checkedOrReloaded(bytes(1), wants(2), async () => bytes(3))).rejects.toThrow('holds 3, the manifest says 2');
    let reloads = 0;
    const broken = async () => {
      throw new TypeError('a bug, not a stale file');
    };
    await expect(checkedOrReloaded(bytes(1), broken, async () => (reloads++, bytes(1)))).rejects.toThrow('a bug, not a stale file');
    expect(reloads).toBe(0);
  });
});
