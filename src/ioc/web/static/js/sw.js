/* sw.js — the citizen app's service worker, served from /sw.js (scope: the whole site) with
 * its configuration filled in by the server: the static files' version, the shell to keep and
 * the pages usable without a network.
 *
 * - Static files (/static/…): cache first; the cache is named after the version, so a new
 *   deployment starts a new cache and the old one is deleted when the new worker activates.
 * - Pages: network first; without a network the kept anonymous copy of the report form, else
 *   the offline page. Pages from the network are never stored: they may be personal.
 * - Anything else (POST, API, photos, personal data) goes to the network untouched.
 * - Background Sync "ioc-outbox": sends the reports kept on the phone (outbox.js).
 */
/* global self, caches, importScripts, IocOutbox */
'use strict';

var CONFIG = /*CONFIG*/{};
var VERSION = CONFIG.version || 'dev';
var STATIC_CACHE = 'ioc-static-' + VERSION;
var PAGE_CACHE = 'ioc-pages-' + VERSION;

importScripts('/static/js/outbox.js?v=' + VERSION);

self.addEventListener('install', function (event) {
  event.waitUntil(Promise.all([
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.shell || []);
    }),
    caches.open(PAGE_CACHE).then(function (cache) {
      // Without cookies: the copy kept is the one anybody would see.
      return Promise.all((CONFIG.pages || []).map(function (path) {
        return fetch(path, { credentials: 'omit' }).then(function (response) {
          if (response.ok) return cache.put(path, response);
          return null;
        });
      }));
    }),
  ]).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      if (/^ioc-(static|pages)-/.test(name) && name !== STATIC_CACHE && name !== PAGE_CACHE) {
        return caches.delete(name);
      }
      return null;
    }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage(url) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match(url.pathname).then(function (hit) {
      return hit || cache.match('/offline');
    });
  }).then(function (hit) {
    return hit || new Response('Offline', { status: 503, headers: { 'Content-Type': 'text/plain' } });
  });
}

function fromCacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        // Only versioned URLs (and fonts) are kept: they never change under the same name.
        var url = new URL(request.url);
        if (response.ok && (url.searchParams.has('v') || url.pathname.indexOf('/static/vendor/fonts/') === 0)) {
          cache.put(request, response.clone());
        }
        return response;
      }).catch(function () {
        // A static file asked without its version (or with an old one) while offline.
        return cache.match(request, { ignoreSearch: true }).then(function (any) {
          return any || Response.error();
        });
      });
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(function () { return offlinePage(url); }));
    return;
  }
  if (url.pathname.indexOf('/static/') === 0 && url.pathname !== '/static/js/sw.js') {
    event.respondWith(fromCacheFirst(request));
  }
});

self.addEventListener('sync', function (event) {
  if (event.tag === 'ioc-outbox') {
    event.waitUntil(IocOutbox.flush().then(function (result) {
      return self.clients.matchAll().then(function (clients) {
        clients.forEach(function (c) { c.postMessage({ type: 'ioc-outbox', result: result }); });
      });
    }));
  }
});

self.addEventListener('message', function (event) {
  if (event.data && event.data.type === 'ioc-outbox-flush') {
    event.waitUntil(IocOutbox.flush());
  }
});
