/// <reference lib="webworker" />
// The playground's service worker: after one visit the page, its scripts and the Fashion-MNIST bytes it fetched
// come from the cache, so it keeps working offline. Network first for the page's own files (an update shows up
// at once when online), cache first for the data (it never changes).

declare const self: ServiceWorkerGlobalScope;
declare const NETC_CACHE: string;

const shell = ['./', 'index.html', 'app.js', 'app.css', 'diagram.js', 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(NETC_CACHE)
      .then((cache) => cache.addAll(shell))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== NETC_CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const data = url.pathname.includes('/data/');
  event.respondWith(data ? cacheFirst(request) : networkFirst(request));
});

async function cacheFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request);
  if (cached !== undefined) return cached;
  const response = await fetch(request);
  if (response.ok) await (await caches.open(NETC_CACHE)).put(request, response.clone());
  return response;
}

async function networkFirst(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok) await (await caches.open(NETC_CACHE)).put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(request, { ignoreSearch: true });
    if (cached !== undefined) return cached;
    throw error;
  }
}
