/* The service worker (served at /sw.js by mentoring.views.service_worker, scope "/").
   The view puts SHELL (the app shell's URLs: style sheets, scripts, icons, the offline page)
   and VERSION in front of this file. It caches only those: never a signed-in page, so nothing
   one person saw is ever shown to another. A navigation that fails (no network) shows the
   offline page. No push, no third party. */
/* global SHELL, VERSION, OFFLINE_URL */
"use strict";

const CACHE = "shell-" + VERSION;
const SHELL_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith("shell-") && key !== CACHE).map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Pages always come from the network; the cached offline page only when it fails.
    event.respondWith(
      fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match(OFFLINE_URL)))
    );
    return;
  }
  if (SHELL_PATHS.has(url.pathname)) {
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request).then((cached) => cached || fetch(request))
      )
    );
  }
});
