/**
 * Model files (config, tokenizer, ONNX) for offline visits: fetched from the
 * network when it answers, and kept in the Cache API so that a later visit
 * with no network still loads the model. Network first, so a model updated
 * on the server is picked up at once (its shard is checked against the new file).
 */
export const MODEL_CACHE_NAME = 'l2d-models-v1';

export async function cachedFetch(input: string, init?: RequestInit): Promise<Response> {
  const cache = typeof caches !== 'undefined' ? await caches.open(MODEL_CACHE_NAME).catch(() => undefined) : undefined;
  try {
    const response = await fetch(input, init);
    if (response.ok && cache) {
      // A full copy for the cache; a quota error here costs only the offline copy.
      await cache.put(input, response.clone()).catch(() => undefined);
    }
    if (!response.ok && cache) return (await cache.match(input)) ?? response;
    return response;
  } catch (error) {
    const cached = await cache?.match(input);
    if (cached) return cached;
    throw error;
  }
}
