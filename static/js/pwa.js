/* Installable on a phone: registers the service worker (static/js/sw.js, served at /sw.js). */
"use strict";
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  });
}
