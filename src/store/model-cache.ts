/**
 * Model files (config, tokenizer, ONNX) kept in the Cache API. Cache first
 * (as transformers.js and web-llm do: a model URL names one model), so a
 * later visit makes no request at all; `revalidate` asks the network first
 * and falls back to the cache when it does not answer.
 */
export const MODEL_CACHE_NAME = 'l2d-models-v1';

export async function cachedFetch(input: string, options: { revalidate?: boolean } = {}): Promise<Response> {
  const cache = typeof caches !== 'undefined' ? await caches.open(MODEL_CACHE_NAME).catch(() => undefined) : undefined;
  if (!options.revalidate) {
    const cached = await cache?.match(input);
    if (cached) return cached;
  }
  try {
    const response = await fetch(input);
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
