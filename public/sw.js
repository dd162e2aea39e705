// The demo's service worker: after the first visit the page works offline.
// It precaches the build (precache.json, written by vite.config.ts) and serves
// same-origin GETs cache first. Model files and memory shards are not its job:
// the recommender keeps those in the Cache API and IndexedDB itself; a model
// folder's eval/ files (the test split and train sequences, read by the page's
// evaluation and test-user picker, not by the recommender) are, when the page
// first fetches them.
//
// It also makes the page cross-origin isolated on static hosts that cannot
// send headers (onnxruntime-web's wasm then runs multi-threaded): the page and
// its workers get Cross-Origin-Opener-Policy / -Embedder-Policy from here, on
// the pages it controls: a first visit waits for it to take the page, then
// reloads once (src/demo/main.ts). Everything the demo loads is same-origin,
// so require-corp blocks nothing.
const CACHE = 'l2d-demo-app-v2';
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The response with the isolation headers added (a host that sends its own keeps them). */
function isolated(response) {
  if (response.status === 0) return response; // opaque: nothing to add to
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION)) if (!headers.has(name)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const files = await (await fetch('precache.json', { cache: 'no-cache' })).json();
      await cache.addAll(['./', ...files]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith('l2d-demo-app-') && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const modelFile = url.pathname.includes('/models/') && !/\/models\/[^/]+\/eval\//.test(url.pathname);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || modelFile) return;
  // The page itself and its workers (the recommender's, onnxruntime-web's threads) carry the isolation headers.
  const needsIsolation = event.request.mode === 'navigate' || event.request.destination === 'worker';
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match(event.request, { ignoreSearch: true });
      const response = cached ?? (await fetch(event.request));
      if (!cached && response.ok) await cache.put(event.request, response.clone());
      return needsIsolation ? isolated(response) : response;
    })(),
  );
});
